"""The borrower's do-not-contact mark copied onto the register events, with a partial index of those events
(issue 9: the register page's export note counts them without joining every event of the window)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("loanregister", "0020_register_day_sums"),
    ]

    operations = [
        migrations.AddField(
            model_name="registerevent",
            name="borrower_do_not_contact",
            field=models.BooleanField(default=False, verbose_name="borrower do not contact"),
        ),
        migrations.RunSQL(
            "UPDATE loanregister_registerevent e SET borrower_do_not_contact = true"
            " FROM loanregister_borrower b WHERE b.id = e.borrower_id AND b.do_not_contact",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="registerevent",
            index=models.Index(
                condition=models.Q(("borrower_do_not_contact", True)),
                fields=["event_date", "id"],
                include=(
                    "borrower",
                    "kind",
                    "loan_type",
                    "currency",
                    "status",
                    "recourse",
                    "office",
                    "officer",
                    "servicer",
                    "outstanding_balance",
                ),
                name="register_event_dnc",
            ),
        ),
    ]
