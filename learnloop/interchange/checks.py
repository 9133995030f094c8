"""Reads and validates documents before anything is written. Every problem is reported as
`FILE: JSON-PATH: message`, so one run shows all there is to fix."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from learnloop.interchange.limits import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    refuse_constant,
    structure_errors,
)
from learnloop.interchange.references import reference_errors
from learnloop.interchange.upgrade import upgrade
from learnloop.interchange.values import load_datetime
from learnloop.lib.moments import RANGE

HERE = Path(__file__).resolve().parent
FACTS = "facts"
LEARNLOOP = "learnloop"
# Every version of learnloop's document this learnloop has written, with its schema; the newest
# is the one `learnloop export` writes.
LEARNLOOP_SCHEMAS = {1: "learnloop-export-1.schema.json", 2: "learnloop-export.schema.json"}


@dataclass
class Document:
    name: str  # as given on the command line, for messages
    data: dict[str, Any]
    kind: str  # FACTS or LEARNLOOP


def _date_time(value: object) -> bool:
    """RFC 3339 (lower-case t and z included), and within the span learnloop stores."""
    if not isinstance(value, str):
        return True
    try:
        return load_datetime(value) is not None
    except ValueError:
        return False


def format_checker() -> FormatChecker:
    checker = copy.deepcopy(Draft202012Validator.FORMAT_CHECKER)
    checker.checks("date-time", raises=ValueError)(_date_time)
    return checker


def _schema(kind: str, version: int) -> dict[str, Any]:
    name = "incident-report-facts-1.0.schema.json" if kind == FACTS else LEARNLOOP_SCHEMAS[version]
    schema: dict[str, Any] = json.loads((HERE / name).read_text())
    return schema


@cache
def validator(kind: str, version: int = max(LEARNLOOP_SCHEMAS)) -> Draft202012Validator:
    """The validator that says what is wrong with a document, and where."""
    return Draft202012Validator(_schema(kind, version), format_checker=format_checker())


@cache
def quick_validator(
    kind: str, version: int = max(LEARNLOOP_SCHEMAS)
) -> jsonschema_rs.Draft202012Validator:
    """The same schema compiled by jsonschema-rs (70 times faster on the bench's reports), with
    the formats checked by the same functions as `validator`'s. It only says whether a document
    is valid: a document it refuses is explained by `validator`, which has the last word."""
    checker = format_checker()
    formats = {
        name: (lambda value, name=name: checker.conforms(value, name)) for name in checker.checkers
    }
    return jsonschema_rs.Draft202012Validator(
        _schema(kind, version), formats=formats, validate_formats=True
    )


def quickly_valid(data: Any, kind: str, version: int) -> bool:
    try:
        return bool(quick_validator(kind, version).is_valid(data))
    except ValueError:  # text jsonschema-rs cannot take (a lone surrogate): the full check says
        return False


def json_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "$"


def schema_errors(name: str, data: Any, kind: str) -> list[str]:
    found: list[str] = []
    version = max(LEARNLOOP_SCHEMAS)
    if kind == LEARNLOOP:
        given = data.get("version")
        if "version" not in data:
            return [f"{name}: version: required property is missing"]
        if given not in LEARNLOOP_SCHEMAS or isinstance(given, bool):
            known = " or ".join(map(str, LEARNLOOP_SCHEMAS))
            return [f"{name}: version: {given!r} is not a version this learnloop reads ({known})"]
        version = given
    if quickly_valid(data, kind, version):
        return found
    checker = validator(kind, version)
    for error in sorted(checker.iter_errors(data), key=lambda e: list(map(str, e.path))):
        found.append(f"{name}: {_where(error)}: {_message(error)}")
    return found


def _where(error: ValidationError) -> str:
    parts = list(error.absolute_path)
    if error.validator == "required":
        missing = str(error.message).split("'")[1]
        parts.append(missing)
    return json_path(parts)


def _message(error: ValidationError) -> str:
    if error.validator == "required":
        return "required property is missing"
    if error.validator == "additionalProperties":
        return str(error.message)
    if error.validator == "format" and error.validator_value == "date-time":
        return f"{error.instance!r} is not a valid date-time {RANGE}"
    if error.validator == "format":
        return f"{error.instance!r} is not a valid {error.validator_value}"
    return str(error.message)


def timeline_errors(name: str, data: dict[str, Any]) -> list[str]:
    """What a schema cannot say: times that contradict each other."""
    found: list[str] = []
    try:
        start = load_datetime(data.get("start_time_utc"))
        end = load_datetime(data.get("end_time_utc"))
    except ValueError:
        return found  # already reported as a format error
    if start and end and end < start:
        found.append(
            f"{name}: end_time_utc: {data['end_time_utc']} is before start_time_utc "
            f"{data['start_time_utc']}"
        )
    return found


def snapshot_errors(name: str, data: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for index, incident in enumerate(data.get("incidents", [])):
        started, resolved = incident.get("started_at"), incident.get("resolved_at")
        try:
            if started and resolved and load_datetime(resolved) < load_datetime(started):  # type: ignore[operator]
                found.append(
                    f"{name}: incidents[{index}].resolved_at: {resolved} is before "
                    f"started_at {started}"
                )
        except ValueError:
            continue
    return found


def parse(path: Path, name: str) -> tuple[Any, list[str]]:
    """The file's JSON value, or why there is none."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [f"{name}: $: the file is {size:,} bytes; at most {MAX_FILE_BYTES:,}"]
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [f"{name}: $: cannot read the file: {error}"]
    try:
        return json.loads(text, parse_constant=refuse_constant), []
    except json.JSONDecodeError as error:
        return None, [
            f"{name}: line {error.lineno} column {error.colno}: invalid JSON: {error.msg}"
        ]
    except RecursionError:
        return None, [f"{name}: $: nested deeper than {MAX_DEPTH} levels"]
    except ValueError as error:  # NaN, Infinity; integers with thousands of digits
        return None, [f"{name}: $: invalid JSON: {error}"]


def read(path: Path, name: str) -> tuple[Document | None, list[str]]:
    data, errors = parse(path, name)
    if errors:
        return None, errors
    if not isinstance(data, dict):
        return None, [f"{name}: $: a document is a JSON object, not {type(data).__name__}"]
    errors = structure_errors(name, data)
    if errors:
        return None, errors
    kind = LEARNLOOP if data.get("format") == "learnloop" else FACTS
    errors = schema_errors(name, data, kind)
    if not errors and kind == FACTS:
        errors = timeline_errors(name, data)
    elif not errors:
        data = upgrade(data)
        errors = snapshot_errors(name, data) + reference_errors(name, data)
    return (None if errors else Document(name, data, kind)), errors


def expand(paths: list[str]) -> tuple[list[tuple[Path, str]], list[str]]:
    """Files as given, and folders searched for *.json, in a stable order."""
    files: list[tuple[Path, str]] = []
    errors: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(path.rglob("*.json"))
            if not found:
                errors.append(f"{given}: $: the folder holds no .json documents")
            files.extend((f, str(f)) for f in found)
        elif path.is_file():
            files.append((path, given))
        else:
            errors.append(f"{given}: $: no such file or folder")
    return files, errors


def load_all(paths: list[str]) -> tuple[list[Document], list[str]]:
    files, errors = expand(paths)
    documents = []
    for path, name in files:
        document, problems = read(path, name)
        errors.extend(problems)
        if document is not None:
            documents.append(document)
    return documents, errors
