"""Conformance runner: `python -m destination.conformance [FILE…]`.

Reads cases as JSON Lines (stdin when no file is given; a folder means every `*.jsonl` under
it, subfolders included), answers each the way Segment's
runtime would, and writes one result line per case: `{"id": …, <the keys of expect>}`.
When cases carry `expect`, a summary of how many agree, per kind, goes to stderr, and the
exit code is 1 if any disagree.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from destination.conformance.harness import create_test_event
from destination.definition.model import Definition, load_definition
from destination.delivery.action import prepare_request
from destination.errors import DestinationError, FQLEvaluationError, FQLSyntaxError
from destination.fql import parser as fql
from destination.mapping.engine import transform, validate_mapping


def run_fql(case: dict[str, Any]) -> dict[str, Any]:
    try:
        trigger = fql.parse(case["query"])
    except FQLSyntaxError:
        return {"error": "parse"}
    try:
        return {"match": trigger.evaluate(case["event"])}
    except FQLEvaluationError:
        return {"error": "evaluate"}


def run_transform(case: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"output": transform(case["mapping"], case["event"])}
    except DestinationError as exc:
        return {"error": exc.message}


def run_validate_mapping(case: dict[str, Any]) -> dict[str, Any]:
    return {"errors": [issue.message for issue in validate_mapping(case["mapping"])]}


def run_action(case: dict[str, Any], definition: Definition) -> dict[str, Any]:
    action = definition.action(case["action"])
    try:
        # `action` cases were recorded through Segment's test harness, which fills in the event.
        request = prepare_request(
            definition, action, create_test_event(case["event"]), case.get("mapping"), case["settings"]
        )
    except DestinationError as exc:
        return {"error": exc.message}
    return {"request": {"method": request.method, "url": request.url, "json": request.json}}


RUNNERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "fql": run_fql,
    "transform": run_transform,
    "validate_mapping": run_validate_mapping,
}
"""The kinds that need no destination definition; `action` cases run against the one given."""


def run_case(case: dict[str, Any], definition: Definition) -> dict[str, Any]:
    """The result line for one case (without checking `expect`)."""
    kind = case.get("kind", "")
    if kind == "action":
        return {"id": case.get("id"), **run_action(case, definition)}
    runner = RUNNERS.get(kind)
    if runner is None:
        return {"id": case.get("id"), "error": f"unknown kind {case.get('kind')!r}"}
    return {"id": case.get("id"), **runner(case)}


def same(a: Any, b: Any) -> bool:
    """Equality as JSON: numbers by value (1 == 1.0), but booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def agrees(case: dict[str, Any], result: dict[str, Any]) -> bool:
    return same({k: v for k, v in result.items() if k != "id"}, case["expect"])


def read_cases(streams: Iterable[TextIO]) -> Iterator[dict[str, Any]]:
    for stream in streams:
        for number, line in enumerate(stream, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{getattr(stream, 'name', '<stdin>')}:{number}: not JSON: {exc.msg}") from None


def case_files(names: Iterable[str]) -> list[str]:
    """The files named, with a folder standing for every `*.jsonl` under it (subfolders too)."""
    return [str(p) for n in names for p in (sorted(Path(n).rglob("*.jsonl")) if Path(n).is_dir() else [Path(n)])]


def main(argv: list[str] | None = None) -> int:
    names = case_files(sys.argv[1:] if argv is None else argv)
    streams = [open(n, encoding="utf-8") for n in names] if names else [sys.stdin]
    total: Counter[str] = Counter()
    good: Counter[str] = Counter()
    definition = load_definition()
    try:
        for case in read_cases(streams):
            result = run_case(case, definition)
            # ASCII escapes: a JavaScript string may hold a lone surrogate, which UTF-8 cannot encode.
            sys.stdout.write(json.dumps(result) + "\n")
            if "expect" in case:
                kind = case.get("kind", "?")
                total[kind] += 1
                good[kind] += agrees(case, result)
    finally:
        for s in streams:
            if s is not sys.stdin:
                s.close()
    for kind in sorted(total):
        print(f"{kind}: {good[kind]}/{total[kind]} agree", file=sys.stderr)
    if total:
        print(f"all: {sum(good.values())}/{sum(total.values())} agree", file=sys.stderr)
    return 0 if good == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
