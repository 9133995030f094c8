from typing import Any

from django.http import HttpRequest

from learnloop.accounts.rights import membership_of


def membership(request: HttpRequest) -> dict[str, Any]:
    return {"membership": membership_of(request.user)}
