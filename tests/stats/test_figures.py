"""The monthly lending statistics, STAT-1 to STAT-9, each with worked figures (docs/statistics.md)."""

from decimal import Decimal

import pytest

from common.models import ExchangeRate
from stats.figures import Month, StatsError, month_figures, totals

from .support import D, bill, category_change, loan, opening, post, prop

pytestmark = pytest.mark.django_db


def cell(result, category="owner_occupied", loan_type="fixed"):
    rows = [r for r in result.rows if r.property_category == category and r.loan_type == loan_type]
    assert len(rows) == 1, [(r.property_category, r.loan_type) for r in result.rows]
    return rows[0]


def test_stat1_gross_lending_is_principal_times_the_price_on_the_first_interest_date():
    # given a new loan of 1,000,000.00 disbursed on its first interest date, 1 March 2026, at kurs 98.50
    new = loan("N-1", on=prop("P1"))
    post(new, "disbursement", "1000000.00", D(2026, 3, 1), price="98.50")
    # when
    march = month_figures(Month.parse("2026-03"))
    # then 1,000,000.00 x 98.50 / 100 = 985,000.00; the bond debt is the nominal 1,000,000.00
    row = cell(march)
    assert row.gross_lending == Decimal("985000.00")
    assert row.bond_debt_outstanding == Decimal("1000000.00")
    # and February has nothing of it
    assert month_figures(Month.parse("2026-02")).rows == []


def _redeemed_with_new_loan(new_loan_date, *, same_property=True, amount="400000.00"):
    """An old loan of 400,000.00 redeemed on its last interest date, 1 April 2026, at kurs 99.00; maybe a new loan
    on the same (or another) property disbursed on `new_loan_date`."""
    home = prop("HOME")
    old = loan("OLD", on=home)
    opening(old, "400000.00")
    post(old, "redemption", amount, D(2026, 4, 1), price="99.00")
    if new_loan_date is not None:
        where = home if same_property else prop("ELSEWHERE")
        new = loan("NEW", on=where, origination_date=new_loan_date)
        post(new, "disbursement", "500000.00", new_loan_date, price="100.00")
    return month_figures(Month.parse("2026-04"))


@pytest.mark.parametrize(
    "new_loan_date, expected",
    [
        (D(2025, 6, 1), "transfers"),  # 10 months before the last interest date
        (D(2025, 5, 1), "transfers"),  # exactly 11 months before: the window is inclusive
        (D(2025, 4, 1), "extraordinary_redemptions"),  # 12 months before
    ],
)
def test_stat2_stat3_redemption_is_a_transfer_within_11_months_inclusive(new_loan_date, expected):
    april = _redeemed_with_new_loan(new_loan_date)
    row = cell(april)
    # 400,000.00 x 99.00 / 100 = 396,000.00 at the price on the last interest date (STAT-2)
    other = "extraordinary_redemptions" if expected == "transfers" else "transfers"
    assert getattr(row, expected) == Decimal("396000.00")
    assert getattr(row, other) == Decimal("0.00")


def test_stat3_new_loan_on_another_property_makes_an_extraordinary_redemption():
    april = _redeemed_with_new_loan(D(2025, 10, 1), same_property=False)
    row = cell(april)
    assert row.transfers == Decimal("0.00")
    assert row.extraordinary_redemptions == Decimal("396000.00")


def test_stat3_redemption_without_a_new_loan_is_extraordinary():
    april = _redeemed_with_new_loan(None)
    row = cell(april)
    assert (row.transfers, row.extraordinary_redemptions) == (Decimal("0.00"), Decimal("396000.00"))
    # STAT-4: net new lending = 0 - 0 - 396,000.00
    assert row.net_new_lending == Decimal("-396000.00")
    # the bond debt is 0 at the end of April
    assert row.bond_debt_outstanding == Decimal("0.00")


def test_stat3_partial_redemption_with_a_new_loan_under_the_11_month_rule_is_a_transfer():
    # 150,000.00 of the 400,000.00 redeemed at 99.00 = 148,500.00; a new loan on the property 3 months before
    april = _redeemed_with_new_loan(D(2026, 1, 1), amount="150000.00")
    row = cell(april)
    assert row.transfers == Decimal("148500.00")
    assert row.extraordinary_redemptions == Decimal("0.00")
    assert row.bond_debt_outstanding == Decimal("250000.00") + Decimal("500000.00")


def test_stat3_an_extra_repayment_is_an_extraordinary_redemption_even_with_a_new_loan():
    home = prop("HOME")
    old = loan("OLD", on=home)
    opening(old, "300000.00")
    new = loan("NEW", on=home, origination_date=D(2026, 4, 1))
    post(new, "disbursement", "100000.00", D(2026, 4, 1), price="100.00")
    # 20,000.00 paid in cash: price 100
    post(old, "extra_repayment", "20000.00", D(2026, 4, 15), price="100.00")
    row = cell(month_figures(Month.parse("2026-04")))
    assert row.extraordinary_redemptions == Decimal("20000.00")
    assert row.transfers == Decimal("0.00")


def test_stat5_ordinary_repayments_at_nominal_and_the_two_net_figures():
    # given: a loan of 1,000,000.00 (opening balance, never a flow)
    the_loan = loan("L-1", on=prop("P1"))
    opening(the_loan, "1000000.00")
    # the installment of 1 April falls due (billed): 12,345.67 principal; another book's afdrag imported: 2,000.00
    bill(the_loan, D(2026, 4, 1), "12345.67")
    other = loan("L-2", on=prop("P2"))
    opening(other, "200000.00")
    post(other, "scheduled_repayment", "2000.00", D(2026, 4, 1))
    # a new loan of 300,000.00 at 97.25 = 291,750.00; an extra repayment of 10,000.00 at 100
    new = loan("L-3", on=prop("P3"))
    post(new, "disbursement", "300000.00", D(2026, 4, 1), price="97.25")
    post(the_loan, "extra_repayment", "10000.00", D(2026, 4, 20), price="100")
    # when
    row = cell(month_figures(Month.parse("2026-04")))
    # then
    assert row.gross_lending == Decimal("291750.00")
    assert row.extraordinary_redemptions == Decimal("10000.00")
    assert row.ordinary_repayments == Decimal("14345.67")  # 12,345.67 + 2,000.00 at nominal
    assert row.net_new_lending == Decimal("281750.00")  # 291,750.00 - 0 - 10,000.00 (STAT-4)
    assert row.net_lending == Decimal("267404.33")  # 281,750.00 - 14,345.67 (STAT-5)
    # STAT-6: 1,000,000 + 200,000 + 300,000 - 2,000 (paid) - 10,000; the billed installment is still owed
    assert row.bond_debt_outstanding == Decimal("1488000.00")


def test_stat5_a_reversed_flow_does_not_count():
    the_loan = loan("L-1", on=prop("P1"))
    disbursement = post(the_loan, "disbursement", "100000.00", D(2026, 4, 1), price="100")
    from servicing.ledger import posting_reverse

    posting_reverse(posting=disbursement, user=None, reason="wrong loan")
    assert month_figures(Month.parse("2026-04")).rows == []


def test_each_cell_is_rounded_half_up_once():
    # two disbursements of 0.01 at kurs 50: 0.005 each; summed unrounded 0.01 (rounding each first would give 0.02)
    the_loan = loan("L-1", on=prop("P1"))
    post(the_loan, "disbursement", "0.01", D(2026, 4, 1), price="50")
    post(the_loan, "disbursement", "0.01", D(2026, 4, 2), price="50")
    # and one of 0.01 at 50 on another type: 0.005 rounds half-up to 0.01
    other = loan("L-2", on=prop("P2"), loan_type="adjustable")
    post(other, "disbursement", "0.01", D(2026, 4, 1), price="50")
    march = month_figures(Month.parse("2026-04"))
    assert cell(march).gross_lending == Decimal("0.01")
    assert cell(march, loan_type="adjustable").gross_lending == Decimal("0.01")
    assert totals(march.rows)["gross_lending"] == Decimal("0.02")  # the sum of the rounded cells


def test_stat7_eur_at_the_month_end_rate_when_the_last_day_has_no_fixing():
    # 31 May 2026 is a Sunday: the month-end rate is Friday 29 May's 746.10 (DKK per 100 EUR), not 1 June's
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 5, 1), rate=Decimal("745.00"))
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 5, 29), rate=Decimal("746.10"))
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 6, 1), rate=Decimal("750.00"))
    eur = loan("EUR-1", on=prop("P1"), currency="EUR")
    post(eur, "disbursement", "100000.00", D(2026, 5, 4), price="99.00")
    dkk = loan("DKK-1", on=prop("P2"))
    post(dkk, "disbursement", "10000.00", D(2026, 5, 4), price="100.00")
    # when
    may = month_figures(Month.parse("2026-05"))
    # then EUR 99,000.00 x 7.4610 = 738,639.00, plus DKK 10,000.00 in the same cell
    row = cell(may)
    assert row.gross_lending == Decimal("748639.00")
    assert row.bond_debt_outstanding == Decimal("756100.00")  # EUR 100,000 x 7.461 + 10,000
    assert may.rates == {"EUR": {"rate": "746.100000", "rate_date": "2026-05-29"}}


def test_stat7_a_missing_rate_is_an_error_naming_the_currency_and_the_month():
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 6, 1), rate=Decimal("750.00"))
    eur = loan("EUR-1", on=prop("P1"), currency="EUR")
    post(eur, "disbursement", "100000.00", D(2026, 5, 4), price="99.00")
    with pytest.raises(StatsError) as error:
        month_figures(Month.parse("2026-05"))
    assert "EUR" in str(error.value) and "2026-05" in str(error.value)


def test_stat9_a_category_change_moves_later_flows_and_leaves_earlier_ones():
    # given a home (owner-occupied) with a loan; flows on 2 and 10 March
    home = prop("P1", category="owner_occupied")
    the_loan = loan("L-1", on=home)
    opening(the_loan, "500000.00")
    post(the_loan, "extra_repayment", "1000.00", D(2026, 3, 2), price="100")
    post(the_loan, "extra_repayment", "3000.00", D(2026, 3, 10), price="100")
    # when the change to private rental, effective 5 March, is posted after the flows
    category_change(the_loan, "private_rental", D(2026, 3, 5))
    march = month_figures(Month.parse("2026-03"))
    # then the flow of 2 March stays in owner-occupied, that of 10 March and the month-end debt move
    before = cell(march, category="owner_occupied")
    after = cell(march, category="private_rental")
    assert before.extraordinary_redemptions == Decimal("1000.00")
    assert before.bond_debt_outstanding == Decimal("0.00")
    assert after.extraordinary_redemptions == Decimal("3000.00")
    assert after.bond_debt_outstanding == Decimal("496000.00")
    # and February's debt stays in owner-occupied
    assert cell(month_figures(Month.parse("2026-02")), "owner_occupied").bond_debt_outstanding == Decimal(
        "500000.00"
    )


def test_stat9_a_change_on_the_fifth_moves_flows_from_the_fifth_on():
    home = prop("P1", category="owner_occupied")
    the_loan = loan("L-1", on=home)
    opening(the_loan, "500000.00")
    category_change(the_loan, "agriculture", D(2026, 3, 5))
    post(the_loan, "extra_repayment", "1000.00", D(2026, 3, 4), price="100")
    post(the_loan, "extra_repayment", "2000.00", D(2026, 3, 5), price="100")
    march = month_figures(Month.parse("2026-03"))
    assert cell(march, "owner_occupied").extraordinary_redemptions == Decimal("1000.00")
    assert cell(march, "agriculture").extraordinary_redemptions == Decimal("2000.00")


def test_stat8_rows_by_category_then_loan_type_in_design_order():
    for number, category, loan_type in [
        ("A", "other", "fixed"),
        ("B", "owner_occupied", "index_linked"),
        ("C", "owner_occupied", "adjustable"),
        ("D", "agriculture", "capped_floating"),
    ]:
        the_loan = loan(number, on=prop(number, category), loan_type=loan_type)
        post(the_loan, "disbursement", "1000.00", D(2026, 4, 1), price="100")
    rows = month_figures(Month.parse("2026-04")).rows
    assert [(r.property_category, r.loan_type) for r in rows] == [
        ("owner_occupied", "adjustable"),
        ("owner_occupied", "index_linked"),
        ("agriculture", "capped_floating"),
        ("other", "fixed"),
    ]


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-3", "26-03", "2026-03-01", "", "abcd-ef", "0000-01", "3000-01"]
)
def test_a_bad_month_is_refused_with_the_reason(text):
    with pytest.raises(StatsError, match="YYYY-MM"):
        Month.parse(text)
