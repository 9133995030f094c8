"""Every app's router, registered on the one API."""

from ninja import NinjaAPI, Router

health = Router(tags=["meta"])


@health.get("/me", summary="Who the caller is")
def me(request):  # type: ignore[no-untyped-def]
    user = request.user
    return {"email": user.email}


def register(api: NinjaAPI) -> None:
    api.add_router("/", health)
