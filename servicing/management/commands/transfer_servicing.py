"""Transfer the servicing of loans to another servicer (REG-4), in one step: the same service as the web page."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from loanregister.models import Office, Servicer
from servicing.transfers import parse_loan_numbers, servicing_transfer


class Command(BaseCommand):
    help = (
        "Move loans to another servicer on an effective date: --to CODE --date D "
        "(--loans L1,L2 | --from-servicer CODE [--office CODE])."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, help="Code of the new servicer.")
        parser.add_argument("--date", required=True, help="Effective date YYYY-MM-DD.")
        parser.add_argument("--loans", help="Loan numbers, comma-separated.")
        parser.add_argument("--from-servicer", help="Move the active loans of this servicer (code).")
        parser.add_argument("--office", help="Only loans of this office (code).")
        parser.add_argument(
            "--reason", default="", help="Why (servicing rights sold, servicer bankrupt, ...)."
        )
        parser.add_argument("--user", help="Username recorded as having made the transfer.")

    def handle(self, *args, **options):
        if not options["loans"] and not options["from_servicer"] and not options["office"]:
            raise CommandError("give --loans, or --from-servicer and/or --office")
        if options["loans"] and (options["from_servicer"] or options["office"]):
            raise CommandError("give either --loans or a filter (--from-servicer/--office), not both")
        try:
            effective_date = datetime.date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        to_servicer = self._get(Servicer, options["to"], "--to")
        from_servicer = self._get(Servicer, options["from_servicer"], "--from-servicer")
        office = self._get(Office, options["office"], "--office")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"--user: no user {options['user']!r}")
        try:
            transfer = servicing_transfer(
                to_servicer=to_servicer,
                effective_date=effective_date,
                user=user,
                loan_numbers=parse_loan_numbers(options["loans"] or ""),
                from_servicer=from_servicer,
                office=office,
                reason=options["reason"],
            )
        except ValidationError as exc:
            lines = [
                f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages
            ]
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(
            f"transfer {transfer.pk}: {transfer.loan_count} loan(s) to {to_servicer.code} "
            f"from {effective_date}, {transfer.loan_count} notice(s)"
        )

    def _get(self, model, code: str | None, option: str):
        if not code:
            return None
        found = model.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"{option}: no {model._meta.verbose_name} with code {code!r}")
        return found
