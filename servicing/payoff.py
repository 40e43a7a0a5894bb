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
Total to pay = principal + interest due + accrued interest + fees − unapplied funds, never below zero: when the
unapplied funds are more than what is owed, the total is 0 and the difference is a credit refunded to the borrower.

The same figure bounds what a person may type as a payment or a recovery (`payment_check`): a date from the loan's
first ledger entry to today, and an amount up to what pays the loan off on that date plus a margin
(settings.SERVICING_AMOUNT_MARGIN), or more when the person confirms it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.templatetags.money import format_money
from loanregister.models import Loan

from .ledger import ZERO, loan_balances
from .models import PayoffStatement, Posting
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
    def owed(self) -> Decimal:
        """What is owed less the unapplied funds: negative when the servicer holds more than is owed."""
        return self.principal + self.interest_due + self.accrued_interest + self.fees - self.suspense

    @property
    def total(self) -> Decimal:
        """The amount to pay: never below zero."""
        return max(self.owed, ZERO)

    @property
    def credit(self) -> Decimal:
        """Unapplied funds beyond what is owed: refunded to the borrower."""
        return max(-self.owed, ZERO)


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


# ---------------------------------------------------------------- what a person may type as a payment


CONFIRM_LARGE_LABEL = gettext_lazy("The amount is right, though it is more than it takes to pay the loan off")


@dataclass(frozen=True)
class PaymentLimits:
    """What a payment or recovery typed by hand may be on a loan: dated from `earliest` (the loan's first ledger
    entry) to `latest` (today), and at most `ceiling` unless the person confirms a larger amount."""

    currency: str
    earliest: date
    latest: date
    payoff: Decimal | None  # what pays the loan off on the date (escrow billed included); None for a bad date
    margin: Decimal

    @property
    def ceiling(self) -> Decimal | None:
        return None if self.payoff is None else self.payoff + self.margin


def loan_first_ledger_date(loan: Loan) -> date:
    """The date of the loan's first ledger entry; its origination date while it has none."""
    first = Posting.objects.filter(loan=loan).aggregate(first=Min("effective_date"))["first"]
    return first or loan.origination_date


def payment_limits(*, loan: Loan, on: date, today: date | None = None) -> PaymentLimits:
    today = today or timezone.localdate()
    earliest = loan_first_ledger_date(loan)
    payoff = None
    if earliest <= on <= today and on >= loan.origination_date:
        figures = payoff_figures(loan=loan, as_of=on, good_through=on)
        escrow_billed = max(loan_balances(loan=loan, as_of=on).escrow_due, ZERO)
        payoff = figures.total + escrow_billed
    return PaymentLimits(
        currency=loan.currency,
        earliest=earliest,
        latest=today,
        payoff=payoff,
        margin=Decimal(settings.SERVICING_AMOUNT_MARGIN),
    )


def payment_check(
    *,
    loan: Loan,
    amount: Decimal,
    on: date,
    confirmed: bool = False,
    amount_field: str = "amount",
    date_field: str = "received_on",
    today: date | None = None,
) -> None:
    """Refuse a payment or recovery typed by hand that nobody means (raises ValidationError by field): dated in
    the future or before the loan's first ledger entry, or more than what pays the loan off on the date plus the
    margin, unless `confirmed`. The payment form and `recovery.recovery_record` ask it."""
    limits = payment_limits(loan=loan, on=on, today=today)
    shown = {"date": date_format(on, "SHORT_DATE_FORMAT")}
    if on > limits.latest:
        raise ValidationError({date_field: _("%(date)s is in the future.") % shown})
    if on < limits.earliest:
        raise ValidationError(
            {
                date_field: _("%(date)s is before the loan's first ledger entry, on %(first)s.")
                % {**shown, "first": date_format(limits.earliest, "SHORT_DATE_FORMAT")}
            }
        )
    if limits.ceiling is not None and amount > limits.ceiling and not confirmed:
        raise ValidationError(
            {
                amount_field: _(
                    "%(amount)s is more than it takes to pay the loan off on %(date)s (%(payoff)s) plus the "
                    "margin of %(margin)s. Check the amount; if it is right, tick “%(confirm)s”."
                )
                % {
                    **shown,
                    "amount": format_money(amount, limits.currency),
                    "payoff": format_money(limits.payoff, limits.currency),
                    "margin": format_money(limits.margin, limits.currency),
                    "confirm": CONFIRM_LARGE_LABEL,
                }
            }
        )


# ---------------------------------------------------------------- the PDF


def _date(day: date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _text(value) -> str:
    """A text from the database or the settings, safe inside a reportlab paragraph (its markup is XML)."""
    return escape(str(value or ""))


def payoff_pdf(statement: PayoffStatement) -> bytes:
    """The statement as a one-page PDF (reportlab), with the same figures as the printable page, in the active
    language: the lender, the borrower's name and address, the figures, how to pay, and when it was issued (in
    the site's time zone, Copenhagen, as the page shows it)."""
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
        author=settings.LENDER_NAME or str(statement.issued_by or ""),
    )
    styles = getSampleStyleSheet()
    loan = statement.loan
    borrower = loan.borrower
    currency = statement.currency

    def money(amount: Decimal) -> str:
        return format_money(amount, currency)

    story = []
    if settings.LENDER_NAME:
        story.append(Paragraph(_text(settings.LENDER_NAME), styles["Heading3"]))
    address = "<br/>".join(_text(line) for line in [borrower.name, *borrower.address.splitlines()] if line)
    story += [
        Paragraph(address, styles["Normal"]),
        Spacer(1, 6 * mm),
        Paragraph(_("Payoff statement"), styles["Title"]),
        Paragraph(f"{_('Loan')} {_text(loan.loan_number)} · {_text(borrower.name)}", styles["Heading2"]),
        Paragraph(
            _("As of %(as_of)s, good through %(good_through)s.")
            % {"as_of": _date(statement.as_of), "good_through": _date(statement.good_through)},
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
    ]
    rows = [
        [_("Principal"), money(statement.principal)],
        [_("Interest due (unpaid)"), money(statement.interest_due)],
        [
            _("Accrued interest, %(days)s days from %(start)s (%(basis)s, %(rate)s %%)")
            % {
                "days": statement.interest_days,
                "start": _date(statement.interest_from),
                "basis": statement.day_count,
                "rate": statement.interest_rate.normalize(),
            },
            money(statement.accrued_interest),
        ],
        [_("Fees and late charges"), money(statement.fees)],
        # A deduction, with a minus sign only when there is something to deduct (never "-0.00").
        [_("Less unapplied funds"), money(-statement.suspense if statement.suspense else ZERO)],
        [_("Total to pay"), money(statement.amount_to_pay)],
    ]
    if statement.credit:
        rows.append([_("Credit refunded to the borrower"), money(statement.credit)])
    table = Table(rows, colWidths=[115 * mm, 55 * mm])
    total_row = 5
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, total_row), (-1, total_row), 1, colors.black),
                ("FONTNAME", (0, total_row), (-1, -1), "Helvetica-Bold"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 6 * mm),
        Paragraph(
            _("Per diem after %(date)s: %(amount)s a day.")
            % {"date": _date(statement.good_through), "amount": money(statement.per_diem)},
            styles["Normal"],
        ),
        Paragraph(
            _("Escrow balance %(amount)s is refunded separately after payoff.")
            % {"amount": money(statement.escrow_balance)},
            styles["Normal"],
        ),
        Spacer(1, 6 * mm),
        Paragraph(_("How to pay"), styles["Heading3"]),
    ]
    for line in payoff_payment_instructions(statement):
        story.append(Paragraph(_text(line), styles["Normal"]))
    issued_by = statement.issued_by
    story += [
        Spacer(1, 6 * mm),
        Paragraph(
            _("Issued %(when)s by %(who)s.")
            % {
                "when": date_format(timezone.localtime(statement.issued_at), "SHORT_DATETIME_FORMAT"),
                "who": _text(issued_by.get_full_name() or issued_by.get_username()) if issued_by else "—",
            },
            styles["Italic"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


def payoff_payment_instructions(statement: PayoffStatement) -> list[str]:
    """How to pay the statement's amount: the account and reference (settings), where to ask. The page and the
    PDF print these lines."""
    reference = statement.loan.loan_number
    good_through = _date(statement.good_through)
    account = settings.SERVICING_PAYMENT_ACCOUNT
    if not statement.amount_to_pay:
        lines = [_("Nothing is to be paid: the loan is paid off with the unapplied funds.")]
    elif account:
        lines = [
            _(
                "Transfer %(amount)s to account %(account)s no later than %(date)s, marked with the reference "
                "%(reference)s."
            )
            % {
                "amount": format_money(statement.amount_to_pay, statement.currency),
                "account": account,
                "date": good_through,
                "reference": reference,
            }
        ]
    else:
        lines = [
            _(
                "Pay %(amount)s through your bank no later than %(date)s, marked with the reference %(reference)s."
            )
            % {
                "amount": format_money(statement.amount_to_pay, statement.currency),
                "date": good_through,
                "reference": reference,
            }
        ]
    contact = [value for value in (settings.SERVICING_HELP_PHONE, settings.SERVICING_HELP_EMAIL) if value]
    if contact:
        lines.append(_("Questions: %(contact)s.") % {"contact": ", ".join(contact)})
    return lines
