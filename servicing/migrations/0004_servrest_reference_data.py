"""Reference data an admin edits (loaded as defaults, marked so), and the permissions of escrow, transfers,
documents and recovery for the servicing, collections and admin roles."""

from django.db import migrations

# SRV-3. Denmark: bookkeeping material is kept 5 years from the end of the financial year (bogføringsloven),
# counted here from the year the loan ended. United States: 7 years after the loan ends is the common practice;
# each state has its own row so an admin can change one. All are defaults for the admin to confirm.
US_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
    "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
RETENTION = [
    ("DK", 5, True, "Bogføringsloven: 5 years from the end of the financial year in which the loan ended."),
    ("US", 7, False, "Common US practice: 7 years after the loan ends (a state row overrides)."),
] + [(f"US-{state}", 7, False, "Default: 7 years after the loan ends; check the state's rule.") for state in US_STATES]

# REC-3 (seed 002): mortgages are mostly recourse; 12 states allow non-recourse mortgages; VA, USDA and FHA loans
# are non-recourse everywhere; Danish loans are recourse (the borrower answers with all assets).
NON_RECOURSE_STATES = ["AK", "AZ", "CA", "CT", "HI", "ID", "MN", "NC", "ND", "TX", "UT", "WA"]
RECOURSE = (
    [
        ("DK", "", True, "Danish loans are recourse: the lender may pursue other assets (udlæg)."),
        ("US", "", True, "US mortgages are mostly recourse (REC-3)."),
    ]
    + [(f"US-{state}", "", False, "One of the 12 non-recourse mortgage states (REC-3).") for state in NON_RECOURSE_STATES]
    + [("", program, False, "Government-backed: non-recourse everywhere (REC-3).") for program in ("va", "usda", "fha")]
)

_RECORDS = ["servicingtransfer", "transfernotice", "collateralrecovery"]
SERVICING_PERMS = [
    "servicing.view_escrowaccount",
    "servicing.add_escrowaccount",
    "servicing.change_escrowaccount",
    "servicing.view_escrowpayee",
    "servicing.add_escrowpayee",
    "servicing.change_escrowpayee",
    "servicing.view_escrowdisbursement",
    "servicing.add_escrowdisbursement",
    "servicing.change_escrowdisbursement",
    "servicing.view_servicingtransfer",
    "servicing.add_servicingtransfer",
    "servicing.transfer_servicing",
    "servicing.view_transfernotice",
    "servicing.view_servicercontact",
    "servicing.view_loandocument",
    "servicing.add_loandocument",
    "servicing.view_retentionrule",
    "servicing.view_recourserule",
    "servicing.view_loanprogram",
    "servicing.view_collateralrecovery",
    "servicing.view_legalcase",
]
COLLECTIONS_PERMS = [
    "servicing.view_escrowaccount",
    "servicing.view_escrowdisbursement",
    "servicing.view_loandocument",
    "servicing.add_loandocument",
    "servicing.view_recourserule",
    "servicing.view_loanprogram",
    "servicing.view_collateralrecovery",
    "servicing.add_collateralrecovery",
    "servicing.view_legalcase",
    "servicing.add_legalcase",
    "servicing.change_legalcase",
    "servicing.view_transfernotice",
]
_REFERENCE = ["retentionrule", "recourserule", "servicercontact", "escrowpayee", "loanprogram"]
ADMIN_PERMS = sorted(
    set(SERVICING_PERMS + COLLECTIONS_PERMS)
    | {f"servicing.{action}_{model}" for model in _REFERENCE for action in ("view", "add", "change", "delete")}
    | {f"servicing.view_{model}" for model in _RECORDS}
    | {"servicing.delete_loandocument", "servicing.change_loandocument", "servicing.delete_escrowdisbursement"}
)


def load(apps, schema_editor):
    from loanregister.roles import sync_role_permissions

    RetentionRule = apps.get_model("servicing", "RetentionRule")
    RecourseRule = apps.get_model("servicing", "RecourseRule")
    for jurisdiction, years, from_year_end, note in RETENTION:
        RetentionRule.objects.get_or_create(
            jurisdiction=jurisdiction,
            defaults={"years": years, "from_year_end": from_year_end, "note": note, "is_default": True},
        )
    for jurisdiction, program, recourse, note in RECOURSE:
        RecourseRule.objects.get_or_create(
            jurisdiction=jurisdiction,
            program=program,
            defaults={"recourse": recourse, "note": note, "is_default": True},
        )
    sync_role_permissions(
        apps, {"servicing": SERVICING_PERMS, "collections": COLLECTIONS_PERMS, "admin": ADMIN_PERMS}
    )


def unload(apps, schema_editor):
    apps.get_model("servicing", "RetentionRule").objects.filter(is_default=True).delete()
    apps.get_model("servicing", "RecourseRule").objects.filter(is_default=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0003_escrow_documents_recovery"),
        ("loanregister", "0002_roles"),
    ]

    operations = [migrations.RunPython(load, unload)]
