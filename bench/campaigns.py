"""Benchmark of a campaign's freeze and export, and of the conversion radar, over a seeded book (issue 10). Run by
hand, not in the test suite, against a database that holds a demo book:

    DATABASE_URL=postgres://…/lr_bench .venv/bin/python manage.py seed_demo --loans 200000
    DATABASE_URL=postgres://…/lr_bench .venv/bin/python bench/campaigns.py [--repeat 3]

Everything it writes (offered rates, a user, the campaign and its snapshot, the conversion leads) is in one
transaction rolled back at the end: the book is left as it was. It times, each the median of `--repeat` runs:

- **preview**: the campaign's counts per reason and first rows (`campaign_preview`) for the register's next 12
  months (the campaign a retention manager would make first: the largest);
- **freeze**: `campaign_freeze`, the one `INSERT … SELECT` of every selected loan with its reason and household;
- **export**: the frozen file as CSV (`campaign_export_write`), to /dev/null;
- **conversion**: the conversion radar's `INSERT … SELECT` of its leads (with their history rows), with an offered
  rate 0.75 point under the book's typical rate for every loan type and band.

The figures are in docs/campaigns.md ("What it costs").
"""

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from loanregister.campaigns.export import campaign_export_write
    from loanregister.campaigns.selectors import campaign_counts, campaign_preview
    from loanregister.campaigns.services import campaign_create, campaign_freeze
    from loanregister.leads import conversion
    from loanregister.leads.radar import _with_history
    from loanregister.models import CampaignMember, Loan, OfferedRate, RegisterEvent

    today = timezone.localdate()
    figures: dict[str, list[float]] = {"preview": [], "freeze": [], "export": [], "conversion": []}
    with transaction.atomic():
        user = get_user_model().objects.create(username="bench-campaigns", is_superuser=True, is_staff=True)
        filters = {
            "date_from": [today.isoformat()],
            "date_to": [today.replace(year=today.year + 1).isoformat()],
        }
        rows = selected = 0
        for _ in range(args.repeat):
            campaign = campaign_create(name="bench", channel="mailing", filters=filters, user=user)
            start = time.perf_counter()
            preview = campaign_preview(campaign=campaign, on=today)
            figures["preview"].append(time.perf_counter() - start)
            start = time.perf_counter()
            rows = campaign_freeze(campaign=campaign, user=user, on=today)
            figures["freeze"].append(time.perf_counter() - start)
            selected = campaign_counts(campaign=campaign).selected
            assert preview.counts.rows == rows
            with open(os.devnull, "wb") as out:
                start = time.perf_counter()
                campaign_export_write(campaign=campaign, out=out, fmt="csv", user=user)
                figures["export"].append(time.perf_counter() - start)
        typical = (
            Loan.objects.filter(status="active").order_by().values_list("interest_rate", flat=True)[:1000]
        )
        rate = statistics.median(typical) - Decimal("0.75")
        for loan_type in ("fixed", "adjustable", "capped_floating", "index_linked"):
            for years in (10, 20, 30):
                OfferedRate.objects.create(loan_type=loan_type, max_years=years, rate=rate)
        statement = _with_history(conversion.CREATE_STATEMENT, "+")
        created = 0
        for _ in range(args.repeat):
            with transaction.atomic(), connection.cursor() as cursor:
                start = time.perf_counter()
                cursor.execute(
                    statement,
                    {"day": today, "now": timezone.now(), "reason": "bench", "user": user.pk},
                )
                figures["conversion"].append(time.perf_counter() - start)
                created = cursor.rowcount
                transaction.set_rollback(True)
        loans = Loan.objects.count()
        events = RegisterEvent.objects.count()
        members = CampaignMember.objects.count()
        transaction.set_rollback(True)
    print(f"book: {loans:,} loans, {events:,} register events; offered rate {rate} % for every type and band")
    print(
        f"campaign: {selected:,} loans selected, {rows:,} rows in its file ({members:,} members over the runs)"
    )
    print(f"conversion radar: {created:,} leads")
    for name, values in figures.items():
        print(
            f"{name:>10}: median {statistics.median(values):.2f} s  (runs: {', '.join(f'{v:.2f}' for v in values)})"
        )


if __name__ == "__main__":
    main()
