"""Pages of the payment schedule and the payment notices: the schedule as CSV, the mail room's letter batch."""

import csv
import datetime

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from common.exports import export_log_finish, export_log_start, neutralize_row
from common.models import ExportLog
from loanregister.models import Loan

from ..notices import letter_batch, notice_context
from ..schedules import SCHEDULE_COLUMNS, schedule_csv_rows, schedule_for_loan


@require_GET
@permission_required("loanregister.view_loan", raise_exception=True)
def loan_schedule_view(request: HttpRequest, loan_number: str) -> HttpResponse:
    """The whole schedule of a loan on one printable page (the loan page shows the next payments)."""
    loan = get_object_or_404(Loan, loan_number=loan_number)
    return render(request, "servicing/loan_schedule.html", {"loan": loan, "schedule_full": True})


@require_GET
@permission_required("loanregister.view_loan", raise_exception=True)
def loan_schedule_csv(request: HttpRequest, loan_number: str) -> HttpResponse:
    """The loan's schedule in the `loan_schedule` command's CSV format."""
    loan = get_object_or_404(Loan, loan_number=loan_number)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="schedule-{loan.pk}.csv"'
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(SCHEDULE_COLUMNS)
    writer.writerows(schedule_csv_rows(schedule_for_loan(loan)))
    return response


def _batch_date(request: HttpRequest) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


LETTERS_PER_PAGE = 500
LETTER_CSV_COLUMNS = ["loan_number", "name", "address", "language", "due_date", "amount", "currency"]


@require_GET
@permission_required(
    ["servicing.view_paymentnotice", "loanregister.view_contact_details"], raise_exception=True
)
def letter_batch_view(request: HttpRequest) -> HttpResponse:
    """The letter notices of a batch date: one printed letter a page, or `?format=csv` for the mail room.

    The CSV carries names and postal addresses out of the system, so it is logged like every export (kind
    `letters`), and every cell is neutralized against spreadsheet formulas (a borrower named `=HYPERLINK(…)`).
    """
    batch_date = _batch_date(request)
    notices = letter_batch(batch_date=batch_date)
    if request.GET.get("format") == "csv":
        log = export_log_start(
            user=request.user,
            kind=ExportLog.Kind.LETTERS,
            source=ExportLog.Source.WEB,
            fmt=ExportLog.Format.CSV,
            params={"letter_batch": batch_date.isoformat()},
            include_do_not_contact=True,
            with_contact_details=True,
            file_name=f"payment-notice-letters-{batch_date.isoformat()}.csv",
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{log.file_name}"'
        # Lines end in CRLF (RFC 4180), so that the writer quotes a cell holding a CR as it does one holding LF.
        writer = csv.writer(response, lineterminator="\r\n")
        writer.writerow(LETTER_CSV_COLUMNS)
        count = 0
        try:
            for notice in notices.iterator(chunk_size=2000):
                borrower = notice.loan.borrower
                writer.writerow(
                    neutralize_row(
                        [
                            notice.loan.loan_number,
                            borrower.name,
                            borrower.address,
                            notice.language,
                            notice.due_date.isoformat(),
                            notice.amount,  # a number: never neutralized
                            notice.currency,
                        ]
                    )
                )
                count += 1
        except Exception as exc:
            export_log_finish(log, rows=count, completed=False, error=str(exc)[:2000])
            raise
        export_log_finish(log, rows=count)
        return response
    # A big batch prints in parts: LETTERS_PER_PAGE letters a page.
    page = Paginator(notices, LETTERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "servicing/notices/letter_batch.html",
        {
            "batch_date": batch_date,
            "page": page,
            "letters": [notice_context(notice) for notice in page.object_list],
        },
    )
