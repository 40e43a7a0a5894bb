"""Issue 9: the register's name search reads a narrow table of the borrowers' upper-cased names (migration 0027),
which statement-level triggers keep in step with every write to the borrowers. The search finds exactly what
Django's `name__icontains` finds."""

import datetime

import pytest
from django.db import connection

from loanregister import register
from loanregister.filters import borrowers_named
from loanregister.models import Borrower, RegisterEvent

from . import register_support as make

pytestmark = pytest.mark.django_db


def test_the_name_table_follows_every_write_to_the_borrowers():
    # inserts: one by one and in bulk
    first = make.borrower("Anders Jensen")
    make.borrower("Åse Østergård")
    Borrower.objects.bulk_create(
        [Borrower(name=f"Bulk {n} Hansen", email=f"bulk{n}@example.dk") for n in range(5)]
    )
    assert make.stored_borrower_names() == make.expected_borrower_names()
    assert (first.id, "ANDERS JENSEN") in make.stored_borrower_names()
    # updates: a save, a queryset update of names, and an update that leaves the name alone
    first.name = "Anders Kjær"
    first.save()
    Borrower.objects.filter(name__startswith="Bulk").update(name="Bulk Nielsen")
    Borrower.objects.update(do_not_contact=True)
    assert make.stored_borrower_names() == make.expected_borrower_names()
    assert (first.id, "ANDERS KJÆR") in make.stored_borrower_names()
    # deletes
    Borrower.objects.filter(name="Bulk Nielsen").delete()
    assert make.stored_borrower_names() == make.expected_borrower_names()
    assert len(make.stored_borrower_names()) == 2
    # a TRUNCATE (a test database's flush) empties it too
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's deferred foreign-key checks, run now
        cursor.execute("TRUNCATE loanregister_borrower CASCADE")
    assert make.stored_borrower_names() == set()


@pytest.mark.parametrize(
    "term",
    ["jensen", "JENSEN", "Jens", "ø", "ØSTERGÅRD", "50%", "a_b", "_", "%", "back\\slash", "nobody", "s J"],
)
def test_the_register_name_search_finds_what_icontains_finds(term):
    today = datetime.date.today()
    for name in (
        "Anders Jensen",
        "Jens Hansen",
        "Åse Østergård",
        "50% Holding ApS",
        "a_b Invest",
        "axb Invest",
        "Back\\slash A/S",
        "Lars Jensen",
    ):
        make.loan(borrower=make.borrower(name), maturity_date=today + datetime.timedelta(days=30))
    expected = set(RegisterEvent.objects.filter(borrower__name__icontains=term).values_list("id", flat=True))
    found = set(
        register.register_events(filterset=register.register_filterset(data={"q": term})).values_list(
            "id", flat=True
        )
    )
    assert found == expected
    assert set(Borrower.objects.filter(id__in=borrowers_named(term)).values_list("id", flat=True)) == set(
        Borrower.objects.filter(name__icontains=term).values_list("id", flat=True)
    )
