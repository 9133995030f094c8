"""The first draft of a narrative, written from everything learnloop holds about the incident, as
the playbook asks: a story in prose (what happened in the order people experienced it, what made
sense to them at the time, where the accounts differ, what the organisation learned and what will
change), each claim pointing at its numbered key event, factor or action, and the structured
facts in an appendix.

The draft is Markdown for people to rewrite. Its own wording stays clear of the phrases the
language check flags; what it quotes from reports and notes is left as written, marked as a quote.
Private interview notes never appear: only notes shared with the review do.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count

from learnloop.actions.models import ImprovementAction
from learnloop.incidents.models import Incident
from learnloop.narratives import prose
from learnloop.narratives.models import NarrativeVersion
from learnloop.narratives.prose import listed as _listed
from learnloop.narratives.prose import moment, one_line, quoted
from learnloop.narratives.services import add_version, narrative_for
from learnloop.reviews.models import (
    ContextNote,
    ContributingFactor,
    FactorKind,
    Learning,
    Review,
    ReviewStatus,
)
from learnloop.reviews.timeline import MergedTimeline, TimelineEntry, merged_timeline_for

GENERATED_NOTE = "Draft generated from the incident, its analyses and its review"


def generate_draft(incident: Incident, author: User | None) -> NarrativeVersion:
    """Saves a newly generated draft as the narrative's next version (creating the narrative,
    titled after the incident, if it has none). Earlier versions stay as they were."""
    narrative = narrative_for(incident)
    return add_version(narrative, draft_text(incident), author, GENERATED_NOTE)


def draft_text(incident: Incident) -> str:
    timeline = merged_timeline_for(incident)
    numbers = {entry.event.pk: index for index, entry in enumerate(timeline.entries, start=1)}
    review = (
        Review.objects.filter(incident=incident)
        .exclude(status=ReviewStatus.CANCELLED)
        .order_by("-starts_at")
        .first()
    )
    # No "# title": every page that shows a narrative (editor, portal, slides, static site,
    # Confluence, email) shows its title already.
    notes = _context_notes(review)
    learnings = _ranked_learnings(incident)
    factors = _numbered_factors(incident)
    actions = list(ImprovementAction.objects.filter(incident=incident).select_related("owner_team"))
    parts = [
        prose.what_happened(incident, timeline, numbers, notes),
        prose.made_sense(incident),
        prose.accounts_differ(timeline, numbers),
        prose.learned(learnings, factors),
        prose.will_change(actions),
        "## Appendix: the facts",
        _summary(incident),
        _impact(incident),
        _story(timeline, dict(notes)),
        _factors(factors, numbers),
        _learnings(incident, learnings),
        _changes(actions),
    ]
    return "\n\n".join(part.strip() for part in parts) + "\n"


def _numbered_factors(incident: Incident) -> list[ContributingFactor]:
    """Human factors first, then technical: the order the appendix numbers them in."""
    found = ContributingFactor.objects.filter(incident=incident).prefetch_related(
        "key_events", "interviews__interviewee"
    )
    order = {FactorKind.HUMAN: 0, FactorKind.TECHNICAL: 1}
    return sorted(found, key=lambda f: (order.get(FactorKind(f.kind), 2), f.pk))


def _ranked_learnings(incident: Incident) -> list[Learning]:
    return list(
        Learning.objects.filter(incident=incident)
        .annotate(vote_count=Count("votes"))
        .order_by("-vote_count", "position", "id")
    )


def _summary(incident: Incident) -> str:
    facts = [
        f"- Incident: {incident.key}",
        f"- Team: {incident.team.name if incident.team else 'not recorded'}",
        f"- Service: {incident.service.name if incident.service else 'not recorded'}",
        f"- Severity: {incident.get_severity_display() if incident.severity else 'not recorded'}",
        f"- Started: {moment(incident.started_at)}",
        f"- Detected: {moment(incident.detected_at)}",
        f"- Mitigated: {moment(incident.mitigated_at)}",
        f"- Resolved: {moment(incident.resolved_at)}",
    ]
    detection = (incident.report_facts or {}).get("detection") or {}
    if detection.get("method"):
        facts.append(f"- How it came to light: {one_line(str(detection['method']))}")
    lines = ["### Summary", ""]
    if incident.summary.strip():
        lines += [quoted(incident.summary), ""]
    lines += facts
    sources = (incident.report_facts or {}).get("sources") or []
    if sources:
        lines += ["", "Written from these sources:", ""]
        lines += [f"- {_source(source)}" for source in sources]
    return "\n".join(lines)


def _source(source: dict[str, Any]) -> str:
    title = one_line(str(source.get("title") or "untitled"))
    url = str(source.get("url") or "")
    link = f"[{title}]({url})" if url.startswith(("http://", "https://")) else title
    author = one_line(str(source.get("author") or ""))
    return f"{link}{f', by {author}' if author else ''}"


def _impact(incident: Incident) -> str:
    lines = ["### Impact", ""]
    if incident.impact_summary.strip():
        lines += [quoted(incident.impact_summary), ""]
    lines.append(f"- Customers affected: {'yes' if incident.customer_facing else 'no'}")
    lines.append(f"- Data lost: {'yes' if incident.data_loss else 'no'}")
    if incident.duration is not None:
        minutes = int(incident.duration.total_seconds() // 60)
        lines.append(f"- Duration: {minutes // 60} h {minutes % 60} min")
    if incident.estimated_loss is not None:
        lines.append(
            f"- Estimated loss: {incident.estimated_loss} {incident.organisation.currency}"
        )
    for metric in (incident.report_facts or {}).get("impact_metrics") or []:
        lines.append(f"- {one_line(str(metric.get('name')))}: {one_line(str(metric.get('value')))}")
    return "\n".join(lines)


def _story(timeline: MergedTimeline, notes: dict[int | None, list[str]]) -> str:
    lines = ["### Timeline", ""]
    if not timeline.entries:
        lines.append("No key events are recorded yet. The analyses add them.")
        return "\n".join(lines)
    first = next((e.event.occurred_at for e in timeline.entries if e.event.occurred_at), None)
    lines.append(
        "The story follows the merged timeline: every key event, in time order, each with its "
        "time as precisely as it was told (UTC"
        + (f", from {first:%B %Y}" if first else "")
        + ") and whose account it is. Where accounts differ, the story keeps every one of them "
        "and lists the difference under open questions."
    )
    opening = notes.pop(None, [])
    lines += ["", *opening, ""] if opening else [""]
    for number, entry in enumerate(timeline.entries, start=1):
        lines.append(_story_line(number, entry))
        indent = " " * len(f"{number}. ")  # a nested item: the note stays beside its event
        lines += [f"{indent}- {line}" for line in notes.pop(entry.event.pk, [])]
    if timeline.groups:
        lines += ["", "#### Open questions", ""]
        numbers = {id(entry): n for n, entry in enumerate(timeline.entries, start=1)}
        for group in timeline.groups:
            events = ", ".join(str(numbers[id(entry)]) for entry in group.entries)
            lines.append(
                f"{group.number}. {group.reason} (events {events}). Which account fits "
                "what people saw at the time, and what made the accounts differ?"
            )
    return "\n".join(lines)


def _story_line(number: int, entry: TimelineEntry) -> str:
    event = entry.event
    about = ", ".join(
        part for part in (event.get_event_type_display(), one_line(event.actor_role)) if part
    )
    question = f" See open question {entry.group}." if entry.group else ""
    return (
        f"{number}. **{entry.when}**{f' ({about})' if about else ''}: "
        f"{one_line(event.description)} *Account: {entry.source}.*{question}"
    )


def _context_notes(review: Review | None) -> dict[int | None, list[str]]:
    """The facilitator's organisational context, by the key event it stands beside."""
    found: dict[int | None, list[str]] = {}
    if review is None:
        return found
    for note in ContextNote.objects.filter(review=review).select_related("author"):
        found.setdefault(note.key_event_id, []).append(
            f"*Context from the facilitator:* {one_line(note.text)}"
        )
    return found


def _factors(factors: list[ContributingFactor], numbers: dict[int, int]) -> str:
    lines = ["### Contributing factors", ""]
    if not factors:
        lines.append("No contributing factors are recorded yet; the review names them.")
        return "\n".join(lines)
    number = 0
    for kind in (FactorKind.HUMAN, FactorKind.TECHNICAL):
        lines += [f"#### {kind.label}", ""]
        chosen = [factor for factor in factors if factor.kind == kind]
        for factor in chosen:
            number += 1
            lines.append(_factor_line(number, factor, numbers))
        if not chosen:
            lines.append("None recorded.")
        lines.append("")
    return "\n".join(lines)


def _factor_line(number: int, factor: ContributingFactor, numbers: dict[int, int]) -> str:
    category = one_line(factor.category) or "none given"
    events = sorted(numbers[e.pk] for e in factor.key_events.all() if e.pk in numbers)
    interviews = [i.interviewee_label for i in factor.interviews.all() if i.shared_with_review]
    evidence = (
        [f"event{'s' if len(events) > 1 else ''} {_listed(map(str, events))}"] if events else []
    )
    evidence += [f"interview with {name}" for name in interviews]
    return (
        f"{number}. {one_line(factor.description)} *(Category: {category}. Evidence: "
        f"{_listed(evidence) if evidence else 'none linked yet'}.)*"
    )


def _learnings(incident: Incident, learnings: list[Learning]) -> str:
    lines = ["### Learnings", ""]
    for index, learning in enumerate(learnings, start=1):
        votes = learning.vote_count  # type: ignore[attr-defined]
        lines.append(
            f"{index}. {one_line(learning.text)} *({votes} vote{'' if votes == 1 else 's'})*"
        )
    if not learnings:
        lines.append("No learnings are recorded yet; the review proposes and ranks them.")
    themes = [theme.name for theme in incident.themes.all()]
    if themes:
        lines += ["", f"Learning themes: {_listed(one_line(t) for t in themes)}."]
    return "\n".join(lines)


def _changes(actions: list[ImprovementAction]) -> str:
    """Without their status: readers see where each action stands now, beside the narrative."""
    lines = ["### Improvement actions", ""]
    for number, action in enumerate(actions, start=1):
        owner = action.owner_team.name if action.owner_team else "no owner team yet"
        lines.append(
            f"{number}. {one_line(action.title)} *({action.get_kind_display()}; owner: {owner})*"
        )
    if not actions:
        lines.append("No improvement actions are recorded yet.")
    return "\n".join(lines)
