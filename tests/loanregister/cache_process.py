"""A second process for tests/loanregister/test_register_cache.py: reads the register's totals, or moves a loan,
with the settings and database the test gives it through the environment, and prints what it saw as JSON.

    python -m tests.loanregister.cache_process totals
    python -m tests.loanregister.cache_process move LOAN_ID YYYY-MM-DD
"""

import json
import os
import sys

# A filter the maintained aggregate does not answer (a balance bound off its bands' edges, register_sums.BALANCE_EDGES):
# its sums are computed over the events and cached.
EXACT = {"balance_min": "1"}


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from loanregister import register
    from loanregister.models import Loan
    from loanregister.services import register_events_sync

    if argv[0] == "totals":
        filterset = register.register_filterset(data=EXACT)
        events = register.register_events(filterset=filterset)
        with CaptureQueriesContext(connection) as captured:
            totals = register.register_totals(queryset=events, filterset=filterset)
        computed = any("filtered.event_date" in q["sql"] for q in captured.captured_queries)
        print(json.dumps({"events": totals.events, "computed": computed}))
    elif argv[0] == "move":
        Loan.objects.filter(pk=int(argv[1])).update(maturity_date=argv[2])
        register_events_sync(loan_ids=[int(argv[1])])
        print(json.dumps({"moved": int(argv[1])}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
