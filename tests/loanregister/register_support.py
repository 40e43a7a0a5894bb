"""Builders for the register tests: loans with their register events, written through the real services."""

import datetime
from decimal import Decimal
from itertools import count

from loanregister.models import Borrower, Loan, Office, Property, Servicer
from loanregister.services import register_events_sync

_numbers = count(1)


def servicer(code: str = "OWN", **fields) -> Servicer:
    defaults = {"name": f"Servicer {code}", "is_own": code == "OWN"}
    defaults.update(fields)
    return Servicer.objects.get_or_create(code=code, defaults=defaults)[0]


def office(code: str = "HO", **fields) -> Office:
    defaults = {"name": f"Office {code}", "kind": "branch"}
    defaults.update(fields)
    return Office.objects.get_or_create(code=code, defaults=defaults)[0]


def borrower(name: str | None = None, **fields) -> Borrower:
    n = next(_numbers)
    defaults = {
        "name": name or f"Borrower {n}",
        "email": f"b{n}@example.dk",
        "phone": f"+45 20 00 {n % 100:02d} {n % 97:02d}",
        "address": f"Vej {n}, 8000 Aarhus C",
    }
    defaults.update(fields)
    return Borrower.objects.create(**defaults)


def loan(number: str | None = None, *, sync: bool = True, **fields) -> Loan:
    n = next(_numbers)
    defaults = dict(
        borrower=fields.pop("borrower", None) or borrower(),
        servicer=fields.pop("servicer", None) or servicer(),
        servicer_since=datetime.date(2020, 1, 1),
        loan_type="fixed",
        currency="DKK",
        principal=Decimal("1000000"),
        outstanding_balance=Decimal("900000.00"),
        interest_rate=Decimal("4"),
        origination_date=datetime.date(2020, 1, 1),
        maturity_date=datetime.date(2050, 1, 1),
        property=Property.objects.create(
            property_id=f"BFE{n}", address=f"Husvej {n}", category="owner_occupied"
        ),
    )
    defaults.update(fields)
    created = Loan.objects.create(loan_number=number or f"L{n:06d}", **defaults)
    if sync:
        register_events_sync(loan_ids=[created.id])
    return created


def user(username: str, *roles: str, **fields):
    """A user in the given roles, without a password: force_login needs none, and hashing one costs most of a
    second, which a test table of a hundred rows pays a hundred times."""
    from django.contrib.auth.models import Group, User

    created = User.objects.create(username=username, **fields)
    created.set_unusable_password()
    created.save(update_fields=["password"])
    created.groups.add(*Group.objects.filter(name__in=roles))
    assert created.groups.count() == len(roles), roles
    return created


def stored_borrower_names() -> set[tuple[int, str]]:
    """(borrower id, name) as the name search's table holds them (migration 0027)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT borrower_id, name FROM loanregister_borrower_name")
        return set(cursor.fetchall())


def expected_borrower_names() -> set[tuple[int, str]]:
    """(borrower id, UPPER(name)) of every borrower: what the name search's table should hold."""
    from django.db.models.functions import Upper

    return set(Borrower.objects.annotate(upper=Upper("name")).values_list("id", "upper"))
