from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def hours(value: Decimal | int | None) -> str:
    """2.50 → 2.5, 3.00 → 3: hours as people write them."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def person(user: object) -> str:
    """A person as pages name them: the full name, else the email; nobody (None) is ""."""
    if user is None:
        return ""
    name = getattr(user, "get_full_name", lambda: "")()
    return str(name or getattr(user, "email", ""))


@register.filter
def fields(values: object) -> str:
    """{"role": "admin", "team_id": None} → "role: admin; team id: none", for the audit trail."""
    if not isinstance(values, dict):
        return "" if values is None else str(values)
    shown = []
    for name, value in values.items():
        text = (
            "none"
            if value is None
            else "yes"
            if value is True
            else "no"
            if value is False
            else value
        )
        shown.append(f"{str(name).replace('_', ' ')}: {text}")
    return "; ".join(shown)
