"""Who may do what with the ledger (SRV-1, SRV-4): servicing posts payments, reverses postings and issues payoff
statements; collections reads the ledger and the statements; admins may do all of it."""

from django.db import migrations

_READ = ["servicing.view_posting", "servicing.view_payoffstatement", "servicing.view_paymentwaterfall"]
_SERVICING = _READ + ["servicing.add_posting", "servicing.reverse_posting", "servicing.add_payoffstatement"]


def add_permissions(apps, schema_editor):
    from loanregister.roles import sync_role_permissions

    sync_role_permissions(
        apps,
        {
            "servicing": _SERVICING,
            "collections": _READ,
            "admin": _SERVICING
            + [
                "servicing.add_paymentwaterfall",
                "servicing.change_paymentwaterfall",
                "servicing.delete_paymentwaterfall",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0006_notices_permissions"),
        ("loanregister", "0002_roles"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
