"""`lending_stats --month YYYY-MM [--format csv|json] [--recompute] [--reconcile]` (issue 13 item 2)."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from common.models import ExchangeRate, ExportLog
from stats.figures import Month
from stats.services import month_close

from .support import D, loan, opening, post, prop

pytestmark = pytest.mark.django_db
HEADER = (
    "month,property_category,loan_type,gross_lending,transfers,extraordinary_redemptions,net_new_lending,"
    "ordinary_repayments,net_lending,bond_debt_outstanding"
)


def run(*args) -> str:
    out = io.StringIO()
    call_command("lending_stats", *args, stdout=out)
    return out.getvalue()


def _book():
    home = prop("P1", "owner_occupied")
    old = loan("OLD", on=home)
    opening(old, "200000.00")
    new = loan("NEW", on=prop("P2", "agriculture"), loan_type="adjustable")
    post(new, "disbursement", "100000.00", D(2026, 4, 1), price="98.00")
    post(old, "redemption", "50000.00", D(2026, 4, 1), price="99.50")
    return old, new


def test_csv_has_the_exact_header_and_one_row_per_cell_in_design_order():
    _book()
    lines = run("--month", "2026-04").splitlines()
    assert lines == [
        HEADER,
        "2026-04,owner_occupied,fixed,0.00,0.00,49750.00,-49750.00,0.00,-49750.00,150000.00",
        "2026-04,agriculture,adjustable,98000.00,0.00,0.00,98000.00,0.00,98000.00,100000.00",
    ]
    log = ExportLog.objects.get()
    assert (log.kind, log.source, log.row_count, log.filters["month"]) == (
        "statistics",
        "command",
        2,
        "2026-04",
    )


def test_json_is_a_list_of_objects_with_the_same_keys_and_amounts_as_strings():
    _book()
    records = json.loads(run("--month", "2026-04", "--format", "json"))
    assert list(records[0]) == HEADER.split(",")
    assert records[1]["gross_lending"] == "98000.00"
    assert records[0]["bond_debt_outstanding"] == "150000.00"


def test_a_closed_month_shows_its_stored_figures_unless_recompute():
    old, _new = _book()
    month_close(month=Month.parse("2026-04"), user=None)
    # a redemption posted afterwards, dated in April
    post(old, "extra_repayment", "1000.00", D(2026, 4, 20), price="100")
    stored = run("--month", "2026-04").splitlines()
    fresh = run("--month", "2026-04", "--recompute").splitlines()
    assert stored[1].endswith(",150000.00")
    assert fresh[1] == "2026-04,owner_occupied,fixed,0.00,0.00,50750.00,-50750.00,0.00,-50750.00,149000.00"


@pytest.mark.parametrize("month", ["2026-13", "april", "2026-4"])
def test_a_bad_month_exits_1_with_the_reason(month):
    with pytest.raises(CommandError, match="YYYY-MM"):
        run("--month", month)


def test_a_missing_rate_exits_1_naming_currency_and_month():
    eur = loan("EUR-1", on=prop("P1"), currency="EUR")
    post(eur, "disbursement", "1000.00", D(2026, 4, 1), price="100")
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 5, 4), rate=Decimal("746"))
    with pytest.raises(CommandError, match=r"EUR.*2026-04"):
        run("--month", "2026-04")


def test_the_command_exits_with_status_1_on_error(tmp_path):
    import subprocess
    import sys

    from django.conf import settings

    done = subprocess.run(
        [sys.executable, "manage.py", "lending_stats", "--month", "2026-13"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "YYYY-MM" in done.stderr
