"""The register's aggregate gains a balance band (loanregister/register_sums.py BALANCE_EDGES), so that a balance
bound on a band's edge (e.g. "balance from 1,000,000") is answered from it instead of every event of the window
(issue 9, target 2). The aggregate is rebuilt from the events before its key's index is made again."""

from django.db import migrations, models


# Frozen copies of register_sums.BALANCE_EDGES and the key as they were at this migration: a later migration that
# changes them rebuilds the aggregate itself.
_BAND = (
    "width_bucket(outstanding_balance, '{0,1000,2000,2500.0,5000,10000,20000,25000.0,50000,100000,200000,250000.0,"
    "500000,1000000,2000000,2500000.0,5000000,10000000,20000000,25000000.0,50000000,100000000}'::numeric[])::smallint"
)


def rebuild_sums(apps, schema_editor):
    schema_editor.execute("DELETE FROM loanregister_registerdaysum")
    schema_editor.execute(
        "INSERT INTO loanregister_registerdaysum (event_date, kind, currency, loan_type, office_id, servicer_id,"
        " recourse, status, balance_band, events, balance)"
        " SELECT event_date, kind, currency, loan_type, COALESCE(office_id, 0), COALESCE(servicer_id, 0),"
        f" recourse, status, {_BAND}, COUNT(*), SUM(outstanding_balance)"
        " FROM loanregister_registerevent GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
    )


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
