"""What the transaction import brings the statistics: an afdrag counted once (STAT-5) and the property's category
history with effective dates (STAT-9)."""

import pytest
from django.utils import translation

from servicing.models import Posting, PropertyCategoryChange, category_in_force
from servicing.transaction_import import transactions_import

from .support import D, bill, loan, opening, prop

pytestmark = pytest.mark.django_db
HEADER = "transaction_id,loan_number,kind,date,amount,price,property_category\n"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _run(text: str):
    return transactions_import(file=(HEADER + text).encode(), user=None, file_name="tx.csv")


def test_stat5_an_imported_afdrag_for_an_installment_already_billed_is_refused():
    # given the installment of 1 April 2026 billed (its principal fell due on the next bank day, 1 April)
    the_loan = loan("L-1", on=prop("P1"))
    opening(the_loan, "100000.00")
    bill(the_loan, D(2026, 4, 1), "1000.00")
    before = Posting.objects.count()
    # when the other system's afdrag for the same loan and interest date is imported, with one for 1 July
    result = _run(
        "T1,L-1,scheduled_repayment,2026-04-01,1000.00,,\nT2,L-1,scheduled_repayment,2026-07-01,1000.00,,\n"
    )
    # then the file is refused with the reason, and nothing is posted
    assert not result.ok
    assert len(result.errors) == 1
    assert result.errors[0].startswith(
        "line 2: date: the installment of 2026-04-01 on L-1 was already billed"
    )
    assert Posting.objects.count() == before
    # and a date not billed imports
    assert _run("T2,L-1,scheduled_repayment,2026-07-01,1000.00,,\n").ok


def test_stat9_an_imported_category_change_is_history_with_its_effective_date():
    home = prop("P1", category="owner_occupied")
    loan("L-1", on=home)
    # when a change effective 5 March is imported, then one effective 1 February imported later
    assert _run("C1,L-1,property_category_change,2026-03-05,0,,private_rental\n").ok
    assert _run("C2,L-1,property_category_change,2026-02-01,0,,agriculture\n").ok
    # then the history holds both, each with the category before it
    history = list(
        PropertyCategoryChange.objects.values_list("effective_date", "previous_category", "category")
    )
    assert sorted(history) == [
        (D(2026, 2, 1), "owner_occupied", "agriculture"),
        (D(2026, 3, 5), "owner_occupied", "private_rental"),
    ]
    home.refresh_from_db()
    assert home.category == "private_rental"  # the latest change, not the last one imported
    assert category_in_force(home, D(2026, 1, 31)) == "owner_occupied"
    assert category_in_force(home, D(2026, 2, 1)) == "agriculture"
    assert category_in_force(home, D(2026, 3, 4)) == "agriculture"
    assert category_in_force(home, D(2026, 3, 5)) == "private_rental"
    # re-importing the file posts nothing twice
    assert _run("C1,L-1,property_category_change,2026-03-05,0,,private_rental\n").ok
    assert PropertyCategoryChange.objects.count() == 2
