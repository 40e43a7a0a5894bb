"""Staff and offices, the contact log, radar horizons, leads and their digests (issue 10; docs/requirements.md §5)."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('loanregister', '0011_servicer_one_own'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ContactLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(choices=[('phone', 'Phone'), ('email', 'E-mail'), ('letter', 'Letter'), ('sms', 'SMS'), ('meeting', 'Meeting')], max_length=10, verbose_name='channel')),
                ('direction', models.CharField(choices=[('out', 'Outgoing'), ('in', 'Incoming')], max_length=3, verbose_name='direction')),
                ('purpose', models.CharField(choices=[('marketing', 'Marketing'), ('servicing', 'Servicing'), ('collections', 'Collections')], max_length=20, verbose_name='purpose')),
                ('contacted_on', models.DateField(verbose_name='date')),
                ('outcome', models.CharField(choices=[('reached', 'Reached the borrower'), ('no_answer', 'No answer'), ('message_left', 'Message left'), ('sent', 'Sent'), ('wrong_contact', 'Wrong number or address')], max_length=20, verbose_name='outcome')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('recorded_at', models.DateTimeField(auto_now_add=True, verbose_name='recorded')),
            ],
            options={
                'verbose_name': 'contact',
                'verbose_name_plural': 'contact log',
                'ordering': ['-contacted_on', '-id'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalLead',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('event', models.CharField(choices=[('maturity', 'Maturity'), ('rate_reset', 'Rate reset'), ('interest_only_end', 'End of interest-only')], max_length=20, verbose_name='event')),
                ('event_date', models.DateField(verbose_name='event date')),
                ('status', models.CharField(choices=[('new', 'New'), ('contacted', 'Contacted'), ('offer_made', 'Offer made'), ('won', 'Won'), ('lost', 'Lost'), ('not_interested', 'Not interested'), ('obsolete', 'Obsolete')], default='new', max_length=20, verbose_name='status')),
                ('found_on', models.DateField(help_text='The business date the radar found it.', verbose_name='found on')),
                ('closed_on', models.DateField(blank=True, null=True, verbose_name='closed on')),
                ('status_changed_at', models.DateTimeField(verbose_name='status changed')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='created')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical lead',
                'verbose_name_plural': 'historical leads',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Lead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.CharField(choices=[('maturity', 'Maturity'), ('rate_reset', 'Rate reset'), ('interest_only_end', 'End of interest-only')], max_length=20, verbose_name='event')),
                ('event_date', models.DateField(verbose_name='event date')),
                ('status', models.CharField(choices=[('new', 'New'), ('contacted', 'Contacted'), ('offer_made', 'Offer made'), ('won', 'Won'), ('lost', 'Lost'), ('not_interested', 'Not interested'), ('obsolete', 'Obsolete')], default='new', max_length=20, verbose_name='status')),
                ('found_on', models.DateField(help_text='The business date the radar found it.', verbose_name='found on')),
                ('closed_on', models.DateField(blank=True, null=True, verbose_name='closed on')),
                ('status_changed_at', models.DateTimeField(verbose_name='status changed')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
            ],
            options={
                'verbose_name': 'lead',
                'verbose_name_plural': 'leads',
                'ordering': ['event_date', 'id'],
                'permissions': [('work_lead', 'Can work own leads: log contacts, move their status'), ('reassign_lead', 'Can see every lead, reassign leads and work the unassigned queue'), ('export_leads', 'Can export leads'), ('preview_radar', "Can see what tonight's maturity radar would do")],
            },
        ),
        migrations.CreateModel(
            name='LeadDigest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('business_date', models.DateField(verbose_name='business date')),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed')], default='pending', max_length=10, verbose_name='state')),
                ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                ('error', models.TextField(blank=True, verbose_name='error')),
            ],
            options={
                'verbose_name': 'lead digest',
                'verbose_name_plural': 'lead digests',
                'ordering': ['-business_date', 'officer'],
            },
        ),
        migrations.CreateModel(
            name='RadarHorizon',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event', models.CharField(choices=[('maturity', 'Maturity'), ('rate_reset', 'Rate reset'), ('interest_only_end', 'End of interest-only')], max_length=20, unique=True, verbose_name='event')),
                ('days', models.PositiveSmallIntegerField(help_text='A loan whose event falls between the business date and this many days later becomes a lead.', validators=[django.core.validators.MaxValueValidator(3650)], verbose_name='days ahead')),
            ],
            options={
                'verbose_name': 'radar horizon',
                'verbose_name_plural': 'radar horizons',
                'ordering': ['event'],
            },
        ),
        migrations.CreateModel(
            name='StaffProfile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ],
            options={
                'verbose_name': 'staff profile',
                'verbose_name_plural': 'staff profiles',
                'ordering': ['office', 'user'],
            },
        ),
        migrations.AddField(
            model_name='office',
            name='default_officer',
            field=models.ForeignKey(blank=True, help_text="Gets the leads of this office's loans that have no responsible officer.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='default loan officer'),
        ),
        migrations.AddField(
            model_name='contactlog',
            name='borrower',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='loanregister.borrower', verbose_name='borrower'),
        ),
        migrations.AddField(
            model_name='contactlog',
            name='loan',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='loanregister.loan', verbose_name='loan'),
        ),
        migrations.AddField(
            model_name='contactlog',
            name='user',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='who'),
        ),
        migrations.AddField(
            model_name='historicallead',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicallead',
            name='loan',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='loanregister.loan', verbose_name='loan'),
        ),
        migrations.AddField(
            model_name='historicallead',
            name='officer',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='officer'),
        ),
        migrations.AddField(
            model_name='lead',
            name='loan',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='leads', to='loanregister.loan', verbose_name='loan'),
        ),
        migrations.AddField(
            model_name='lead',
            name='officer',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='leads', to=settings.AUTH_USER_MODEL, verbose_name='officer'),
        ),
        migrations.AddField(
            model_name='contactlog',
            name='lead',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='contacts', to='loanregister.lead', verbose_name='lead'),
        ),
        migrations.AddField(
            model_name='leaddigest',
            name='officer',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='officer'),
        ),
        migrations.AddField(
            model_name='lead',
            name='digest',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='leads', to='loanregister.leaddigest', verbose_name='digest'),
        ),
        migrations.AddField(
            model_name='staffprofile',
            name='office',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='staff', to='loanregister.office', verbose_name='office'),
        ),
        migrations.AddField(
            model_name='staffprofile',
            name='user',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='staff_profile', to=settings.AUTH_USER_MODEL, verbose_name='user'),
        ),
        migrations.AddIndex(
            model_name='contactlog',
            index=models.Index(fields=['borrower', 'purpose', 'contacted_on'], name='contact_borrower_purpose_date'),
        ),
        migrations.AddConstraint(
            model_name='leaddigest',
            constraint=models.UniqueConstraint(fields=('officer', 'business_date'), name='one_lead_digest_per_officer_and_day'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['officer', 'status', 'event_date'], name='lead_officer_status_date'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['status', 'event_date'], name='lead_status_date'),
        ),
        migrations.AddIndex(
            model_name='lead',
            index=models.Index(fields=['loan', 'event', 'event_date'], name='lead_loan_event_date'),
        ),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['new', 'contacted', 'offer_made'])), fields=('loan', 'event'), name='one_open_lead_per_loan_and_event'),
        ),
        migrations.AddConstraint(
            model_name='lead',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['new', 'contacted', 'offer_made']), ('closed_on__isnull', True)), models.Q(models.Q(('status__in', ['new', 'contacted', 'offer_made']), _negated=True), ('closed_on__isnull', False)), _connector='OR'), name='lead_closed_on_when_closed'),
        ),
    ]
