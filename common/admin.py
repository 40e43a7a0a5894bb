"""Admin for the shared records, and the bases every record's admin uses.

`ReadOnlyAdmin` is for records written by services only. `BigTableAdmin` is for every changelist over a table that
grows past 100,000 rows (loans, borrowers, register events, postings, notices, the logs...): its pages cost the same
at a million rows as at a hundred (docs/benchmarks.md, "Django admin at a million loans"). What it does:

- counts with `EstimatedCountPaginator`: PostgreSQL's own estimate of the table's rows (`pg_class`) for the
  unfiltered list ("about 1,000,000"), and for a filtered or searched one a count that stops at
  `BIG_TABLE_MAX_ROWS` + 1 rows ("10,000+"); never an exact `COUNT(*)` of a big set, never a second count of the
  whole table;
- pages as far as `BIG_TABLE_MAX_ROWS` (200 pages of 50), with a note past them asking for a filter, a search or
  the other sort order, and reads a page past the first as a deferred join (the page's ids from an index, then
  their rows): an OFFSET never skips more than 10,000 index entries;
- sorts only by the columns an admin lists in `sortable_by` (each with an index), also when `?o=` asks otherwise;
- searches the way an index answers (`get_search_results`): prefix (`field__startswith`) and exact lookups try the
  word as typed, in capitals, small letters and capitalized, so a btree (`varchar_pattern_ops`) answers them; a
  bare field is Django's `icontains`, which needs a trigram index on `UPPER(field)`; each table searched is one
  query that collects at most `BIG_TABLE_SEARCH_MAX_ROWS` ids, and the page says when a search matched more;
- has no facet counts, and `check()` refuses a `date_hierarchy` (a `DISTINCT` of dates and a MIN/MAX over the
  whole table), a list filter that Django would fill with `SELECT DISTINCT` (a field without choices: use
  `CurrencyListFilter` or an `IndexedValuesListFilter`), and `^`/`=` searches (`UPPER(...)`, which no index covers).

Each filter, search and sortable column needs its index (tests/test_admin_big_tables.py checks them).
"""

import math
from functools import cached_property

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import ShowFacets
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR, ChangeList
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import EmptyPage, Paginator
from django.db import connections, models
from django.db.models.constants import LOOKUP_SEP
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .models import ExchangeRate, ExportLog, ImportRun, JobRun, OutboxMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records: they can be read and searched, never changed by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------- changelists of big tables (issue 9)

BIG_TABLE_MAX_ROWS = 10_000
"""How far a big changelist counts and pages: 10,000 rows, 200 pages of 50. Past it, it asks for a filter."""
BIG_TABLE_SEARCH_MAX_ROWS = 1_000
"""How many rows a search collects, for each table it searches, and so counts and pages (20 pages). Past it, the
page says so and asks for another word."""
BIG_TABLE_PER_PAGE = 50


def table_estimate(model: type[models.Model], using: str = "default") -> int | None:
    """PostgreSQL's estimate of the rows in the model's table, made as its planner makes it: the rows per page of
    the last VACUUM or ANALYZE (`pg_class.reltuples / relpages`) times the table's pages now. None when the table
    was never analysed."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples, relpages, pg_relation_size(oid) / current_setting('block_size')::int"
            " FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    if row is None or row[0] < 0:  # -1: never vacuumed or analysed (PostgreSQL 14+)
        return None
    reltuples, relpages, pages = row
    return round(reltuples / relpages * pages) if relpages > 0 else round(reltuples)


def bounded_count(queryset: models.QuerySet, limit: int) -> int:
    """The rows of `queryset`, counted up to `limit`: `SELECT COUNT(*) FROM (SELECT 1 ... LIMIT limit)`, which stops
    reading after `limit` rows however many match. It selects a constant, so an index on the filtered columns
    answers it alone (an index-only scan), without reading the table."""
    return queryset.order_by().annotate(_row=models.Value(1)).values("_row")[:limit].count()


def index_values(model: type[models.Model], column: str, *, limit: int = 100, using: str = "default") -> list:
    """The distinct values of an indexed column, by a loose index scan: a recursive query that asks the index for
    the next value after the last one, once per value, instead of a `DISTINCT` that reads the whole table. At most
    `limit` values. The column must lead a btree index, or each step is a scan."""
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    col = connection.ops.quote_name(model._meta.get_field(column).column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE v(value, n) AS ("  # noqa: S608 (names from the model, quoted)
            f" (SELECT {col}, 1 FROM {table} WHERE {col} IS NOT NULL ORDER BY {col} LIMIT 1)"
            f" UNION ALL"
            f" SELECT (SELECT {col} FROM {table} WHERE {col} > v.value ORDER BY {col} LIMIT 1), v.n + 1"
            f" FROM v WHERE v.value IS NOT NULL AND v.n < %s"
            f") SELECT value FROM v WHERE value IS NOT NULL",
            [limit],
        )
        return [row[0] for row in cursor.fetchall()]


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts a big set exactly.

    Unfiltered, the count is PostgreSQL's estimate of the table (`table_estimate`), shown as "about 1,000,000".
    Filtered or searched (or when the table is small or never analysed), it is a count bounded by `max_rows` + 1:
    exact below the bound, "10,000+" at it. Either way `num_pages` stops at `max_rows` / `per_page`, and a page
    asked for beyond it is the last page shown (`requested_page` keeps the number asked for).
    """

    def __init__(self, *args, max_rows: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_rows = BIG_TABLE_MAX_ROWS if max_rows is None else max_rows
        self.count_is_estimate = False
        self.count_is_lower_bound = False
        self.requested_page: int | None = None

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            estimate = table_estimate(queryset.model, queryset.db)
            if estimate is not None and estimate > self.max_rows:
                self.count_is_estimate = True
                return estimate
        count = bounded_count(queryset, self.max_rows + 1)
        self.count_is_lower_bound = count > self.max_rows
        return count

    @property
    def capped(self) -> bool:
        """More rows than the pages shown hold."""
        return self.count_is_estimate or self.count_is_lower_bound

    @cached_property
    def num_pages(self) -> int:
        count = self.count
        if count == 0 and not self.allow_empty_first_page:
            return 0
        pages = math.ceil(max(1, count - self.orphans) / self.per_page)
        if self.capped:
            pages = min(pages, max(1, self.max_rows // self.per_page))
        return pages

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.capped and int(number) > self.num_pages:
                self.requested_page = int(number)
                return self.num_pages
            raise

    def page(self, number):
        """A page past the first, or of a filtered or searched list, is read as a deferred join: the page's ids
        first (`ORDER BY ... LIMIT 50 OFFSET n` over the ids alone, which an index holding the sort columns and the
        id answers without reading the table, and which the planner plans without the joins of the page's
        related rows), then only those 50 rows, with their related rows. `OFFSET n` then skips index entries, not
        the table's rows."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if isinstance(rows, models.QuerySet) and (bottom > 0 or rows.query.where) and not rows.query.distinct:
            rows = rows.filter(pk__in=rows.values("pk")[bottom:top])
        else:
            rows = rows[bottom:top]
        return self._get_page(rows, number, self)


class BigTableChangeList(ChangeList):
    """The changelist of a `BigTableAdmin`: sorts only by `sortable_by`, and labels an estimated or bounded count."""

    def get_ordering(self, request, queryset):
        # `?o=3` names a column by its place in list_display; Django sorts by it even when sortable_by leaves it
        # out (no header link is drawn for it). Drop those, so no URL sorts a million rows by a column without an
        # index.
        if self.params.get(ORDER_VAR) and self.sortable_by is not None:
            kept = []
            for part in self.params[ORDER_VAR].split("."):
                try:
                    name = self.list_display[int(part.rpartition("-")[2])]
                except (IndexError, ValueError):
                    continue
                if name in self.sortable_by:
                    kept.append(part)
            self.params = {key: value for key, value in self.params.items() if key != ORDER_VAR}
            if kept:
                self.params[ORDER_VAR] = ".".join(kept)
        return super().get_ordering(request, queryset)

    def get_results(self, request):
        super().get_results(request)
        paginator = self.paginator
        self.result_count_label = None
        self.search_count_label = None
        self.page_cap_note = None
        self.search_note = None
        if getattr(request, "big_table_search_capped", False):
            self.search_note = gettext(
                "More than %(count)s %(name)s match the search; the list shows %(count)s of them. Add a word to "
                "narrow it."
            ) % {
                "count": number_format(BIG_TABLE_SEARCH_MAX_ROWS, force_grouping=True),
                "name": self.opts.verbose_name_plural,
            }
        if not isinstance(paginator, EstimatedCountPaginator):
            return
        count = number_format(self.result_count, force_grouping=True)
        name = self.opts.verbose_name_plural
        if paginator.count_is_estimate:
            self.result_count_label = gettext("about %(count)s %(name)s") % {"count": count, "name": name}
            self.search_count_label = gettext("about %(count)s results") % {"count": count}
        elif paginator.count_is_lower_bound:
            count = number_format(paginator.max_rows, force_grouping=True)
            self.result_count_label = gettext("%(count)s+ %(name)s") % {"count": count, "name": name}
            self.search_count_label = gettext("%(count)s+ results") % {"count": count}
        if paginator.capped:
            pages = {"pages": number_format(paginator.num_pages, force_grouping=True)}
            if paginator.requested_page is not None:
                self.page_num = paginator.num_pages
                self.page_cap_note = gettext(
                    "Page %(page)s is past the %(pages)s pages shown; this is the last of them. Filter, search or "
                    "sort the other way round to see other rows."
                ) % {**pages, "page": number_format(paginator.requested_page, force_grouping=True)}
            elif self.page_num >= paginator.num_pages:
                self.page_cap_note = (
                    gettext(
                        "Only the first %(pages)s pages are shown. Filter, search or sort the other way round to see "
                        "other rows."
                    )
                    % pages
                )


class CurrencyListFilter(admin.SimpleListFilter):
    """Currency, from reference data: DKK and every currency with an exchange rate (a loose scan of the rates'
    unique index), never `SELECT DISTINCT currency` over the big table. Any code in the URL filters, also one
    without a rate. The parameter is Django's own (`currency__exact`), so bookmarks keep working."""

    title = _("currency")
    parameter_name = "currency__exact"

    def lookups(self, request, model_admin):
        codes = ["DKK", *(code for code in index_values(ExchangeRate, "currency") if code != "DKK")]
        return [(code, code) for code in codes]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(currency=value.strip().upper()) if value else queryset


class IndexedValuesListFilter(admin.SimpleListFilter):
    """A filter on a column without choices, its choices the column's values read by a loose index scan
    (`index_values`): one index probe per value instead of `SELECT DISTINCT` over the table. Subclass it with
    `field_name` (leading a btree index), `title` and `parameter_name` (`<field>__exact`)."""

    field_name: str

    def lookups(self, request, model_admin):
        return [(value, value) for value in index_values(model_admin.model, self.field_name)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(**{self.field_name: value}) if value else queryset


def _search_path(model: type[models.Model], spec: str) -> tuple[str, str]:
    """(relation path, ORM lookup) of a `search_fields` entry, read as Django reads it: `^`, `=`, `@` prefixes, an
    explicit lookup (`loan__loan_number__startswith`), else `icontains`."""
    for prefix, lookup in (("^", "istartswith"), ("=", "iexact"), ("@", "search")):
        if spec.startswith(prefix):
            spec = f"{spec[1:]}{LOOKUP_SEP}{lookup}"
            break
    parts = spec.split(LOOKUP_SEP)
    opts, relation, last_field = model._meta, [], None
    for part in parts:
        try:
            field = opts.get_field(opts.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            break
        last_field = field
        if not hasattr(field, "path_infos"):
            break
        relation.append(part)
        opts = field.path_infos[-1].to_opts
    explicit = last_field is not None and parts[-1] != last_field.name and last_field.get_lookup(parts[-1])
    lookup = spec if explicit else f"{spec}{LOOKUP_SEP}icontains"
    return LOOKUP_SEP.join(relation), lookup


def _term_condition(lookup: str, term: str) -> models.Q:
    """`lookup=term`; a case-sensitive prefix or exact lookup also tries the term in capitals, in small letters and
    capitalized, so that "dl0001" finds DL000123456 and "vestergade" Vestergade 12 through a btree index, where
    `UPPER(column)` would need an index of its own. Each is one more probe of the same index (a `BitmapOr`)."""
    condition = models.Q(**{lookup: term})
    if lookup.endswith((f"{LOOKUP_SEP}startswith", f"{LOOKUP_SEP}exact")):
        for variant in sorted({term.upper(), term.lower(), term[:1].upper() + term[1:].lower()} - {term}):
            condition |= models.Q(**{lookup: variant})
    return condition


class BigTableAdmin(admin.ModelAdmin):
    """The base of every admin over a table that grows past 100,000 rows: see the module docstring.

    An admin that uses it names the columns it may be sorted by (`sortable_by`, each with an index: the default is
    none) and writes `search_fields` that an index answers (`loan_number__startswith`, `national_id__exact`, a bare
    field only with a trigram index on `UPPER(field)`). `list_filter` takes choices, booleans, dates (with an index),
    foreign keys to small tables, `CurrencyListFilter` and `IndexedValuesListFilter`s.
    """

    paginator = EstimatedCountPaginator
    list_per_page = BIG_TABLE_PER_PAGE  # half Django's 100: rendering a row costs more than reading it
    show_full_result_count = False  # no second COUNT(*), of the unfiltered table, under the search box
    show_facets = ShowFacets.NEVER  # a facet is a COUNT per choice over the whole table
    sortable_by: tuple[str, ...] | list[str] = ()
    change_list_template = "common/admin/big_table_change_list.html"

    def get_changelist(self, request, **kwargs):
        return BigTableChangeList

    def get_search_results(self, request, queryset, search_term):
        """Search as an index answers it, with a bounded amount of work.

        The fields are grouped by the table they are on. A row matches when, in one group, every word of the
        search matches one of the group's fields: "anders jensen" finds borrowers with both words in the name,
        "DL0001" the loan numbers that start so; a word in one table and another word in another do not combine
        (as they do in Django's own search). Each group is one query that its index answers (a prefix of a
        btree `varchar_pattern_ops` index, a trigram index on `UPPER(field)`), which collects the ids of at most
        `BIG_TABLE_SEARCH_MAX_ROWS` rows; the list is then `id IN (those ids)`, sorted and paged as usual. A
        search that matches more rows than that says so (`cl.search_note`) and asks for another word: no common
        surname makes a page read twenty thousand rows to sort them.
        """
        fields = [str(field) for field in self.get_search_fields(request)]
        words = []
        for bit in smart_split(search_term or ""):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            if bit:
                words.append(bit)
        if not fields or not words:
            return queryset, False
        groups: dict[str, list[str]] = {}
        for spec in fields:
            relation, lookup = _search_path(self.model, spec)
            groups.setdefault(relation, []).append(lookup)
        limit = BIG_TABLE_SEARCH_MAX_ROWS
        ids: set = set()
        for lookups in groups.values():
            condition = models.Q()
            for word in words:
                either = models.Q(pk__in=[])
                for lookup in lookups:
                    either |= _term_condition(lookup, word)
                condition &= either
            found = list(
                self.model._default_manager.filter(condition)
                .order_by()
                .values_list("pk", flat=True)[: limit + 1]
            )
            if len(found) > limit:
                request.big_table_search_capped = True
            ids.update(found[:limit])
        # `id IN (...)` also keeps a search through a to-many relation from repeating rows, without DISTINCT
        return queryset.filter(pk__in=sorted(ids)), False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # a search counts and pages less far: its words narrow it better than paging does
        max_rows = BIG_TABLE_SEARCH_MAX_ROWS if request.GET.get(SEARCH_VAR) else None
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, max_rows=max_rows)

    def action_checkbox(self, obj):
        """Django's checkbox, written out: rendering a widget template per row was a quarter of a page's time."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    def check(self, **kwargs):
        return [*super().check(**kwargs), *self._check_big_table()]

    def _check_big_table(self) -> list[checks.CheckMessage]:
        errors = []
        label = f"{self.__class__.__name__} ({self.model._meta.label})"
        if self.date_hierarchy:
            errors.append(
                checks.Error(
                    f"{label}: a big table's changelist has no date_hierarchy (it reads the whole table for "
                    "MIN/MAX and DISTINCT dates); add the date to list_filter instead.",
                    obj=self.__class__,
                    id="common.E001",
                )
            )
        for item in self.list_filter:
            if not isinstance(item, str):
                continue  # a filter class, or (field, filter class): its author chose its choices
            try:
                field = get_fields_from_path(self.model, item)[-1]
            except (FieldDoesNotExist, NotRelationField):
                continue  # Django's own check reports the bad path
            if not (
                field.choices
                or field.remote_field
                or isinstance(field, (models.BooleanField, models.DateField))
            ):
                errors.append(
                    checks.Error(
                        f"{label}: list_filter {item!r} would read its choices with SELECT DISTINCT over the "
                        "table; use CurrencyListFilter, an IndexedValuesListFilter or a field with choices.",
                        obj=self.__class__,
                        id="common.E002",
                    )
                )
        for spec in self.search_fields:
            if str(spec).startswith(("^", "=")):
                errors.append(
                    checks.Error(
                        f"{label}: search field {spec!r} compares UPPER(...), which no index covers; write "
                        "'<field>__startswith' or '<field>__exact'.",
                        obj=self.__class__,
                        id="common.E003",
                    )
                )
        return errors


class JobListFilter(IndexedValuesListFilter):
    title = _("job")
    parameter_name = "job__exact"
    field_name = "job"  # leads the unique index (job, business_date)


@admin.register(JobRun)
class JobRunAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ["job", "business_date", "state", "started_at", "finished_at"]
    list_filter = [JobListFilter, "state", "business_date"]
    search_fields = ["job__exact"]
    search_help_text = _("The job's whole name, e.g. payment_notices.")
    sortable_by = ["started_at"]


class ImportKindListFilter(IndexedValuesListFilter):
    title = _("kind")
    parameter_name = "kind__exact"
    field_name = "kind"  # leads the index (kind, started_at)


@admin.register(ImportRun)
class ImportRunAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = [
        "kind",
        "file_name",
        "started_at",
        "user",
        "ok",
        "rows",
        "created",
        "updated",
        "unchanged",
    ]
    list_filter = [ImportKindListFilter, "ok", "started_at"]
    search_fields = ["file_name__startswith"]
    search_help_text = _("The start of the file's name.")
    list_select_related = ["user"]
    sortable_by = ["started_at"]


@admin.register(ExportLog)
class ExportLogAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = [
        "created_at",
        "user",
        "kind",
        "source",
        "format",
        "dialect",
        "row_count",
        "file_name",
        "completed",
    ]
    list_filter = ["kind", "format", "source", "completed", "include_do_not_contact", "created_at"]
    search_fields = ["file_name__startswith", "user__username__startswith"]
    search_help_text = _("The start of the file's name or of the user's name.")
    list_select_related = ["user"]
    sortable_by = ["created_at"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["rate_date", "currency", "rate"]
    list_filter = ["currency"]
    search_fields = ["=currency"]
    date_hierarchy = "rate_date"
    ordering = ["-rate_date", "currency"]


class OutboxKindListFilter(IndexedValuesListFilter):
    title = _("kind")
    parameter_name = "kind__exact"
    field_name = "kind"  # leads the index (kind, state, created_at)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(BigTableAdmin, ReadOnlyAdmin):
    """The outbox, a record (common.outbox writes and moves it); a failed message is given another round of
    attempts with the "retry" action."""

    list_display = ["created_at", "kind", "key", "state", "attempts", "available_at", "sent_at"]
    list_filter = [OutboxKindListFilter, "state", "created_at"]
    search_fields = ["key__startswith"]
    search_help_text = _("The start of the message's key, e.g. celery_task:loanregister.")
    sortable_by = ["created_at"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    actions = ["retry_failed"]

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("common.change_outboxmessage")

    @admin.action(permissions=["retry"], description=_("Retry the selected failed messages"))
    def retry_failed(self, request, queryset) -> None:
        from .outbox import retry_failed

        count = retry_failed(ids=queryset.values_list("id", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d failed message will be tried again.",
                "%(count)d failed messages will be tried again.",
                count,
            )
            % {"count": count},
        )


# The nightly schedule (common/schedule.py): django-celery-beat's periodic tasks with their crontabs and intervals.
# Solar and one-off clocked schedules are no part of it; their admins would only confuse.
def _schedule_admin_trimmed() -> None:
    from django_celery_beat.models import ClockedSchedule, SolarSchedule

    for model in (ClockedSchedule, SolarSchedule):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_schedule_admin_trimmed()
