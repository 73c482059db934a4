"""Hypothesis strategies for `@liquid` templates from the whole grammar Segment leaves on, and the
events they render against: outputs with chained filters on any value, `if`/`unless`/`elsif`/`else`,
`case`/`for` (disabled in Segment, so refused), `assign`, `capture`, `echo`, `liquid`, `raw`,
comments, `increment`/`decrement`/`cycle`, whitespace control, and malformed markup (cut, stray or
doubled delimiters, missing operands). Property names include Liquid's keywords (`empty`, `blank`,
`nil`, `size`, `first`) because liquidjs reads `properties.empty` as the property.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from segment_inputs import _base

KEYWORD_KEYS = ["empty", "blank", "nil", "null", "true", "size", "first", "last", "contains", "and"]
PROPERTY_KEYS = ["sku", "points", "total", "tags", "nested", "name", "when", "note", *KEYWORD_KEYS]
TRAIT_KEYS = ["email", "first_name", "birthday", "tier"]
TEXT = st.sampled_from(
    ["", "a", "Gold", " Ada  Lovelace ", "a,b,c", "A&B <i>x</i>", "1990-05-17", "2026-11-20T10:00:00Z", "ß😀é", "12", "3.5",
     "-0", "true", "line\nnext", "https://x.io/?a=1&b=2"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 10**6),
    st.sampled_from([0, -0.0, 1.5, 2.5, -2.5, 129.5, 1e21, 0.1, 1e-7]),
    TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["sku", "qty", "x", "0", "size"]), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip
EVENTS = st.builds(
    _base,
    st.sampled_from(["track", "identify"]),
    st.sampled_from(["Order Completed", ""]),
    st.dictionaries(st.sampled_from(PROPERTY_KEYS), VALUES, max_size=6),
    st.dictionaries(st.sampled_from(TRAIT_KEYS), VALUES, max_size=3),
)

_ROOTS = ["properties", "traits", "userId", "event", "missing", "context.library", "x", "forloop", "empty", "blank"]
_SEGMENTS = [*PROPERTY_KEYS, "qty", "x", "0", "missing"]


@st.composite
def variables(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(_ROOTS))
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.sampled_from(["dot", "dot", "dot", "index", "quoted", "var"]))
        if how == "dot":
            path += "." + draw(st.sampled_from(_SEGMENTS))
        elif how == "index":
            path += f"[{draw(st.integers(-2, 3))}]"
        elif how == "quoted":
            path += '["' + draw(st.sampled_from(_SEGMENTS + ["a b", "a.b"])) + '"]'
        else:
            path += "[" + draw(st.sampled_from(["x", "properties.sku", "'size'"])) + "]"
    return path


LITERALS = st.sampled_from(
    ['"a"', "'b'", '""', '"Gold"', '"12"', '"a,b"', "'ß😀'", '"}}"', '"%}"', "0", "1", "-1", "2.5", "-0.5", "10",
     "true", "false", "nil", "null", "empty", "blank", "(1..3)", "(0..x)", "1.", ".5", "1e3", '"2026-11-20"',
     '"now"']
)  # fmt: skip


def values() -> st.SearchStrategy[str]:
    return st.one_of(variables(), variables(), LITERALS)


# Every liquidjs filter Segment leaves on, some it disables, and a few that do not exist.
FILTER_NAMES = [
    "abs", "at_least", "at_most", "ceil", "floor", "divided_by", "minus", "plus", "times", "modulo", "round",
    "append", "prepend", "lstrip", "rstrip", "strip", "downcase", "upcase", "capitalize", "remove", "remove_first",
    "remove_last", "replace", "replace_first", "replace_last", "split", "strip_newlines", "normalize_whitespace",
    "number_of_words", "truncate", "truncatewords", "escape", "xml_escape", "escape_once", "strip_html",
    "url_encode", "url_decode", "cgi_escape", "uri_escape", "slugify", "base64_encode", "base64_decode",
    "join", "first", "last", "size", "sum", "compact", "push", "unshift", "pop", "shift", "slice", "where",
    "default", "raw", "json", "jsonify", "inspect", "to_integer", "date", "date_to_xmlschema", "date_to_string",
    "date_to_long_string", "date_to_rfc822", "squish", "sha256",
    "sort", "map", "uniq", "reverse", "concat", "type", "upcase_all", "nope",
]  # fmt: skip
DATE_FORMATS = st.sampled_from(
    ['"%Y-%m-%d"', '"%s"', '"%a %b %e %H:%M"', '"%j %U %Z %z"', '"%-d/%-m/%y %I %p"', '"%q"']
)


@st.composite
def filters(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(FILTER_NAMES))
    if name == "date" and draw(st.booleans()):
        return f"date: {draw(DATE_FORMATS)}"
    count = draw(st.sampled_from([0, 0, 1, 1, 1, 2, 3]))
    if count == 0:
        return name
    args = [draw(values()) for _ in range(count)]
    if draw(st.integers(0, 9)) == 0:
        args[-1] = draw(st.sampled_from(["allow_false: true", "x: 1", "", ","]))
    return f"{name}: {', '.join(args)}"


@st.composite
def expressions(draw: st.DrawFn) -> str:
    """A value with its filter chain, as in `{{ … }}`, `echo` and `assign`."""
    chain = [draw(values())] + [draw(filters()) for _ in range(draw(st.integers(0, 3)))]
    sep = draw(st.sampled_from([" | ", " | ", "|", " || "]))
    return sep.join(chain)


COMPARATORS = st.sampled_from(["==", "!=", "<>", "<", ">", "<=", ">=", "contains", "=", "==="])


@st.composite
def conditions(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(["value", "compare", "compare", "not"]))
        if shape == "value":
            parts.append(draw(values()))
        elif shape == "not":
            parts.append("not " + draw(values()))
        else:
            parts.append(f"{draw(values())} {draw(COMPARATORS)} {draw(values())}")
    return "".join(p if i == 0 else f" {draw(st.sampled_from(['and', 'or']))} {p}" for i, p in enumerate(parts))


TEXTS = st.sampled_from(["x", " ", "Hello ", "\n", ":", "ß😀", "{", "}", "%", "{ {", "} }", "-", "yes", "no"])


def _ws(draw: st.DrawFn, opener: str) -> tuple[str, str]:
    close = "}}" if opener == "{{" else "%}"
    left = opener + draw(st.sampled_from([" ", " ", "", "-", "- ", "  "]))
    right = draw(st.sampled_from([" ", " ", "", "-", " -", "  "])) + close
    return left, right


def _tag(draw: st.DrawFn, body: str) -> str:
    left, right = _ws(draw, "{%")
    return left + body + right


@st.composite
def blocks(draw: st.DrawFn, depth: int = 0) -> str:
    """A run of text, outputs and tags; blocks nest up to two deep."""
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        kinds = ["text", "output", "output", "assign", "echo", "counter", "comment", "raw"]
        if depth < 2:
            kinds += ["if", "if", "unless", "capture", "case", "for", "liquid"]
        kind = draw(st.sampled_from(kinds))
        inner = (lambda: draw(blocks(depth + 1))) if depth < 2 else (lambda: draw(TEXTS))
        if kind == "text":
            pieces.append(draw(TEXTS))
        elif kind == "output":
            left, right = _ws(draw, "{{")
            pieces.append(left + draw(expressions()) + right)
        elif kind == "assign":
            name = draw(st.sampled_from(["x", "y", "properties", "empty", "a-b", "1x"]))
            pieces.append(_tag(draw, f"assign {name} = {draw(expressions())}"))
        elif kind == "echo":
            pieces.append(_tag(draw, "echo " + draw(expressions())))
        elif kind == "counter":
            pieces.append(_tag(draw, draw(st.sampled_from(["increment x", "decrement x", "increment n",
                                                          'cycle "a", "b"', "cycle x, 1", "break", "continue"]))))  # fmt: skip
        elif kind == "comment":
            pieces.append(draw(st.sampled_from(["{% comment %}c {{ x }}{% endcomment %}", "{% # note %}", "{%# n %}"])))
        elif kind == "raw":
            pieces.append("{% raw %}" + draw(st.sampled_from(["{{ x }}", "{% if %}", "t"])) + "{% endraw %}")
        elif kind in ("if", "unless"):
            text = _tag(draw, f"{kind} {draw(conditions())}") + inner()
            for _ in range(draw(st.integers(0, 2))):
                text += _tag(draw, f"elsif {draw(conditions())}") + inner()
            if draw(st.booleans()):
                text += _tag(draw, "else") + inner()
            pieces.append(text + _tag(draw, f"end{kind}"))
        elif kind == "capture":
            name = draw(st.sampled_from(["x", "c", "'q'"]))
            pieces.append(_tag(draw, f"capture {name}") + inner() + _tag(draw, "endcapture") + "{{ " + name + " }}")
        elif kind == "case":
            text = _tag(draw, f"case {draw(values())}") + _tag(draw, f"when {draw(values())}") + inner()
            pieces.append(text + _tag(draw, "endcase"))
        elif kind == "for":
            pieces.append(_tag(draw, f"for i in {draw(values())}") + "{{ i }}" + _tag(draw, "endfor"))
        else:
            lines = [f"echo {draw(expressions())}", f"assign x = {draw(values())}", "echo x"]
            pieces.append(_tag(draw, "liquid " + "\n".join(draw(st.lists(st.sampled_from(lines), max_size=3)))))
    return "".join(pieces)


def _break(draw: st.DrawFn, text: str) -> str:
    """Malformed on purpose: cut short, a character dropped or doubled, or a stray delimiter put in."""
    how = draw(st.sampled_from(["cut", "drop", "double", "insert"]))
    at = draw(st.integers(0, max(len(text) - 1, 0)))
    if how == "cut":
        return text[:at]
    if how == "drop":
        return text[:at] + text[at + 1 :]
    if how == "double":
        return text[:at] + text[at : at + 1] * 2 + text[at:]
    stray = draw(st.sampled_from(["{{", "}}", "{%", "%}", "|", '"', "'", "{{{%", "{%{%", "==", ".", "[", "]", ","]))
    return text[:at] + stray + text[at:]


@st.composite
def templates(draw: st.DrawFn) -> str:
    text = draw(blocks())
    return _break(draw, text) if draw(st.integers(0, 3)) == 0 else text


def liquid_cases() -> st.SearchStrategy[dict[str, Any]]:
    """A `transform` conformance case rendering one template against one event."""
    return st.builds(
        lambda template, event: {"kind": "transform", "mapping": {"value": {"@liquid": template}}, "event": event},
        templates(),
        EVENTS,
    )
