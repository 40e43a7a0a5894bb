"""Funding and booking (LPO-5, REG-4): an approved application becomes a loan in the register, in one transaction.

`application_fund` locks the application's row, so two fundings at the same moment (two browsers) run one after
the other and the second finds it funded and is refused. In the same transaction:

1. the loan is created in the register with the decided terms (amount, rate, term; the product's type,
   amortization and payment frequency), its schedule following from them (servicing.schedules.schedule_for_loan),
   and a number from the configured scheme (`loan_number_next`);
2. our own servicer is assigned from the disbursement date (from disbursement until payoff the loan is the
   servicer's, LPO-5);
3. the disbursement is posted to the servicing ledger with its bond price (STAT-1) through the ledger's posting
   service, which moves the loan's balance and brings the register in step;
4. a lead of a redeemed loan that this loan renews is won (loanregister.leads.won);
5. the application is linked to the loan and moved to `funded`, with its record.

Any failure rolls all of it back: no loan, no posting, the application still approved.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.dates import add_months
from loanregister.choices import LoanStatus
from loanregister.leads.won import leads_won_by_new_loans
from loanregister.models import Loan, Property, ServicerAssignment
from loanregister.services import own_servicer_get_or_create, register_events_sync
from servicing.ledger import posting_create
from servicing.models import PostingKind
from servicing.schedules import default_first_payment_date

from . import workflow
from .access import office_refusal
from .models import Application, ApplicationState
from .services import Refused, _move

LOAN_NUMBER_SEQUENCE = "origination_loan_number"


def disbursement_external_id(application: Application) -> str:
    """The disbursement's idempotency key in the ledger: one disbursement per application, ever."""
    return f"application:{application.number}"


def loan_number_next() -> str:
    """The next number of the scheme (settings ORIGINATION_LOAN_NUMBER_PREFIX + a zero-padded sequence), skipping
    any number the book already has (an imported loan's): a funded loan never takes an imported number. The
    sequence is PostgreSQL's, so two fundings at once never draw the same number."""
    prefix = settings.ORIGINATION_LOAN_NUMBER_PREFIX
    digits = settings.ORIGINATION_LOAN_NUMBER_DIGITS
    with connection.cursor() as cursor:
        for _attempt in range(10_000):
            cursor.execute("SELECT nextval(%s)", [LOAN_NUMBER_SEQUENCE])
            number = f"{prefix}{cursor.fetchone()[0]:0{digits}d}"
            if not Loan.objects.filter(loan_number=number).exists():
                return number
    raise Refused(_("No free loan number in the scheme: ask an admin to change the prefix."))


def _property_for(application: Application) -> Property | None:
    if not application.property_id:
        return None
    prop, created = Property.objects.get_or_create(
        property_id=application.property_id,
        defaults={
            "address": application.property_address,
            "category": application.property_category or "other",
        },
    )
    return prop


@transaction.atomic
def application_fund(*, application: Application, user, on: datetime.date | None = None) -> Loan:
    """Fund an approved application and book its loan (see the module docstring); returns the loan."""
    on = on or timezone.localdate()
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("office", "product")
        .get(pk=application.pk)
    )
    refusal = workflow.transition_refusal(application.state, ApplicationState.FUNDED, user=user)
    if refusal is None:
        refusal = office_refusal(user, application)
    if application.state == ApplicationState.FUNDED:
        refusal = _("Application %(number)s is already funded: loan %(loan)s.") % {
            "number": application.number,
            "loan": application.loan.loan_number if application.loan_id else "?",
        }
    if refusal:
        raise Refused(refusal)
    product = application.product
    applicants = list(application.applicants.select_related("borrower").order_by("position"))
    servicer = own_servicer_get_or_create()
    maturity = add_months(on, application.approved_term_months)
    rate_reset = add_months(on, 12 * product.rate_reset_years) if product.rate_reset_years else None
    loan = Loan(
        loan_number=loan_number_next(),
        borrower=applicants[0].borrower,
        property=_property_for(application),
        office=application.office,
        officer=application.office.default_officer,
        servicer=servicer,
        servicer_since=on,
        loan_type=product.loan_type,
        currency=application.currency,
        principal=application.approved_amount,
        interest_rate=application.interest_rate,
        payments_per_year=product.payments_per_year,
        amortization=product.amortization,
        origination_date=on,
        first_payment_date=default_first_payment_date(
            origination_date=on, payments_per_year=product.payments_per_year
        ),
        maturity_date=maturity,
        rate_reset_date=rate_reset if rate_reset and rate_reset < maturity else None,
        recourse=product.recourse,
        status=LoanStatus.ACTIVE,
    )
    loan._history_user = user
    try:
        loan.full_clean()
    except ValidationError as exc:
        raise Refused(
            _("The loan cannot be booked: %(errors)s") % {"errors": " ".join(exc.messages)}
        ) from exc
    loan.save()
    if len(applicants) > 1:
        loan.co_borrowers.set([a.borrower for a in applicants[1:]])
    ServicerAssignment.objects.create(
        loan=loan,
        servicer=servicer,
        since=on,
        reason=f"funded from application {application.number}",
        recorded_by=user,
    )
    posting_create(
        loan=loan,
        kind=PostingKind.DISBURSEMENT,
        amount=application.approved_amount,
        effective_date=on,
        price=application.bond_price,
        external_id=disbursement_external_id(application),
        note=f"application {application.number}",
        user=user,
    )
    register_events_sync(loan_ids=[loan.pk])
    # A renewal won from a lead (issue 10): the redeemed loan's open lead is won by this new loan.
    leads_won_by_new_loans(loan_ids=[loan.pk], on=on, user=user)
    _move(application, to=ApplicationState.FUNDED, user=user, reason="", fields={"loan": loan})
    return loan
