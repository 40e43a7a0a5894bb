"""Servicing transfer (REG-4): a selection of loans moves to another servicer on an effective date, in one step.

One transaction, set-based: one UPDATE closes the open servicer assignments, bulk inserts open the new ones,
the loans change servicer through `bulk_update_with_history` (one history row per loan with the acting user),
and one notice per loan (RESPA-style goodbye/hello letter, in the borrower's language) is written.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from common.bulk import chunked
from loanregister.choices import LoanStatus
from loanregister.models import Borrower, Loan, Office, Servicer, ServicerAssignment
from loanregister.services import register_events_sync

from .models import ServicerContact, ServicingTransfer, TransferNotice

_CHUNK = 2000
_SHOW = 20  # loan numbers named in one error before "and N more"
# RESPA (12 CFR 1024.33(d)): a payment sent to the old servicer in the first 60 days is not late.
GRACE_DAYS = 60


def parse_loan_numbers(text: str) -> list[str]:
    """Loan numbers as pasted: one a line, or separated by commas, semicolons or spaces; order kept, no repeats."""
    seen: dict[str, None] = {}
    for part in text.replace(",", " ").replace(";", " ").split():
        seen.setdefault(part.strip(), None)
    return [number for number in seen if number]


def _named(numbers: Iterable[str]) -> str:
    numbers = sorted(numbers)
    shown = ", ".join(numbers[:_SHOW])
    if len(numbers) > _SHOW:
        shown += " " + _("and %(count)d more") % {"count": len(numbers) - _SHOW}
    return shown


def transfer_selection(
    *,
    loan_numbers: list[str] | None = None,
    from_servicer: Servicer | None = None,
    office: Office | None = None,
) -> QuerySet[Loan]:
    """The loans a transfer covers: the numbers given, or the active loans of a servicer and/or office."""
    loans = Loan.objects.all()
    if loan_numbers:
        loans = loans.filter(loan_number__in=loan_numbers)
    else:
        loans = loans.filter(status=LoanStatus.ACTIVE)
    if from_servicer is not None:
        loans = loans.filter(servicer=from_servicer)
    if office is not None:
        loans = loans.filter(office=office)
    return loans


@transaction.atomic
def servicing_transfer(
    *,
    to_servicer: Servicer,
    effective_date: datetime.date,
    user: AbstractBaseUser | None,
    loan_numbers: list[str] | None = None,
    from_servicer: Servicer | None = None,
    office: Office | None = None,
    reason: str = "",
) -> ServicingTransfer:
    """Move the selected loans to `to_servicer` from `effective_date`. Raises ValidationError by field.

    Give either loan numbers or a filter (from_servicer and/or office). Named loans that cannot move are errors
    (unknown, already with the new servicer, not active, or serviced by their servicer only since a later date);
    a filter simply leaves out loans already with the new servicer.
    """
    errors: dict[str, list[str]] = {}
    if not to_servicer.active:
        errors.setdefault("to_servicer", []).append(_("This servicer is not active."))
    if not loan_numbers and from_servicer is None and office is None:
        errors.setdefault("loan_numbers", []).append(
            _("Give loan numbers, or a servicer or office to move from.")
        )
    if errors:
        raise ValidationError(errors)

    by_filter = not loan_numbers
    selection = transfer_selection(loan_numbers=loan_numbers, from_servicer=from_servicer, office=office)
    if by_filter:
        selection = selection.exclude(servicer=to_servicer)
    # Lock the loans in a fixed order so that two transfers (or a transfer and a posting) cannot interleave.
    loans = list(
        selection.select_for_update(of=("self",)).select_related("borrower", "servicer").order_by("pk")
    )

    if loan_numbers:
        found = {loan.loan_number for loan in loans}
        unknown = [number for number in loan_numbers if number not in found]
        if unknown:
            errors.setdefault("loan_numbers", []).append(_("Unknown loan numbers: %s") % _named(unknown))
        same = [loan.loan_number for loan in loans if loan.servicer_id == to_servicer.pk]
        if same:
            errors.setdefault("loan_numbers", []).append(
                _("Already serviced by %(servicer)s: %(loans)s")
                % {"servicer": to_servicer, "loans": _named(same)}
            )
        closed = [loan.loan_number for loan in loans if loan.status != LoanStatus.ACTIVE]
        if closed:
            errors.setdefault("loan_numbers", []).append(_("Not active: %s") % _named(closed))
    if not loans and "loan_numbers" not in errors:
        errors.setdefault("loan_numbers", []).append(_("No loan matches this selection."))

    ids = [loan.pk for loan in loans]
    open_since: dict[int, datetime.date] = {}
    for chunk in chunked(ids, _CHUNK):
        open_since.update(
            ServicerAssignment.objects.filter(loan_id__in=chunk, until__isnull=True).values_list(
                "loan_id", "since"
            )
        )
    too_early = [
        loan.loan_number for loan in loans if effective_date <= open_since.get(loan.pk, loan.servicer_since)
    ]
    if too_early:
        errors.setdefault("effective_date", []).append(
            _("These loans have had their servicer only since this date or later: %s") % _named(too_early)
        )
    pending: set[str] = set()
    for chunk in chunked(ids, _CHUNK):
        pending.update(
            TransferNotice.objects.filter(
                loan_id__in=chunk, transfer__state=ServicingTransfer.State.SCHEDULED
            ).values_list("loan__loan_number", flat=True)
        )
    if pending:
        errors.setdefault("loan_numbers", []).append(
            _("A transfer of these loans is already scheduled: %s") % _named(pending)
        )
    if errors:
        raise ValidationError(errors)

    old_servicers = {loan.pk: loan.servicer for loan in loans}
    scheduled = effective_date > timezone.localdate()
    sources = {servicer.pk for servicer in old_servicers.values()}
    transfer = ServicingTransfer.objects.create(
        from_servicer=next(iter(old_servicers.values())) if len(sources) == 1 else from_servicer,
        to_servicer=to_servicer,
        effective_date=effective_date,
        loan_count=len(loans),
        selection={
            "loan_numbers": len(loan_numbers or []),
            "from_servicer": from_servicer.code if from_servicer else None,
            "office": office.code if office else None,
        },
        reason=reason,
        state=ServicingTransfer.State.SCHEDULED if scheduled else ServicingTransfer.State.DONE,
        applied_at=None if scheduled else timezone.now(),
        created_by=user if user and user.is_authenticated else None,
    )
    TransferNotice.objects.bulk_create(
        _notices(transfer=transfer, loans=loans, old_servicers=old_servicers), batch_size=_CHUNK
    )
    if not scheduled:
        _apply(loans=loans, transfer=transfer, open_since=open_since, user=user)
    return transfer


def _apply(
    *,
    loans: list[Loan],
    transfer: ServicingTransfer,
    open_since: dict[int, datetime.date],
    user: AbstractBaseUser | None,
) -> None:
    """The register change itself, set-based: close and open the assignments, move the loans with history."""
    ids = [loan.pk for loan in loans]
    to_servicer, effective_date = transfer.to_servicer, transfer.effective_date
    now = timezone.now()
    change_reason = transfer.reason or _("Servicing transferred to %(servicer)s") % {
        "servicer": to_servicer.code
    }

    # Close the open assignments in one UPDATE per chunk; a loan with none (booked before assignments were
    # kept) gets its old servicer's period recorded, so the history has no gap.
    for chunk in chunked(ids, _CHUNK):
        ServicerAssignment.objects.filter(loan_id__in=chunk, until__isnull=True).update(until=effective_date)
    missing = [loan for loan in loans if loan.pk not in open_since]
    ServicerAssignment.objects.bulk_create(
        [
            ServicerAssignment(
                loan_id=loan.pk,
                servicer_id=loan.servicer_id,
                since=loan.servicer_since,
                until=effective_date,
                reason=_("Recorded at servicing transfer"),
                recorded_by=user,
            )
            for loan in missing
        ],
        batch_size=_CHUNK,
    )
    ServicerAssignment.objects.bulk_create(
        [
            ServicerAssignment(
                loan_id=loan.pk,
                servicer=to_servicer,
                since=effective_date,
                reason=change_reason[:200],
                recorded_by=user,
            )
            for loan in loans
        ],
        batch_size=_CHUNK,
    )

    # Every loan gets the same servicer and date: one UPDATE per chunk (not bulk_update's CASE per row), then
    # bulk_update_with_history with no fields writes just the history rows, one per loan, with the acting user.
    for chunk in chunked(ids, _CHUNK):
        Loan.objects.filter(pk__in=chunk).update(
            servicer=to_servicer, servicer_since=effective_date, updated_at=now
        )
    for loan in loans:
        loan.servicer = to_servicer
        loan.servicer_since = effective_date
        loan.updated_at = now
    bulk_update_with_history(
        loans,
        Loan,
        [],
        batch_size=_CHUNK,
        default_user=user,
        default_change_reason=change_reason[:100],
        default_date=now,
    )
    # the servicer is copied onto the loans' register events (and the register's aggregate): bring them in step
    register_events_sync(loan_ids=ids)


def servicing_transfers_apply(*, business_date: datetime.date) -> dict[str, int]:
    """Apply the scheduled transfers effective on or before the business date (idempotent: each is claimed
    under a row lock while still scheduled). A loan that has meanwhile left the servicer its notice named, or is
    no longer active, is left where it is and counted as skipped. The history names the transfer's author."""
    due = ServicingTransfer.objects.filter(
        state=ServicingTransfer.State.SCHEDULED, effective_date__lte=business_date
    ).order_by("effective_date", "pk")
    result = {"transfers": 0, "loans": 0, "skipped": 0}
    for transfer_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            transfer = (
                ServicingTransfer.objects.select_for_update(of=("self",))
                .select_related("to_servicer", "created_by")
                .filter(pk=transfer_id, state=ServicingTransfer.State.SCHEDULED)
                .first()
            )
            if transfer is None:
                continue
            named = dict(transfer.notices.values_list("loan_id", "old_servicer_id"))
            loans = list(
                Loan.objects.filter(pk__in=list(named))
                .select_for_update(of=("self",))
                .select_related("servicer")
                .order_by("pk")
            )
            open_since: dict[int, datetime.date] = {}
            for chunk in chunked([loan.pk for loan in loans], _CHUNK):
                open_since.update(
                    ServicerAssignment.objects.filter(loan_id__in=chunk, until__isnull=True).values_list(
                        "loan_id", "since"
                    )
                )
            movable = [
                loan
                for loan in loans
                if loan.servicer_id == named[loan.pk]
                and loan.status == LoanStatus.ACTIVE
                and transfer.effective_date > open_since.get(loan.pk, loan.servicer_since)
            ]
            _apply(loans=movable, transfer=transfer, open_since=open_since, user=transfer.created_by)
            skipped = len(named) - len(movable)
            transfer.state = ServicingTransfer.State.DONE
            transfer.applied_at = timezone.now()
            transfer.selection = {**transfer.selection, "applied": len(movable), "skipped": skipped}
            transfer.save(update_fields=["state", "applied_at", "selection"])
            result["transfers"] += 1
            result["loans"] += len(movable)
            result["skipped"] += skipped
    return result


def servicing_transfers_run(*, business_date: datetime.date, force: bool = False):
    """The nightly job: apply the transfers that take effect (once per business date, resumable)."""
    from common.jobs import job_run

    return job_run(
        job="servicing_transfers",
        business_date=business_date,
        body=lambda day: servicing_transfers_apply(business_date=day),
        force=force,
    )


def _notices(
    *, transfer: ServicingTransfer, loans: list[Loan], old_servicers: dict[int, Servicer]
) -> Iterator[TransferNotice]:
    contacts = {
        contact.servicer_id: contact
        for contact in ServicerContact.objects.filter(
            servicer_id__in={transfer.to_servicer_id, *(s.pk for s in old_servicers.values())}
        )
    }
    template = get_template("servicing/transfers_notice.txt")
    # Rendering a template per loan is most of the cost at thousands of loans: render one letter per language
    # and old servicer with markers, then put each borrower's name and loan number in.
    rendered: dict[tuple[str, int], tuple[str, str]] = {}
    # Every borrower of the loan is told: the borrower and each co-borrower, in their own language.
    co_borrowers: dict[int, list[Borrower]] = defaultdict(list)
    through = Loan.co_borrowers.through
    for chunk in chunked([loan.pk for loan in loans], _CHUNK):
        for row in through.objects.filter(loan_id__in=chunk).select_related("borrower").order_by("pk"):
            co_borrowers[row.loan_id].append(row.borrower)
    addressees = [
        (each, borrower)
        for each in loans
        for borrower in [each.borrower, *(b for b in co_borrowers[each.pk] if b.pk != each.borrower_id)]
    ]
    for loan, borrower in addressees:
        old = old_servicers[loan.pk]
        language = borrower.preferred_language or "da"
        key = (language, old.pk)
        if key not in rendered:
            rendered[key] = _render_notice(
                template=template,
                language=language,
                old=old,
                new=transfer.to_servicer,
                contacts=contacts,
                effective_date=transfer.effective_date,
            )
        subject, body = rendered[key]
        yield TransferNotice(
            transfer=transfer,
            loan_id=loan.pk,
            borrower_id=borrower.pk,
            old_servicer_id=old.pk,
            new_servicer_id=transfer.to_servicer_id,
            effective_date=transfer.effective_date,
            language=language,
            channel=TransferNotice.Channel.EMAIL if borrower.email else TransferNotice.Channel.LETTER,
            subject=subject.replace(_LOAN, loan.loan_number)[:200],
            body=body.replace(_BORROWER, borrower.name).replace(_LOAN, loan.loan_number),
        )


_BORROWER = "\x00borrower\x00"
_LOAN = "\x00loan\x00"


class _Marked:
    """Stands in for a borrower or loan in the template: prints a marker that is replaced per notice."""

    def __init__(self, **fields: str) -> None:
        self.__dict__.update(fields)


def _render_notice(*, template, language, old, new, contacts, effective_date) -> tuple[str, str]:
    with translation.override(language):
        context = {
            "borrower": _Marked(name=_BORROWER),
            "loan": _Marked(loan_number=_LOAN),
            "old": old,
            "new": new,
            "old_contact": contacts.get(old.pk),
            "new_contact": contacts.get(new.pk),
            "effective_date": effective_date,
            "last_day_old": effective_date - datetime.timedelta(days=1),
            "grace_days": GRACE_DAYS,
        }
        body = template.render(context).strip() + "\n"
        subject = _("Your loan %(loan)s will be serviced by %(servicer)s") % {
            "loan": _LOAN,
            "servicer": new.name,
        }
    return subject, body


def transfer_notices_send(*, transfer: ServicingTransfer) -> int:
    """E-mail the transfer's e-mail notices not yet sent (letters go in the printed batch). Returns how many.

    Each notice is claimed with a state-guarded UPDATE before it is sent, so a second run sends nothing twice.
    """
    from django.conf import settings
    from django.core.mail import EmailMessage, get_connection

    pending = transfer.notices.filter(
        channel=TransferNotice.Channel.EMAIL, sent_at__isnull=True
    ).select_related("borrower")
    sent = 0
    with get_connection() as connection:
        for notice in pending.iterator(chunk_size=500):
            if not TransferNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(
                sent_at=timezone.now()
            ):
                continue
            EmailMessage(
                notice.subject,
                notice.body,
                settings.DEFAULT_FROM_EMAIL,
                [notice.borrower.email],
                connection=connection,
            ).send()
            sent += 1
    return sent


def transfer_letters_mark_sent(*, transfer: ServicingTransfer) -> int:
    """The printed letter batch went out: mark its letters sent."""
    return transfer.notices.filter(channel=TransferNotice.Channel.LETTER, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
