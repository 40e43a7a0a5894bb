"""The conversion radar (REG-2; issue 10 item 4a): a loan whose rate exceeds today's offered rate so that refinancing
saves at least 300 DKK a month, its cost (5,000 DKK + 0.5 point of the balance) earned back within 24 months,
becomes a lead with event `conversion` in the nightly radar run; the figures at their boundaries, worked by hand."""

import datetime
from decimal import Decimal

import numpy_financial as npf
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from loanregister.leads import conversion
from loanregister.leads.conversion import conversion_figures, remaining_payments
from loanregister.leads.radar import maturity_radar_apply, maturity_radar_preview
from loanregister.leads.work import lead_status_set
from loanregister.models import ConversionRule, Lead, Loan, OfferedRate, UserPreference
from loanregister.services import loan_status_set

from . import register_support as make

pytestmark = pytest.mark.django_db

D = timezone.localdate()  # the offered rates' change date is today's: the tests' business date is too
IN_5_YEARS = D.replace(year=D.year + 5)


def _offer(rate: str, *, loan_type: str = "fixed", years: int = 10) -> None:
    OfferedRate.objects.update_or_create(
        loan_type=loan_type, max_years=years, defaults={"rate": Decimal(rate)}
    )


def _bullet(balance: str, rate: str = "5.00", **fields) -> Loan:
    """A bullet loan: its monthly payment is the interest, balance x rate / 100 / 12, which makes hand sums."""
    fields.setdefault("maturity_date", IN_5_YEARS)
    return make.loan(
        amortization="bullet",
        outstanding_balance=Decimal(balance),
        interest_rate=Decimal(rate),
        payments_per_year=12,
        **fields,
    )


def _conversion_leads() -> list[str]:
    return sorted(Lead.objects.filter(event="conversion").values_list("loan__loan_number", flat=True))


def test_a_fresh_database_has_the_issues_rule_and_no_offered_rate_so_the_radar_finds_nothing():
    rule = ConversionRule.objects.get()
    assert (rule.min_monthly_saving, rule.fee, rule.price_spread, rule.break_even_months) == (
        Decimal("300.00"),
        Decimal("5000.00"),
        Decimal("0.500"),
        24,
    )
    assert not OfferedRate.objects.exists()
    _bullet("400000.00", "9.00")
    maturity_radar_apply(business_date=D)
    assert _conversion_leads() == []


@pytest.mark.parametrize(
    ("offered", "saving", "lead"),
    [
        # 400,000.00 at 5.00 %: 400,000 x 5 / 1200 = 1,666.666… -> 1,666.67 a month.
        # At 4.10 %: 400,000 x 4.10 / 1200 = 1,366.666… -> 1,366.67; saving (1,666.67 - 1,366.67) x 12 / 12 = 300.00
        ("4.10", Decimal("300.00"), True),
        # At 4.10004 %: 400,000 x 4.10004 / 1200 = 1,366.68; saving 299.99: one cent short
        ("4.10004", Decimal("299.99"), False),
    ],
)
def test_the_monthly_saving_must_be_at_least_300(offered, saving, lead):
    # cost 5,000 + 400,000 x 0.5 / 100 = 7,000.00; 7,000 / 300.00 = 23.3 -> month 24, within the 24 months
    loan = _bullet("400000.00", number="SAVE")
    _offer(offered)
    figures = conversion_figures(loan, on=D)
    assert (figures.payment_now, figures.monthly_saving, figures.cost) == (
        Decimal("1666.67"),
        saving,
        Decimal("7000.00"),
    )
    assert figures.break_even_months == 24
    maturity_radar_apply(business_date=D)
    assert _conversion_leads() == (["SAVE"] if lead else [])


@pytest.mark.parametrize(
    ("offered", "saving", "months", "lead"),
    [
        # 500,000.00 at 5.00 %: 2,083.33 a month; at 4.25 %: 500,000 x 4.25 / 1200 = 1,770.833… -> 1,770.83;
        # saving 312.50; cost 5,000 + 500,000 x 0.5 / 100 = 7,500.00 = 24 x 312.50: paid back in month 24 exactly
        ("4.25", Decimal("312.50"), 24, True),
        # at 4.2501 %: 500,000 x 4.2501 / 1200 = 1,770.875 -> 1,770.88 (half up); saving 312.45;
        # 7,500 / 312.45 = 24.004 -> month 25: too late
        ("4.2501", Decimal("312.45"), 25, False),
    ],
)
def test_the_cost_must_be_earned_back_within_24_months(offered, saving, months, lead):
    loan = _bullet("500000.00", number="BREAK")
    _offer(offered)
    figures = conversion_figures(loan, on=D)
    assert (figures.payment_now, figures.monthly_saving, figures.cost, figures.break_even_months) == (
        Decimal("2083.33"),
        saving,
        Decimal("7500.00"),
        months,
    )
    assert figures.qualifies is lead
    maturity_radar_apply(business_date=D)
    assert _conversion_leads() == (["BREAK"] if lead else [])


def test_the_rule_is_admin_set():
    _bullet("400000.00", number="SAVE")
    _offer("4.10004")  # a saving of 299.99
    ConversionRule.objects.update(min_monthly_saving=Decimal("299.99"))
    maturity_radar_apply(business_date=D)
    assert _conversion_leads() == ["SAVE"]


def test_the_offered_rate_is_the_one_of_the_loans_type_and_remaining_term_band():
    _bullet("400000.00", number="TEN")  # 5 years left: the 10-year band
    _bullet("400000.00", number="TWENTY", maturity_date=D.replace(year=D.year + 15))
    _bullet("400000.00", number="ADJUSTABLE", loan_type="adjustable")
    _offer("4.10", years=20)  # only the 20-year band of fixed loans has a rate
    maturity_radar_apply(business_date=D)
    assert _conversion_leads() == ["TWENTY"]


def test_an_annuitys_payment_is_the_annuity_of_its_remaining_schedule():
    # quarterly payments from 2020-03-31 to maturity 20 years after D: n = the interest dates after D
    loan = make.loan(
        amortization="annuity",
        outstanding_balance=Decimal("2000000.00"),
        interest_rate=Decimal("5.00"),
        payments_per_year=4,
        first_payment_date=datetime.date(2020, 3, 31),
        maturity_date=datetime.date(D.year + 20, 12, 31),
    )
    _offer("3.00", years=30)
    _offer("3.00", years=20)
    figures = conversion_figures(loan, on=D)
    n = remaining_payments(loan, D)
    # the quarter-ends after D up to the maturity: (D.year + 20 - D.year) x 4 and this year's left
    quarter_ends_left_this_year = sum(
        1 for month in (3, 6, 9, 12) if datetime.date(D.year, month, 30 if month in (6, 9) else 31) > D
    )
    assert n == 80 + quarter_ends_left_this_year
    oracle = Decimal(str(round(float(npf.pmt(0.05 / 4, n, -2000000)), 2)))
    assert abs(figures.payment_now - oracle) <= Decimal("0.01")
    assert figures.payment_offered < figures.payment_now


def _sql_figures() -> dict[str, tuple]:
    """The radar's own SQL figures for every loan, with a rule that lets every saving through."""
    ConversionRule.objects.update(min_monthly_saving=Decimal("0.01"), break_even_months=600)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT loan_number, n, saving, cost, break_even FROM ({conversion.CANDIDATES_SQL}) c",
            {"day": D},
        )
        return {number: (n, saving, cost, months) for number, n, saving, cost, months in cursor.fetchall()}


def test_the_radars_sql_and_the_lead_pages_python_give_the_same_figures():
    loans = [
        make.loan(
            "ANNUITY",
            amortization="annuity",
            interest_rate=Decimal("4.8"),
            outstanding_balance=Decimal("1234567.89"),
            maturity_date=D.replace(year=D.year + 17),
        ),
        make.loan(
            "SERIAL",
            amortization="serial",
            interest_rate=Decimal("5.3"),
            payments_per_year=4,
            maturity_date=D.replace(year=D.year + 9),
        ),
        make.loan(
            "IO-RUNNING",
            amortization="interest_only",
            interest_only_until=D.replace(year=D.year + 2),
            interest_rate=Decimal("6"),
            maturity_date=D.replace(year=D.year + 25),
        ),
        make.loan(
            "IO-DONE",
            amortization="interest_only",
            interest_only_until=D.replace(year=D.year - 1),
            interest_rate=Decimal("6"),
            maturity_date=D.replace(year=D.year + 25),
        ),
        make.loan(
            "FORTNIGHTLY",
            amortization="annuity",
            payments_per_year=26,
            first_payment_date=datetime.date(2021, 1, 8),
            interest_rate=Decimal("5.1"),
            maturity_date=D.replace(year=D.year + 12),
        ),
        make.loan(
            "MONTH-END",
            amortization="annuity",
            first_payment_date=datetime.date(2020, 1, 31),
            interest_rate=Decimal("5.5"),
            maturity_date=datetime.date(D.year + 8, 2, 28),
        ),
        make.loan(
            "YEARLY",
            amortization="annuity",
            payments_per_year=1,
            interest_rate=Decimal("5.5"),
            maturity_date=D.replace(year=D.year + 28),
        ),
    ]
    for years in (10, 20, 30):
        _offer("3.9", years=years)
    sql = _sql_figures()
    for loan in loans:
        figures = conversion_figures(loan, on=D)
        assert sql[loan.loan_number] == (
            figures.payments_left,
            figures.monthly_saving,
            figures.cost,
            figures.break_even_months,
        ), loan.loan_number


def test_one_open_conversion_lead_per_loan_found_on_the_business_date_for_its_owner():
    officer = make.user("anna", "loan_officer")
    loan = _bullet("400000.00", number="SAVE", officer=officer)
    _offer("4.10")
    assert maturity_radar_apply(business_date=D)["created"] == 1
    maturity_radar_apply(business_date=D)
    maturity_radar_apply(business_date=D + datetime.timedelta(days=1))
    lead = Lead.objects.get(loan=loan, event="conversion")
    assert (lead.event_date, lead.found_on, lead.officer, lead.status) == (D, D, officer, "new")
    # a lead the officer closed is not made again, until an offered rate changes
    lead_status_set(lead=lead, status="not_interested", user=officer)
    maturity_radar_apply(business_date=D + datetime.timedelta(days=2))
    assert Lead.objects.filter(loan=loan, event="conversion").count() == 1
    OfferedRate.objects.filter(max_years=10).update(changed_on=D + datetime.timedelta(days=3))
    maturity_radar_apply(business_date=D + datetime.timedelta(days=3))
    assert Lead.objects.filter(loan=loan, event="conversion", status="new").count() == 1


def test_a_conversion_lead_of_a_loan_no_longer_active_is_closed_as_obsolete():
    loan = _bullet("400000.00", number="SAVE")
    _offer("4.10")
    maturity_radar_apply(business_date=D)
    loan_status_set(loan=loan, status="transferred", reason="sold")
    counts = maturity_radar_apply(business_date=D + datetime.timedelta(days=1))
    assert counts["closed"] == 1
    assert Lead.objects.get(loan=loan, event="conversion").status == "obsolete"


def test_the_dry_run_shows_the_conversion_leads_and_writes_nothing():
    _bullet("400000.00", number="SAVE")
    _offer("4.10")
    preview = maturity_radar_preview(business_date=D)
    assert preview.created.count == 1
    assert [(row["loan_number"], row["event"]) for row in preview.created.rows] == [("SAVE", "conversion")]
    assert not Lead.objects.exists()


def test_the_lead_page_shows_the_monthly_saving_and_the_break_even_month(client):
    officer = make.user("anna", "loan_officer")
    UserPreference.objects.create(user=officer, language="en")
    loan = _bullet("400000.00", number="SAVE", officer=officer)
    _offer("4.10")
    maturity_radar_apply(business_date=D)
    lead = Lead.objects.get(loan=loan, event="conversion")
    client.force_login(officer)
    page = client.get(reverse("loanregister:lead", args=[lead.pk])).content.decode()
    assert 'id="lead-monthly-saving" data-amount="300.00"' in page
    assert 'id="lead-break-even" data-months="24"' in page
    maturity_lead = make.loan(officer=officer, maturity_date=D + datetime.timedelta(days=10))
    maturity_radar_apply(business_date=D)
    other = client.get(
        reverse("loanregister:lead", args=[Lead.objects.get(loan=maturity_lead).pk])
    ).content.decode()
    assert "lead-conversion" not in other
