"""The register pages: the list with its ladder, and its export. Thin: the register's selectors do the work."""

import hashlib
from collections import OrderedDict
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import exports, register, register_cache
from ..filter_fields import filter_fields_html
from ..forms import echo, filter_choices_state, officer_options

# Query keys that are not filters: the pager's cursors and the export's options.
_NOT_FILTERS = {"after", "before", "format", "dialect"}


def _filter_query(filterset, *, drop: frozenset[str] = frozenset()) -> str:
    """The filter as a query string (the default window made explicit), for pager, ladder and export links."""
    pairs = [
        (key, value)
        for key in filterset.data.keys()
        if key not in _NOT_FILTERS and key not in drop
        for value in filterset.data.getlist(key)
        if value not in ("", None)
    ]
    return urlencode(pairs)


# The filter form drawn, per process, by everything it shows: the language, the values given and what the choices
# offered are drawn from (offices, servicers, officers). Drawn in Python (filter_fields.py: 1-2 ms, against 10-40 ms through Django's
# widget templates) and kept, as the same form is drawn again on every page of one filter (issue 9, target 1).
_FILTER_FIELDS_HTML: OrderedDict[str, str] = OrderedDict()
_FILTER_FIELDS_HTML_SIZE = 256


def _filter_fields_html(filterset) -> str | None:
    """The filter's fields as HTML, from the process's memory when drawn before; None for a refused filter (its
    messages are drawn by the template each time)."""
    if not filterset.is_valid():
        return None
    form = filterset.form
    officers = list(officer_options())
    key = hashlib.sha256(
        repr(
            (
                get_language(),
                [(name, filterset.data.getlist(name)) for name in form.fields],
                filter_choices_state(),  # the offices and servicers, one statement
                officers,
            )
        ).encode()
    ).hexdigest()
    html = _FILTER_FIELDS_HTML.get(key)
    if html is None:
        # the officers' datalist offers what the key was made of, read once (the widget would read it again)
        form.fields["officer"].widget.options = lambda: officers
        html = filter_fields_html(form)  # what _register_filter_fields.html draws, in Python
        _FILTER_FIELDS_HTML[key] = html
        while len(_FILTER_FIELDS_HTML) > _FILTER_FIELDS_HTML_SIZE:
            _FILTER_FIELDS_HTML.popitem(last=False)
    else:
        _FILTER_FIELDS_HTML.move_to_end(key)
    return mark_safe(html)  # noqa: S308 - rendered by the template engine (escaped there)


def _with(query: str, **extra) -> str:
    more = urlencode([(k, v) for k, v in extra.items() if v not in (None, "")])
    return "?" + "&".join(part for part in (query, more) if part)


@require_GET
@permission_required("loanregister.view_loan", raise_exception=True)
def register_list(request: HttpRequest) -> HttpResponse:
    filterset = register.register_filterset(data=request.GET, request=request)
    events = register.register_events(filterset=filterset)
    page = register.register_page(
        queryset=events, after=request.GET.get("after"), before=request.GET.get("before")
    )
    window = register.filter_window(filterset)
    can_export = exports.can_export(request.user)
    with register_cache.one_reading():  # the totals and the export note keyed by one reading of the version
        totals = register.register_totals(queryset=events, window=window, filterset=filterset)
        # what the export leaves out, said next to its buttons (one query; only for those who may export)
        do_not_contact = register.do_not_contact_in(events=events) if can_export else None
    ladder = register.register_ladder(totals=totals, window=window, mode=register.ladder_mode(request.GET))
    query = _filter_query(filterset)
    without_window = _filter_query(filterset, drop=frozenset({"date_from", "date_to"}))
    for rung in ladder.months:
        rung.url = _with(
            without_window, date_from=rung.date_from.isoformat(), date_to=rung.date_to.isoformat()
        )
    filters_only = _filter_query(filterset, drop=frozenset({"ladder"}))
    context = {
        "filter": filterset,
        "filter_fields_html": _filter_fields_html(filterset),
        "page": page,
        "totals": totals,
        "window": window,
        "query": query,
        "first_url": _with(query),
        "next_url": _with(query, after=page.next_cursor.encode()) if page.next_cursor else None,
        "prev_url": _with(query, before=page.prev_cursor.encode()) if page.prev_cursor else None,
        "ladder": ladder,
        "ladder_urls": {
            "events": _with(filters_only),
            "balance": _with(filters_only, ladder="balance"),
        },
        "can_export": can_export,
        "export_urls": {
            "csv": _with(filters_only, format="csv", dialect="plain"),
            "csv_excel_da": _with(filters_only, format="csv", dialect="excel_da"),
            "xlsx": _with(filters_only, format="xlsx"),
        },
        "include_do_not_contact": _include_do_not_contact(request),
        "do_not_contact": do_not_contact,
    }
    return render(request, "loanregister/register.html", context)


def _include_do_not_contact(request: HttpRequest) -> bool:
    return request.GET.get("include_do_not_contact") in ("on", "true", "1")


@require_GET
def register_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV or XLSX. 403 without the export permission; every export is logged.

    A refused filter, format or dialect is a 400: a page in the site's layout that says what is wrong with which
    field and links back to the register with the filter to correct. Nothing is exported or logged."""
    if not exports.can_export(request.user):
        raise PermissionDenied
    filterset = register.register_filterset(data=request.GET, request=request)
    back = reverse("loanregister:register") + _with(_filter_query(filterset))
    fmt, dialect = request.GET.get("format", "csv"), request.GET.get("dialect", "plain")
    problems = [
        (name, filterset.form[name].label if name in filterset.form.fields else "", errors)
        for name, errors in filterset.errors.items()
    ]
    if fmt not in exports.FORMATS:
        unknown = _("Unknown format “%(value)s”: use csv or xlsx.") % {"value": echo(fmt)}
        problems.append(("format", _("Format"), [unknown]))
    elif fmt == "csv" and dialect not in exports.DIALECTS:
        unknown = _("Unknown CSV dialect “%(value)s”: use plain or excel_da.") % {"value": echo(dialect)}
        problems.append(("dialect", _("CSV dialect"), [unknown]))
    if problems:
        context = {"problems": problems, "back": back}
        return render(request, "loanregister/export_refused.html", context, status=400)
    try:
        export = exports.export_start(
            events=register.register_events(filterset=filterset),
            user=request.user,
            fmt=fmt,
            dialect=dialect,
            include_do_not_contact=_include_do_not_contact(request),
            filters=filterset.data,
        )
    except exports.ExportError as error:
        messages.error(request, str(error))
        return redirect(back)
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    response["Cache-Control"] = "no-store"  # personal data: never kept by a proxy or the browser cache
    return response
