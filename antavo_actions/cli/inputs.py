"""Reading what a person gives the commands — events, settings, mapping and preset files — without tracebacks.

Every broken input ends the command with exit code 2 and the lines `validate` prints,
`file:line:col: rule: message`, so a person (or an editor, or CI) can go straight to it.
Warnings are printed on stderr the same way and never stop a command, unless `--strict`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer

from antavo_actions.cli.console import err
from destination.definition.model import Definition
from destination.definition.payload_schemas import settings_schema
from destination.definition.subscriptions import Subscription
from destination.definition.yamlsrc import YAMLSyntaxError, load_source, plain
from destination.delivery.events import EventsError, read_events
from destination.errors import PayloadValidationError
from destination.lint.checks import Problem
from destination.lint.loading import (
    ProjectFilesError,
    checked_mapping_files,
    checked_mappings,
    checked_presets,
    checked_texts,
)
from destination.payload.validator import PayloadValidator

EXIT_USAGE = 2


def fail(*lines: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print the lines on stderr as they are (no markup: they quote user input) and exit."""
    for line in lines:
        err.print(line, markup=False, highlight=False)
    raise typer.Exit(code)


def events(source: str) -> list[dict[str, Any]]:
    try:
        return read_events(source)
    except EventsError as exc:
        fail(str(exc))


def _loaded(load: Callable[[list[Problem]], list[Subscription]]) -> list[Subscription]:
    """Run a checked load: errors (warnings too when strict) end the command, warnings are shown on stderr."""
    warnings: list[Problem] = []
    try:
        loaded = load(warnings)
    except ProjectFilesError as exc:
        fail(*(p.text() for p in exc.problems))
    for warning in warnings:
        err.print(warning.text(), markup=False, highlight=False)
    return loaded


def mappings(definition: Definition, folder: Path | None = None, *, strict: bool = False) -> list[Subscription]:
    """The subscriptions of a mappings folder (default: the project's), every file checked first."""
    try:
        files = checked_mapping_files(folder)
    except ProjectFilesError as exc:
        fail(*(p.text() for p in exc.problems))
    return _loaded(lambda warnings: checked_mappings(definition, files, strict=strict, warnings=warnings))


def mappings_from(
    definition: Definition, url: str, api_key: str | None, *, strict: bool = False, timeout: float = 10.0
) -> list[Subscription]:
    """The set a running receiver's ingest runs (its files and the mappings saved on its Mappings page),
    read from `GET /v1/mappings` with the API key, and checked as files are."""
    base = url.rstrip("/")
    key = api_key or os.environ.get("ANTAVO_API_KEY")
    if not key:
        fail(f"error: --mappings-from {base}: give the receiver's API key (--api-key or ANTAVO_API_KEY)")
    try:
        answer = httpx.get(f"{base}/v1/mappings", headers={"Authorization": f"Bearer {key}"}, timeout=timeout)
    except httpx.HTTPError as exc:
        fail(f"error: --mappings-from {base}: cannot reach the receiver: {type(exc).__name__}: {exc}")
    if answer.status_code != 200:
        fail(f"error: --mappings-from {base}: the receiver answered {answer.status_code} to GET /v1/mappings")
    try:
        items = answer.json()["items"]
        where = httpx.URL(base).netloc.decode()  # problems name `host:port/mappings/<key>.yaml`
        texts = {f"{where}/mappings/{item['file_name']}": str(item["text"]) for item in items}
    except (ValueError, KeyError, TypeError):
        fail(f"error: --mappings-from {base}: GET /v1/mappings did not answer a mapping set (is it a receiver?)")
    return _loaded(lambda warnings: checked_texts(definition, texts, strict=strict, warnings=warnings))


def mapping_file(definition: Definition, path: Path, *, strict: bool = False) -> list[Subscription]:
    return _loaded(lambda warnings: checked_mappings(definition, [path], strict=strict, warnings=warnings))


def presets(definition: Definition, *, strict: bool = False) -> list[Subscription]:
    """The presets of `presets.yaml`, checked first."""
    return _loaded(lambda warnings: checked_presets(definition, strict=strict, warnings=warnings))


def settings(definition: Definition, path: Path | None, stack: str | None, api_key: str | None) -> dict[str, Any]:
    """The destination's settings: a file, then `--stack`, then `--api-key` or ANTAVO_API_KEY."""
    given: dict[str, Any] = {}
    source = None
    if path is not None:
        try:
            source = load_source(path)
        except YAMLSyntaxError as exc:
            fail(f"{path}:{exc.position.line}:{exc.position.column}: yaml-syntax: {exc.message}")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            fail(f"{path}:1:1: read: cannot read the settings: {reason}")
        loaded = plain(source)
        if not isinstance(loaded, dict):
            fail(f"{path}:1:1: schema: settings must be a mapping of {', '.join(definition.settings)}")
        given.update(loaded)
    if stack:
        given["stack"] = stack
    given.setdefault("api_key", api_key or os.environ.get("ANTAVO_API_KEY"))
    given = {k: v for k, v in given.items() if v is not None}
    try:
        return PayloadValidator(settings_schema(definition)).validate(given)
    except PayloadValidationError as exc:
        name = exc.field.strip("/")
        hint = "Give --settings FILE or --stack and --api-key (or ANTAVO_API_KEY)."
        if source is not None and name in given and name in (source.data or {}):
            pos = source.position([name])
            fail(f"{path}:{pos.line}:{pos.column}: schema: {exc.message}")
        fail(f"error: settings: {exc.message} {hint}")
