"""Job runs, import runs and the export log move from loanregister, exchange rates from stats, into the shared
layer. Their tables stay where they are (each model names its old table), so the database is not touched: only
Django's state moves, and the content types with their permissions follow, so groups keep what they were given.
"""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = {"loanregister": ["jobrun", "importrun", "exportlog"], "stats": ["exchangerate"]}


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, models_ in MOVED.items():
        for model in models_:
            if ContentType.objects.filter(app_label="common", model=model).exists():
                continue  # a permission sync after this state change made it already
            ContentType.objects.filter(app_label=app_label, model=model).update(app_label="common")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("loanregister", "0008_register_keyset_include_kind"),
        ("stats", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='ExchangeRate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('rate_date', models.DateField(verbose_name='rate date')),
                ('currency', models.CharField(max_length=3, validators=[django.core.validators.RegexValidator('^[A-Z]{3}$', 'Give an ISO 4217 code of three capital letters, e.g. EUR.')], verbose_name='currency')),
                ('rate', models.DecimalField(decimal_places=6, help_text='As Nationalbanken quotes it, e.g. 746.04 for EUR.', max_digits=18, validators=[django.core.validators.MinValueValidator(0)], verbose_name='DKK per 100 units')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
            ],
            options={
                'verbose_name': 'exchange rate',
                'verbose_name_plural': 'exchange rates',
                'db_table': 'stats_exchangerate',
                'ordering': ['currency', '-rate_date'],
                'constraints': [models.UniqueConstraint(fields=('currency', 'rate_date'), name='one_rate_per_currency_and_date'), models.CheckConstraint(condition=models.Q(('rate__gt', 0)), name='exchange_rate_positive')],
            },
        ),
        migrations.CreateModel(
            name='ExportLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='started')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                ('source', models.CharField(choices=[('web', 'Web'), ('command', 'Command')], default='web', max_length=10, verbose_name='source')),
                ('format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'XLSX')], max_length=10, verbose_name='format')),
                ('dialect', models.CharField(blank=True, max_length=20, verbose_name='CSV dialect')),
                ('filters', models.JSONField(blank=True, default=dict, verbose_name='filter')),
                ('include_do_not_contact', models.BooleanField(default=False, verbose_name='do-not-contact borrowers included')),
                ('with_contact_details', models.BooleanField(default=False, verbose_name='contact details included')),
                ('row_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='rows')),
                ('file_name', models.CharField(max_length=300, verbose_name='file name')),
                ('completed', models.BooleanField(default=False, verbose_name='completed')),
                ('error', models.TextField(blank=True, verbose_name='error')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'export log entry',
                'verbose_name_plural': 'export log',
                'db_table': 'loanregister_exportlog',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ImportRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=40, verbose_name='kind')),
                ('file_name', models.CharField(max_length=300, verbose_name='file')),
                ('started_at', models.DateTimeField(auto_now_add=True, verbose_name='started')),
                ('ok', models.BooleanField(default=False, verbose_name='succeeded')),
                ('rows', models.PositiveIntegerField(default=0, verbose_name='rows')),
                ('created', models.PositiveIntegerField(default=0, verbose_name='created')),
                ('updated', models.PositiveIntegerField(default=0, verbose_name='updated')),
                ('unchanged', models.PositiveIntegerField(default=0, verbose_name='unchanged')),
                ('errors', models.TextField(blank=True, verbose_name='errors')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'import run',
                'verbose_name_plural': 'import runs',
                'db_table': 'loanregister_importrun',
                'ordering': ['-started_at'],
            },
        ),
        migrations.CreateModel(
            name='JobRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('job', models.CharField(max_length=100, verbose_name='job')),
                ('business_date', models.DateField(verbose_name='business date')),
                ('state', models.CharField(choices=[('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='running', max_length=10, verbose_name='state')),
                ('started_at', models.DateTimeField(auto_now_add=True, verbose_name='started')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished')),
                ('result', models.JSONField(blank=True, default=dict, verbose_name='result')),
                ('error', models.TextField(blank=True, verbose_name='error')),
            ],
            options={
                'verbose_name': 'job run',
                'verbose_name_plural': 'job runs',
                'db_table': 'loanregister_jobrun',
                'ordering': ['-started_at'],
                'constraints': [models.UniqueConstraint(fields=('job', 'business_date'), name='one_job_run_per_day')],
            },
        ),
    ]),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
