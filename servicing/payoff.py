"""Payoff statements (SRV-1): what it takes to pay a loan off, as of a date and good through a date.

Figures, all from the ledger as of the statement's date:
- principal: the outstanding principal (not yet due + due and unpaid);
- interest due: interest charged and not paid;
- accrued interest: principal × annual rate × days / 360, rounded half-up to the cent, for the days from the
  loan's last interest date on or before the as-of date up to the good-through date, counted 30E/360 (Eurobond
  basis, the Danish mortgage bond convention: every month has 30 days, the 31st counts as the 30th);
- per diem: principal × annual rate / 360, rounded half-up to the cent: what each day after the good-through date adds;
- fees: fees and late charges unpaid;
- unapplied funds (suspense) are deducted; the escrow balance is shown and refunded separately after payoff.
Total to pay = principal + interest due + accrued interest + fees − unapplied funds.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from loanregister.models import Loan

from .ledger import loan_balances
from .models import PayoffStatement
from .schedules import loan_interest_dates_between

DAY_COUNT = "30E/360"
CENT = Decimal("0.01")


def days_30e_360(start: date, end: date) -> int:
    """Days from `start` to `end` under 30E/360: a day 31 counts as 30, every month has 30 days."""
    return (
        (end.year - start.year) * 360
        + (end.month - start.month) * 30
        + (min(end.day, 30) - min(start.day, 30))
    )


def last_interest_date(*, loan: Loan, on_or_before: date) -> date:
    """The loan's last interest date on or before the date (interest dates do not move to bank days); the
    origination date before the first one."""
    dates = loan_interest_dates_between(loan, start=loan.origination_date, end=on_or_before)
    return dates[-1] if dates else loan.origination_date


@dataclass(frozen=True)
class PayoffFigures:
    currency: str
    as_of: date
    good_through: date
    interest_rate: Decimal
    interest_from: date
    interest_days: int
    principal: Decimal
    interest_due: Decimal
    accrued_interest: Decimal
    per_diem: Decimal
    fees: Decimal
    escrow_balance: Decimal
    suspense: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest_due + self.accrued_interest + self.fees - self.suspense


def payoff_figures(*, loan: Loan, as_of: date, good_through: date) -> PayoffFigures:
    if good_through < as_of:
        raise ValidationError({"good_through": _("The good-through date is before the as-of date.")})
    if as_of < loan.origination_date:
        raise ValidationError({"as_of": _("The loan had not started on that date.")})
    balances = loan_balances(loan=loan, as_of=as_of)
    principal = balances.outstanding_principal
    rate = Decimal(loan.interest_rate) / 100
    interest_from = last_interest_date(loan=loan, on_or_before=as_of)
    days = max(days_30e_360(interest_from, good_through), 0)
    return PayoffFigures(
        currency=loan.currency,
        as_of=as_of,
        good_through=good_through,
        interest_rate=Decimal(loan.interest_rate),
        interest_from=interest_from,
        interest_days=days,
        principal=principal,
        interest_due=balances.interest_due,
        accrued_interest=(principal * rate * days / 360).quantize(CENT, rounding=ROUND_HALF_UP),
        per_diem=(principal * rate / 360).quantize(CENT, rounding=ROUND_HALF_UP),
        fees=balances.fees_due,
        escrow_balance=balances.escrow,
        suspense=balances.suspense,
    )


@transaction.atomic
def payoff_issue(
    *, loan: Loan, as_of: date, good_through: date, user, requested_by: str = ""
) -> PayoffStatement:
    """Issue a payoff statement: compute the figures and record that (and by whom) they were issued."""
    figures = payoff_figures(loan=loan, as_of=as_of, good_through=good_through)
    return PayoffStatement.objects.create(
        loan=loan,
        requested_by=requested_by,
        as_of=as_of,
        good_through=good_through,
        currency=figures.currency,
        interest_rate=figures.interest_rate,
        day_count=DAY_COUNT,
        interest_from=figures.interest_from,
        interest_days=figures.interest_days,
        principal=figures.principal,
        interest_due=figures.interest_due,
        accrued_interest=figures.accrued_interest,
        per_diem=figures.per_diem,
        fees=figures.fees,
        escrow_balance=figures.escrow_balance,
        suspense=figures.suspense,
        total=figures.total,
        issued_by=user,
    )


def _money(amount: Decimal) -> str:
    """1.005.694,44 in Danish, 1,005,694.44 otherwise (the active language's number format)."""
    from django.utils.formats import number_format

    return number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def payoff_pdf(statement: PayoffStatement) -> bytes:
    """The statement as a one-page PDF (reportlab), with the same figures as the printable page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=str(_("Payoff statement")),
        author=str(statement.issued_by or ""),
    )
    styles = getSampleStyleSheet()
    loan = statement.loan
    currency = statement.currency
    story = [
        Paragraph(_("Payoff statement"), styles["Title"]),
        Paragraph(f"{_('Loan')} {loan.loan_number} · {loan.borrower.name}", styles["Heading2"]),
        Paragraph(
            _("As of %(as_of)s, good through %(good_through)s.")
            % {"as_of": statement.as_of.isoformat(), "good_through": statement.good_through.isoformat()},
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]
    rows = [
        [_("Principal"), f"{_money(statement.principal)} {currency}"],
        [_("Interest due (unpaid)"), f"{_money(statement.interest_due)} {currency}"],
        [
            _("Accrued interest, %(days)s days from %(start)s (%(basis)s, %(rate)s %%)")
            % {
                "days": statement.interest_days,
                "start": statement.interest_from.isoformat(),
                "basis": statement.day_count,
                "rate": statement.interest_rate.normalize(),
            },
            f"{_money(statement.accrued_interest)} {currency}",
        ],
        [_("Fees and late charges"), f"{_money(statement.fees)} {currency}"],
        [_("Less unapplied funds"), f"-{_money(statement.suspense)} {currency}"],
        [_("Total to pay"), f"{_money(statement.total)} {currency}"],
    ]
    table = Table(rows, colWidths=[115 * mm, 55 * mm])
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 6 * mm),
        Paragraph(
            _("Per diem after %(date)s: %(amount)s %(currency)s a day.")
            % {
                "date": statement.good_through.isoformat(),
                "amount": _money(statement.per_diem),
                "currency": currency,
            },
            styles["Normal"],
        ),
        Paragraph(
            _("Escrow balance %(amount)s %(currency)s is refunded separately after payoff.")
            % {"amount": _money(statement.escrow_balance), "currency": currency},
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
        Paragraph(
            _("Issued %(when)s by %(who)s.")
            % {
                "when": statement.issued_at.strftime("%Y-%m-%d %H:%M"),
                "who": statement.issued_by.get_full_name() or statement.issued_by.get_username()
                if statement.issued_by
                else "—",
            },
            styles["Italic"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
