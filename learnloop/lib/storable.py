"""Text from outside made storable: both databases refuse a NUL character, and UTF-8 has no lone
surrogate (JSON and Slack exports can carry both). Where input is a person's, say so instead
(accounts.setup); where it is a tool's payload, clean it."""


def storable(value: str) -> str:
    return value.replace("\x00", "").encode("utf-8", "replace").decode()
