"""The one idempotency check by external id (servicing/ledger/idempotency.py), as every poster uses it (SRV-4)."""

import datetime

import pytest

from servicing.ledger import (
    ExternalIdConflict,
    PostingContent,
    payment_post,
    posting_already_made,
    posting_create,
    postings_by_external_id,
    property_category_change_post,
)
from servicing.models import Posting, PostingKind

from .ledger_support import D, make_loan

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 1)


@pytest.fixture
def loan():
    loan = make_loan("I-1")
    posting_create(
        loan=loan, kind=PostingKind.DISBURSEMENT, amount=D("1000"), effective_date=DAY, price=D("100")
    )
    return loan


def test_the_same_id_and_content_returns_the_posting_already_made_by_every_service(loan):
    # given one posting of each service under an id
    fee = posting_create(loan=loan, kind=PostingKind.FEE, amount=D("50"), effective_date=DAY, external_id="F")
    payment = payment_post(loan=loan, amount=D("20"), received_on=DAY, external_id="P", user=None)[0]
    change = property_category_change_post(
        loan=loan, category="cooperative", effective_date=DAY, external_id="C"
    )
    count = Posting.objects.count()
    # when each is posted again
    again = [
        posting_create(loan=loan, kind=PostingKind.FEE, amount=D("50"), effective_date=DAY, external_id="F"),
        payment_post(loan=loan, amount=D("20"), received_on=DAY, external_id="P", user=None)[0],
        property_category_change_post(loan=loan, category="cooperative", effective_date=DAY, external_id="C"),
    ]
    # then nothing new is posted
    assert again == [fee, payment, change]
    assert Posting.objects.count() == count


@pytest.mark.parametrize(
    "post",
    [
        lambda loan: posting_create(
            loan=loan, kind=PostingKind.FEE, amount=D("51"), effective_date=DAY, external_id="F"
        ),
        lambda loan: payment_post(loan=loan, amount=D("50"), received_on=DAY, external_id="F", user=None),
        lambda loan: property_category_change_post(
            loan=loan, category="cooperative", effective_date=DAY, external_id="F"
        ),
    ],
    ids=["other amount", "other kind", "category change"],
)
def test_the_same_id_with_other_content_is_refused_by_every_service(loan, post):
    # given a fee under the id F
    fee = posting_create(loan=loan, kind=PostingKind.FEE, amount=D("50"), effective_date=DAY, external_id="F")
    # when something else is posted under it, then it is refused and names the posting already made
    with pytest.raises(ExternalIdConflict) as refused:
        post(loan)
    assert refused.value.existing == fee
    assert "external_id" in refused.value.message_dict


def test_a_category_change_under_the_same_id_on_another_date_is_other_content(loan):
    # the transaction import always compared the date; the service now asks the same check
    property_category_change_post(loan=loan, category="cooperative", effective_date=DAY, external_id="C")
    with pytest.raises(ExternalIdConflict):
        property_category_change_post(
            loan=loan,
            category="cooperative",
            effective_date=DAY + datetime.timedelta(days=1),
            external_id="C",
        )


def test_a_repayment_in_two_parts_is_compared_by_its_whole_amount(loan):
    # given principal due of 300 and a scheduled repayment of 500: 300 from principal due, 200 from principal
    posting_create(loan=loan, kind=PostingKind.SCHEDULED_PAYMENT_DUE, amount=D("300"), effective_date=DAY)
    first = posting_create(
        loan=loan, kind=PostingKind.SCHEDULED_REPAYMENT, amount=D("500"), effective_date=DAY, external_id="R"
    )
    assert first.amount == D("300.00")
    # then the check sees the whole 500 under the id
    posted = postings_by_external_id(["R", "unknown"])
    assert list(posted) == ["R"]
    content = PostingContent(loan.pk, PostingKind.SCHEDULED_REPAYMENT, DAY, D("500.00"))
    assert posting_already_made(external_id="R", content=content, posted=posted) == first
    assert posting_already_made(external_id="unknown", content=content, posted=posted) is None
    assert posting_already_made(external_id=None, content=content) is None
