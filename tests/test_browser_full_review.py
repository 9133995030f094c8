"""A whole review in chromium, as the people involved walk it: three analysts' reports, a merged
timeline that flags a disagreement, a factor with its evidence, learnings voted on by two people
at once, an action drafted from the top one, and the narrative generated, edited, published and
read by someone from another team. Private interview notes stay out of all of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from learnloop.accounts.models import Role
from learnloop.analysis.models import AnalysisAssignment, Interview, KeyEvent, Precision
from learnloop.analysis.services import save_report
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from tests.conftest import World, log_in, make_person, utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Checkout rejected cards during a database failover"
FAILOVER = "Failover to the standby database"
UNTIMED = "Someone restarts the payment workers"
MUTED_ALARM = "Replica lag alarm muted for the index migration"
SHARED_NOTE = "Bob saw that the failover runbook still named the old standby."
PRIVATE_NOTE = "Worried that the rota leaves nobody to cover nights."
CONTEXT = "Migrations mute alarms by default; no team owns unmuting them."
FACTOR = "The replica lag alarm stayed muted after the migration"
FIRST_LEARNING = "Muted alarms need an expiry date"
SECOND_LEARNING = "The failover runbook has to follow the standby"
ACTION = "Check the runbook's standby at every failover drill"
EDITED = "We agreed to practise failovers together every quarter."

# Each analyst's key events, as (time or None, precision, type, description) in their telling.
# Alice and Bob place the failover 25 minutes apart; Bob cannot say when the workers restarted.
TELLINGS: dict[str, list[tuple[datetime | None, str, str, str]]] = {
    "alice": [
        (utc(2026, 11, 1, 9, 2), Precision.MINUTE, "trigger", "Connection pool fills up"),
        (utc(2026, 11, 1, 9, 10), Precision.MINUTE, "mitigation", FAILOVER),
        (utc(2026, 11, 1, 9, 30), Precision.MINUTE, "recovery", "Card payments succeed again"),
    ],
    "bob": [
        (utc(2026, 11, 1, 9, 4), Precision.MINUTE, "detection", "Pager fires for error rate"),
        (None, Precision.UNKNOWN, "diagnosis", UNTIMED),
        (utc(2026, 11, 1, 9, 35), Precision.MINUTE, "mitigation", FAILOVER),
    ],
    "carol": [
        (utc(2026, 11, 1, 8, 40), Precision.MINUTE, "change", MUTED_ALARM),
        (utc(2026, 11, 1, 9, 20), Precision.MINUTE, "impact", "Search suggestions go stale"),
    ],
}

# The merged timeline, as the draft tells it: (time as told, what happened, whose account).
MERGED = [
    ("1 Nov 2026, 08:40", MUTED_ALARM, "Carol Coder"),
    ("1 Nov 2026, 09:02", "Connection pool fills up", "Alice Analyst"),
    ("1 Nov 2026, 09:04", "Pager fires for error rate", "Bob Builder"),
    ("1 Nov 2026, 09:10", FAILOVER, "Alice Analyst"),
    ("1 Nov 2026, 09:20", "Search suggestions go stale", "Carol Coder"),
    ("1 Nov 2026, 09:30", "Card payments succeed again", "Alice Analyst"),
    ("1 Nov 2026, 09:35", FAILOVER, "Bob Builder"),
    ("time unknown", UNTIMED, "Bob Builder"),
]


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Any]:
    """Opens another person's browser: a context of its own, so its own session."""
    contexts: list[Any] = []

    def open_one() -> Any:
        context = browser.new_context(base_url=live_server.url, timezone_id="UTC")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_one
    for context in contexts:
        context.close()


# Set up with services: the browser adds nothing here.


def an_incident_analysed_by_three(world: World) -> Incident:
    incident = record_incident(
        world.org,
        world.payments_pm,
        title=TITLE,
        team=world.payments,
        service=world.checkout,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        resolved_at=utc(2026, 11, 1, 9, 40),
        customer_facing=True,
        responders=[
            (world.alice, ResponseRole.ON_CALL),
            (world.bob, ResponseRole.OPERATIONS),
            (world.carol, ResponseRole.SUBJECT_MATTER_EXPERT),
        ],
    )
    assert incident.of_consequence
    assert incident.assignments.count() == 3
    for name, telling in TELLINGS.items():
        work = assignment_of(incident, getattr(world, name))
        for position, (at, precision, kind, description) in enumerate(telling):
            KeyEvent.objects.create(
                incident=incident,
                assignment=work,
                occurred_at=at,
                precision=precision,
                event_type=kind,
                description=description,
                position=position,
            )
    alices = assignment_of(incident, world.alice)
    Interview.objects.create(
        assignment=alices,
        interviewee=world.bob,
        held_at=utc(2026, 11, 3, 10),
        notes=SHARED_NOTE,
        shared_with_review=True,
    )
    Interview.objects.create(
        assignment=alices,
        interviewee_name="Call-centre lead",
        held_at=utc(2026, 11, 3, 11),
        notes=PRIVATE_NOTE,
    )
    save_report(
        assignment_of(incident, world.bob),
        "The pager fired, and the failover took longer than the runbook says.",
        submit=True,
    )
    save_report(
        assignment_of(incident, world.carol),
        "The muted replica alarm hid the lag from Search.",
        submit=True,
    )
    return incident


def assignment_of(incident: Incident, analyst: User) -> AnalysisAssignment:
    return incident.assignments.get(analyst=analyst)


# What the people do in the browser.


def analyst_submits_her_report(page: Any, incident: Incident) -> None:
    page.goto("/analysis/")
    page.get_by_role("link", name=f"Open the workspace for {incident.key}").click()
    report = page.locator("#report")
    report.locator("textarea").fill("## What I saw\n\nThe pool filled before anyone was paged.")
    report.get_by_role("button", name="Submit report").click()
    expect(report.locator(".badge.done")).to_contain_text("submitted")
    expect(report.locator("h2", has_text="What I saw")).to_be_visible()


def manager_schedules_the_review(page: Any, incident: Incident) -> int:
    page.goto(f"/incidents/{incident.key}/")
    page.get_by_role("link", name="Schedule or move the review").click()
    states = page.locator("#report-states li")
    expect(states).to_have_count(3)
    expect(states.filter(has_text="submitted")).to_have_count(3)
    form = page.locator("#review-schedule-form")
    form.get_by_label("Starts").fill("2026-12-01T14:00")
    form.get_by_label("Ends").fill("2026-12-01T15:00")
    form.get_by_label("Location").fill("Room 4")
    form.get_by_label("Votes per attendee").fill("2")
    form.get_by_role("button", name="Schedule the review").click()
    expect(page.locator(".messages")).to_contain_text("Review scheduled")
    found = re.search(r"/reviews/(\d+)/", page.url)
    assert found, page.url
    return int(found.group(1))


def everyone_sees_three_reports(page: Any) -> None:
    reports = page.locator("#step-reports-body article.report")
    expect(reports).to_have_count(3)
    for name, words in (
        ("Alice Analyst", "The pool filled before anyone was paged."),
        ("Bob Builder", "the failover took longer than the runbook says"),
        ("Carol Coder", "The muted replica alarm hid the lag from Search."),
    ):
        expect(reports.filter(has_text=name)).to_contain_text(words)


def the_timeline_flags_the_disagreement(page: Any) -> None:
    body = page.locator("#step-understanding-body")
    group = body.locator("#group-1")
    expect(group).to_contain_text("different times")
    expect(group).to_contain_text("Alice Analyst and Bob Builder place this 25 minutes apart")
    tellings = group.locator(".side-by-side > .card")
    expect(tellings).to_have_count(2)
    expect(tellings.nth(0)).to_contain_text("Alice Analyst")
    expect(tellings.nth(0)).to_contain_text("1 Nov 2026, 09:10")
    expect(tellings.nth(0)).to_contain_text(FAILOVER)
    expect(tellings.nth(1)).to_contain_text("Bob Builder")
    expect(tellings.nth(1)).to_contain_text("1 Nov 2026, 09:35")
    expect(tellings.nth(1)).to_contain_text(FAILOVER)
    assert body.locator("[id^=group-]").count() == 1  # nothing else is taken for a disagreement

    # Every analyst's events in time order, each with whose it is; the untimed one after them.
    rows = body.locator("table.timeline tr").filter(has=page.locator("td"))
    expect(rows).to_have_count(len(MERGED))
    for row, (when, what, whose) in zip(rows.all(), MERGED, strict=True):
        expect(row.locator("td").nth(0)).to_have_text(when)
        expect(row.locator("td").nth(1)).to_have_text(whose)
        expect(row.locator("td").nth(3)).to_contain_text(what)
    flagged = rows.filter(has=page.get_by_role("link", name="group 1"))
    expect(flagged).to_have_count(2)


def facilitator_adds_context(page: Any) -> None:
    section = page.locator("#step-understanding")
    section.get_by_text("Add organisational context").click()
    form = page.locator("#note-form")
    # Events are offered with when and whose, so two tellings of one happening differ.
    form.get_by_label("Beside the event").select_option(
        label=f"1 Nov 2026, 08:40, Carol Coder: {MUTED_ALARM}"
    )
    form.get_by_label("Context").fill(CONTEXT)
    form.get_by_role("button", name="Add context note").click()
    row = page.locator("#step-understanding-body tr", has_text=MUTED_ALARM)
    expect(row.locator(".context-note")).to_contain_text(CONTEXT)
    expect(form.get_by_label("Context")).to_have_value("")


def perspectives_hold_only_what_was_shared(page: Any) -> None:
    perspectives = page.locator("#step-perspectives-body")
    alices = perspectives.locator("article.perspective", has_text="Alice Analyst")
    expect(alices.locator(".interview")).to_have_count(1)
    expect(alices.locator(".interview")).to_contain_text("Interview with Bob Builder")
    expect(alices).to_contain_text(SHARED_NOTE)
    expect(perspectives).not_to_contain_text(PRIVATE_NOTE)
    expect(perspectives).not_to_contain_text("Call-centre lead")


def someone_adds_a_factor_with_evidence(page: Any) -> None:
    page.locator("#step-factors").get_by_text("Add a contributing factor").click()
    form = page.locator("#factor-form")
    # Only interviews shared with the review may be evidence (the form comes when opened).
    expect(form.get_by_label("Interview with Bob Builder")).to_have_count(1)
    expect(form.get_by_label("Interview with Call-centre lead")).to_have_count(0)
    form.get_by_label("Kind").select_option(label="Technical")
    form.get_by_label("Category").fill("Monitoring and alerting")
    form.get_by_label("Description").fill(FACTOR)
    form.get_by_label(MUTED_ALARM).check()
    form.get_by_label("Interview with Bob Builder").check()
    form.get_by_role("button", name="Add contributing factor").click()

    technical = page.locator("#step-factors-body .grid2 > div", has_text="Technical")
    factor = technical.locator("li.factor", has_text=FACTOR)
    expect(factor.locator(".badge")).to_have_text("Monitoring and alerting")
    evidence = factor.locator("ul.evidence li")
    expect(evidence).to_have_text([f"Key event: {MUTED_ALARM}", "Interview with Bob Builder"])
    expect(form.get_by_label("Description")).to_have_value("")


def stays_on_this_page(page: Any) -> None:
    """A marker that a full reload would wipe out."""
    page.evaluate("window.stillTheSamePage = true")


def never_reloaded(page: Any) -> None:
    assert page.evaluate("window.stillTheSamePage") is True


def proposes_learning(page: Any, text: str) -> None:
    form = page.locator("#learning-form")
    form.get_by_label("Learning").fill(text)
    form.get_by_role("button", name="Propose learning").click()
    expect(page.locator("#step-learnings-body li.learning", has_text=text)).to_be_visible()
    expect(form.get_by_label("Learning")).to_have_value("")


def votes_for(page: Any, text: str) -> None:
    page.locator("#step-learnings-body li.learning", has_text=text).get_by_role(
        "button", name="Vote"
    ).click()
    expect(
        page.locator("#step-learnings-body li.learning", has_text=text).get_by_role(
            "button", name="Take my vote back"
        )
    ).to_be_visible()


def learnings_rank(page: Any, expected: list[tuple[str, str]]) -> None:
    """The learnings in rank order, each with its count of votes."""
    ranked = page.locator("#step-learnings-body li.learning")
    expect(ranked).to_have_count(len(expected))
    for position, (votes, text) in enumerate(expected):
        expect(ranked.nth(position).locator(".votes")).to_have_text(votes)
        expect(ranked.nth(position)).to_contain_text(text)


def learnings_are_proposed_and_voted(manager: Any, bob: Any) -> None:
    for person in (manager, bob):
        stays_on_this_page(person)

    proposes_learning(manager, FIRST_LEARNING)
    expect(bob.locator("#step-learnings-body li.learning", has_text=FIRST_LEARNING)).to_be_visible()
    proposes_learning(bob, SECOND_LEARNING)
    learnings_rank(manager, [("0 votes", FIRST_LEARNING), ("0 votes", SECOND_LEARNING)])

    votes_for(bob, SECOND_LEARNING)
    expect(bob.locator("#step-learnings-body .votes-left")).to_have_text(
        "You have 1 of 2 votes left."
    )
    # Bob's vote reaches the manager's page by itself, and moves Bob's learning up.
    learnings_rank(manager, [("1 vote", SECOND_LEARNING), ("0 votes", FIRST_LEARNING)])
    votes_for(manager, SECOND_LEARNING)
    learnings_rank(bob, [("2 votes", SECOND_LEARNING), ("0 votes", FIRST_LEARNING)])
    votes_for(manager, FIRST_LEARNING)
    learnings_rank(bob, [("2 votes", SECOND_LEARNING), ("1 vote", FIRST_LEARNING)])
    for person in (manager, bob):
        never_reloaded(person)


def drafts_an_action_from_the_top_learning(page: Any, bob: Any) -> None:
    top = page.locator("#step-learnings-body li.learning").first
    expect(top).to_contain_text(SECOND_LEARNING)
    top.get_by_role("link", name="Draft an improvement action").click()
    expect(page.locator("main em")).to_have_text(SECOND_LEARNING)
    form = page.locator("#draft-action-form")
    expect(form.get_by_label("Title")).to_have_value(SECOND_LEARNING)
    form.get_by_label("Title").fill(ACTION)
    form.get_by_label("Kind").select_option(label="Process (human)")
    form.get_by_role("button", name="Draft the action").click()
    expect(page.locator(".messages")).to_contain_text(f"“{ACTION}” drafted as an idea")
    drafted = page.locator("#step-learnings-body li.learning", has_text=SECOND_LEARNING)
    expect(drafted.get_by_role("link", name=ACTION)).to_be_visible()
    expect(drafted).to_contain_text("Process (human)")
    # Bob, still on his page, sees it too.
    expect(
        bob.locator("#step-learnings-body li.learning", has_text=SECOND_LEARNING).get_by_role(
            "link", name=ACTION
        )
    ).to_be_visible()
    never_reloaded(bob)


def generates_the_narrative(page: Any) -> str:
    page.locator("#step-narrative").get_by_role(
        "button", name="Generate the narrative draft"
    ).click()
    expect(page.locator(".messages")).to_contain_text("generated as version 1")
    expect(page.locator("#narrative-status")).to_contain_text("Draft")
    body: str = page.locator("textarea[name=body]").input_value()
    return body


def the_draft_tells_the_review(draft: str) -> None:
    story = section(draft, "### Timeline")
    told = re.findall(r"^\d+\. \*\*(.+?)\*\*.*?: (.+?) \*Account: (.+?)\.\*", story, re.M)
    assert told == MERGED
    assert "See open question 1." in story
    assert "Alice Analyst and Bob Builder place this 25 minutes apart (events 4, 7)" in story
    assert f"*Context from the facilitator:* {CONTEXT}" in story

    factors = section(draft, "### Contributing factors")
    technical = factors.split("#### Technical", 1)[1]
    assert (
        f". {FACTOR} *(Category: Monitoring and alerting. Evidence: event 1 and interview with "
        "Bob Builder.)*"
    ) in technical
    learned = section(draft, "### Learnings")
    assert learned.index(SECOND_LEARNING) < learned.index(FIRST_LEARNING)
    assert f"{SECOND_LEARNING} *(2 votes)*" in learned
    assert ACTION in section(draft, "## What will change")
    assert SHARED_NOTE in section(draft, "## What made sense at the time")
    assert PRIVATE_NOTE not in draft
    assert "Call-centre lead" not in draft


def section(markdown: str, heading: str) -> str:
    """The text under a heading ("### Timeline"), up to the next heading of its level or above."""
    level = heading.split(" ")[0]
    after = markdown.split(f"\n{heading}\n", 1)[1]
    ends = [after.find(f"\n{'#' * n} ") for n in range(1, len(level) + 1)]
    ends = [end for end in ends if end != -1]
    return after[: min(ends)] if ends else after


def edits_and_saves(page: Any) -> None:
    editor = page.locator("textarea[name=body]")
    editor.click()
    editor.press("Control+End")
    page.keyboard.type(f"\n\n{EDITED}")
    expect(page.locator("#preview-pane")).to_contain_text(EDITED)  # the live preview
    page.get_by_label("Note on this version (optional)").fill("Our own words")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".messages")).to_contain_text("Saved as version 2")
    expect(editor).to_have_value(re.compile(re.escape(EDITED)))


def sends_to_review_and_publishes(page: Any) -> None:
    page.get_by_role("button", name="Send to review").click()
    expect(page.locator("#narrative-status .badge")).to_have_text("In review")
    page.get_by_role("button", name="Publish to the organisation").click()
    expect(page.locator(".messages")).to_contain_text("Published revision 1 (version 2)")
    expect(page.locator("#narrative-status .badge")).to_have_text("Published")


def reads_it_in_the_portal(page: Any) -> None:
    page.goto("/")
    page.locator("header nav").get_by_role("link", name="Narratives").click()
    page.locator("#narratives").get_by_role("link", name=TITLE).click()
    expect(page.locator("main > h1")).to_have_text(TITLE)
    expect(page.locator("#revision")).to_contain_text("Revision 1, published")
    body = page.locator("#narrative-body")
    expect(body).to_contain_text(EDITED)
    expect(body).to_contain_text(FACTOR)
    expect(body).not_to_contain_text(PRIVATE_NOTE)
    expect(page.locator("#readership")).to_have_count(0)  # readership is for the team


def the_team_sees_the_reader(page: Any, incident: Incident, reader: str) -> None:
    page.goto(f"/narratives/{incident.key}/")
    expect(page.locator("#unique-readers")).to_have_text("2")  # the reader, then the manager
    page.get_by_text("Who read it").click()
    expect(page.locator("#readers")).to_contain_text(reader)


def test_a_full_review_from_reports_to_a_narrative_read_by_another_team(
    page: Any, open_page: Any, world: World
) -> None:
    incident = an_incident_analysed_by_three(world)
    reader = make_person(world.org, "dana@acme.test", Role.MEMBER, world.search, "Dana Reader")

    alice = page
    log_in(alice, world.alice.email)
    analyst_submits_her_report(alice, incident)

    manager = open_page()
    log_in(manager, world.payments_pm.email)
    review = manager_schedules_the_review(manager, incident)
    bob = open_page()
    log_in(bob, world.bob.email)
    bob.goto(f"/reviews/{review}/")

    everyone_sees_three_reports(manager)
    the_timeline_flags_the_disagreement(manager)
    facilitator_adds_context(manager)
    for person in (manager, bob):
        perspectives_hold_only_what_was_shared(person)
    someone_adds_a_factor_with_evidence(bob)
    learnings_are_proposed_and_voted(manager, bob)
    drafts_an_action_from_the_top_learning(manager, bob)

    draft = generates_the_narrative(manager)
    the_draft_tells_the_review(draft)
    edits_and_saves(manager)
    sends_to_review_and_publishes(manager)

    others = open_page()
    log_in(others, reader.email)
    reads_it_in_the_portal(others)
    the_team_sees_the_reader(manager, incident, "Dana Reader")
