"""The register's aggregate gains a balance band (loanregister/register_sums.py BALANCE_EDGES), so that a balance
bound on a band's edge (e.g. "balance from 1,000,000") is answered from it instead of every event of the window
(issue 9, target 2). The aggregate is rebuilt from the events before its key's index is made again."""

from django.db import migrations, models


def rebuild_sums(apps, schema_editor):
    from loanregister import register_sums

    with schema_editor.connection.cursor() as cursor:
        register_sums.rebuild(cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("loanregister", "0023_merge_20261129_1225"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="registerdaysum",
            name="register_day_sum_key",
        ),
        migrations.AddField(
            model_name="registerdaysum",
            name="balance_band",
            field=models.SmallIntegerField(default=0, verbose_name="balance band"),
        ),
        migrations.RunPython(rebuild_sums, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="registerdaysum",
            constraint=models.UniqueConstraint(
                fields=(
                    "event_date",
                    "kind",
                    "currency",
                    "loan_type",
                    "office_id",
                    "servicer_id",
                    "recourse",
                    "status",
                    "balance_band",
                ),
                include=("events", "balance"),
                name="register_day_sum_key",
            ),
        ),
    ]
