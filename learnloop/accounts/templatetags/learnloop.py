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
