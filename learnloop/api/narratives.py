"""API: narratives."""

from ninja import Router

router = Router(tags=["narratives"])
