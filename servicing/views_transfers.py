"""Servicing transfer pages (REG-4): move loans to another servicer, see past transfers and their notices."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from loanregister.models import Office, Servicer

from .models import ServicingTransfer, TransferNotice
from .tasks import transfer_notices_send_task
from .transfers import (
    parse_loan_numbers,
    servicing_transfer,
    transfer_letters_mark_sent,
)


class TransferForm(forms.Form):
    to_servicer = forms.ModelChoiceField(
        label=gettext_lazy("New servicer"), queryset=Servicer.objects.filter(active=True)
    )
    effective_date = forms.DateField(
        label=gettext_lazy("Effective date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    loan_numbers = forms.CharField(
        label=gettext_lazy("Loan numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One a line, or separated by commas. Or leave empty and choose whose loans move."
        ),
    )
    from_servicer = forms.ModelChoiceField(
        label=gettext_lazy("All active loans of servicer"), queryset=Servicer.objects.all(), required=False
    )
    office = forms.ModelChoiceField(
        label=gettext_lazy("Only of office"), queryset=Office.objects.all(), required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)

    def describe_fields(self) -> None:
        """Tie each input to its help text and its errors for screen readers (WCAG 1.3.1, 3.3.1)."""
        for name, field in self.fields.items():
            ids = []
            if field.help_text:
                ids.append(f"id_{name}-help")
            if name in self.errors:
                ids.append(f"id_{name}-error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)

    def clean(self):
        data = super().clean()
        numbers = parse_loan_numbers(data.get("loan_numbers") or "")
        data["loan_numbers"] = numbers
        if numbers and (data.get("from_servicer") or data.get("office")):
            raise ValidationError(_("Give loan numbers or a servicer/office to move from, not both."))
        if not numbers and not data.get("from_servicer") and not data.get("office"):
            self.add_error("loan_numbers", _("Give loan numbers, or a servicer or office to move from."))
        return data


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
                    "%(count)d loan(s) will move to %(servicer)s on %(date)s (scheduled); a notice to each "
                    "borrower is ready."
                )
            else:
                text = _(
                    "%(count)d loan(s) moved to %(servicer)s from %(date)s; a notice to each borrower is ready."
                )
            messages.success(
                request,
                text
                % {
                    "count": transfer.loan_count,
                    "servicer": transfer.to_servicer,
                    "date": transfer.effective_date,
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


@require_POST
@permission_required("servicing.transfer_servicing", raise_exception=True)
def transfer_send(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = get_object_or_404(ServicingTransfer, pk=pk)
    if request.POST.get("what") == "letters":
        count = transfer_letters_mark_sent(transfer=transfer)
        messages.success(request, _("%(count)d letter(s) marked as sent.") % {"count": count})
    else:
        # A worker sends them (in-process on the embedded default); each is claimed before it is sent.
        transfer_notices_send_task.delay(transfer.pk)
        messages.success(request, _("The e-mails are being sent."))
    return redirect("servicing:transfer-detail", pk=transfer.pk)
