"""Background tasks (django-tasks, database queue): posting an organisation's ledger takes
seconds for a large organisation (it derives every source's amount), so no page waits for it."""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def post_ledger(organisation_id: int) -> int:
    from learnloop.accounts.models import Organisation
    from learnloop.costs import ledger

    organisation = Organisation.objects.filter(pk=organisation_id).first()
    return ledger.post(organisation) if organisation is not None else 0


def post_soon(organisation_id: int) -> None:
    """Asks the worker to post the organisation's ledger once the caller's transaction has
    committed (a cost input changed: its manager expects to see it within moments)."""
    transaction.on_commit(lambda: post_ledger.enqueue(organisation_id))


POST_EVERY = 15 * 60  # seconds between the worker's postings of every organisation's ledger


def post_every_ledger() -> int:
    """Posts every organisation's ledger, each in a transaction of its own; returns how many
    entries were appended. The worker runs it every POST_EVERY seconds: analysis time, reviews
    and actions change the sources without asking, open actions accrue by the day, and a
    review becomes a cost once it starts. One organisation's failure is logged and the others
    are posted all the same."""
    from learnloop.accounts.models import Organisation
    from learnloop.costs import ledger

    appended = 0
    for organisation in Organisation.objects.order_by("pk"):
        try:
            appended += ledger.post(organisation)
        except Exception:  # one organisation's faulty source must not stop the others'
            logger.exception("posting the ledger of %s failed", organisation.slug)
    return appended
