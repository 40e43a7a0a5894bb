"""Indexes for the admin's changelists at a million loans (common.admin.BigTableAdmin; docs/benchmarks.md,
"Django admin at a million loans").

Each is built with CREATE INDEX CONCURRENTLY, which does not lock the table against writes while it builds (some
seconds each on a million rows), so the migration runs outside a transaction (atomic = False). The covering index
loan_admin_list leads with maturity_date and replaces that column's own index; the servicer assignments' two
indexes lead with loan and servicer and replace those foreign keys' own.
"""

import django.db.models.deletion
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("loanregister", "0013_radar_horizons_and_lead_roles"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="loan",
            index=models.Index(
                fields=["maturity_date", "id"],
                include=("status", "loan_type", "currency", "amortization", "recourse", "office", "servicer"),
                name="loan_admin_list",
            ),
        ),
        AddIndexConcurrently(model_name="loan", index=models.Index(fields=["status"], name="loan_status")),
        AddIndexConcurrently(
            model_name="loan", index=models.Index(fields=["loan_type"], name="loan_loan_type")
        ),
        AddIndexConcurrently(
            model_name="loan", index=models.Index(fields=["currency"], name="loan_currency")
        ),
        AddIndexConcurrently(
            model_name="loan", index=models.Index(fields=["amortization"], name="loan_amortization")
        ),
        AddIndexConcurrently(
            model_name="loan", index=models.Index(fields=["recourse"], name="loan_recourse")
        ),
        migrations.AlterField(
            model_name="historicalloan",
            name="maturity_date",
            field=models.DateField(verbose_name="maturity date"),
        ),
        migrations.AlterField(
            model_name="loan",
            name="maturity_date",
            field=models.DateField(verbose_name="maturity date"),
        ),
        AddIndexConcurrently(
            model_name="borrower",
            index=models.Index(
                fields=["name", "id"],
                include=("do_not_contact", "preferred_language"),
                name="borrower_admin_list",
            ),
        ),
        AddIndexConcurrently(
            model_name="borrower",
            index=models.Index(
                fields=["email"], name="borrower_email_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ),
        AddIndexConcurrently(
            model_name="borrower",
            index=models.Index(fields=["do_not_contact"], name="borrower_do_not_contact"),
        ),
        AddIndexConcurrently(
            model_name="borrower",
            index=models.Index(fields=["preferred_language"], name="borrower_language"),
        ),
        AddIndexConcurrently(
            model_name="property", index=models.Index(fields=["category"], name="property_category")
        ),
        AddIndexConcurrently(
            model_name="property", index=models.Index(fields=["jurisdiction"], name="property_jurisdiction")
        ),
        AddIndexConcurrently(
            model_name="property",
            index=models.Index(
                fields=["address"], name="property_address_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ),
        AddIndexConcurrently(
            model_name="servicerassignment",
            index=models.Index(fields=["loan", "since", "id"], name="servicer_assignment_list"),
        ),
        migrations.AlterField(
            model_name="servicerassignment",
            name="loan",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="servicer_assignments",
                to="loanregister.loan",
            ),
        ),
        AddIndexConcurrently(
            model_name="servicerassignment",
            index=models.Index(fields=["servicer", "loan", "since", "id"], name="servicer_assignment_admin"),
        ),
        migrations.AlterField(
            model_name="servicerassignment",
            name="servicer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="assignments",
                to="loanregister.servicer",
            ),
        ),
    ]
