"""The radar's horizons on a fresh database, and the roles of docs/requirements.md §5 that leads are the first to
need (issue 10), with the permissions for leads and the contact log.

Frozen here as they were written (a migration must not read today's code). Horizons an admin already set are kept.
"""

from django.db import migrations

HORIZONS = {"maturity": 180, "rate_reset": 120, "interest_only_end": 90}

_REGISTER_READ = [
    "loanregister.view_loan",
    "loanregister.view_borrower",
    "loanregister.view_property",
    "loanregister.view_office",
    "loanregister.view_servicer",
    "loanregister.view_registerevent",
    "loanregister.view_servicerassignment",
]
_LEADS_WORK = ["loanregister.view_lead", "loanregister.work_lead", "loanregister.view_contactlog"]
_LEADS_MANAGE = _LEADS_WORK + [
    "loanregister.reassign_lead",
    "loanregister.export_leads",
    "loanregister.preview_radar",
    "loanregister.view_staffprofile",
]
ROLE_PERMISSIONS = {
    "loan_officer": _LEADS_WORK,
    "sales_manager": _REGISTER_READ + ["loanregister.view_contact_details"] + _LEADS_MANAGE,
    "retention_manager": _REGISTER_READ
    + ["loanregister.export_register", "loanregister.view_contact_details", "loanregister.view_contactlog"],
    "collections_manager": _REGISTER_READ
    + ["loanregister.view_national_id", "loanregister.view_contact_details", "loanregister.view_contactlog"],
    "branch_lender": list(_REGISTER_READ),
    "admin": _LEADS_MANAGE
    + [
        "loanregister.add_staffprofile",
        "loanregister.change_staffprofile",
        "loanregister.delete_staffprofile",
        "loanregister.view_radarhorizon",
        "loanregister.change_radarhorizon",
        "loanregister.view_leaddigest",
    ],
}


def horizons_and_roles(apps, schema_editor):
    from loanregister.roles import sync_role_permissions

    RadarHorizon = apps.get_model("loanregister", "RadarHorizon")
    for event, days in HORIZONS.items():
        RadarHorizon.objects.get_or_create(event=event, defaults={"days": days})
    sync_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("loanregister", "0012_leads_staff_contacts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(horizons_and_roles, migrations.RunPython.noop)]
