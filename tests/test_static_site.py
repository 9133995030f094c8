"""`learnloop publish-site`: a folder of plain HTML that works from disk, without drafts."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from learnloop.cli import main
from tests.conftest import World, utc
from tests.test_portal_helpers import draft_narrative, published_narrative

pytestmark = pytest.mark.django_db


def links(page: Path) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]+)"', page.read_text())


def test_writes_an_index_a_page_each_and_the_stylesheet_with_relative_links(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    cards = published_narrative(
        world.org,
        "Card declines",
        team=world.payments,
        service=world.checkout,
        severity=1,
        published_at=utc(2026, 10, 1),
    )
    slow = published_narrative(
        world.org, "Slow search", team=world.search, published_at=utc(2026, 11, 1)
    )
    draft_narrative(world.org, "Secret draft")
    published_narrative(world.other_org, "Their outage")
    out = tmp_path / "site"

    assert main(["publish-site", str(out), "--org", "acme"]) == 0

    printed = capsys.readouterr().out
    assert f"wrote {out / 'index.html'}" in printed
    assert "2 narratives published" in printed
    pages = sorted(p.name for p in (out / "narratives").iterdir())
    assert pages == sorted(f"{n.incident.key}.html" for n in (cards, slow))
    assert (out / "assets" / "portal-site.css").is_file()
    index = (out / "index.html").read_text()
    assert index.index("Slow search") < index.index("Card declines")  # newest first
    assert "Payments" in index and "Checkout" in index and "SEV1" in index
    assert "Secret draft" not in index and "Their outage" not in index
    page = (out / "narratives" / f"{cards.incident.key}.html").read_text()
    assert "Revision 1, published 1 October 2026" in page and "certificate expired" in page
    for html in [out / "index.html", *(out / "narratives").iterdir()]:
        for link in links(html):
            if urlparse(link).scheme:
                continue  # links written inside narratives
            assert not link.startswith("/"), f"{html.name} links {link} absolutely"
            assert (html.parent / link).resolve().exists(), f"{html.name}: {link} is broken"
        assert "<script" not in html.read_text()


def test_running_again_changes_nothing_and_drops_unpublished_pages(world: World, tmp_path: Path):
    narrative = published_narrative(world.org, "Card declines")
    published_narrative(world.org, "Slow search")
    assert main(["publish-site", str(tmp_path), "--org", "acme"]) == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    times = {p: p.stat().st_mtime_ns for p in before}

    assert main(["publish-site", str(tmp_path), "--org", "acme"]) == 0
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert all(p.stat().st_mtime_ns == times[p] for p in before)

    narrative.status = "draft"
    narrative.save()
    assert main(["publish-site", str(tmp_path), "--org", "acme"]) == 0
    assert not (tmp_path / "narratives" / f"{narrative.incident.key}.html").exists()


def test_refuses_an_outdir_that_is_a_file(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    target = tmp_path / "site.html"
    target.write_text("keep me")

    assert main(["publish-site", str(target), "--org", "acme"]) == 1

    assert "is a file, not a folder" in capsys.readouterr().err
    assert target.read_text() == "keep me"


def test_an_unknown_organisation_is_refused(world: World, tmp_path: Path, capsys):  # type: ignore[no-untyped-def]
    assert main(["publish-site", str(tmp_path), "--org", "nope"]) == 1
    assert "--org: no organisation with slug 'nope'" in capsys.readouterr().err
