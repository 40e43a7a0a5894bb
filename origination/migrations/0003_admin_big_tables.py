"""Indexes for the admin's changelists of applications and their records, which pass 100,000 rows within a year
or two at a million loans (common.admin.BigTableAdmin; docs/benchmarks.md, "Django admin at a million loans"):
the applications' list order and each filter in its list's order, so a filter's bounded count and its deepest
page are a range of one index. Built concurrently, outside a transaction."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("origination", "0002_numbers_and_roles"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="application",
            index=models.Index(fields=["created_at", "id"], name="application_admin_list"),
        ),
        AddIndexConcurrently(
            model_name="application",
            index=models.Index(fields=["state", "created_at", "id"], name="application_state_list"),
        ),
        AddIndexConcurrently(
            model_name="applicant",
            index=models.Index(fields=["position", "id"], name="applicant_position_list"),
        ),
        AddIndexConcurrently(
            model_name="applicationdocument",
            index=models.Index(fields=["check_state", "id"], name="application_doc_check_list"),
        ),
        AddIndexConcurrently(
            model_name="applicationtransition",
            index=models.Index(fields=["to_state", "id"], name="application_transition_to"),
        ),
        AddIndexConcurrently(
            model_name="applicationtransition",
            index=models.Index(fields=["from_state", "id"], name="application_transition_from"),
        ),
    ]
