"""The roles of docs/requirements.md as Django groups, with the permissions each needs."""

from django.utils.translation import gettext_lazy as _

LOAN_OFFICER = "loan_officer"
SALES_MANAGER = "sales_manager"
RETENTION_TEAM = "retention_team"
RETENTION_MANAGER = "retention_manager"
SERVICING = "servicing"
COLLECTIONS = "collections"
COLLECTIONS_MANAGER = "collections_manager"
LPO_PROCESSOR = "lpo_processor"
LPO_MANAGER = "lpo_manager"
BRANCH_LENDER = "branch_lender"
UNDERWRITER = "home_office_underwriter"
REPORTING = "reporting"
ADMIN = "admin"

ROLE_LABELS = {
    LOAN_OFFICER: _("Loan officer"),
    SALES_MANAGER: _("Sales manager"),
    RETENTION_TEAM: _("Retention team"),
    RETENTION_MANAGER: _("Retention manager"),
    SERVICING: _("Servicing"),
    COLLECTIONS: _("Collections"),
    COLLECTIONS_MANAGER: _("Collections manager"),
    LPO_PROCESSOR: _("LPO processor"),
    LPO_MANAGER: _("LPO production manager"),
    BRANCH_LENDER: _("Branch lender"),
    UNDERWRITER: _("Home-office underwriter"),
    REPORTING: _("Reporting"),
    ADMIN: _("Admin"),
}

_REGISTER_READ = [
    "loanregister.view_loan",
    "loanregister.view_borrower",
    "loanregister.view_property",
    "loanregister.view_office",
    "loanregister.view_servicer",
    "loanregister.view_registerevent",
    "loanregister.view_servicerassignment",
]

# Working leads (REG-2): an officer works their own; a sales manager sees them all, reassigns them, works the
# unassigned queue, exports them and sees what tonight's radar would do.
_LEADS_WORK = ["loanregister.view_lead", "loanregister.work_lead", "loanregister.view_contactlog"]
_LEADS_MANAGE = _LEADS_WORK + [
    "loanregister.reassign_lead",
    "loanregister.export_leads",
    "loanregister.preview_radar",
    "loanregister.view_staffprofile",
]

# Retention campaigns (issue 10 item 3): the team builds and previews them; a manager freezes and exports them and
# sets the contact governor.
_CAMPAIGN_WORK = [
    "loanregister.view_campaign",
    "loanregister.add_campaign",
    "loanregister.change_campaign",
    "loanregister.view_campaignmember",
]
_CAMPAIGN_MANAGE = _CAMPAIGN_WORK + [
    "loanregister.freeze_campaign",
    "loanregister.export_campaign",
    "loanregister.view_contactgovernor",
    "loanregister.change_contactgovernor",
]

# Permissions by role. Later apps extend this map with their own permissions in their own data migrations.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    LOAN_OFFICER: _REGISTER_READ + ["loanregister.view_contact_details"] + _LEADS_WORK,
    SALES_MANAGER: _REGISTER_READ + ["loanregister.view_contact_details"] + _LEADS_MANAGE,
    RETENTION_TEAM: _REGISTER_READ
    + ["loanregister.export_register", "loanregister.view_contact_details"]
    + _CAMPAIGN_WORK,
    RETENTION_MANAGER: _REGISTER_READ
    + ["loanregister.export_register", "loanregister.view_contact_details", "loanregister.view_contactlog"]
    + _CAMPAIGN_MANAGE,
    SERVICING: _REGISTER_READ
    + [
        "loanregister.view_national_id",
        "loanregister.view_contact_details",
        "loanregister.change_borrower",
        "loanregister.change_loan",
    ],
    COLLECTIONS: _REGISTER_READ + ["loanregister.view_national_id", "loanregister.view_contact_details"],
    # collections adds assigning its queue and approving hardship plans
    COLLECTIONS_MANAGER: _REGISTER_READ
    + ["loanregister.view_national_id", "loanregister.view_contact_details", "loanregister.view_contactlog"],
    LPO_PROCESSOR: ["loanregister.view_office", "loanregister.view_borrower"],
    LPO_MANAGER: ["loanregister.view_office", "loanregister.view_borrower"],
    # origination adds deciding applications and setting terms (LPO-3, LPO-4), and what that needs to see
    BRANCH_LENDER: list(_REGISTER_READ),
    UNDERWRITER: _REGISTER_READ + ["loanregister.view_national_id"],
    REPORTING: _REGISTER_READ,
    ADMIN: _REGISTER_READ
    + [
        "loanregister.add_loan",
        "loanregister.change_loan",
        "loanregister.add_borrower",
        "loanregister.change_borrower",
        "loanregister.add_property",
        "loanregister.change_property",
        "loanregister.add_office",
        "loanregister.change_office",
        "loanregister.add_servicer",
        "loanregister.change_servicer",
        "loanregister.import_loans",
        "loanregister.export_register",
        "loanregister.view_national_id",
        "loanregister.view_contact_details",
        *_LEADS_MANAGE,
        "loanregister.add_staffprofile",
        "loanregister.change_staffprofile",
        "loanregister.delete_staffprofile",
        "loanregister.view_radarhorizon",
        "loanregister.change_radarhorizon",
        "loanregister.view_leaddigest",
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
        "common.view_jobrun",
        "common.view_importrun",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
    ],
}


def user_roles(user) -> list[str]:
    if not user.is_authenticated:
        return []
    return list(user.groups.values_list("name", flat=True))


def sync_role_permissions(apps, role_permissions: dict[str, list[str]]) -> None:
    """Create the groups and add the permissions; used by data migrations (idempotent)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
            group.permissions.add(permission)
