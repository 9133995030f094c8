"""A select written out in Python, and a choice of one of an organisation's named things. Django
renders each option of a select through templates of its own (one for the option, one for its
attributes): the list pages' filter forms, with an organisation's 50 teams and 150 services,
spent about 20 ms a page on them. The HTML is Django's own, character for character
(tests/test_widgets.py compares the two). Past LISTED named things, a choice is typed, with
suggestions, instead of listed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from learnloop.lib.escaping import escaped


def _attributes(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html: False leaves a name out, True writes it alone."""
    return "".join(
        f" {escaped(name)}" if value is True else f' {escaped(name)}="{escaped(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListedSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [
            f'<select name="{escaped(widget["name"])}"{_attributes(widget["attrs"])}>'
        ]
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escaped(group_name)}">')
            parts.extend(
                # As Django's file, with the newline it ends with.
                f'\n  <option value="{escaped(option["value"])}"'
                f"{_attributes(option['attrs'])}>{escaped(option['label'])}</option>\n"
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every value was escaped (escaped)


class ListedSelectMultiple(ListedSelect, forms.SelectMultiple):
    """Django's SelectMultiple, written out as ListedSelect writes a select."""


class ListedCheckboxes(forms.CheckboxSelectMultiple):
    """Django's CheckboxSelectMultiple, written out as ListedSelect writes a select: a review's
    evidence picker offers every key event, 2,000 of them in the bench's largest review."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        own = widget["attrs"]
        parts: list[str] = [
            "<div"
            + (f' id="{escaped(own["id"])}"' if own.get("id") else "")
            + (f' class="{escaped(own["class"])}"' if own.get("class") else "")
            + ">"
        ]
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(f"\n  <div><label>{escaped(group_name)}</label>")
            parts.extend(f"<div>\n    {_checkbox(option)}</div>" for option in options)
            if group_name:
                parts.append("\n  </div>")
        parts.append("\n</div>")
        return mark_safe("".join(parts))  # every value was escaped (escaped)


def _checkbox(option: dict[str, Any]) -> str:
    """As django/forms/widgets/checkbox_option.html, with the newlines its files end with."""
    value = option["value"]
    shown = f' value="{escaped(value)}"' if value is not None else ""
    box = (
        f'<input type="{escaped(option["type"])}" name="{escaped(option["name"])}"'
        f"{shown}{_attributes(option['attrs'])}>\n"
    )
    if not option["wrap_label"]:
        return f"{box}\n\n"
    box_id = option["attrs"].get("id")
    label_for = f' for="{escaped(box_id)}"' if box_id else ""
    return f"<label{label_for}>{box} {escaped(option['label'])}</label>\n\n"


class ValuesChoiceIterator(ModelChoiceIterator):
    """A ModelChoiceField's choices as (pk, label) from the columns its label is made of, read
    by values_list: no model instance for each of an organisation's people or services."""

    field: ValuesChoice

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, *values in self.queryset.values_list("pk", *self.field.label_columns):
            yield (pk, self.field.label_from_values(*values))


class ListedChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A ModelChoiceField written out by ListedSelect, or ListedSelectMultiple for a
    ModelMultipleChoiceField put after it among a field's bases, unless it is given another
    widget."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        multiple = isinstance(self, forms.ModelMultipleChoiceField)
        kwargs.setdefault("widget", ListedSelectMultiple if multiple else ListedSelect)
        super().__init__(*args, **kwargs)


class ValuesChoice(ListedChoice):
    """A ListedChoice whose choices are read as values (ValuesChoiceIterator). The label is the
    `name` unless label_columns and label_from_values say otherwise."""

    iterator = ValuesChoiceIterator
    label_columns: tuple[str, ...] = ("name",)

    def label_from_values(self, *values: Any) -> str:
        return str(values[0])


# More of them than this, and a named thing is typed, with suggestions, rather than chosen from a
# list: an organisation whose services come from its software catalogue may have thousands, which
# every list page would otherwise read and write out.
LISTED = 100
SUGGESTED = 20  # suggestions given for what has been typed


def past_listed(found: QuerySet[Any, Any]) -> bool:
    """Whether there are more of these than LISTED: one query, LISTED + 1 ids at most."""
    return len(found.values_list("pk", flat=True)[: LISTED + 1]) > LISTED


class SuggestedInput(forms.TextInput):
    """A text box for a slug (or an address), whose suggestions (`<option value="slug">name
    </option>`, a datalist) the page at `suggestions` answers as one types: htmx asks for them
    with the box's own value, under the box's name, which the parameter `box` gives."""

    def __init__(self, suggestions: str, placeholder: str = "type a name") -> None:
        super().__init__(attrs={"autocomplete": "off", "placeholder": placeholder})
        self.suggestions = suggestions

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        listed = f"{(attrs or {}).get('id') or name}-names"
        attrs = {
            **(attrs or {}),
            "list": listed,
            "hx-get": f"{self.suggestions}?{urlencode({'box': name})}",
            "hx-trigger": "input changed delay:250ms, focus once",
            "hx-target": f"#{listed}",
            "hx-swap": "innerHTML",
            # Not what a filter form around it would have its own requests do:
            "hx-select": "unset",
            "hx-push-url": "false",
        }
        box = format_html(
            '<input type="text" name="{}"{}{}>',
            name,
            format_html(' value="{}"', value) if value else "",
            mark_safe(_attributes(self.build_attrs(self.attrs, attrs))),  # escaped
        )
        return format_html('{}<datalist id="{}"></datalist>', box, listed)


def type_in(field: forms.Field, suggestions: str, placeholder: str = "type a name") -> None:
    """Makes the field a box to type in, with suggestions from that address: how every choice
    of an organisation's people or named things is made past LISTED of them."""
    field.widget = SuggestedInput(suggestions, placeholder)
    field.widget.is_required = field.required


def is_typed(field: forms.Field) -> bool:
    return isinstance(field.widget, SuggestedInput)


def suggested(named: QuerySet[Any, Any], typed: str) -> list[tuple[str, str]]:
    """The (slug, name) pairs suggested for what has been typed: names or slugs holding it."""
    found = named.filter(Q(name__icontains=typed) | Q(slug__icontains=typed)) if typed else named
    return list(found.order_by("name").values_list("slug", "name")[:SUGGESTED])


class NamedChoice(forms.ChoiceField):
    """One of an organisation's teams, services or themes, by its slug, which is the cleaned
    value ("" for none). Up to LISTED of them are offered as a list of their (slug, name)
    pairs, read in one query (a ModelChoiceField made a model instance of each to write the
    options, and read them again to check the choice); more are typed, with suggestions, and a
    choice is checked by one lookup of its slug."""

    widget: type[forms.Widget] | forms.Widget = ListedSelect

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.named: QuerySet[Any, Any] | None = None  # when typed
        self.found: dict[str, str] = {}  # slug: name, of the typed choices looked up

    def offer(self, named: QuerySet[Any, Any], suggestions: str) -> None:
        """Offers these (the organisation's), listed or typed with suggestions from that
        address (a `suggested_names` page)."""
        self.found = {}  # a form's fields are shallow copies of its class's: not shared
        pairs = list(named.values_list("slug", "name")[: LISTED + 1])
        if len(pairs) <= LISTED:
            self.choices = [("", "---------"), *pairs]
            return
        self.named = named
        type_in(self, suggestions)

    def valid_value(self, value: Any) -> bool:
        if self.named is None:
            return super().valid_value(value)
        if value not in self.found:
            self.found.update(self.named.filter(slug=value).values_list("slug", "name")[:1])
        return value in self.found

    def name_of(self, slug: str) -> str:
        names: dict[str, str] = self.found if self.named is not None else dict(self.choices)  # type: ignore[arg-type]
        return names[slug]


class NamedModelChoice(ValuesChoice):
    """One of an organisation's teams or services, for a form that saves it (the cleaned value
    is the instance), listed by name up to LISTED of them; past that typed by its slug, with
    suggestions, and looked up by it, as NamedChoice does for the filters."""

    named: QuerySet[Any, Any] | None = None  # when typed

    def offer(self, named: QuerySet[Any, Any], suggestions: str) -> None:
        """Offers these (the organisation's), listed or typed with suggestions from that
        address (a `suggested_names` page)."""
        self.queryset = named
        if past_listed(named):
            self.named = named
            type_in(self, suggestions)

    def to_python(self, value: Any) -> Any:
        if self.named is None:
            return super().to_python(value)
        slug = str(value or "").strip()
        if not slug:
            return None
        found = self.named.filter(slug=slug).first()
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": slug},
            )
        return found

    def prepare_value(self, value: Any) -> Any:
        """The box's text when typed: what was typed, or the chosen one's slug."""
        if self.named is None:
            return super().prepare_value(value)
        if value is None or isinstance(value, str):
            return value or ""
        if isinstance(value, Model):
            return getattr(value, "slug", "")
        return self.named.filter(pk=value).values_list("slug", flat=True).first() or ""
