"""The operations page's permissions, and what the `admin` role gets to run operations: the page, starting a nightly
job, the outbox (read, retry) and the nightly schedule in django-celery-beat's admin (issue 10, item 5).

Frozen here as written (a migration must not read today's code). The role groups are made by loanregister's
migrations; the group is fetched by its name (common imports no app of ours), made if it is not there yet.
"""

from django.db import migrations

ADMIN_ROLE = "admin"
PERMISSIONS = [
    ("common", "view_operations"),
    ("common", "run_nightly_job"),
    ("common", "view_outboxmessage"),
    ("common", "change_outboxmessage"),
    ("django_celery_beat", "view_periodictask"),
    ("django_celery_beat", "change_periodictask"),
    ("django_celery_beat", "view_crontabschedule"),
    ("django_celery_beat", "change_crontabschedule"),
    ("django_celery_beat", "add_crontabschedule"),
    ("django_celery_beat", "view_intervalschedule"),
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=ADMIN_ROLE)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0005_outbox"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="jobrun",
            options={
                "ordering": ["-started_at"],
                "permissions": [
                    ("view_operations", "Can see the operations page"),
                    ("run_nightly_job", "Can start a nightly job from the operations page"),
                ],
                "verbose_name": "job run",
                "verbose_name_plural": "job runs",
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
