"""SRV-1 and SRV-4: the ledger is the record; balances derive from it; the waterfall applies payments."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from loanregister.choices import LoanStatus
from loanregister.models import Loan, RegisterEvent
from servicing.ledger import (
    installment_due_post,
    ledger_reconcile,
    ledger_trial_balance,
    loan_balances,
    opening_balances_post,
    payment_post,
    posting_create,
    posting_reverse,
    property_category_change_post,
)
from servicing.models import LedgerImmutableError, OverpaymentRule, PaymentWaterfall, Posting, PostingKind

from .ledger_support import D, make_loan

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 1, 1)


def _disbursed(number="L-1", amount="1000000.00", **fields) -> Loan:
    loan = make_loan(number, **fields)
    posting_create(
        loan=loan, kind=PostingKind.DISBURSEMENT, amount=D(amount), effective_date=DAY, price=D("98.5")
    )
    loan.refresh_from_db()
    return loan


def test_srv4_ledger_refuses_update_in_the_database():
    # given
    loan = _disbursed()
    posting = loan.postings.get()
    # when / then: raw SQL, past every Python guard
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE servicing_posting SET amount = 1 WHERE id = %s", [posting.pk])
    posting.refresh_from_db()
    assert posting.amount == D("1000000.00")


def test_srv4_ledger_refuses_delete_in_the_database():
    # given
    loan = _disbursed()
    posting = loan.postings.get()
    # when / then
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM servicing_posting WHERE id = %s", [posting.pk])
    assert Posting.objects.filter(pk=posting.pk).exists()


def test_srv4_ledger_refuses_save_and_delete_in_python():
    # given
    posting = _disbursed().postings.get()
    # when / then
    posting.amount = D("1")
    with pytest.raises(LedgerImmutableError):
        posting.save()
    with pytest.raises(LedgerImmutableError):
        posting.delete()
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            Posting.objects.filter(pk=posting.pk).update(amount=D("2"))


def test_srv4_reversal_restores_balances_and_cached_balance():
    # given
    loan = _disbursed()
    before = loan_balances(loan=loan)
    redemption = posting_create(
        loan=loan, kind=PostingKind.REDEMPTION, amount=D("250000"), effective_date=DAY, price=D("99")
    )
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("750000.00")
    # when
    reversal = posting_reverse(posting=redemption, user=None, reason="wrong loan")
    # then
    loan.refresh_from_db()
    assert reversal.reverses == redemption
    assert (reversal.debit_account, reversal.credit_account) == (
        redemption.credit_account,
        redemption.debit_account,
    )
    assert loan_balances(loan=loan) == before
    assert loan.outstanding_balance == D("1000000.00")
    assert ledger_reconcile() == []


def test_srv4_a_posting_is_reversed_once_and_a_reversal_never():
    # given
    loan = _disbursed()
    fee = posting_create(loan=loan, kind=PostingKind.FEE, amount=D("250"), effective_date=DAY)
    reversal = posting_reverse(posting=fee, user=None, reason="waived")
    # when / then
    with pytest.raises(ValidationError):
        posting_reverse(posting=fee, user=None, reason="again")
    with pytest.raises(ValidationError):
        posting_reverse(posting=reversal, user=None, reason="undo")


def test_srv4_full_redemption_pays_the_loan_off_and_its_reversal_revives_it():
    # given
    loan = _disbursed()
    RegisterEvent.objects.filter(loan=loan).exists()
    # when
    redemption = posting_create(
        loan=loan, kind=PostingKind.REDEMPTION, amount=D("1000000"), effective_date=DAY, price=D("100")
    )
    # then
    loan.refresh_from_db()
    assert (loan.outstanding_balance, loan.status) == (D("0.00"), LoanStatus.PAID_OFF)
    posting_reverse(posting=redemption, user=None, reason="cheque bounced")
    loan.refresh_from_db()
    assert (loan.outstanding_balance, loan.status) == (D("1000000.00"), LoanStatus.ACTIVE)


def test_srv4_repayment_larger_than_outstanding_is_refused():
    # given
    loan = _disbursed(amount="1000.00")
    # when / then
    with pytest.raises(ValidationError):
        posting_create(
            loan=loan, kind=PostingKind.EXTRA_REPAYMENT, amount=D("1000.01"), effective_date=DAY, price=D(100)
        )
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("1000.00")
    assert loan.postings.count() == 1


def test_srv4_unwinding_cent_repayments_and_the_disbursement_leaves_exactly_zero():
    # given: the case, which broke the balance's CHECK when sums were stored as floats
    loan = _disbursed(amount="100000.00")
    disbursement = loan.postings.get()
    repayments = [
        posting_create(
            loan=loan, kind=PostingKind.EXTRA_REPAYMENT, amount=D(amount), effective_date=DAY, price=D("100")
        )
        for amount in ("0.01", "12497.93")
    ]
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("87502.06")
    # when: both repayments are reversed, then the disbursement (no IntegrityError on the way)
    for repayment in repayments:
        posting_reverse(posting=repayment, user=None, reason="returned")
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("100000.00")
    posting_reverse(posting=disbursement, user=None, reason="never paid out")
    # then: the cached balance is exactly zero and agrees with the ledger, which balances
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("0.00")
    assert str(loan.outstanding_balance) == "0.00"
    assert loan_balances(loan=loan).principal == 0
    assert all(value == 0 for value in ledger_trial_balance().values())
    assert ledger_reconcile() == []


def test_srv1_waterfall_pays_fees_then_interest_then_principal_then_escrow():
    # given: 100 fees, 3,000 interest, 2,000 principal and 500 escrow due
    loan = _disbursed()
    posting_create(loan=loan, kind=PostingKind.LATE_CHARGE, amount=D("100"), effective_date=DAY)
    installment_due_post(
        loan=loan,
        due_date=DAY,
        principal=D("2000"),
        interest=D("3000"),
        escrow=D("500"),
        external_id="inst-1",
    )
    # when: 5,400 is received, 200 short of the 5,600 due
    postings = payment_post(loan=loan, amount=D("5400"), received_on=DAY, external_id="bank-1", user=None)
    # then: fees, interest and principal are paid in full, escrow gets what is left
    assert [(p.kind, p.amount) for p in postings] == [
        (PostingKind.PAYMENT, D("5400.00")),
        (PostingKind.FEE_PAID, D("100.00")),
        (PostingKind.INTEREST_PAID, D("3000.00")),
        (PostingKind.PRINCIPAL_PAID, D("2000.00")),
        (PostingKind.ESCROW_DEPOSIT, D("300.00")),
    ]
    balances = loan_balances(loan=loan)
    assert (balances.fees_due, balances.interest_due, balances.principal_due) == (0, 0, 0)
    assert (balances.escrow_due, balances.escrow, balances.suspense) == (D("200"), D("300"), 0)
    assert balances.outstanding_principal == D("998000.00")
    assert ledger_reconcile() == []


def test_srv1_waterfall_order_is_the_admins_per_product():
    # given: for fixed-rate loans the admin puts interest before fees
    PaymentWaterfall.objects.create(loan_type="fixed", order="interest,fees,principal,escrow")
    loan = _disbursed()
    posting_create(loan=loan, kind=PostingKind.FEE, amount=D("100"), effective_date=DAY)
    posting_create(loan=loan, kind=PostingKind.INTEREST, amount=D("3000"), effective_date=DAY)
    # when
    postings = payment_post(loan=loan, amount=D("3050"), received_on=DAY, external_id=None, user=None)
    # then
    assert [(p.kind, p.amount) for p in postings[1:]] == [
        (PostingKind.INTEREST_PAID, D("3000.00")),
        (PostingKind.FEE_PAID, D("50.00")),
    ]


def test_srv1_overpayment_goes_to_suspense_or_extra_repayment_by_rule():
    # given
    loan = _disbursed()
    posting_create(loan=loan, kind=PostingKind.INTEREST, amount=D("1000"), effective_date=DAY)
    # when: default rule
    payment_post(loan=loan, amount=D("1500"), received_on=DAY, external_id="p1", user=None)
    # then
    assert loan_balances(loan=loan).suspense == D("500.00")
    # when: the admin's default row says overpayments repay principal
    PaymentWaterfall.objects.create(loan_type="", overpayment=OverpaymentRule.EXTRA_REPAYMENT)
    postings = payment_post(loan=loan, amount=D("700"), received_on=DAY, external_id="p2", user=None)
    # then
    assert [(p.kind, p.amount, p.price) for p in postings[1:]] == [
        (PostingKind.EXTRA_REPAYMENT, D("700.00"), D(100))
    ]
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("999300.00")
    assert ledger_reconcile() == []


def test_srv1_payment_reversal_reverses_its_whole_waterfall():
    # given
    loan = _disbursed()
    installment_due_post(loan=loan, due_date=DAY, principal=D("2000"), interest=D("3000"), external_id="i1")
    before = loan_balances(loan=loan)
    payment = payment_post(loan=loan, amount=D("5000"), received_on=DAY, external_id="b1", user=None)[0]
    # when
    posting_reverse(posting=payment, user=None, reason="returned by the bank")
    # then
    assert loan_balances(loan=loan) == before
    assert Posting.objects.filter(kind=PostingKind.REVERSAL).count() == 3
    with pytest.raises(ValidationError):
        posting_reverse(posting=payment.applications.first(), user=None, reason="part")


def test_srv4_one_posting_per_transaction_id():
    # given
    loan = _disbursed()
    first = payment_post(loan=loan, amount=D("10"), received_on=DAY, external_id="tx-9", user=None)
    # when: the same transaction again
    again = payment_post(loan=loan, amount=D("10"), received_on=DAY, external_id="tx-9", user=None)
    # then
    assert [p.pk for p in again] == [p.pk for p in first]
    assert Posting.objects.filter(kind=PostingKind.PAYMENT).count() == 1
    with pytest.raises(ValidationError):
        payment_post(loan=loan, amount=D("11"), received_on=DAY, external_id="tx-9", user=None)


def test_srv4_balances_as_of_a_date_and_the_trial_balance_is_zero():
    # given
    loan = _disbursed()
    posting_create(
        loan=loan,
        kind=PostingKind.EXTRA_REPAYMENT,
        amount=D("1000"),
        effective_date=DAY + datetime.timedelta(days=10),
        price=D("100"),
    )
    posting_create(loan=loan, kind=PostingKind.ESCROW_DEPOSIT, amount=D("600"), effective_date=DAY)
    posting_create(
        loan=loan, kind=PostingKind.ESCROW_DISBURSEMENT, amount=D("450"), effective_date=DAY, payee="Tryg"
    )
    # when / then
    assert loan_balances(loan=loan, as_of=DAY).outstanding_principal == D("1000000.00")
    assert loan_balances(loan=loan).outstanding_principal == D("999000.00")
    assert loan_balances(loan=loan).escrow == D("150.00")
    assert sum(ledger_trial_balance().values()) == 0


def test_srv4_reconcile_finds_a_cached_balance_that_disagrees():
    # given
    loan = _disbursed()
    other = _disbursed("L-2", amount="500.00")
    Loan.objects.filter(pk=loan.pk).update(outstanding_balance=D("999999.99"))
    # when
    mismatches = ledger_reconcile()
    # then
    assert [(m.loan_number, m.cached, m.ledger) for m in mismatches] == [
        ("L-1", D("999999.99"), D("1000000.00"))
    ]
    assert ledger_reconcile(loan_ids=[other.pk]) == []


def test_opening_balance_is_posted_once_as_of_the_balance_date():
    # given: an imported loan with a balance and one without
    loan = make_loan("L-7", outstanding_balance=D("812345.67"), balance_date=datetime.date(2025, 12, 31))
    empty = make_loan("L-8")
    # when
    created = opening_balances_post(loan_ids=[loan.pk, empty.pk])
    again = opening_balances_post(loan_ids=[loan.pk, empty.pk])
    # then
    opening = loan.postings.get()
    assert (created, again) == (1, 0)
    assert (opening.kind, opening.amount, opening.effective_date) == (
        PostingKind.OPENING_BALANCE,
        D("812345.67"),
        datetime.date(2025, 12, 31),
    )
    assert opening.external_id == "opening:L-7"
    assert not empty.postings.exists()
    assert ledger_reconcile() == []


def test_stat9_category_change_keeps_history_and_later_postings_carry_the_new_category():
    # given
    loan = _disbursed(category="private_rental")
    # when
    change = property_category_change_post(loan=loan, category="cooperative", effective_date=DAY)
    redemption = posting_create(
        loan=loan, kind=PostingKind.REDEMPTION, amount=D("10"), effective_date=DAY, price=D("100")
    )
    # then
    loan.property.refresh_from_db()
    assert loan.property.category == "cooperative"
    assert change.amount == 0 and "private_rental" in change.note
    assert loan.postings.filter(kind=PostingKind.DISBURSEMENT).get().property_category == "private_rental"
    assert redemption.property_category == "cooperative"


def test_srv4_reconcile_command_exits_1_when_a_cached_balance_disagrees():
    # given
    from django.core.management import CommandError, call_command

    loan = _disbursed()
    call_command("ledger_reconcile")
    Loan.objects.filter(pk=loan.pk).update(outstanding_balance=D("1.00"))
    # when / then
    with pytest.raises(CommandError) as raised:
        call_command("ledger_reconcile")
    assert raised.value.returncode == 1


def test_srv1_money_paid_early_waits_in_suspense_and_is_applied_when_due():
    # given: 5,000 paid a week before the installment is billed
    from servicing.ledger import suspense_apply

    loan = _disbursed()
    payment_post(loan=loan, amount=D("5000"), received_on=DAY, external_id="early", user=None)
    due = DAY + datetime.timedelta(days=7)
    installment_due_post(
        loan=loan, due_date=due, principal=D("2000"), interest=D("3000"), external_id="inst-9"
    )
    assert loan_balances(loan=loan, as_of=due).suspense == D("5000.00")
    # when
    applied = suspense_apply(loan=loan, on=due, user=None)
    # then: interest, then principal due
    assert [(p.kind, p.amount) for p in applied] == [
        (PostingKind.INTEREST_PAID, D("3000.00")),
        (PostingKind.PRINCIPAL_PAID, D("2000.00")),
    ]
    balances = loan_balances(loan=loan)
    assert (balances.suspense, balances.total_due) == (0, 0)
    assert suspense_apply(loan=loan, on=due, user=None) == []
    assert ledger_reconcile() == []


def test_srv4_a_redemption_beyond_principal_not_yet_due_also_repays_principal_due():
    # given: 1,000 outstanding, of which 300 has fallen due unpaid
    loan = _disbursed(amount="1000.00")
    installment_due_post(loan=loan, due_date=DAY, principal=D("300"), interest=D("0"), external_id="i-1")
    # when: the loan is redeemed in full
    redemption = posting_create(
        loan=loan,
        kind=PostingKind.REDEMPTION,
        amount=D("1000"),
        effective_date=DAY,
        price=D("100"),
        external_id="r",
    )
    # then: 700 from principal not yet due, 300 from principal due, one posting (with its part) of 1,000
    parts = [(redemption.credit_account, redemption.amount)] + [
        (p.credit_account, p.amount) for p in redemption.applications.all()
    ]
    assert parts == [("principal", D("700.00")), ("principal_due", D("300.00"))]
    balances = loan_balances(loan=loan)
    assert (balances.principal, balances.principal_due) == (0, 0)
    assert (
        posting_create(
            loan=loan,
            kind=PostingKind.REDEMPTION,
            amount=D("1000"),
            effective_date=DAY,
            price=D("100"),
            external_id="r",
        )
        == redemption
    )  # the same transaction again: the same posting
    # and its reversal restores both
    posting_reverse(posting=redemption, user=None, reason="bounced")
    balances = loan_balances(loan=loan)
    assert (balances.principal, balances.principal_due) == (D("700.00"), D("300.00"))
    assert ledger_reconcile() == []


def test_srv4_more_principal_cannot_fall_due_than_is_outstanding():
    loan = _disbursed(amount="100.00")
    with pytest.raises(ValidationError):
        installment_due_post(
            loan=loan, due_date=DAY, principal=D("100.01"), interest=D("1"), external_id="i-2"
        )
    assert loan.postings.count() == 1
