"""Servicing staff and admins read payment notices and the mail room's letter batches (SRV-2)."""

from django.db import migrations


def add_permissions(apps, schema_editor):
    from loanregister.roles import sync_role_permissions

    sync_role_permissions(
        apps,
        {
            "servicing": ["servicing.view_paymentnotice"],
            "collections": ["servicing.view_paymentnotice"],
            "admin": ["servicing.view_paymentnotice"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0005_notices"),
        ("loanregister", "0002_roles"),
    ]

    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
