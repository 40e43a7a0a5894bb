"""Indexes for the admin's changelists of the export, import and job logs (common.admin.BigTableAdmin): their
order, the import kinds and the searches by file name. Built concurrently, outside a transaction."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("common", "0003_exportlog_kind"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="exportlog",
            index=models.Index(fields=["created_at", "id"], name="export_log_created"),
        ),
        AddIndexConcurrently(
            model_name="exportlog",
            index=models.Index(
                fields=["file_name"], name="export_log_file_name", opclasses=["varchar_pattern_ops"]
            ),
        ),
        AddIndexConcurrently(
            model_name="importrun",
            index=models.Index(fields=["started_at", "id"], name="import_run_started"),
        ),
        AddIndexConcurrently(
            model_name="importrun",
            index=models.Index(fields=["kind", "started_at", "id"], name="import_run_kind"),
        ),
        AddIndexConcurrently(
            model_name="importrun",
            index=models.Index(
                fields=["file_name"], name="import_run_file_name", opclasses=["varchar_pattern_ops"]
            ),
        ),
        AddIndexConcurrently(
            model_name="jobrun",
            index=models.Index(fields=["started_at", "id"], name="job_run_started"),
        ),
    ]
