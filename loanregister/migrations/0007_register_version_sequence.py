from django.db import migrations

# Self-contained copy of loanregister.register_cache.SEQUENCE (later code may change).
SEQUENCE = "loanregister_register_version"


def create_sequence(apps, schema_editor):
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")


def drop_sequence(apps, schema_editor):
    schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        ("loanregister", "0006_register_search_indexes"),
    ]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
