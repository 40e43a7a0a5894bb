"""The statistics pages for the reporting role (issue 13 items 3-5): a month's table with subtotals and the grand
total, the 12-month trend chart, downloads, drill-down, reconciliation, and closing, reopening and recomputing.
Thin: the figures come from `stats.figures`, `stats.services` and `stats.reconcile`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from common.decorators import post_only
from common.models import ExportLog
from loanregister.choices import LoanType, PropertyCategory

from .chart import trend_svg
from .exports import FIGURE_LABELS, statistics_export
from .figures import FIGURES, Month, StatsError, balance_loans, figure_postings, subtotals, totals
from .reconcile import LINES, month_reconcile
from .services import (
    CLOSE_PERMISSION,
    VIEW_PERMISSION,
    differences,
    month_close,
    month_recompute,
    month_reopen,
    month_report,
    month_trend,
    result_from_computation,
    stored_month,
)

LINE_LABELS = {
    "new_principal": gettext_lazy("New nominal principal (disbursements)"),
    "redemptions": gettext_lazy("Redemptions"),
    "extra_repayments": gettext_lazy("Extra repayments"),
    "ordinary_repayments": gettext_lazy("Ordinary repayments"),
    "arrears": gettext_lazy("Principal fallen due, not yet paid (arrears)"),
    "opening_balances": gettext_lazy("Opening balances and their true-ups"),
    "write_offs": gettext_lazy("Write-offs"),
    "reversals": gettext_lazy("Reversals"),
    "rounding": gettext_lazy("Rounding of the cells to the øre"),
}


def _default_month() -> Month:
    return Month(timezone.localdate().replace(day=1)).previous()


def _month(request: HttpRequest) -> Month:
    text = request.GET.get("month") or request.POST.get("month")
    return _default_month() if not text else Month.parse(text)


def _bad(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(
        request, "stats/error.html", {"error": message, "month": request.GET.get("month", "")}, status=status
    )


def _labelled(code: str, choices) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def month_view(request: HttpRequest) -> HttpResponse:
    """The month's figures: a closed month's stored ones unless `recompute=1`."""
    try:
        month = _month(request)
        recompute = request.GET.get("recompute") == "1"
        result, stored = month_report(month, recompute=recompute)
    except StatsError as error:
        return _bad(request, str(error))
    rows = [
        {
            "category": row.property_category,
            "category_label": _labelled(row.property_category, PropertyCategory),
            "loan_type": row.loan_type,
            "type_label": _labelled(row.loan_type, LoanType),
            "values": list(zip(FIGURES, row.values(), strict=True)),
        }
        for row in result.rows
    ]
    by_category = [
        (code, _labelled(code, PropertyCategory), [(n, t[n]) for n in FIGURES])
        for code, t in subtotals(result.rows, "property_category")
    ]
    by_type = [
        (code, _labelled(code, LoanType), [(n, t[n]) for n in FIGURES])
        for code, t in subtotals(result.rows, "loan_type")
    ]
    grand = totals(result.rows)
    try:
        chart = trend_svg(month_trend(month, current=result))
    except StatsError:  # pragma: no cover - month_trend turns a missing rate into a gap
        chart = ""
    context = {
        "month": month,
        "previous_month": month.previous(),
        "next_month": month.next(),
        "result": result,
        "stored": stored,
        "recompute": recompute,
        "figures": [(name, FIGURE_LABELS[name]) for name in FIGURES],
        "rows": rows,
        "by_category": by_category,
        "by_type": by_type,
        "grand": [(n, grand[n]) for n in FIGURES],
        "chart": chart,
        "can_close": request.user.has_perm(CLOSE_PERMISSION),
        "computation": stored.computation if stored else None,
    }
    return render(request, "stats/month.html", context)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def download_view(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        return _bad(request, _("Unknown format %(fmt)s: use csv or xlsx.") % {"fmt": fmt})
    try:
        month = _month(request)
        recompute = request.GET.get("recompute") == "1"
        result, _stored = month_report(month, recompute=recompute)
    except StatsError as error:
        return _bad(request, str(error))
    data, file_name = statistics_export(
        result=result, fmt=fmt, user=request.user, source=ExportLog.Source.WEB, recompute=recompute
    )
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def drill_view(request: HttpRequest) -> HttpResponse:
    """The postings (flows) or loans (bond debt) behind one figure of a cell, a subtotal or the total."""
    figure = request.GET.get("figure", "")
    category = request.GET.get("category") or None
    loan_type = request.GET.get("loan_type") or None
    if figure not in FIGURES or figure in ("net_new_lending", "net_lending"):
        return _bad(
            request,
            _(
                "Choose a figure to see what is behind it: gross lending, transfers, extraordinary "
                "redemptions, ordinary repayments or bond debt outstanding."
            ),
        )
    if category is not None and category not in PropertyCategory.values:
        return _bad(request, _("Unknown property category %(code)s.") % {"code": category})
    if loan_type is not None and loan_type not in LoanType.values:
        return _bad(request, _("Unknown loan type %(code)s.") % {"code": loan_type})
    try:
        month = _month(request)
        if figure == "bond_debt_outstanding":
            items, count = balance_loans(month, property_category=category, loan_type=loan_type)
        else:
            items, count = figure_postings(
                month, figure=figure, property_category=category, loan_type=loan_type
            )
            for item in items:  # kept unrounded, without the trailing zeros of numeric arithmetic
                item["value"] = format(item["value"].normalize(), "f")
    except StatsError as error:
        return _bad(request, str(error))
    context = {
        "month": month,
        "figure": figure,
        "figure_label": FIGURE_LABELS[figure],
        "category_label": _labelled(category, PropertyCategory) if category else _("All categories"),
        "type_label": _labelled(loan_type, LoanType) if loan_type else _("All loan types"),
        "items": items,
        "count": count,
        "balances": figure == "bond_debt_outstanding",
    }
    return render(request, "stats/drill.html", context)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def reconcile_view(request: HttpRequest) -> HttpResponse:
    try:
        month = _month(request)
        reconciliation = month_reconcile(month)
    except StatsError as error:
        return _bad(request, str(error))
    currencies = [
        {
            "currency": c.currency,
            "previous": c.previous,
            "lines": [(LINE_LABELS.get(name, name), value) for name, value in c.lines.items() if value],
            "end": c.end,
            "holds": c.holds,
            "difference": c.difference,
        }
        for c in reconciliation.currencies
    ]
    dkk_lines = []
    for name, value in reconciliation.dkk_lines:
        if name.startswith("rate:"):
            label = _("Change of the %(currency)s rate") % {"currency": name[5:]}
        else:
            label = LINE_LABELS.get(name, name)
        dkk_lines.append((label, value))
    context = {
        "month": month,
        "reconciliation": reconciliation,
        "currencies": currencies,
        "dkk_lines": dkk_lines,
        "lines": LINES,
    }
    return render(request, "stats/reconcile.html", context)


def _month_page(request: HttpRequest, **_kwargs) -> str:
    text = request.GET.get("month", "")
    return reverse("stats:month") + (f"?month={text}" if _month_ok(text) else "")


def _month_ok(text: str) -> bool:
    try:
        Month.parse(text)
    except StatsError:
        return False
    return True


def _after_action(month: Month) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("stats:month") + f"?month={month.label}")


@post_only(_month_page)
@permission_required(CLOSE_PERMISSION, raise_exception=True)
def close_view(request: HttpRequest) -> HttpResponse:
    try:
        month = _month(request)
        month_close(month=month, user=request.user)
    except StatsError as error:
        return _bad(request, str(error))
    messages.success(request, _("%(month)s is closed: its figures are stored.") % {"month": month.label})
    return _after_action(month)


@post_only(_month_page)
@permission_required(CLOSE_PERMISSION, raise_exception=True)
def reopen_view(request: HttpRequest) -> HttpResponse:
    try:
        month = _month(request)
        month_reopen(month=month, user=request.user)
    except StatsError as error:
        return _bad(request, str(error))
    except ValueError:
        return _bad(request, _("This month has not been closed."))
    messages.success(
        request, _("%(month)s is open again: its figures are computed afresh.") % {"month": month.label}
    )
    return _after_action(month)


@permission_required(CLOSE_PERMISSION, raise_exception=True)
def recompute_view(request: HttpRequest) -> HttpResponse:
    """GET: the fresh figures beside the stored ones, the differences listed; POST: store the fresh figures."""
    if request.method not in ("GET", "HEAD", "POST"):
        raise PermissionDenied
    try:
        month = _month(request)
        if request.method == "POST":
            stored = stored_month(month)
            expected = request.POST.get("stored_computation", "")
            current = str(stored.computation_id) if stored else ""
            if expected != current:
                messages.error(
                    request, _("The stored figures changed meanwhile: look at the differences again.")
                )
                return HttpResponseRedirect(reverse("stats:recompute") + f"?month={month.label}")
            month_recompute(month=month, user=request.user, note=request.POST.get("note", ""))
            messages.success(
                request, _("%(month)s is recomputed: the new figures are stored.") % {"month": month.label}
            )
            return _after_action(month)
        stored = stored_month(month)
        fresh, _stored = month_report(month, recompute=True)
    except StatsError as error:
        return _bad(request, str(error))
    diffs = []
    if stored is not None:
        for d in differences(result_from_computation(stored.computation), fresh):
            diffs.append(
                {
                    "category": _labelled(d.property_category, PropertyCategory),
                    "loan_type": _labelled(d.loan_type, LoanType),
                    "figure": FIGURE_LABELS[d.figure],
                    "stored": d.stored,
                    "recomputed": d.recomputed,
                    "change": d.change,
                }
            )
    context = {"month": month, "stored": stored, "fresh": fresh, "differences": diffs}
    return render(request, "stats/recompute.html", context)
