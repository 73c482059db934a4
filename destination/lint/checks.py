"""`validate`: check the definition, presets and mapping files, reporting every problem at once.

Each problem names its file, line, column and rule, so an editor or a CI annotation can
point at it. The rules are plain functions over a loaded file; `check_paths` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from destination.definition.file_schemas import file_schemas
from destination.definition.model import Definition
from destination.definition.subscriptions import effective_mapping
from destination.definition.yamlsrc import Pointer, SourceFile, YAMLSyntaxError, load_source, parse_source, plain
from destination.errors import FQLSyntaxError
from destination.fql import parser as fql
from destination.lint.contract import contract_warnings, definition_problems
from destination.lint.hints import liquid_problems, shape_problems
from destination.lint.planned import plan_file_problems, plan_warnings
from destination.lint.warnings import did_you_mean, in_trigger, trigger_warnings
from destination.mapping.engine import validate_mapping
from destination.plan.model import TrackingPlan, is_plan, parse_plan


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    rule: str
    message: str
    severity: str = "error"  # or "warning": shown, but `validate` exits 0 for it unless --strict

    def text(self) -> str:
        level = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}:{self.column}: {level}{self.rule}: {self.message}"

    def github(self) -> str:
        """A GitHub Actions workflow command, escaped as the runner expects."""
        file, title = _escape(self.file, property=True), _escape(self.rule, property=True)
        return (
            f"::{self.severity} file={file},line={self.line},col={self.column},title={title}::{_escape(self.message)}"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _escape(text: str, *, property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


@dataclass
class Checked:
    """A loaded file and the context its rules need."""

    source: SourceFile
    data: Any
    definition: Definition
    multi_accounts: bool
    plan: TrackingPlan | None = None  # mappings and presets are checked against it when given

    def at(self, pointer: Pointer, rule: str, message: str, *, key: bool = False) -> Problem:
        pos = self.source.position(pointer, key=key)
        return Problem(str(self.source.path), pos.line, pos.column, rule, message)


def kind_of(data: Any) -> str:
    """Which of our formats a document is, by its top-level keys."""
    if isinstance(data, dict):
        if "actions" in data or "authentication" in data:
            return "definition"
        if "presets" in data:
            return "presets"
    if is_plan(data):
        return "plan"
    return "mapping"


def check_shape(c: Checked, kind: str) -> Iterator[Problem]:
    for problem in shape_problems(file_schemas(c.definition)[kind], c.data):
        yield c.at(problem.pointer, "schema", problem.message, key=problem.key)


def check_descriptions(c: Checked) -> Iterator[Problem]:
    actions = c.data.get("actions") if isinstance(c.data, dict) else None
    for key, action in (actions or {}).items():
        if not isinstance(action, dict):
            continue
        if not str(action.get("description") or "").strip():
            yield c.at(["actions", key], "missing-description", f"action '{key}' has no description", key=True)
        for name, spec in (action.get("fields") or {}).items():
            if isinstance(spec, dict) and not str(spec.get("description") or "").strip():
                yield c.at(
                    ["actions", key, "fields", name],
                    "missing-description",
                    f"field '{name}' of action '{key}' has no description",
                    key=True,
                )


def check_trigger(c: Checked, at: list[Any], query: Any) -> Iterator[Problem]:
    if not isinstance(query, str):
        return
    pos = c.source.position(at)
    quoted = 1 if getattr(_node(c.source, at), "style", None) in ('"', "'") else 0
    try:
        fql.parse(query)
    except FQLSyntaxError as exc:
        line = pos.line + exc.line - 1
        column = pos.column + quoted + exc.column - 1 if exc.line == 1 else exc.column
        yield Problem(str(c.source.path), line, column, "fql", f"trigger {query!r}: {exc.message}")
        return
    for w in trigger_warnings(query):
        line, column = in_trigger(query, w.offset, pos.line, pos.column + quoted)
        yield Problem(str(c.source.path), line, column, w.rule, f"trigger {query!r}: {w.message}", "warning")


def _node(source: SourceFile, pointer: Pointer) -> Any:
    node = source.data
    for part in pointer:
        node = node[part]
    return node


def check_subscription(c: Checked, at: list[Any], sub: Any) -> Iterator[Problem]:
    """The rules of one preset or mapping file: action, fields, required, trigger, directives, accounts."""
    if not isinstance(sub, dict):
        return
    yield from check_trigger(c, [*at, "subscribe"], sub.get("subscribe"))
    mapping = sub.get("mapping") if isinstance(sub.get("mapping"), dict) else {}
    for issue in validate_mapping(mapping):
        yield c.at([*at, "mapping", *issue.pointer], "mapping-directive", issue.message)
    for hint in liquid_problems(mapping):
        yield replace(c.at([*at, "mapping", *hint.pointer], "liquid-template", hint.message), severity="warning")
    key = sub.get("partnerAction")
    if not isinstance(key, str):
        return
    if key not in c.definition.actions:
        known = ", ".join(c.definition.actions)
        yield c.at([*at, "partnerAction"], "unknown-action", f"unknown action '{key}'; expected one of: {known}")
        return
    action = c.definition.action(key)
    for name in mapping or {}:
        if name not in action.fields:
            yield c.at(
                [*at, "mapping", name],
                "unknown-field",
                f"action '{key}' has no field '{name}'"
                f"{did_you_mean(name, list(action.fields))}; its fields are: {', '.join(action.fields)}",
                key=True,
            )
    full = effective_mapping(action, mapping)
    for name in action.required_fields:
        if name not in full:
            yield c.at(
                [*at, "mapping"],
                "missing-required",
                f"required field '{name}' of action '{key}' is neither mapped nor defaulted",
                key=True,
            )
        elif full[name] == "":
            yield c.at(
                [*at, "mapping", name],
                "missing-required",
                f"required field '{name}' of action '{key}' is mapped to an empty string",
            )
    multi = c.multi_accounts or sub.get("multi_accounts") is True
    account = c.definition.field_for("account")
    if multi and account in action.fields and (full or {}).get(account, "") == "":
        where = [*at, "mapping", account] if account in (mapping or {}) else [*at, "mapping"]
        if at[:1] == ["presets"]:
            # A preset is the destination's, not the brand's: the brand sets the account when it adds it.
            yield replace(
                c.at(
                    where,
                    "multi-accounts",
                    f"Multi-accounts is on: this preset leaves '{account}' empty; presets are the "
                    f"destination's, so the brand sets '{account}' when it adds the preset in Segment",
                    key=True,
                ),
                severity="warning",
            )
        else:
            yield c.at(
                where,
                "multi-accounts",
                f"Multi-accounts is on: action '{key}' must map '{account}' to a non-empty value",
                key=True,
            )
    for w in contract_warnings(c.definition, action, mapping or {}, full):
        yield replace(c.at([*at, "mapping", *w.pointer], w.rule, w.message, key=w.key), severity="warning")
    if c.plan is not None and isinstance(sub.get("subscribe"), str):
        planned = plan_warnings(c.plan, c.definition, action, sub["subscribe"], mapping or {}, full)
        if planned.unplanned:
            yield replace(c.at([*at, "subscribe"], "plan-unplanned", planned.unplanned), severity="warning")
        for pw in planned.mapping:
            yield replace(c.at([*at, "mapping", *pw.pointer], pw.rule, pw.message, key=pw.key), severity="warning")


def check_definition_defaults(c: Checked) -> Iterator[Problem]:
    for key, action in (c.data.get("actions") or {}).items():
        if not isinstance(action, dict):
            continue
        yield from check_trigger(c, ["actions", key, "defaultSubscription"], action.get("defaultSubscription"))
        for name, spec in (action.get("fields") or {}).items():
            if isinstance(spec, dict) and "default" in spec:
                for issue in validate_mapping({name: spec["default"]}):
                    yield c.at(
                        ["actions", key, "fields", name, "default", *issue.pointer[1:]],
                        "mapping-directive",
                        issue.message,
                    )


def check_roles(c: Checked) -> Iterator[Problem]:
    """Every role names a field that some action declares (the receiver reads the body by role)."""
    roles = c.data.get("roles") if isinstance(c.data.get("roles"), dict) else {}
    actions = c.data.get("actions") if isinstance(c.data.get("actions"), dict) else {}
    declared = {name for a in actions.values() if isinstance(a, dict) for name in (a.get("fields") or {})}
    for role, name in roles.items():
        if name not in declared:
            yield c.at(["roles", role], "unknown-field", f"role '{role}' names '{name}', which no action declares")


RULES: dict[str, Callable[[Checked], Iterable[Problem]]] = {
    "definition": lambda c: [
        *check_shape(c, "definition"),
        *check_descriptions(c),
        *check_definition_defaults(c),
        *check_roles(c),
        *(c.at(pointer, "unknown-field", message) for pointer, message in definition_problems(c.data)),
    ],
    "presets": lambda c: [
        *check_shape(c, "presets"),
        *(p for i, s in enumerate(c.data.get("presets") or []) for p in check_subscription(c, ["presets", i], s)),
    ],
    "mapping": lambda c: [*check_shape(c, "mapping"), *check_subscription(c, [], c.data)],
    "plan": lambda c: [c.at(p.pointer, rule, p.message, key=p.key) for rule, p in plan_file_problems(c.data)],
}


def _load(path: Path) -> SourceFile | Problem:
    try:
        return load_source(path)
    except YAMLSyntaxError as exc:
        return Problem(str(path), exc.position.line, exc.position.column, "yaml-syntax", exc.message)
    except (OSError, UnicodeDecodeError) as exc:
        return Problem(str(path), 1, 1, "read", str(exc))


def check_file(
    path: Path, definition: Definition, *, multi_accounts: bool = False, plan: TrackingPlan | None = None
) -> list[Problem]:
    """Every problem in one file (checked against `plan` when given)."""
    source = _load(path)
    if isinstance(source, Problem):
        return [source]
    return check_source(source, definition, multi_accounts=multi_accounts, plan=plan)


def check_text(text: str, name: str | Path, definition: Definition, *, multi_accounts: bool = False) -> list[Problem]:
    """Every problem in YAML text that is not saved anywhere (the event tester's edited mapping)."""
    try:
        source = parse_source(text, Path(name))
    except YAMLSyntaxError as exc:
        return [Problem(str(name), exc.position.line, exc.position.column, "yaml-syntax", exc.message)]
    return check_source(source, definition, multi_accounts=multi_accounts)


def check_source(
    source: SourceFile, definition: Definition, *, multi_accounts: bool = False, plan: TrackingPlan | None = None
) -> list[Problem]:
    """Every problem in one loaded YAML document."""
    data = plain(source)
    checked = Checked(source, data, definition, multi_accounts, plan)
    return sorted(RULES[kind_of(data)](checked), key=lambda p: (p.line, p.column, p.rule))


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and the YAML files inside any folder given (recursively)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
        else:
            files.append(path)
    return files


def check_paths(
    paths: Iterable[Path], definition: Definition, *, multi_accounts: bool = False, plan_file: Path | None = None
) -> list[Problem]:
    """Every problem in these files; presets and mappings are checked against `plan_file`, else against
    the first tracking plan among the files, when it has no problem of its own (without one, as ever)."""
    files = expand(paths)
    if plan_file is not None and plan_file not in files:
        files.append(plan_file)
    loaded = {f: _load(f) for f in files}
    plans = [f for f, s in loaded.items() if isinstance(s, SourceFile) and kind_of(plain(s)) == "plan"]
    chosen = plan_file if plan_file in plans else (plans[0] if plans else None)
    problems = {f: check_source(s, definition) for f, s in loaded.items() if f in plans and isinstance(s, SourceFile)}
    plan, source = None, loaded.get(chosen) if chosen else None
    if chosen is not None and isinstance(source, SourceFile) and not problems[chosen]:
        plan = parse_plan(plain(source), str(chosen))
    found: list[Problem] = []
    if plan_file is not None and plan_file not in plans and isinstance(loaded[plan_file], SourceFile):
        found.append(Problem(str(plan_file), 1, 1, "plan", "not a tracking plan: it has no top-level 'events' list"))
    for f, source in loaded.items():
        if isinstance(source, Problem):
            found.append(source)
        elif f in problems:
            found += problems[f]
        else:
            found += check_source(source, definition, multi_accounts=multi_accounts, plan=plan)
    return found
