"""The numbering sequences of applications and funded loans, and the roles' origination permissions (LPO-2..LPO-5).

By default the home-office underwriter and the branch lender decide applications and set terms; the LPO roles
neither (LPO-3). The LPO's senior processor (lpo_manager) recommends; every role of the four takes in and prepares
applications and may fund an approved one (LPO-5). An admin changes this on the groups in the admin.
"""

from django.db import migrations

_SEE = [
    "origination.view_application",
    "origination.view_product",
    "origination.view_checklistitem",
    "origination.view_applicationdocument",
    "origination.view_applicationtransition",
    "origination.view_applicationmessage",
    "origination.view_applicant",
    "origination.take_application",
    "origination.fund_application",
    "origination.export_pipeline",
    "loanregister.view_office",
    "loanregister.view_borrower",
    "loanregister.view_contact_details",
]
_DECIDE = ["origination.decide_application", "origination.set_loan_terms", "origination.recommend_application"]

ROLE_PERMISSIONS = {
    "lpo_processor": _SEE,
    "lpo_manager": _SEE + ["origination.recommend_application"],
    "branch_lender": _SEE + _DECIDE,
    "home_office_underwriter": _SEE + _DECIDE,
    "admin": _SEE
    + [
        "origination.add_product",
        "origination.change_product",
        "origination.add_checklistitem",
        "origination.change_checklistitem",
        "origination.delete_checklistitem",
    ],
}


def add_permissions(apps, schema_editor):
    from loanregister.roles import sync_role_permissions

    sync_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("origination", "0001_initial"), ("loanregister", "0017_loan_origin_lead")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS origination_application_number START 1",
            "DROP SEQUENCE IF EXISTS origination_application_number",
        ),
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS origination_loan_number START 1",
            "DROP SEQUENCE IF EXISTS origination_loan_number",
        ),
        migrations.RunPython(add_permissions, migrations.RunPython.noop),
    ]
