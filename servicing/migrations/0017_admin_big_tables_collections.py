"""Indexes for the admin's changelists of the servicing tables that later issues added and that pass 100,000 rows
at a million loans: reminders, collections contacts, promises to pay, the delinquency, payoff statements and
transfer notices (common.admin.BigTableAdmin; docs/benchmarks.md, "Django admin at a million loans").

Each is a filter's column followed by the list's order (or the order itself), so that a filter's bounded count
and its deepest page are a range of one index. Built with CREATE INDEX CONCURRENTLY (no lock against the nightly
runs' writes while they build), so outside a transaction.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("servicing", "0016_paymentnotice_plan_payment"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="reminder", index=models.Index(fields=["state", "id"], name="reminder_state_list")
        ),
        AddIndexConcurrently(
            model_name="reminder", index=models.Index(fields=["channel", "id"], name="reminder_channel_list")
        ),
        AddIndexConcurrently(
            model_name="collectionscontact",
            index=models.Index(
                fields=["id"], condition=Q(reminder__isnull=True), name="collections_contact_by_hand"
            ),
        ),
        AddIndexConcurrently(
            model_name="promisetopay", index=models.Index(fields=["due_on", "id"], name="promise_admin_list")
        ),
        AddIndexConcurrently(
            model_name="promisetopay",
            index=models.Index(fields=["state", "due_on", "id"], name="promise_state_list"),
        ),
        AddIndexConcurrently(
            model_name="loandelinquency",
            index=models.Index(fields=["days_past_due", "loan"], name="delinquency_admin_list"),
        ),
        AddIndexConcurrently(
            model_name="loandelinquency",
            index=models.Index(
                fields=["currency", "days_past_due", "loan"], name="delinquency_currency_list"
            ),
        ),
        AddIndexConcurrently(
            model_name="payoffstatement",
            index=models.Index(fields=["issued_at", "id"], name="payoff_admin_list"),
        ),
        AddIndexConcurrently(
            model_name="payoffstatement",
            index=models.Index(fields=["currency", "issued_at", "id"], name="payoff_currency_list"),
        ),
        AddIndexConcurrently(
            model_name="transfernotice",
            index=models.Index(fields=["channel", "id"], name="transfer_notice_channel_list"),
        ),
        AddIndexConcurrently(
            model_name="transfernotice",
            index=models.Index(fields=["language", "id"], name="transfer_notice_lang_list"),
        ),
        AddIndexConcurrently(
            model_name="transfernotice",
            index=models.Index(fields=["new_servicer", "id"], name="transfer_notice_servicer_list"),
        ),
    ]
