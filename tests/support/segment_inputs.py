"""Hypothesis strategies for what an integration engineer gives Segment: events, triggers, mappings
(every directive, `@liquid` included) and action runs, as conformance cases of the four kinds.

Events start from a complete Segment event (every top-level key Segment's test harness would
otherwise fill with a random ID or the current time), so both runtimes see the same input.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

PROPERTY_KEYS = ["points", "sku", "tier", "tags", "nested", "total", "order_id", "is_member", "antavoAction", "a.b"]
TRAIT_KEYS = ["email", "first_name", "birthday", "gender", "antavoAccount", "phone", "tier"]
TEXT = st.sampled_from(["", "a", "Gold", "ORDER-1", "a@b.co", "1990-05-17", "2026-11-20T10:00:00Z", "ß😀", "12"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 10**6),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 2)),
    TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["sku", "qty", "x", "0"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def _base(kind: str, name: str, properties: dict[str, Any], traits: dict[str, Any]) -> dict[str, Any]:
    event = {
        "anonymousId": "anon-1",
        "context": {"ip": "8.8.8.8", "library": {"name": "analytics.js", "version": "2.11.1"}, "traits": traits},
        "messageId": "m-1",
        "receivedAt": "2026-11-20T10:00:00.000Z",
        "sentAt": "2026-11-20T10:00:00.000Z",
        "timestamp": "2026-11-20T09:59:59.000Z",
        "type": kind,
        "userId": "user-1",
        "properties": properties,
        "traits": traits,
    }
    if kind == "track":
        event["event"] = name
    return event


EVENTS = st.builds(
    _base,
    st.sampled_from(["track", "identify", "page", "group"]),
    st.sampled_from(["Order Completed", "Points Earned", "Signed Up", ""]),
    st.dictionaries(st.sampled_from(PROPERTY_KEYS), VALUES, max_size=5),
    st.dictionaries(st.sampled_from(TRAIT_KEYS), VALUES, max_size=4),
)

# Triggers: Segment's subscription language, valid and not (the parser's refusals are answers too).
FIELDS = st.sampled_from(
    ["type", "event", "userId", *(f"properties.{k}" for k in PROPERTY_KEYS[:8]), "traits.email", "context.library.name"]
)
LITERALS = st.sampled_from(['"track"', '"Order Completed"', '""', '"5"', "5", "-2.5", "true", "false", "null", '"G*"'])
OPERATORS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])


@st.composite
def conditions(draw: st.DrawFn) -> str:
    field, value = draw(FIELDS), draw(LITERALS)
    shape = draw(st.sampled_from(["compare", "compare", "contains", "match", "not"]))
    if shape == "compare":
        return f"{field} {draw(OPERATORS)} {value}"
    function = "match" if shape == "match" else "contains"
    return f"{'!' if shape == 'not' else ''}{function}({field}, {value})"


@st.composite
def triggers(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            inner = draw(st.lists(conditions(), min_size=1, max_size=3))
            parts.append("(" + f" {draw(st.sampled_from(['and', 'or']))} ".join(inner) + ")")
        else:
            parts.append(draw(conditions()))
    text = " ".join(p if i == 0 else f"{draw(st.sampled_from(['and', 'or']))} {p}" for i, p in enumerate(parts))
    cut = draw(st.sampled_from([None, None, None, None, len(text) // 2, -1]))
    return text if cut is None else text[:cut]


# Mappings: every directive of mapping-kit, nested, sometimes malformed.
PATHS = st.sampled_from(
    [
        "$.userId",
        "$.event",
        "$.messageId",
        "$.missing",
        "$.properties",
        "$.traits",
        "$.context.library",
        *(f"$.properties.{k}" for k in PROPERTY_KEYS[:8]),
        *(f"$.traits.{k}" for k in TRAIT_KEYS),
        "$.properties.tags[0]",
        "$.properties.nested.sku",
        "properties.points",
        "$",
    ]
)
LIQUID_PATHS = st.sampled_from(
    [
        "userId",
        "event",
        "properties.sku",
        "properties.tier",
        "properties.points",
        "properties.tags",
        "traits.email",
        "traits.first_name",
        "properties.missing",
    ]
)
LIQUID_FILTERS = st.sampled_from(
    [
        "upcase",
        "downcase",
        "capitalize",
        "size",
        'default: "none"',
        'append: "!"',
        'prepend: "#"',
        "strip",
        "first",
        "last",
        'join: ","',
    ]
)


@st.composite
def liquid_templates(draw: st.DrawFn) -> str:
    """Templates of the Liquid subset both engines are held to agree on by this test (issue 23's
    own differential test widens the grammar)."""
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(["text", "output", "filtered", "if"]))
        path = draw(LIQUID_PATHS)
        if shape == "text":
            pieces.append(draw(st.sampled_from(["id-", " ", "Hello ", ":"])))
        elif shape == "output":
            pieces.append("{{ " + path + " }}")
        elif shape == "filtered":
            pieces.append("{{ " + path + " | " + draw(LIQUID_FILTERS) + " }}")
        else:
            pieces.append("{% if " + path + " %}yes{% else %}no{% endif %}")
    return "".join(pieces)


def _options(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries({}, optional=fields) | st.fixed_dictionaries(fields)


def _directives(sub: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    flags = st.booleans()
    options: dict[str, st.SearchStrategy[Any]] = {
        "@path": PATHS,
        "@template": st.sampled_from(
            ["{{userId}}", "id-{{properties.sku}}", "{{traits.email}}!", "plain", "{{missing}}"]
        ),
        "@literal": SCALARS | sub,
        "@excludeWhenNull": sub,
        "@if": _options(exists=sub, blank=sub, then=sub, **{"else": sub}),
        "@case": _options(operator=st.sampled_from(["lower", "upper", "title"]), value=sub),
        "@replace": _options(
            pattern=st.sampled_from(["a", "-", "O", "."]),
            replacement=st.sampled_from(["", "x"]),
            value=sub,
            ignorecase=flags,
            **{"global": flags},
        ),
        "@arrayPath": st.tuples(
            PATHS, st.fixed_dictionaries({"id": st.just({"@path": "$.sku"}), "n": st.just({"@path": "$.qty"})})
        ).map(list),
        "@json": _options(mode=st.sampled_from(["encode", "decode"]), value=sub),
        "@flatten": _options(separator=st.sampled_from([".", "_"]), value=sub),
        "@merge": _options(direction=st.sampled_from(["left", "right"]), objects=st.lists(sub, max_size=3)),
        "@transform": _options(apply=st.dictionaries(st.sampled_from(["p", "t"]), sub, max_size=2), mapping=sub),
        "@liquid": liquid_templates(),
    }
    directives = st.sampled_from(sorted(options)).flatmap(lambda name: options[name].map(lambda value: {name: value}))
    return st.one_of(*[directives] * 9, _malformed(sub))  # now and then something the validator refuses


def _malformed(sub: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """What mapping-kit's validator refuses: unknown directives, wrong option types, two @-keys."""
    return st.one_of(
        st.builds(lambda v: {"@bogus": v}, sub),
        st.builds(lambda v: {"@path": v}, SCALARS.filter(lambda v: not isinstance(v, str))),
        st.builds(lambda v: {"@template": v}, SCALARS.filter(lambda v: not isinstance(v, str))),
        st.builds(lambda v: {"@case": {"operator": "reverse", "value": v}}, sub),
        st.builds(lambda v: {"@if": {"then": v}}, sub),
        st.builds(lambda a, b: {"@path": a, "@template": b}, PATHS, PATHS),
        st.builds(lambda v: {"@json": {"mode": "zip", "value": v}}, sub),
        st.builds(lambda v: {"@liquid": v}, SCALARS.filter(lambda v: not isinstance(v, str))),
    )


MAPPING_VALUES = st.recursive(
    SCALARS | PATHS.map(lambda p: {"@path": p}),
    lambda sub: (
        _directives(sub)
        | st.lists(sub, max_size=2)
        | st.dictionaries(st.sampled_from(["a", "b", "sku"]), sub, max_size=2)
    ),
    max_leaves=6,
)
MAPPINGS = st.dictionaries(
    st.sampled_from(["customer", "action", "data", "points", "a.b", "x"]), MAPPING_VALUES, min_size=1, max_size=4
)

ACTION_MAPPINGS = st.fixed_dictionaries(
    {},
    optional={
        "customer": st.sampled_from([{"@path": "$.userId"}, {"@path": "$.traits.email"}]) | MAPPING_VALUES,
        "action": st.sampled_from([{"@path": "$.properties.antavoAction"}, {"@path": "$.event"}, "point_add"])
        | MAPPING_VALUES,
        "account": st.sampled_from([{"@path": "$.traits.antavoAccount"}, "acc-1"]),
        "data": st.dictionaries(
            st.sampled_from(["points", "first_name", "email", "birth_date", "total"]), MAPPING_VALUES, max_size=3
        )
        | MAPPING_VALUES,
    },
)
SETTINGS = st.sampled_from(
    [{"stack": "test-stack", "api_key": "k-123"}, {"stack": "eu2", "api_key": "k"}, {"stack": "x"}]
)


def cases() -> st.SearchStrategy[dict[str, Any]]:
    """One conformance case of any kind, without `expect`."""
    return st.one_of(
        st.builds(lambda q, e: {"kind": "fql", "query": q, "event": e}, triggers(), EVENTS),
        st.builds(lambda m, e: {"kind": "transform", "mapping": m, "event": e}, MAPPINGS, EVENTS),
        st.builds(lambda m: {"kind": "validate_mapping", "mapping": m}, MAPPINGS),
        st.builds(
            lambda a, m, e, s: {"kind": "action", "action": a, "mapping": m, "event": e, "settings": s},
            st.sampled_from(["event", "profile"]),
            st.none() | ACTION_MAPPINGS,
            EVENTS,
            SETTINGS,
        ),
    )
