"""The register filter's fields drawn in Python: the HTML `_register_filter_fields.html` and Django's widget templates
draw, written from each widget's own context (issue 9, targets 1 and 4).

Django draws every widget through its templates, one template include per option: the register's dozen fields
took 20-40 ms to draw, a quarter of the CPU of a mixed load under gunicorn, since each new filter draws its form
once per worker process. Here the same widget contexts (`Widget.get_context`, so every attribute, value and
choice is Django's own) are written out with string formatting. A widget this module does not know (a new field
with another template) is drawn by Django, so a new filter is never wrong, only slower;
tests/loanregister/test_filter_fields.py holds the two drawings equal, character for character, for a table of
filters in both languages.
"""

from html import escape as _html_escape

from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

_INPUT = "django/forms/widgets/input.html"
_INPUTS = {
    _INPUT,
    "django/forms/widgets/text.html",
    "django/forms/widgets/number.html",
    "django/forms/widgets/date.html",
    "django/forms/widgets/search.html",
    "django/forms/widgets/checkbox.html",
    "django/forms/widgets/email.html",
    "django/forms/widgets/hidden.html",
}
_CHECKBOX_OPTION = "django/forms/widgets/checkbox_option.html"
_SELECT = "django/forms/widgets/select.html"
_SELECT_OPTION = "django/forms/widgets/select_option.html"
_DATALIST = "loanregister/widgets/datalist_input.html"


def _e(value) -> str:
    """What the template language writes for `{{ value }}`: escaped unless already marked safe."""
    if isinstance(value, SafeString):
        return str(value)
    return _html_escape(str(value))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {name}" if value is True else f' {name}="{_e(value)}"')
    return "".join(out)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_e(widget["value"])}"'
    return f'<input type="{_e(widget["type"])}" name="{_e(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_e(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_e(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _SELECT_OPTION:
                return None
            # each option's template ends with a newline, kept by the include
            parts.append(
                f'\n  <option value="{_e(option["value"])}"{_attrs(option["attrs"])}>{_e(option["label"])}</option>\n'
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _datalist(widget: dict) -> str:
    options = "".join(
        f'<option value="{_e(value)}">{_e(label)}</option>' for value, label in widget["options"]
    )
    # the included input.html keeps its closing newline; the widget's own output is stripped (BaseRenderer.render)
    return f'{_input(widget)}\n<datalist id="{_e(widget["datalist_id"])}">{options}</datalist>'


def _widget_html(field: BoundField) -> str:
    """`{{ field }}`: BoundField.as_widget's attributes and value, the widget's context, its template's HTML."""
    widget = field.field.widget
    if field.field.localize:
        widget.is_localized = True
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    template = widget.template_name
    html = None
    if template in _INPUTS:
        html = _input(context)
    elif template == _SELECT:
        html = _select(context)
    elif template == _DATALIST:
        html = _datalist(context)
    return html if html is not None else str(field)


def _choice_tag(choice) -> str:
    """`{{ choice.tag }}` of a checkbox among several: input_option.html without its label."""
    if choice.data.get("template_name") != _CHECKBOX_OPTION:
        return str(choice.tag())
    return _input(choice.data)


def filter_fields_html(form) -> SafeString:
    """loanregister/_register_filter_fields.html for `form` (RegisterFilter's form), a refused value's message
    next to its field included."""
    parts = []
    for field in form:
        parts.append("\n  ")
        if field.name in ("kind", "loan_type"):
            choices = "".join(
                f'<label class="check">{_choice_tag(choice)} {_e(choice.choice_label)}</label>'
                for choice in field
            )
            parts.append(
                f'\n  <fieldset class="filter-{_e(field.name)}">\n    <legend>{_e(field.label)}</legend>\n'
                f"    {choices}\n  </fieldset>\n  "
            )
        elif field.name == "mine":
            parts.append(
                f'\n  <label class="check" for="{_e(field.id_for_label)}">{_widget_html(field)} {_e(field.label)}'
                f"</label>\n  "
            )
        else:
            parts.append(
                f'\n  <label for="{_e(field.id_for_label)}">{_e(field.label)}</label>\n  {_widget_html(field)}\n  '
            )
        parts.append("\n  ")
        if field.errors:
            errors = " ".join(_e(error) for error in field.errors)
            parts.append(f'<div class="error" role="alert" id="{_e(field.auto_id)}-errors">{errors}</div>')
        parts.append("\n")
    parts.append("\n")  # the template file's last line
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped
