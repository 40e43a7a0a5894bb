"""The reminder ladder (issue 11 item 2, COL-3): its steps are reference data an admin edits per product (loan
type), each with a template per language; this module picks a loan's ladder and renders a step's message.

A fresh database has `pre_due` at −5 (e-mail; only for borrowers with a payment more than 15 days late in the past
12 months), `friendly` at 1 (e-mail), `follow_up` at 15 (letter and a call task in the collector's queue),
`formal` at 30 (letter), `final` at 60 (letter) and `legal` at 90 (letter, and escalation to a legal case).

The templates (Django template syntax) are worded firmly and with empathy and name the amount, the due date, how
to pay and the consequence of paying late (COL-2), and where to get help and counselling (COL-6). Their variables:
`borrower`, `loan_number`, `amount`, `due_date`, `days`, `payment_account`, `firm`, `help_phone`, `help_email`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.template import Context, Template
from django.utils import formats, translation

from common.templatetags.money import format_money

from ..models import ReminderStep, ReminderTemplate


def ladder_for(*, loan_type: str) -> QuerySet:
    """The active steps for a product: its own when it has any, else the default ladder (no loan type)."""
    own = ReminderStep.objects.filter(loan_type=loan_type, active=True)
    steps = own if loan_type and own.exists() else ReminderStep.objects.filter(loan_type="", active=True)
    return steps.order_by("days")


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    language: str


def template_for(*, step: ReminderStep, language: str) -> ReminderTemplate:
    """The step's template in the language; else in the site's language; else any."""
    templates = {t.language: t for t in step.templates.all()}
    template = templates.get(language) or templates.get(settings.LANGUAGE_CODE[:2])
    if template is None and templates:
        template = next(iter(templates.values()))
    if template is None:
        raise LookupError(f"reminder step {step.code} has no template")
    return template


def message_render(
    *,
    step: ReminderStep,
    language: str,
    borrower_name: str,
    loan_number: str,
    amount: Decimal,
    currency: str,
    due_date: datetime.date,
    days: int,
) -> Message:
    """The step's message for one borrower, in their language (dates and amounts as that language writes them)."""
    template = template_for(step=step, language=language)
    with translation.override(template.language):
        context = Context(
            {
                "borrower": borrower_name,
                "loan_number": loan_number,
                "amount": format_money(amount, currency, language=template.language),
                "due_date": formats.date_format(due_date, "DATE_FORMAT"),
                "days": abs(days),
                "payment_account": getattr(settings, "SERVICING_PAYMENT_ACCOUNT", ""),
                "firm": getattr(settings, "SERVICING_FIRM_NAME", "") or getattr(settings, "LENDER_NAME", ""),
                "help_phone": getattr(settings, "SERVICING_HELP_PHONE", ""),
                "help_email": getattr(settings, "SERVICING_HELP_EMAIL", "") or settings.DEFAULT_FROM_EMAIL,
            },
            autoescape=False,
        )
        subject = " ".join(Template(template.subject).render(context).split())
        body = Template(template.body).render(context)
    return Message(subject=subject, body=body, language=template.language)
