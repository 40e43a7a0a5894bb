"""STAT-7: amounts in other currencies convert at the last Nationalbanken rate on or before the date."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError

from common.models import ExchangeRate
from common.rates import MissingRate, dkk_rate, dkk_rates, month_end_rate, to_dkk

pytestmark = pytest.mark.django_db
D = datetime.date


def test_stat7_rate_is_the_last_published_on_or_before_the_date():
    # given rates on bank days only (none on 31 December, a bank closing day)
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 12, 29), rate=Decimal("746.10"))
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 12, 30), rate=Decimal("746.20"))
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2027, 1, 4), rate=Decimal("746.30"))
    # then
    assert dkk_rate("EUR", D(2026, 12, 30)) == Decimal("7.462")
    assert dkk_rate("eur", D(2026, 12, 31)) == Decimal("7.462")
    assert month_end_rate("EUR", 2026, 12) == Decimal("7.462")
    assert dkk_rate("EUR", D(2026, 12, 28)) is None
    assert dkk_rate("DKK", D(1900, 1, 1)) == Decimal(1)
    assert to_dkk(Decimal("100.00"), "EUR", D(2027, 1, 5)) == Decimal("746.30")
    with pytest.raises(MissingRate):
        to_dkk(Decimal("1"), "SEK", D(2027, 1, 5))


def test_stat7_one_rate_per_currency_and_date():
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 1, 2), rate=Decimal("746"))
    with pytest.raises(IntegrityError):
        ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 1, 2), rate=Decimal("747"))


def test_stat7_rates_of_several_currencies_at_once_are_each_currencys_own_reading():
    # given EUR and SEK rates on different days, and no NOK rate
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 12, 29), rate=Decimal("746.10"))
    ExchangeRate.objects.create(currency="EUR", rate_date=D(2026, 12, 30), rate=Decimal("746.20"))
    ExchangeRate.objects.create(currency="SEK", rate_date=D(2026, 12, 28), rate=Decimal("68.50"))
    ExchangeRate.objects.create(currency="SEK", rate_date=D(2027, 1, 4), rate=Decimal("69.00"))
    # then one reading of several currencies gives, for each date, each currency's last rate on or before it
    expected = {
        D(2026, 12, 27): (None, None),
        D(2026, 12, 28): (None, Decimal("0.685")),
        D(2026, 12, 30): (Decimal("7.462"), Decimal("0.685")),
        D(2027, 1, 5): (Decimal("7.462"), Decimal("0.69")),
    }
    for on_date, (eur, sek) in expected.items():
        rates = dkk_rates(["EUR", "sek", "NOK", "DKK", "eur"], on_date)
        assert rates == {"EUR": eur, "SEK": sek, "NOK": None, "DKK": Decimal(1)}, on_date
        assert dkk_rate("sek", on_date) == sek
    assert dkk_rates(["EUR", "sek", "NOK"], D(2026, 12, 31)) == {
        "EUR": Decimal("7.462"),
        "SEK": Decimal("0.685"),
        "NOK": None,
    }
    assert dkk_rates([], D(2026, 12, 31)) == {}
