"""`learnloop publish-site OUTDIR`: every published narrative as plain HTML files with relative
links, so the folder works opened from disk or served by any web server."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TextIO

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from learnloop.accounts.commands import organisation_from
from learnloop.accounts.models import Organisation
from learnloop.cli import CommandError
from learnloop.portal.content import html_of
from learnloop.portal.queries import listing, published_narratives

STYLESHEET = "learnloop/portal-site.css"


def _write(path: Path, text: str, written: list[Path]) -> None:
    """Rewrites a file only when its text changed, so running twice changes nothing."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    written.append(path)


def publish_site(outdir: Path, organisation: Organisation) -> list[Path]:
    """Writes index.html, narratives/KEY.html and assets/; returns the files written. Pages of
    narratives no longer published are removed. Dates read in UTC, whoever runs it."""
    with timezone.override("UTC"):
        return _publish(outdir, organisation)


def _publish(outdir: Path, organisation: Organisation) -> list[Path]:
    if outdir.exists() and not outdir.is_dir():
        raise CommandError(f"OUTDIR: {outdir} is a file, not a folder")
    pages = outdir / "narratives"
    assets = outdir / "assets"
    pages.mkdir(parents=True, exist_ok=True)
    assets.mkdir(exist_ok=True)
    narratives = list(
        listing(published_narratives(organisation.pk)).select_related(
            "current_publication__version"
        )
    )
    written: list[Path] = []
    stylesheet = finders.find(STYLESHEET)
    if not stylesheet:
        raise CommandError(f"the stylesheet {STYLESHEET} is missing from the static files")
    target = assets / Path(STYLESHEET).name
    if not target.exists() or target.read_bytes() != Path(str(stylesheet)).read_bytes():
        shutil.copyfile(str(stylesheet), target)
    written.append(target)
    _write(
        outdir / "index.html",
        render_to_string(
            "portal/site/index.html", {"organisation": organisation, "narratives": narratives}
        ),
        written,
    )
    keep = set()
    for narrative in narratives:
        publication = narrative.current_publication
        assert publication is not None
        page = pages / f"{narrative.incident.key}.html"
        keep.add(page.name)
        _write(
            page,
            render_to_string(
                "portal/site/narrative.html",
                {
                    "organisation": organisation,
                    "incident": narrative.incident,
                    "publication": publication,
                    "html": html_of(publication),
                },
            ),
            written,
        )
    for stale in pages.glob("*.html"):
        if stale.name not in keep:
            stale.unlink()
    return written


def publish_site_command(outdir: str, org_slug: str | None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    organisation = organisation_from(org_slug)
    root = Path(outdir)
    written = publish_site(root, organisation)
    for path in written:
        out.write(f"wrote {path}\n")
    pages = sum(1 for p in written if p.parent.name == "narratives")
    out.write(f"{pages} narrative{'s' if pages != 1 else ''} published to {root}\n")
    return 0
