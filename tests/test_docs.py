"""Docs that cannot drift: settings, commands and options must be described."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from learnloop.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_every_setting_is_documented():
    source = (ROOT / "learnloop" / "settings.py").read_text()
    read = set(re.findall(r'env(?:_bool)?\("([A-Z_]+)"', source))
    for name in re.findall(r'secret\("([A-Z_]+)"', source):  # NAME and NAME_FILE
        read |= {name, f"{name}_FILE"}
    for outside in ("server.py", "gunicorn_config.py"):  # read before Django's settings exist
        text = (ROOT / "learnloop" / outside).read_text()
        read |= set(re.findall(r'"LEARNLOOP_([A-Z_]+)"', text))
    assert "WORKERS" in read, "LEARNLOOP_WORKERS is no longer found where gunicorn reads it"
    documented = (DOCS / "configuration.md").read_text()
    assert read, "no settings found: the pattern no longer matches settings.py"
    missing = sorted(name for name in read if f"`LEARNLOOP_{name}`" not in documented)
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix} {name}".strip()
                options = [
                    o for a in sub._actions for o in a.option_strings if o not in ("-h", "--help")
                ]
                found[path] = options
                found.update(_commands(sub, path))
    return found


def test_every_command_and_option_is_documented():
    documented = (DOCS / "cli.md").read_text()
    commands = _commands(build_parser())
    assert "import" in commands and "user create" in commands
    for command, options in commands.items():
        if command in ("user", "token"):
            continue  # groups: their subcommands are checked
        assert f"`learnloop {command}" in documented, f"`learnloop {command}` is undocumented"
        for option in options:
            assert option in documented, f"{option} of `learnloop {command}` is undocumented"


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_document_the_readme_links_exists():
    readme = (ROOT / "README.md").read_text()
    for link in re.findall(r"\]\((docs/[^)]+)\)", readme):
        assert (ROOT / link).exists(), f"README links {link}, which does not exist"


def test_every_api_endpoint_is_documented(db):
    from django.test import Client

    spec = Client().get("/api/v1/openapi.json").json()
    documented = (DOCS / "api.md").read_text()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if f"`{method.upper()} {path}`" not in documented
    ]
    assert not missing, f"endpoints missing from docs/api.md: {missing}"
