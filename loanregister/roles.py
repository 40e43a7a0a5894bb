"""The roles of docs/requirements.md as Django groups, with the permissions each needs."""

from django.utils.translation import gettext_lazy as _

LOAN_OFFICER = "loan_officer"
RETENTION_TEAM = "retention_team"
SERVICING = "servicing"
COLLECTIONS = "collections"
LPO_PROCESSOR = "lpo_processor"
LPO_MANAGER = "lpo_manager"
UNDERWRITER = "home_office_underwriter"
REPORTING = "reporting"
ADMIN = "admin"

ROLE_LABELS = {
    LOAN_OFFICER: _("Loan officer"),
    RETENTION_TEAM: _("Retention team"),
    SERVICING: _("Servicing"),
    COLLECTIONS: _("Collections"),
    LPO_PROCESSOR: _("LPO processor"),
    LPO_MANAGER: _("LPO production manager"),
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

# Permissions by role. Later apps extend this map with their own permissions in their own data migrations.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    LOAN_OFFICER: _REGISTER_READ + ["loanregister.view_contact_details"],
    RETENTION_TEAM: _REGISTER_READ + ["loanregister.export_register", "loanregister.view_contact_details"],
    SERVICING: _REGISTER_READ
    + [
        "loanregister.view_national_id",
        "loanregister.view_contact_details",
        "loanregister.change_borrower",
        "loanregister.change_loan",
    ],
    COLLECTIONS: _REGISTER_READ + ["loanregister.view_national_id", "loanregister.view_contact_details"],
    LPO_PROCESSOR: ["loanregister.view_office", "loanregister.view_borrower"],
    LPO_MANAGER: ["loanregister.view_office", "loanregister.view_borrower"],
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
