"""`export_campaign`: a frozen campaign's file for a mail merge or a dialler: exactly its snapshot's rows.

One row per household (services.py: the leading loan's row, the household's other loans listed in `other_loans`),
ordered by event date then loan number. CSV in the register export's two dialects (`plain`: comma, decimal point,
UTF-8; `excel_da`: semicolon, decimal comma and a BOM, what a Danish Excel opens; loanregister.exports.DIALECTS)
or XLSX. The header uses the contract's codes and begins `campaign,loan_number,borrower_name,channel` (`campaign`
is the campaign's id, `channel` its code). Before writing, members whose borrower has since become do-not-contact
or gone into collections are left out of the snapshot (services.campaign_resuppress), so that the file is the
snapshot and never holds them. Every export is logged (common.exports.export_log_start / finish, kind
`campaign`) and every text cell neutralized against spreadsheet formulas (common.exports.neutralize). Contact
details (address, e-mail, phone) are written for a user who may see them, and for a command run without one.
"""

import csv
from collections.abc import Iterator
from typing import BinaryIO

from django.db import connection, transaction

from common.exports import export_log_finish, export_log_start, neutralize
from common.models import ExportLog

from ..exports import DIALECTS, Dialect
from ..privacy import VIEW_CONTACT_DETAILS_PERMISSION
from .models import Campaign, CampaignMember
from .services import campaign_resuppress

FORMATS = ("csv", "xlsx")
CHUNK_SIZE = 2000
HEADER = [
    "campaign",
    "loan_number",
    "borrower_name",
    "channel",
    "event_date",
    "household_loans",
    "other_loans",
    "borrower_address",
    "email",
    "phone",
    "preferred_language",
    "property_address",
    "loan_type",
    "currency",
    "outstanding_balance",
    "maturity_date",
    "office",
    "officer",
]
CONTACT_COLUMNS = {"borrower_address", "email", "phone"}
_MEMBER = CampaignMember._meta.db_table
_ROWS_SQL = f"""
    SELECT m.campaign_id, l.loan_number, b.name, c.channel, m.event_date, m.household_loans,
        COALESCE(household.others, ''),
        b.address, b.email, b.phone, b.preferred_language, COALESCE(p.address, ''), l.loan_type, l.currency,
        l.outstanding_balance, l.maturity_date, COALESCE(o.code, ''), COALESCE(u.username, '')
    FROM {_MEMBER} m
    JOIN loanregister_campaign c ON c.id = m.campaign_id
    JOIN loanregister_loan l ON l.id = m.loan_id
    JOIN loanregister_borrower b ON b.id = m.borrower_id
    LEFT JOIN loanregister_property p ON p.id = l.property_id
    LEFT JOIN loanregister_office o ON o.id = l.office_id
    LEFT JOIN auth_user u ON u.id = l.officer_id
    LEFT JOIN (
        SELECT h.borrower_id, string_agg(o.loan_number, ' ' ORDER BY h.event_date, o.loan_number) AS others
        FROM {_MEMBER} h JOIN loanregister_loan o ON o.id = h.loan_id
        WHERE h.campaign_id = %s AND h.reason = 'household'
        GROUP BY h.borrower_id
    ) household ON household.borrower_id = m.borrower_id
    WHERE m.campaign_id = %s AND m.reason = ''
    ORDER BY m.event_date, l.loan_number
"""
_BALANCE = HEADER.index("outstanding_balance")
_DATES = {HEADER.index("event_date"), HEADER.index("maturity_date")}


class CampaignExportError(Exception):
    pass


def campaign_rows(*, campaign: Campaign, contact_details: bool = True) -> Iterator[list]:
    """The file's rows after the header, as cells (neutralized; contact details blank unless allowed)."""
    blank = [] if contact_details else [HEADER.index(name) for name in CONTACT_COLUMNS]
    with connection.chunked_cursor() as cursor:
        cursor.execute(_ROWS_SQL, [campaign.pk, campaign.pk])
        while batch := cursor.fetchmany(CHUNK_SIZE):
            for row in batch:
                cells = [neutralize(cell) for cell in row]
                for index in blank:
                    cells[index] = ""
                yield cells


def _csv(rows: Iterator[list], out: BinaryIO, dialect: Dialect) -> int:
    class _Sink:
        def __init__(self):
            self.parts: list[str] = []

        def write(self, text: str) -> None:
            self.parts.append(text)

    sink = _Sink()
    writer = csv.writer(sink, delimiter=dialect.delimiter, lineterminator="\n")
    if dialect.bom:
        sink.write("\ufeff")
    writer.writerow(HEADER)
    count = 0
    for cells in rows:
        if dialect.decimal != "." and cells[_BALANCE] is not None:
            cells[_BALANCE] = f"{cells[_BALANCE]:.2f}".replace(".", dialect.decimal)
        writer.writerow(cells)
        count += 1
        if count % CHUNK_SIZE == 0:
            out.write("".join(sink.parts).encode("utf-8"))
            sink.parts.clear()
    out.write("".join(sink.parts).encode("utf-8"))
    return count


def _xlsx(rows: Iterator[list], out: BinaryIO) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)  # openpyxl's optimised mode: rows go to disk as they come
    sheet = book.create_sheet(title="campaign")
    sheet.freeze_panes = "A2"
    sheet.append(HEADER)
    count = 0
    for cells in rows:
        for index in _DATES:
            if cells[index] is not None:
                cell = WriteOnlyCell(sheet, value=cells[index])
                cell.number_format = "yyyy-mm-dd"
                cells[index] = cell
        balance = WriteOnlyCell(sheet, value=cells[_BALANCE])
        balance.number_format = "#,##0.00"
        cells[_BALANCE] = balance
        sheet.append(cells)
        count += 1
    book.save(out)
    return count


def campaign_export_write(
    *,
    campaign: Campaign,
    out: BinaryIO,
    fmt: str,
    dialect: str = "plain",
    user=None,
    source: str = ExportLog.Source.COMMAND,
    file_name: str = "",
) -> tuple[int, ExportLog]:
    """Write a frozen campaign's file to `out`; returns (rows, the export log). A user needs `export_campaign`."""
    if fmt not in FORMATS:
        raise CampaignExportError(f"unknown format {fmt!r}: use csv or xlsx")
    if dialect not in DIALECTS:
        raise CampaignExportError(f"unknown dialect {dialect!r}: use {' or '.join(sorted(DIALECTS))}")
    if not campaign.is_frozen:
        raise CampaignExportError("the campaign is not frozen: freeze it before exporting it")
    contact_details = user is None or user.has_perm(VIEW_CONTACT_DETAILS_PERMISSION)
    with transaction.atomic():
        left_out = campaign_resuppress(campaign=campaign)
    log = export_log_start(
        user=user,
        kind=ExportLog.Kind.CAMPAIGN,
        source=source,
        fmt=fmt,
        params={"campaign": campaign.pk, "name": campaign.name, "left_out_since_freeze": left_out},
        file_name=file_name or f"campaign_{campaign.pk}.{fmt}",
        dialect=dialect if fmt == "csv" else "",
        with_contact_details=contact_details,
    )
    count, completed = 0, False
    try:
        rows = campaign_rows(campaign=campaign, contact_details=contact_details)
        count = _csv(rows, out, DIALECTS[dialect]) if fmt == "csv" else _xlsx(rows, out)
        completed = True
    finally:
        export_log_finish(log, rows=count, completed=completed)
    return count, log
