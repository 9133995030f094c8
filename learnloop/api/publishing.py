"""API: publishing."""

from ninja import Router

router = Router(tags=["publishing"])
