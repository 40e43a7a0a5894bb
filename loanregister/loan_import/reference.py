"""The reference data a loan file is checked against, loaded in a handful of bulk queries (no query per row)."""

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from common.bulk import chunked

from ..models import Borrower, Loan, Office, Property, Servicer, ServicerAssignment
from .rows import Row

_QUERY_CHUNK = 50000


def _among(model, name: str, values: list):
    """`name IN values` as a filter, written `= ANY(array)`: one parameter instead of one per value (the
    per-value handling of a 100,000-value IN costs seconds)."""
    column = f"{connection.ops.quote_name(model._meta.db_table)}.{connection.ops.quote_name(model._meta.get_field(name).column)}"
    return RawSQL(f"{column} = ANY(%s)", (list(values),), output_field=BooleanField())


def _wanted(rows: list[Row], column: str) -> set:
    return {row.values[column] for row in rows if row.values.get(column)}


@dataclass
class Reference:
    loans: dict[str, Loan]
    offices: dict[str, int]
    officers: dict[str, Any]
    servicers: dict[str, int]
    own_servicers: list[int]
    borrowers_by_id: dict[int, Borrower]
    borrowers_by_national_id: dict[str, Borrower]
    properties: dict[str, Property]
    open_assignments: dict[int, "OpenAssignment"]


class OpenAssignment(NamedTuple):
    pk: int
    servicer_id: int
    since: date


def load_reference(rows: list[Row]) -> Reference:
    loans: dict[str, Loan] = {}
    for numbers in chunked(_wanted(rows, "loan_number"), _QUERY_CHUNK):
        loans.update(
            (loan.loan_number, loan) for loan in Loan.objects.filter(_among(Loan, "loan_number", numbers))
        )
    User = get_user_model()
    username_field = User.USERNAME_FIELD
    officers = {
        getattr(user, username_field): user.pk
        for user in User.objects.filter(**{f"{username_field}__in": _wanted(rows, "officer")})
    }
    borrower_pks = {loan.borrower_id for loan in loans.values()}
    borrowers_by_id: dict[int, Borrower] = {}
    for pks in chunked(borrower_pks, _QUERY_CHUNK):
        borrowers_by_id.update((b.pk, b) for b in Borrower.objects.filter(_among(Borrower, "id", pks)))
    # Several borrowers may share an id (entered by hand); the oldest one is the match. The loans' own
    # borrowers usually answer already; only the other ids are looked up.
    borrowers_by_national_id: dict[str, Borrower] = {}
    for borrower in sorted(borrowers_by_id.values(), key=lambda b: -b.pk):
        if borrower.national_id:
            borrowers_by_national_id[borrower.national_id] = borrower
    for ids in chunked(_wanted(rows, "borrower_id") - borrowers_by_national_id.keys(), _QUERY_CHUNK):
        for borrower in Borrower.objects.filter(_among(Borrower, "national_id", ids)).order_by("-pk"):
            borrower = borrowers_by_id.setdefault(borrower.pk, borrower)
            borrowers_by_national_id[borrower.national_id] = borrower
    properties: dict[str, Property] = {}
    for pids in chunked(_wanted(rows, "property_id"), _QUERY_CHUNK):
        properties.update(
            (p.property_id, p) for p in Property.objects.filter(_among(Property, "property_id", pids))
        )
    open_assignments: dict[int, OpenAssignment] = {}
    for pks in chunked([loan.pk for loan in loans.values()], _QUERY_CHUNK):
        current = ServicerAssignment.objects.filter(
            _among(ServicerAssignment, "loan", pks), until__isnull=True
        )
        for pk, loan_id, servicer_id, since in current.values_list("pk", "loan_id", "servicer_id", "since"):
            open_assignments[loan_id] = OpenAssignment(pk, servicer_id, since)
    servicers = dict(Servicer.objects.values_list("code", "pk"))
    return Reference(
        loans=loans,
        offices=dict(Office.objects.filter(code__in=_wanted(rows, "office")).values_list("code", "pk")),
        officers=officers,
        servicers=servicers,
        own_servicers=list(Servicer.objects.filter(is_own=True).order_by("pk").values_list("pk", flat=True)),
        borrowers_by_id=borrowers_by_id,
        borrowers_by_national_id=borrowers_by_national_id,
        properties=properties,
        open_assignments=open_assignments,
    )
