"""`{% big_table_pagination cl %}` and `{% big_table_search_form cl %}`: Django admin's own pagination and search
form, with the estimated or bounded count of a `BigTableAdmin` changelist ("about 1,000,000 loans", "10,000+
results") and the note past the last page shown (common/admin.py)."""

from django import template
from django.contrib.admin.templatetags.admin_list import pagination, search_form

register = template.Library()


@register.inclusion_tag("common/admin/big_table_pagination.html")
def big_table_pagination(cl):
    return pagination(cl)


@register.inclusion_tag("common/admin/big_table_search_form.html")
def big_table_search_form(cl):
    # Unlike Django's, the count beside the search box is shown only when a search or filter narrows the list.
    context = search_form(cl)
    context["show_result_count"] = bool(cl.query or cl.has_active_filters)
    return context
