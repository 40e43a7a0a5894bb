"""Collections' fresh-database reference data (issue 11): the delinquency buckets, the reminder ladder with its
Danish and English templates (COL-2: amount, due date, how to pay, the consequence of paying late; COL-6: firm and
empathic, where to get help and counselling), and the collections roles' permissions. An admin edits all of it."""

from django.db import migrations

BUCKETS = [("1-29", 1, 29), ("30-59", 30, 59), ("60-89", 60, 89), ("90+", 90, None)]

# code, days, channel, condition, call task, action
STEPS = [
    ("pre_due", -5, "email", "late_before", False, "message"),
    ("friendly", 1, "email", "always", False, "message"),
    ("follow_up", 15, "letter", "always", True, "message"),
    ("formal", 30, "letter", "always", False, "message"),
    ("final", 60, "letter", "always", False, "message"),
    ("legal", 90, "letter", "always", False, "escalate"),
]

_PAY_EN = (
    "How to pay: transfer {{ amount }} to {{ payment_account|default:'our payment account' }} with your loan number "
    "{{ loan_number }} as the reference."
)
_PAY_DA = (
    "Sådan betaler du: overfør {{ amount }} til {{ payment_account|default:'vores betalingskonto' }} med dit "
    "lånenummer {{ loan_number }} som reference."
)
_HELP_EN = (
    "If you are finding it hard to pay, please contact us before it grows: we can look at your situation with you "
    "and may agree a plan that fits (a lower payment for a while, a payment holiday or a longer term). Call "
    "{{ help_phone|default:'us' }} or write to {{ help_email }}. Free and confidential debt counselling is also "
    "available, for example from Den Sociale Retshjælp or your municipality's debt advice."
)
_HELP_DA = (
    "Hvis det er svært at betale, så kontakt os, før det vokser: vi ser gerne på din situation sammen med dig og kan "
    "måske aftale en ordning, der passer (en lavere ydelse en tid, en betalingspause eller en længere løbetid). Ring "
    "til {{ help_phone|default:'os' }} eller skriv til {{ help_email }}. Du kan også få gratis og fortrolig "
    "gældsrådgivning, fx hos Den Sociale Retshjælp eller din kommunes gældsrådgivning."
)

TEMPLATES = {
    "pre_due": {
        "en": (
            "Your payment of {{ amount }} is due on {{ due_date }}",
            "Dear {{ borrower }},\n\nA friendly reminder: your payment of {{ amount }} on loan {{ loan_number }} is "
            "due on {{ due_date }}.\n\n"
            + _PAY_EN
            + "\n\nPaying on time keeps your loan in good order; a late "
            "payment can bring late charges and further interest.\n\n"
            + _HELP_EN
            + "\n\nKind regards,\n{{ firm }}\n",
        ),
        "da": (
            "Din betaling på {{ amount }} forfalder den {{ due_date }}",
            "Kære {{ borrower }}\n\nEn venlig påmindelse: din betaling på {{ amount }} på lån {{ loan_number }} "
            "forfalder den {{ due_date }}.\n\n"
            + _PAY_DA
            + "\n\nBetaler du til tiden, er dit lån i orden; en "
            "for sen betaling kan medføre rykkergebyr og mere rente.\n\n"
            + _HELP_DA
            + "\n\nVenlig hilsen\n{{ firm }}\n",
        ),
    },
    "friendly": {
        "en": (
            "We have not received your payment due on {{ due_date }}",
            "Dear {{ borrower }},\n\nWe have not yet received your payment on loan {{ loan_number }} that was due on "
            "{{ due_date }}. {{ amount }} is now past due. It may simply have been overlooked: if you have paid in "
            "the last few days, thank you, and please disregard this message.\n\n"
            + _PAY_EN
            + "\n\nIf the payment "
            "stays unpaid, late charges and interest on the overdue amount may be added.\n\n"
            + _HELP_EN
            + "\n\nKind regards,\n{{ firm }}\n",
        ),
        "da": (
            "Vi har ikke modtaget din betaling, der forfaldt den {{ due_date }}",
            "Kære {{ borrower }}\n\nVi har endnu ikke modtaget din betaling på lån {{ loan_number }}, der forfaldt "
            "den {{ due_date }}. {{ amount }} er nu forfaldent. Måske er den blot blevet glemt: har du betalt inden "
            "for de sidste dage, så tak, og se bort fra denne besked.\n\n"
            + _PAY_DA
            + "\n\nForbliver beløbet "
            "ubetalt, kan der blive lagt rykkergebyr og morarente til.\n\n"
            + _HELP_DA
            + "\n\nVenlig hilsen\n{{ firm }}\n",
        ),
    },
    "follow_up": {
        "en": (
            "Reminder: {{ amount }} is {{ days }} days overdue",
            "Dear {{ borrower }},\n\nYour payment on loan {{ loan_number }} due on {{ due_date }} is now {{ days }} "
            "days overdue; {{ amount }} is unpaid. Please pay it now.\n\n"
            + _PAY_EN
            + "\n\nA late charge may be "
            "added, and interest runs on the overdue amount until it is paid. A collector will also try to call "
            "you to find a solution together.\n\n" + _HELP_EN + "\n\nKind regards,\n{{ firm }}\n",
        ),
        "da": (
            "Rykker: {{ amount }} er {{ days }} dage forfaldent",
            "Kære {{ borrower }}\n\nDin betaling på lån {{ loan_number }}, der forfaldt den {{ due_date }}, er nu "
            "{{ days }} dage forsinket; {{ amount }} er ubetalt. Betal venligst nu.\n\n"
            + _PAY_DA
            + "\n\nDer kan "
            "blive lagt et rykkergebyr til, og der løber rente af det forfaldne beløb, til det er betalt. En af "
            "vores medarbejdere vil også ringe til dig for at finde en løsning sammen.\n\n"
            + _HELP_DA
            + "\n\nVenlig hilsen\n{{ firm }}\n",
        ),
    },
    "formal": {
        "en": (
            "Formal reminder: loan {{ loan_number }} is {{ days }} days in arrears",
            "Dear {{ borrower }},\n\nDespite our earlier reminders, {{ amount }} on loan {{ loan_number }}, due on "
            "{{ due_date }}, is still unpaid ({{ days }} days). We ask you to pay it within 10 days.\n\n"
            + _PAY_EN
            + "\n\nIf it is not paid, we will have to consider further steps under your loan agreement, which may "
            "add costs and affect your credit record.\n\n" + _HELP_EN + "\n\nYours sincerely,\n{{ firm }}\n",
        ),
        "da": (
            "Formel rykker: lån {{ loan_number }} er {{ days }} dage i restance",
            "Kære {{ borrower }}\n\nTrods vores tidligere påmindelser er {{ amount }} på lån {{ loan_number }}, der "
            "forfaldt den {{ due_date }}, stadig ubetalt ({{ days }} dage). Vi beder dig betale inden 10 dage.\n\n"
            + _PAY_DA
            + "\n\nBliver beløbet ikke betalt, må vi overveje yderligere skridt efter din låneaftale, "
            "hvilket kan medføre omkostninger og påvirke din kreditværdighed.\n\n"
            + _HELP_DA
            + "\n\nMed venlig hilsen\n{{ firm }}\n",
        ),
    },
    "final": {
        "en": (
            "Final notice before legal action: loan {{ loan_number }}",
            "Dear {{ borrower }},\n\n{{ amount }} on loan {{ loan_number }}, due on {{ due_date }}, has now been "
            "unpaid for {{ days }} days. This is our final notice: unless it is paid, or we agree a plan with you, "
            "within 14 days, the loan may be handed over for legal collection. That can mean a court case, "
            "enforcement against the property and, where the loan agreement allows it, your other assets, and "
            "the costs of it.\n\n" + _PAY_EN + "\n\n" + _HELP_EN + "\n\nYours sincerely,\n{{ firm }}\n",
        ),
        "da": (
            "Sidste varsel før retslige skridt: lån {{ loan_number }}",
            "Kære {{ borrower }}\n\n{{ amount }} på lån {{ loan_number }}, der forfaldt den {{ due_date }}, har nu "
            "været ubetalt i {{ days }} dage. Dette er vores sidste varsel: medmindre beløbet betales, eller vi "
            "aftaler en ordning med dig, inden 14 dage, kan lånet blive sendt til retslig inddrivelse. Det kan "
            "betyde en retssag, tvangsfuldbyrdelse i ejendommen og, hvor låneaftalen tillader det, i dine øvrige "
            "aktiver, og omkostningerne ved det.\n\n"
            + _PAY_DA
            + "\n\n"
            + _HELP_DA
            + "\n\nMed venlig hilsen\n{{ firm }}\n",
        ),
    },
    "legal": {
        "en": (
            "Loan {{ loan_number }} has been handed over for legal collection",
            "Dear {{ borrower }},\n\nAs {{ amount }} on loan {{ loan_number }}, due on {{ due_date }}, is still "
            "unpaid after {{ days }} days and our earlier letters, the loan has now been handed over for legal "
            "collection. Further costs may follow. It is still not too late: paying the overdue amount, or "
            "contacting us to agree a plan, can stop the case.\n\n"
            + _PAY_EN
            + "\n\n"
            + _HELP_EN
            + "\n\nYours sincerely,\n{{ firm }}\n",
        ),
        "da": (
            "Lån {{ loan_number }} er sendt til retslig inddrivelse",
            "Kære {{ borrower }}\n\nDa {{ amount }} på lån {{ loan_number }}, der forfaldt den {{ due_date }}, stadig "
            "er ubetalt efter {{ days }} dage og vores tidligere breve, er lånet nu sendt til retslig inddrivelse. "
            "Der kan komme yderligere omkostninger. Det er stadig ikke for sent: betaler du det forfaldne beløb, "
            "eller kontakter du os for at aftale en ordning, kan sagen standses.\n\n"
            + _PAY_DA
            + "\n\n"
            + _HELP_DA
            + "\n\nMed venlig hilsen\n{{ firm }}\n",
        ),
    },
}

PERMISSIONS = {
    "collections": [
        "servicing.work_collectioncase",
        "servicing.view_collectioncase",
        "servicing.view_loandelinquency",
        "servicing.view_reminder",
        "servicing.view_promisetopay",
        "servicing.add_promisetopay",
        "servicing.view_hardshipplan",
        "servicing.add_hardshipplan",
        "servicing.view_hardshipassessment",
        "servicing.add_hardshipassessment",
        "servicing.view_escalation",
        "servicing.view_delinquencybucket",
        "servicing.view_reminderstep",
        "servicing.export_collections",
        "servicing.view_posting",
        "loanregister.view_contactlog",
    ],
    "collections_manager": [
        "servicing.work_collectioncase",
        "servicing.view_collectioncase",
        "servicing.assign_collectioncase",
        "servicing.approve_hardshipplan",
        "servicing.view_loandelinquency",
        "servicing.view_reminder",
        "servicing.view_promisetopay",
        "servicing.add_promisetopay",
        "servicing.view_hardshipplan",
        "servicing.add_hardshipplan",
        "servicing.view_hardshipassessment",
        "servicing.add_hardshipassessment",
        "servicing.view_escalation",
        "servicing.change_escalation",
        "servicing.view_delinquencybucket",
        "servicing.view_reminderstep",
        "servicing.view_collectorrule",
        "servicing.add_collectorrule",
        "servicing.change_collectorrule",
        "servicing.delete_collectorrule",
        "servicing.export_collections",
        "servicing.view_posting",
        "servicing.view_legalcase",
        "servicing.view_collateralrecovery",
    ],
    "admin": [
        "servicing.view_collectioncase",
        "servicing.assign_collectioncase",
        "servicing.view_loandelinquency",
        "servicing.view_reminder",
        "servicing.export_collections",
        "servicing.view_delinquencybucket",
        "servicing.add_delinquencybucket",
        "servicing.change_delinquencybucket",
        "servicing.delete_delinquencybucket",
        "servicing.view_reminderstep",
        "servicing.add_reminderstep",
        "servicing.change_reminderstep",
        "servicing.view_remindertemplate",
        "servicing.add_remindertemplate",
        "servicing.change_remindertemplate",
        "servicing.view_collectorrule",
        "servicing.add_collectorrule",
        "servicing.change_collectorrule",
        "servicing.delete_collectorrule",
        "servicing.view_hardshipplan",
        "servicing.view_escalation",
    ],
}


def load_reference_data(apps) -> None:
    """The buckets and the ladder with its templates, where missing (tests call it again after a flush)."""
    Bucket = apps.get_model("servicing", "DelinquencyBucket")
    Step = apps.get_model("servicing", "ReminderStep")
    Template = apps.get_model("servicing", "ReminderTemplate")
    for code, low, high in BUCKETS:
        Bucket.objects.get_or_create(code=code, defaults={"min_days": low, "max_days": high})
    for code, days, channel, condition, call_task, action in STEPS:
        step, _created = Step.objects.get_or_create(
            loan_type="",
            code=code,
            defaults={
                "days": days,
                "channel": channel,
                "condition": condition,
                "call_task": call_task,
                "action": action,
            },
        )
        for language, (subject, body) in TEMPLATES[code].items():
            Template.objects.get_or_create(
                step=step, language=language, defaults={"subject": subject, "body": body}
            )


def load(apps, schema_editor):
    load_reference_data(apps)
    from loanregister.roles import sync_role_permissions

    sync_role_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0014_collections"),
        ("loanregister", "0002_roles"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
