"""The nightly lead digest (REG-2): each officer gets one e-mail a night of their new leads, in their language.

It runs after the radar (settings.NIGHTLY_JOBS, docs/requirements.md §5: "maturity radar, then digests"), once per
business date (common.jobs), in two idempotent steps:

1. `lead_digests_make`: one `LeadDigest` row per officer who has new leads not yet told of (`INSERT … SELECT … ON
   CONFLICT DO NOTHING` on (officer, business date)), and those leads are bound to it (`UPDATE … FROM`). A lead
   found after the night's digest was made waits for the next night's; a reassigned lead is told to its new officer.
2. `lead_digests_send`: pending digests are claimed with a state-guarded UPDATE (pending → sending, rows locked with
   SKIP LOCKED), e-mailed and marked sent. A crash between claim and mark leaves a digest `sending`, never sent
   again by itself (at most once, as the payment notices do); one that failed is tried again on the next run.

Officers without an e-mail address, or who can no longer sign in, get none (their leads wait on the page).
Outside production mail goes to files (settings EMAIL_BACKEND), so a demo's digests can be read in var/mail.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from common.jobs import job_run
from common.models import JobRun

from ..choices import LeadStatus
from ..models import Lead, LeadDigest, UserPreference

logger = logging.getLogger(__name__)

JOB_NAME = "lead_digests"
SEND_BATCH = 100

_MAKE_SQL = f"""
    INSERT INTO {LeadDigest._meta.db_table} (officer_id, business_date, state, error)
    SELECT DISTINCT l.officer_id, %(day)s, %(pending)s, ''
    FROM {Lead._meta.db_table} l JOIN auth_user u ON u.id = l.officer_id
    WHERE l.status = %(new)s AND l.digest_id IS NULL AND u.is_active AND u.email <> ''
    ON CONFLICT (officer_id, business_date) DO NOTHING
"""
_BIND_SQL = f"""
    UPDATE {Lead._meta.db_table} l SET digest_id = d.id
    FROM {LeadDigest._meta.db_table} d
    WHERE d.officer_id = l.officer_id AND d.business_date = %(day)s AND d.state = %(pending)s
      AND l.status = %(new)s AND l.digest_id IS NULL
"""


@transaction.atomic
def lead_digests_make(*, business_date: datetime.date) -> int:
    """Make the night's digests and bind their leads; returns how many digests were made."""
    params = {"day": business_date, "pending": LeadDigest.State.PENDING, "new": LeadStatus.NEW}
    with connection.cursor() as cursor:
        cursor.execute(_MAKE_SQL, params)
        made = cursor.rowcount
        cursor.execute(_BIND_SQL, params)
    return made


def _language(officer) -> str:
    preference = UserPreference.objects.filter(user=officer).values_list("language", flat=True).first()
    return preference or settings.LANGUAGE_CODE


def digest_context(digest: LeadDigest) -> dict:
    leads = list(
        digest.leads.filter(status=LeadStatus.NEW)
        .select_related("loan", "loan__borrower")
        .order_by("event_date", "loan__loan_number", "event")
    )
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    return {
        "digest": digest,
        "officer": digest.officer,
        "leads": leads,
        "waiting": Lead.objects.filter(officer=digest.officer, status=LeadStatus.NEW).count(),
        "leads_url": f"{site}{reverse('loanregister:leads')}" if site else "",
    }


def digest_email(digest: LeadDigest, connection=None) -> EmailMessage | None:
    """The digest as an e-mail in its officer's language; None when none of its leads is new any more."""
    context = digest_context(digest)
    if not context["leads"]:
        return None
    with translation.override(_language(digest.officer)):
        subject = render_to_string("loanregister/leads/digest_subject.txt", context)
        body = render_to_string("loanregister/leads/digest_email.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()), body=body, to=[digest.officer.email], connection=connection
    )


def _claim_batch() -> list[int]:
    pending = LeadDigest.State.PENDING
    with transaction.atomic():
        ids = list(
            LeadDigest.objects.select_for_update(skip_locked=True)
            .filter(state=pending)
            .order_by("pk")
            .values_list("pk", flat=True)[:SEND_BATCH]
        )
        if ids:
            LeadDigest.objects.filter(pk__in=ids, state=pending).update(
                state=LeadDigest.State.SENDING, error=""
            )
    return ids


def lead_digests_send() -> dict[str, int]:
    """Send every pending digest once; returns how many were sent, failed, and had nothing left to tell."""
    sent = failed = empty = 0
    LeadDigest.objects.filter(state=LeadDigest.State.FAILED).update(state=LeadDigest.State.PENDING)
    mail = get_connection()
    while ids := _claim_batch():
        for digest in LeadDigest.objects.filter(pk__in=ids).select_related("officer").order_by("pk"):
            try:
                message = digest_email(digest, mail)
                if message is not None:
                    message.send()
            except Exception as exc:  # noqa: BLE001 - one bad address must not stop the others
                logger.warning("lead digest %s: e-mail failed: %s", digest.pk, exc)
                LeadDigest.objects.filter(pk=digest.pk, state=LeadDigest.State.SENDING).update(
                    state=LeadDigest.State.FAILED, error=str(exc)[:2000]
                )
                failed += 1
                continue
            LeadDigest.objects.filter(pk=digest.pk, state=LeadDigest.State.SENDING).update(
                state=LeadDigest.State.SENT, sent_at=timezone.now()
            )
            if message is None:
                empty += 1
            else:
                sent += 1
    return {"sent": sent, "failed": failed, "empty": empty}


def lead_digests_run(*, business_date: datetime.date, force: bool = False) -> JobRun | None:
    """The nightly job: once per business date (common.jobs.job_run); None when done already."""

    def body(day: datetime.date) -> dict:
        made = lead_digests_make(business_date=day)
        return {"made": made, **lead_digests_send()}

    return job_run(job=JOB_NAME, business_date=business_date, body=body, force=force)
