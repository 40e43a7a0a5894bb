"""JobRun, ImportRun and ExportLog now belong to common (common 0001); their tables stay."""

from django.db import migrations


def drop_stale_content_types(apps, schema_editor):
    """A permission sync that ran between common 0001 and this migration may have made the old content types
    again; the models live in common now."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="loanregister", model__in=['jobrun', 'importrun', 'exportlog']).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('loanregister', '0008_register_keyset_include_kind'),
        ('common', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.RemoveField(
            model_name='exportlog',
            name='user',
        ),
        migrations.RemoveField(
            model_name='importrun',
            name='user',
        ),
        migrations.DeleteModel(
            name='JobRun',
        ),
        migrations.DeleteModel(
            name='ExportLog',
        ),
        migrations.DeleteModel(
            name='ImportRun',
        ),
    ]),
        migrations.RunPython(drop_stale_content_types, migrations.RunPython.noop),
    ]
