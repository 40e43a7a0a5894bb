"""Indexes for the admin's changelists of postings and payment notices at a million loans
(common.admin.BigTableAdmin; docs/benchmarks.md, "Django admin at a million loans").

Built with CREATE INDEX CONCURRENTLY (no lock against writes while they build), so outside a transaction. The
ledger's index by loan gains INCLUDE columns (the admin's filters) under a new name, then the old one goes.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("servicing", "0009_servicing_transfer_scheduled"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="posting",
            index=models.Index(
                fields=["loan", "effective_date", "id"],
                include=("kind", "currency", "debit_account", "credit_account"),
                name="posting_loan_date_list",
            ),
        ),
        RemoveIndexConcurrently(model_name="posting", name="posting_loan_date"),
        AddIndexConcurrently(
            model_name="posting", index=models.Index(fields=["currency"], name="posting_currency")
        ),
        AddIndexConcurrently(
            model_name="posting", index=models.Index(fields=["debit_account"], name="posting_debit_account")
        ),
        AddIndexConcurrently(
            model_name="posting", index=models.Index(fields=["credit_account"], name="posting_credit_account")
        ),
        AddIndexConcurrently(
            model_name="paymentnotice",
            index=models.Index(
                fields=["-due_date", "loan"],
                include=("id", "state", "channel", "currency", "language"),
                name="payment_notice_admin_list",
            ),
        ),
        AddIndexConcurrently(
            model_name="paymentnotice", index=models.Index(fields=["state"], name="payment_notice_state")
        ),
        AddIndexConcurrently(
            model_name="paymentnotice", index=models.Index(fields=["channel"], name="payment_notice_channel")
        ),
        AddIndexConcurrently(
            model_name="paymentnotice",
            index=models.Index(fields=["currency"], name="payment_notice_currency"),
        ),
        AddIndexConcurrently(
            model_name="paymentnotice",
            index=models.Index(fields=["language"], name="payment_notice_language"),
        ),
    ]
