"""The reporting role views, closes, reopens and recomputes the statistics; the admin role too, and reads the
computations and the property category history in the admin."""

from django.db import migrations

REPORTING = [
    "stats.view_statistics",
    "stats.close_statistics",
    "stats.view_computation",
    "stats.view_figure",
    "stats.view_statsmonth",
]
ADMIN = REPORTING + ["servicing.view_propertycategorychange"]


def load(apps, schema_editor):
    from loanregister.roles import sync_role_permissions

    sync_role_permissions(apps, {"reporting": REPORTING, "admin": ADMIN})


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0003_lending_statistics"),
        ("servicing", "0013_propertycategorychange"),
        ("loanregister", "0002_roles"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
