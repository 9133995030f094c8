"""One NinjaAPI; each app contributes its router. Described at /api/v1/openapi.json."""

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from learnloop import __version__
from learnloop.api.auth import auth
from learnloop.api.errors import install_error_handlers
from learnloop.api.openapi import LearnloopAPI
from learnloop.api.renderer import Renderer

api = LearnloopAPI(
    title="learnloop API",
    version=__version__,
    description="Incidents, consequence decisions, analysis assignments, interviews, key events, "
    "learning themes and analysis reports. Authenticate with `Authorization: Bearer TOKEN`.",
    auth=auth,
    renderer=Renderer(),
    urls_namespace="api",
)
install_error_handlers(api)

from learnloop.api import routers  # noqa: E402

routers.register(api)

from learnloop.api import actions  # noqa: E402

api.add_router("/", actions.router)

from learnloop.api import incidents  # noqa: E402

api.add_router("/", incidents.router)

from learnloop.api import analysis  # noqa: E402

api.add_router("/", analysis.router)

from learnloop.api import trackers  # noqa: E402

api.add_router("/", trackers.router)

from learnloop.api import costs  # noqa: E402

api.add_router("/", costs.router)

from learnloop.api import reviews  # noqa: E402

api.add_router("/", reviews.router)

from learnloop.api import narratives  # noqa: E402

api.add_router("/", narratives.router)

from learnloop.api import portal  # noqa: E402

api.add_router("/", portal.router)

from learnloop.api import publishing  # noqa: E402

api.add_router("/", publishing.router)

from learnloop.api import search  # noqa: E402

api.add_router("/", search.router)


def root(request: HttpRequest) -> JsonResponse:
    """`/api/v1/` itself: where the API is described, instead of a page saying 404."""
    return JsonResponse(
        {
            "name": "learnloop API",
            "version": __version__,
            "docs": request.build_absolute_uri(reverse("api:openapi-view")),
            "openapi": request.build_absolute_uri(reverse("api:openapi-json")),
            "authentication": "Authorization: Bearer TOKEN (create one at /account/tokens/)",
        }
    )


from learnloop.api import audit  # noqa: E402

api.add_router("/", audit.router)

from learnloop.api import organisation  # noqa: E402

api.add_router("/", organisation.router)

from learnloop.api import intake  # noqa: E402

api.add_router("/", intake.router)

from learnloop.api import chat  # noqa: E402

api.add_router("/", chat.router)

from learnloop.api import webhooks  # noqa: E402

api.add_router("/", webhooks.router)
