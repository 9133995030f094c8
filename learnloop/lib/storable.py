"""Text from outside made storable: both databases refuse a NUL character, and UTF-8 has no lone
surrogate (JSON and Slack exports can carry both). Where input is a person's, say so instead
(`refusal`: accounts.setup, the API's bodies; a NUL in an address is refused by
learnloop/middleware.py); where it is a tool's payload, clean it (`storable`)."""


def storable(value: str) -> str:
    return value.replace("\x00", "").encode("utf-8", "replace").decode()


def refusal(value: str) -> str | None:
    """Why this text cannot be stored, or None when it can."""
    if "\x00" in value:
        return "Contains a NUL character, which cannot be stored."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Contains a lone surrogate, which is not text."
    return None
