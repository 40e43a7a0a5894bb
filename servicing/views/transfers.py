"""Servicing transfer pages (REG-4): move loans to another servicer, see past transfers and their notices."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from common import outbox
from common.decorators import post_only

from ..forms import TransferForm
from ..models import ServicingTransfer, TransferNotice
from ..tasks import transfer_notices_send_task
from ..transfers import servicing_transfer, transfer_letters_mark_sent


@permission_required("servicing.view_servicingtransfer", raise_exception=True)
def transfer_list(request: HttpRequest) -> HttpResponse:
    transfers = ServicingTransfer.objects.select_related("from_servicer", "to_servicer", "created_by")
    page = Paginator(transfers, 50).get_page(request.GET.get("page"))
    return render(request, "servicing/transfers_list.html", {"page": page})


@permission_required("servicing.transfer_servicing", raise_exception=True)
def transfer_create(request: HttpRequest) -> HttpResponse:
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = servicing_transfer(
                to_servicer=data["to_servicer"],
                effective_date=data["effective_date"],
                user=request.user,
                loan_numbers=data["loan_numbers"],
                from_servicer=data["from_servicer"],
                office=data["office"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            if transfer.state == ServicingTransfer.State.SCHEDULED:
                text = _(
                    "Loans to move to %(servicer)s on %(date)s (scheduled): %(count)s. A notice to each borrower "
                    "is ready."
                )
            else:
                text = _(
                    "Loans moved to %(servicer)s from %(date)s: %(count)s. A notice to each borrower is ready."
                )
            messages.success(
                request,
                text
                % {
                    "count": number_format(transfer.loan_count, force_grouping=True),
                    "servicer": transfer.to_servicer,
                    "date": date_format(transfer.effective_date, "DATE_FORMAT"),
                },
            )
            return redirect("servicing:transfer-detail", pk=transfer.pk)
    form.describe_fields()
    return render(
        request, "servicing/transfers_form.html", {"form": form}, status=400 if form.errors else 200
    )


@permission_required("servicing.view_servicingtransfer", raise_exception=True)
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = get_object_or_404(
        ServicingTransfer.objects.select_related("from_servicer", "to_servicer", "created_by"), pk=pk
    )
    notices = transfer.notices.select_related("loan", "borrower", "old_servicer").order_by(
        "loan__loan_number"
    )
    page = Paginator(notices, 100).get_page(request.GET.get("page"))
    counts = {
        "email": transfer.notices.filter(channel=TransferNotice.Channel.EMAIL).count(),
        "letter": transfer.notices.filter(channel=TransferNotice.Channel.LETTER).count(),
        "unsent": transfer.notices.filter(sent_at__isnull=True).count(),
    }
    return render(
        request, "servicing/transfers_detail.html", {"transfer": transfer, "page": page, "counts": counts}
    )


@permission_required("servicing.view_transfernotice", raise_exception=True)
def transfer_letters(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter batch: one page per letter, for printing."""
    transfer = get_object_or_404(ServicingTransfer, pk=pk)
    letters = transfer.notices.filter(channel=TransferNotice.Channel.LETTER).select_related(
        "borrower", "loan"
    )
    return render(request, "servicing/transfers_letters.html", {"transfer": transfer, "letters": letters})


@post_only("servicing:transfer-detail")
@permission_required("servicing.transfer_servicing", raise_exception=True)
def transfer_send(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = get_object_or_404(ServicingTransfer, pk=pk)
    if request.POST.get("what") == "letters":
        count = transfer_letters_mark_sent(transfer=transfer)
        messages.success(
            request,
            _("Letters marked as sent: %(count)s.") % {"count": number_format(count, force_grouping=True)},
        )
    else:
        # A worker sends them (in-process on the embedded default); each is claimed before it is sent. Through the
        # outbox: the page answers at once even with Redis down, and the task is sent when it is back.
        outbox.enqueue_task(transfer_notices_send_task.name, transfer.pk)
        messages.success(request, _("The e-mails are being sent."))
    return redirect("servicing:transfer-detail", pk=transfer.pk)
