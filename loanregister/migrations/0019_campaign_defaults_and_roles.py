"""A fresh database's contact governor (2 marketing contacts per 30 days, 90 days between campaigns) and conversion
rule (300 DKK a month, 5,000 DKK plus 0.5 point, 24 months), and the campaign permissions of the retention roles
(issue 10 items 3 and 4). Frozen here as written; rows an admin already set are kept."""

from django.db import migrations

_CAMPAIGN_WORK = [
    "loanregister.view_campaign",
    "loanregister.add_campaign",
    "loanregister.change_campaign",
    "loanregister.view_campaignmember",
]
ROLE_PERMISSIONS = {
    "retention_team": _CAMPAIGN_WORK,
    "retention_manager": _CAMPAIGN_WORK
    + [
        "loanregister.freeze_campaign",
        "loanregister.export_campaign",
        "loanregister.view_contactgovernor",
        "loanregister.change_contactgovernor",
    ],
    "admin": [
        "loanregister.view_campaign",
        "loanregister.view_campaignmember",
        "loanregister.view_contactgovernor",
        "loanregister.change_contactgovernor",
        "loanregister.view_conversionrule",
        "loanregister.change_conversionrule",
        "loanregister.view_offeredrate",
        "loanregister.add_offeredrate",
        "loanregister.change_offeredrate",
        "loanregister.delete_offeredrate",
    ],
}


def defaults_and_roles(apps, schema_editor):
    from loanregister.roles import sync_role_permissions

    apps.get_model("loanregister", "ContactGovernor").objects.get_or_create(
        pk=1, defaults={"max_contacts": 2, "period_days": 30, "campaign_gap_days": 90}
    )
    apps.get_model("loanregister", "ConversionRule").objects.get_or_create(
        pk=1,
        defaults={"min_monthly_saving": "300", "fee": "5000", "price_spread": "0.5", "break_even_months": 24},
    )
    sync_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("loanregister", "0018_campaigns_governor_conversion"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(defaults_and_roles, migrations.RunPython.noop)]
