"""The tracking plan file: loading it, its problems at line and column, and which events a trigger matches."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from destination.definition.model import load_definition
from destination.definition.subscriptions import load_mappings, load_presets
from destination.definition.yamlsrc import parse_source, plain
from destination.fql import parser as fql
from destination.lint.checks import check_file, check_paths
from destination.plan.docs import html_page, markdown
from destination.plan.matching import declared_at, matched_events, optional_along, split_path
from destination.plan.model import PlanError, PlannedEvent, TrackingPlan, load_plan, parse_plan, plan_problems
from destination.plan.schema import default_of, plan_file_schema

ROOT = Path(__file__).resolve().parents[2]
PLAN = load_plan(ROOT / "tracking_plan.yaml")
BAD = sorted((ROOT / "tests" / "fixtures" / "plan" / "bad").glob("*.yaml"))
DEFINITION = load_definition()


def expected(path: Path) -> tuple[int, int, str]:
    match = re.match(r"# expect: (\d+):(\d+) (\S+)", path.read_text(encoding="utf-8"))
    assert match, f"{path.name} must start with '# expect: LINE:COLUMN RULE'"
    return int(match.group(1)), int(match.group(2)), match.group(3)


def test_the_shipped_plan_loads_with_the_schemas_defaults() -> None:
    assert PLAN.version == 1 and PLAN.allow_unplanned is True
    identify = next(e for e in PLAN.events if e.type == "identify")
    assert identify.name is None and identify.section == "traits"
    assert identify.schema["type"] == default_of("object", "type")
    plan = load_plan_text("version: 1\nevents:\n  - {type: track, name: A}\n")
    [event] = plan.events
    assert (event.policy, event.version, event.description) == (
        default_of("event", "policy"),
        default_of("event", "version"),
        default_of("event", "description"),
    )
    assert plan.allow_unplanned is default_of("allow_unplanned")


def load_plan_text(text: str) -> TrackingPlan:
    source = parse_source(text, Path("plan.yaml"))
    assert plan_problems(source) == []
    return parse_plan(plain(source))


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_each_bad_plan_gives_its_problem_at_its_position(path: Path) -> None:
    line, column, rule = expected(path)
    [problem] = check_file(path, DEFINITION)
    assert (problem.line, problem.column, problem.rule, problem.severity) == (line, column, rule, "error")
    with pytest.raises(PlanError, match=rf"^{re.escape(str(path))}:{line}:{column}: "):
        load_plan(path)


def test_bad_plan_messages_say_what_was_expected() -> None:
    messages = {p.stem: check_file(p, DEFINITION)[0].message for p in BAD}
    assert "did you mean 'string'?" in messages["unknown-type"]
    assert "'totl', which 'properties' does not declare; declared: order_id, total" in messages["required-undeclared"]
    assert "'^[A-Z{3}$' is not a regular expression" in messages["bad-pattern"]
    assert "did you mean 'track'?" in messages["unknown-call-type"]


def test_an_event_planned_twice_is_a_problem() -> None:
    source = parse_source("version: 1\nevents:\n  - {type: track, name: A}\n  - {type: track, name: A}\n", Path("p"))
    [problem] = plan_problems(source)
    assert problem.pointer == ["events", 1] and "planned twice" in problem.message


def test_the_plan_schema_is_valid_draft_7() -> None:
    Draft7Validator.check_schema(plan_file_schema())


def test_shipped_files_with_the_plan_are_clean() -> None:
    targets = [ROOT / "destination" / "antavo.yaml", ROOT / "presets.yaml", ROOT / "mappings"]
    assert check_paths([*targets, ROOT / "tracking_plan.yaml"], DEFINITION) == []


def test_every_shipped_trigger_matches_a_planned_event() -> None:
    subs = [*load_presets(DEFINITION, ROOT / "presets.yaml"), *load_mappings(DEFINITION)]
    for sub in subs:
        assert matched_events(PLAN, sub.subscribe), sub.name


@pytest.mark.parametrize(
    ("trigger", "names"),
    [
        ('type = "track"', ["Order Completed", "Signed Up", "Points Earned", "Product Reviewed"]),
        ('type = "identify"', [None]),
        ('type = "track" and event = "Signed Up" and properties.loyalty_consent = true', ["Signed Up"]),
        ('event = "Signed Up" or event = "Points Earned"', ["Signed Up", "Points Earned"]),
        ('type = "track" and event != "Signed Up"', ["Order Completed", "Points Earned", "Product Reviewed"]),
        ('type = "track" and event = "Refunded"', []),
        ('type = "page"', []),
        ('userId = "x"', ["Order Completed", "Signed Up", "Points Earned", "Product Reviewed", None]),
    ],
)
def test_a_trigger_matches_the_planned_events_type_and_name_allow(trigger: str, names: list[str | None]) -> None:
    matched = matched_events(PLAN, trigger)
    assert matched is not None and [e.name for e in matched] == names


def test_paths_and_what_the_plan_declares_there() -> None:
    order = PLAN.events[0]
    assert split_path("$.properties.products[0].quantity") == ["properties", "products", "0", "quantity"]
    assert split_path("properties.x") is None
    assert declared_at(order, ["properties", "products", "0", "quantity"]) is not None
    assert declared_at(order, ["properties", "nope"]) is None
    assert declared_at(order, ["traits", "email"]) is None
    assert optional_along(order, ["properties", "total"]) is None
    assert optional_along(order, ["properties", "currency"]) == "currency"


def test_the_data_dictionary_names_each_event_and_property() -> None:
    text = markdown(PLAN)
    assert "## Order Completed (track)" in text and "Version 2, policy `block`." in text
    assert "| `order_id` | string | yes | matches ^ORD-[0-9]+$ |  | The shop's order ID |" in text
    assert "| `email` | string | no | format email | email |  |" in text
    assert "| `birthday` | string | no | format date | yes | YYYY-MM-DD |" in text
    assert "| `rating` | integer | yes | one of 1, 2, 3, 4, 5 |  |  |" in text
    assert "| `products[].quantity` | integer | no |" in text
    page = html_page(PLAN)
    assert page.startswith("<!doctype html>") and "<h2>Order Completed (track)</h2>" in page
    assert "Antavo&#x27;s" in page


WARNINGS = ROOT / "tests" / "fixtures" / "plan" / "warnings"


def test_a_template_reading_an_undeclared_property_is_warned_at_the_template(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        'name: T\nsubscribe: type = "track" and event = "Order Completed"\npartnerAction: event\n'
        'mapping:\n  action: checkout\n  data:\n    transaction_id: {"@path": $.properties.order_id}\n'
        '    total: {"@path": $.properties.total}\n    note: {"@template": "{{properties.totl}} in {{properties.total}}"}\n'
    )
    [problem] = check_paths([mapping, WARNINGS / "tracking_plan.yaml"], DEFINITION)
    assert (problem.rule, problem.line, problem.column, problem.severity) == ("plan-undeclared", 9, 25, "warning")
    assert "'$.properties.totl'" in problem.message and "(did you mean 'total'?)" in problem.message


def test_defaults_the_mapping_keeps_are_checked_at_the_mapping_key(tmp_path: Path) -> None:
    """The profile action's default `data` reads eight traits; a plan declaring only `email` warns for the rest."""
    mapping = tmp_path / "m.yaml"
    mapping.write_text('name: P\nsubscribe: type = "identify"\npartnerAction: profile\nmapping: {}\n')
    problems = check_paths([mapping, WARNINGS / "tracking_plan.yaml"], DEFINITION)
    assert {(p.rule, p.line, p.column) for p in problems} == {("plan-undeclared", 4, 1)}
    assert len(problems) == 7 and not any("'$.traits.email'" in p.message for p in problems)


_CONDITIONS = st.sampled_from(
    [
        'type = "track"',
        'type = "identify"',
        'type != "track"',
        'event = "Signed Up"',
        'event = "Order Completed"',
        'event != "Points Earned"',
        "properties.loyalty_consent = true",
        'properties.method = "email"',
        'userId = "u1"',
        'traits.tier = "gold"',
    ]
)
TRIGGERS = st.builds(
    lambda parts, joins: " ".join(p for pair in zip(parts, [*joins, ""]) for p in pair).strip(),
    st.lists(_CONDITIONS, min_size=1, max_size=4),
    st.lists(st.sampled_from(["and", "or"]), min_size=3, max_size=3),
)
EXTRAS = st.fixed_dictionaries(
    {},
    optional={
        "userId": st.sampled_from(["u1", "u2"]),
        "properties": st.fixed_dictionaries(
            {}, optional={"loyalty_consent": st.booleans(), "method": st.sampled_from(["email", "apple"])}
        ),
        "traits": st.fixed_dictionaries({}, optional={"tier": st.sampled_from(["gold", "silver"])}),
    },
)


@given(TRIGGERS, st.sampled_from(PLAN.events), EXTRAS)
@settings(max_examples=300)
def test_a_trigger_that_matches_a_message_of_a_planned_event_matches_that_event(
    trigger: str, event: PlannedEvent, extras: dict[str, Any]
) -> None:
    """Conservative: whatever the message carries besides its type and name, matching it means matching its event."""
    message = {**extras, **event.representative()}
    if fql.parse(trigger).matches(message):
        matched = matched_events(PLAN, trigger)
        assert matched is not None and event in matched


def test_a_key_antavo_requires_fed_from_an_optional_property_is_warned(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        'name: T\nsubscribe: type = "track" and event = "Order Completed"\npartnerAction: event\n'
        'mapping:\n  action: checkout\n  data:\n    transaction_id: {"@path": $.properties.customer_ref}\n'
        '    total: {"@path": $.properties.total}\n'
    )
    [problem] = check_paths([mapping, WARNINGS / "tracking_plan.yaml"], DEFINITION)
    assert (problem.rule, problem.line, problem.column) == ("plan-optional", 7, 31)
    assert problem.message.startswith("'data.transaction_id' is required by Antavo for 'checkout' events, but it is")
