"""import_exchange_rates (docs/requirements.md §3) and the STAT-7 reading of the month-end rate."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from common.models import ExchangeRate
from common.rates import month_end_rate
from common.rates_import import exchange_rates_import

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "exchange_rates.csv"


def test_the_sample_file_imports_and_a_second_import_changes_nothing():
    # when
    call_command("import_exchange_rates", str(SAMPLE))
    first = sorted(ExchangeRate.objects.values_list("currency", "rate_date", "rate"))
    result = exchange_rates_import(file=SAMPLE.read_bytes(), user=None, file_name="again.csv")
    # then
    assert len(first) == 6
    assert (result.created, result.updated, result.unchanged) == (0, 0, 6)
    assert sorted(ExchangeRate.objects.values_list("currency", "rate_date", "rate")) == first


def test_a_semicolon_file_with_decimal_commas_and_a_bom():
    data = "\ufeffdate;currency;rate\n2026-11-27;EUR;746,08\n".encode()
    result = exchange_rates_import(file=data, user=None, file_name="da.csv")
    assert result.ok, result.errors
    assert ExchangeRate.objects.get().rate == Decimal("746.080000")


def test_every_bad_row_is_reported_and_nothing_is_written(tmp_path):
    # given
    path = tmp_path / "rates.csv"
    path.write_text(
        "date,currency,rate\n"
        "2026-11-27,EUR,746.08\n"
        "2026-13-01,EUR,746.08\n"
        "2026-11-27,XYZ,10\n"
        "2026-11-27,USD,-1\n"
        "2026-11-27,EUR,746.10\n"
        "2026-11-27,DKK,100\n"
    )
    # when
    with pytest.raises(CommandError) as failure:
        call_command("import_exchange_rates", str(path))
    with translation.override("en"):
        result = exchange_rates_import(file=path.read_bytes(), user=None, file_name="rates.csv")
    # then
    assert failure.value.returncode == 1
    assert [line.split(":")[:2] for line in result.errors] == [
        ["line 3", " date"],
        ["line 4", " currency"],
        ["line 5", " rate"],
        ["line 6", " date"],
        ["line 7", " currency"],
    ]
    assert "also on line 2" in result.errors[3]
    assert not ExchangeRate.objects.exists()


def test_a_missing_column_is_reported_on_line_1():
    with translation.override("en"):
        result = exchange_rates_import(file=b"date,currency\n2026-11-27,EUR\n", user=None, file_name="x.csv")
    assert result.errors == ["line 1: rate: required column missing"]


def test_stat7_month_end_rate_is_the_last_published_on_or_before_the_last_day():
    # given rates up to Friday 27 November; 28-30 November 2026 is a weekend and a Monday with no rate yet
    call_command("import_exchange_rates", str(SAMPLE))
    # then November's month-end rate is the one of the 27th, per one unit
    assert month_end_rate("EUR", 2026, 11) == Decimal("7.4608")
    assert month_end_rate("EUR", 2026, 9) is None
    assert ExchangeRate.objects.filter(rate_date=datetime.date(2026, 11, 27)).count() == 3
