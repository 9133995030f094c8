"""The product manager's backlog: improvement actions and planned features in one ranking.
CD3 orders it; a manager's placement overrides CD3 for that item and is kept as history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from learnloop.accounts.models import Team
from learnloop.actions.models import BacklogPlacement, ImprovementAction, PlannedFeature
from learnloop.actions.services import OPEN, accrued_cost_of_delay
from learnloop.lib.cost_of_delay import cd3


@dataclass
class BacklogItem:
    kind: str  # "action" or "feature"
    item: ImprovementAction | PlannedFeature
    cd3: Decimal | None
    cost_of_delay_per_week: Decimal | None
    accrued: Decimal
    age_days: int
    overdue: bool
    placed_rank: int | None

    @property
    def title(self) -> str:
        return self.item.title


def _by_cd3(entry: BacklogItem) -> tuple[Decimal, int]:
    # Highest CD3 first; unknown CD3 last; then oldest first.
    return (-(entry.cd3 if entry.cd3 is not None else Decimal("-1")), -entry.age_days)


def _in_order(items: list[BacklogItem], placed: dict[tuple[str, int], int]) -> list[BacklogItem]:
    """CD3 orders the backlog; then each placed item is put at its rank, lowest rank first, so
    every one lands where its manager put it. Of two placed at one rank, the later decision
    takes it and the earlier moves one down."""
    decided = {key: number for number, key in enumerate(placed)}  # latest decision last
    unplaced = sorted((e for e in items if e.placed_rank is None), key=_by_cd3)
    chosen = sorted(
        (e for e in items if e.placed_rank is not None),
        key=lambda e: (e.placed_rank, decided[(e.kind, e.item.pk)]),
    )
    for entry in chosen:
        assert entry.placed_rank is not None
        unplaced.insert(min(entry.placed_rank, len(unplaced) + 1) - 1, entry)
    return unplaced


def latest_placements(team: Team) -> dict[tuple[str, int], int]:
    """Each item's latest rank, keyed in the order the latest decisions were taken."""
    placed: dict[tuple[str, int], int] = {}
    for placement in BacklogPlacement.objects.filter(team=team).order_by("created_at", "id"):
        key = (
            ("action", placement.action_id)
            if placement.action_id
            else ("feature", placement.feature_id)
        )
        placed.pop(key, None)  # type: ignore[arg-type]
        placed[key] = placement.rank  # type: ignore[index]
    return placed


def ranked(team: Team, now: datetime | None = None) -> list[BacklogItem]:
    now = now or timezone.now()
    placed = latest_placements(team)
    items: list[BacklogItem] = []
    actions = ImprovementAction.objects.filter(owner_team=team, status__in=OPEN).select_related(
        "incident"
    )
    for action in actions:
        items.append(
            BacklogItem(
                kind="action",
                item=action,
                cd3=cd3(action.cost_of_delay_per_week, action.estimate_weeks),
                cost_of_delay_per_week=action.cost_of_delay_per_week,
                accrued=accrued_cost_of_delay(action, now),
                age_days=(now - action.idea_at).days,
                overdue=action.target_at < now,
                placed_rank=placed.get(("action", action.pk)),
            )
        )
    for feature in PlannedFeature.objects.filter(team=team, done=False):
        items.append(
            BacklogItem(
                kind="feature",
                item=feature,
                cd3=cd3(feature.cost_of_delay_per_week, feature.estimate_weeks),
                cost_of_delay_per_week=feature.cost_of_delay_per_week,
                accrued=Decimal("0.00"),
                age_days=(now - feature.created_at).days,
                overdue=False,
                placed_rank=placed.get(("feature", feature.pk)),
            )
        )
    return _in_order(items, placed)


@transaction.atomic
def place(
    team: Team,
    item: ImprovementAction | PlannedFeature,
    rank: int,
    by: User | None,
    reason: str = "",
) -> BacklogPlacement:
    """Records the manager's decision to put an item at a rank (1 is the top)."""
    if rank < 1:
        raise ValueError("Ranks start at 1.")
    if isinstance(item, ImprovementAction):
        return BacklogPlacement.objects.create(
            team=team, action=item, rank=rank, by=by, reason=reason
        )
    return BacklogPlacement.objects.create(team=team, feature=item, rank=rank, by=by, reason=reason)
