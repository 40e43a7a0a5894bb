"""ExchangeRate now belongs to common (common 0001); its table stays."""

from django.db import migrations


def drop_stale_content_types(apps, schema_editor):
    """A permission sync that ran between common 0001 and this migration may have made the old content types
    again; the models live in common now."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="stats", model__in=['exchangerate']).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0001_initial'),
        ('common', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.DeleteModel(
            name='ExchangeRate',
        ),
    ]),
        migrations.RunPython(drop_stale_content_types, migrations.RunPython.noop),
    ]
