"""The admin's posting filters as indexes in the list's order, (filter column, loan, effective_date, id)
(common.admin.BigTableAdmin): a deep page of a kind, currency or account of a few per cent read all its postings to
sort them (0.1 s at two million postings); now it is a range of one index. Built concurrently, outside a
transaction, before the single-column indexes they replace go."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("servicing", "0011_notice_admin_filter_lists"),
    ]

    operations = [
        *(
            AddIndexConcurrently(
                model_name="posting",
                index=models.Index(fields=[column, "loan", "effective_date", "id"], name=name),
            )
            for column, name in [
                ("kind", "posting_kind_list"),
                ("currency", "posting_currency_list"),
                ("debit_account", "posting_debit_list"),
                ("credit_account", "posting_credit_list"),
            ]
        ),
        RemoveIndexConcurrently(model_name="posting", name="posting_currency"),
        RemoveIndexConcurrently(model_name="posting", name="posting_debit_account"),
        RemoveIndexConcurrently(model_name="posting", name="posting_credit_account"),
    ]
