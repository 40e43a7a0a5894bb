"""The register's maintained aggregate (loanregister/register_sums.py) filled from the events, and the database
cache's table (config/settings.py CACHES: the embedded default's shared cache), both for issue 9."""

from django.db import migrations, models

CACHE_TABLE = "register_cache"


def create_cache_table(apps, schema_editor):
    # What `createcachetable` does for a DatabaseCache named CACHE_TABLE, whatever CACHES says now: a database
    # that later runs without Redis finds its table. Nothing when it exists.
    from django.core.management.commands.createcachetable import Command

    command = Command()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {CACHE_TABLE}")


def fill_sums(apps, schema_editor):
    # Frozen SQL, not register_sums.rebuild: the aggregate's key as it was at this migration (0024 adds a column).
    schema_editor.execute(
        "INSERT INTO loanregister_registerdaysum"
        " (event_date, kind, currency, loan_type, office_id, servicer_id, recourse, status, events, balance)"
        " SELECT event_date, kind, currency, loan_type, COALESCE(office_id, 0), COALESCE(servicer_id, 0),"
        " recourse, status, COUNT(*), SUM(outstanding_balance)"
        " FROM loanregister_registerevent GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("loanregister", "0017_loan_origin_lead"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegisterDaySum",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("event_date", models.DateField(verbose_name="event date")),
                ("kind", models.CharField(max_length=20, verbose_name="event")),
                ("currency", models.CharField(max_length=3, verbose_name="currency")),
                ("loan_type", models.CharField(max_length=20, verbose_name="loan type")),
                ("office_id", models.BigIntegerField(verbose_name="office")),
                ("servicer_id", models.BigIntegerField(verbose_name="servicer")),
                ("recourse", models.BooleanField(verbose_name="recourse")),
                ("status", models.CharField(max_length=20, verbose_name="status")),
                ("events", models.BigIntegerField(verbose_name="events")),
                (
                    "balance",
                    models.DecimalField(decimal_places=2, max_digits=24, verbose_name="outstanding balance"),
                ),
            ],
            options={
                "verbose_name": "register day sum",
                "verbose_name_plural": "register day sums",
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "event_date",
                            "kind",
                            "currency",
                            "loan_type",
                            "office_id",
                            "servicer_id",
                            "recourse",
                            "status",
                        ),
                        include=("events", "balance"),
                        name="register_day_sum_key",
                    )
                ],
            },
        ),
        migrations.RunPython(fill_sums, migrations.RunPython.noop),
        migrations.RunPython(create_cache_table, drop_cache_table),
    ]
