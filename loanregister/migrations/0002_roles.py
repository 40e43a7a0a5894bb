from django.db import migrations


def create_roles(apps, schema_editor):
    from loanregister.roles import ROLE_PERMISSIONS, sync_role_permissions

    sync_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("loanregister", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
