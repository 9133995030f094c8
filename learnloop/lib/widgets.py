"""A select written out in Python, and a choice of one of an organisation's named things. Django
renders each option of a select through templates of its own (one for the option, one for its
attributes): the list pages' filter forms, with an organisation's 50 teams and 150 services,
spent about 20 ms a page on them. The HTML is Django's own, character for character
(tests/test_widgets.py compares the two)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _attributes(attrs: dict[str, Any]) -> SafeString:
    """As django/forms/widgets/attrs.html: False leaves a name out, True writes it alone."""
    return format_html_join(
        "",
        "{}",
        (
            (
                format_html(" {}", name)
                if value is True
                else format_html(' {}="{}"', name, str(value)),
            )
            for name, value in attrs.items()
            if value is not False
        ),
    )


class ListedSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [
            format_html('<select name="{}"{}>', widget["name"], _attributes(widget["attrs"]))
        ]
        for group_name, options, _ in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',  # as Django's file, a newline
                        str(option["value"]),
                        _attributes(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every value was escaped by format_html


class NamedChoice(forms.ChoiceField):
    """One of an organisation's teams, services or themes, by its slug, which is the cleaned
    value ("" for none). Its options are the (slug, name) pairs of `offer`'s queryset, read in
    one query: a ModelChoiceField made a model instance of each of the organisation's teams and
    services to write the options, and read them again to check the choice."""

    widget = ListedSelect

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def offer(self, named: QuerySet[Any, Any]) -> None:
        self.choices = [("", "---------"), *named.values_list("slug", "name")]

    def name_of(self, slug: str) -> str:
        names: dict[str, str] = dict(self.choices)  # type: ignore[arg-type]
        return names[slug]
