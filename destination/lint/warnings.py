"""Warnings for triggers Segment accepts but reads differently from how they are written.

Segment's subscription parser skips what it cannot use instead of refusing it, so
`type == "track" and evnt = "Points Earned"` is accepted and read as `type = "="`: it never
matches. Accepting and refusing stay exactly Segment's (`fql`); these checks compare what the
parser kept with the text and say, at the position in the trigger, what Segment will
evaluate instead:
- `fql-operator`: `==`, `=>`, `<>`, `OR`/`AND` in capitals, or `and` and `or` mixed at one level;
- `fql-unquoted`: a value written without double quotes (`type = track`, `'track'`);
- `fql-unknown-field`: a field Segment's events never have (`evnt`, `propertes.x`), with a did-you-mean;
- `fql-ignored`: any other text Segment skips.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import get_close_matches

from destination.errors import FQLSyntaxError
from destination.fql import parser as fql
from destination.fql.evaluate import Condition, Group, Nothing
from destination.fql.lexer import LexError, Token, lex
from destination.js.values import number_to_string

__all__ = ["TriggerWarning", "closest", "did_you_mean", "in_trigger", "reads_as", "trigger_warnings"]

FIELDS = ("type", "event", "name", "userId", "properties", "traits", "context")
_PREFIX = {"event-property": "properties", "event-trait": "traits", "event-context": "context"}
_SPECIAL = {"exists": "!= null", "not_exists": "= null", "is_true": "= true", "is_false": "= false"}
_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">="})
# Words Segment's evaluator also understands in the operator's place (`properties.x contains "a"`).
_WORD_OPERATORS = frozenset(f"{neg}{base}" for neg in ("", "not_") for base in ("contains", "starts_with", "ends_with"))


@dataclass(frozen=True)
class TriggerWarning:
    """One warning: its rule, the code-point offset in the trigger it points at, and the message."""

    rule: str
    offset: int
    message: str


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The near miss among `choices` a typo most likely meant, if any."""
    close = get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """` (did you mean 'x'?)` for a near miss among `choices`, else ''."""
    close = closest(word, choices)
    return f" (did you mean '{close}'?)" if close else ""


def in_trigger(query: str, offset: int, line: int, column: int) -> tuple[int, int]:
    """The file position of `offset` in a trigger whose text starts at `line`:`column`."""
    before = query[:offset]
    newlines = before.count("\n")
    if not newlines:
        return line, column + offset
    return line + newlines, offset - before.rfind("\n")


def _value(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return number_to_string(value) if isinstance(value, (int, float)) else "null"


def _leaf(node: Condition) -> str:
    field = (
        node.type
        if node.type in ("event", "name", "userId")
        else "type"
        if node.type == "event-type"
        else f"{_PREFIX[node.type]}.{node.name}"
    )
    op = node.operator
    if op in _SPECIAL:
        return f"{field} {_SPECIAL[op]}"
    negated = op.startswith("not_")
    base = op.removeprefix("not_")
    if base == "contains":
        return f"{'!' if negated else ''}contains({field}, {_value(node.value)})"
    if base in ("starts_with", "ends_with"):
        pattern = f"{node.value}*" if base == "starts_with" else f"*{node.value}"
        return f"{'!' if negated else ''}match({field}, {_value(pattern)})"
    shown = {"number_equals": "=", "number_not_equals": "!="}.get(op, op)
    return f"{field} {shown} {_value(node.value)}"


def reads_as(node: Condition | Group | Nothing, top: bool = True) -> str:
    """What Segment evaluates, written back as FQL (`type = "="`)."""
    if isinstance(node, Nothing):
        return f"{node.text} (no condition)"
    if isinstance(node, Condition):
        return _leaf(node)
    text = f" {node.operator} ".join(reads_as(child, False) for child in node.children)
    return text if top or len(node.children) == 1 else f"({text})"


def _merge_dotted(tokens: list[Token]) -> list[Token]:
    """`a . b` as one identifier, as Segment's normalize step joins them."""
    merged: list[Token] = []
    for tok in tokens:
        if len(merged) >= 2 and tok.type == "ident" and merged[-1].type == "dot" and merged[-2].type == "ident":
            merged.pop()
            head = merged.pop()
            tok = Token("ident", f"{head.value}.{tok.value}", head.start, tok.end)
        merged.append(tok)
    return merged


def _leaves(node: Condition | Group | Nothing) -> list[Condition | Nothing]:
    if isinstance(node, Group):
        return [leaf for child in node.children for leaf in _leaves(child)]
    return [node]


class _Reading:
    """The trigger's tokens, marked with the condition (or empty group) each one went into."""

    def __init__(self, query: str, tree: Group) -> None:
        self.query = query
        self.tree = tree
        self.tokens = _merge_dotted(lex(query))
        self.owner: list[Condition | Nothing | None] = [None] * len(self.tokens)
        self.spans: list[tuple[Condition | Nothing, int, int]] = []
        cursor = 0
        for leaf in _leaves(tree):
            span = self._find(leaf.text, cursor)
            if span is None:
                continue
            first, last = span
            if isinstance(leaf, Condition):
                for i in range(first, last + 1):
                    self.owner[i] = leaf
            self.spans.append((leaf, first, last))
            cursor = last + 1

    def _find(self, text: str, cursor: int) -> tuple[int, int] | None:
        for first in range(cursor, len(self.tokens)):
            start = self.tokens[first].start
            if not self.query.startswith(text, start):
                continue
            for last in range(first, len(self.tokens)):
                if self.tokens[last].end == start + len(text):
                    return first, last
        return None

    def skipped_runs(self) -> list[list[int]]:
        """Runs of tokens Segment used for nothing, split at and/or and parentheses."""
        runs: list[list[int]] = []
        current: list[int] = []
        in_call = False  # the parentheses of a skipped contains(…)/match(…) belong to its run
        for i, tok in enumerate(self.tokens):
            if tok.type == "parenleft" and current and self.tokens[current[-1]].value in ("contains", "match"):
                in_call = True
            structural = tok.type in ("eos", "conditional") or (tok.type in ("parenleft", "parenright") and not in_call)
            if tok.type == "parenright":
                in_call = False
            if self.owner[i] is None and not structural:
                current.append(i)
                continue
            if current:
                runs.append(current)
            current = []
        return runs


def trigger_warnings(query: str) -> list[TriggerWarning]:
    """Every warning for a trigger Segment accepts ([] for one it rejects: that is an error)."""
    try:
        trigger = fql.parse(query)
        reading = _Reading(query, trigger.tree)
    except (FQLSyntaxError, LexError):
        return []
    seen = f"Segment reads this as: {reads_as(trigger.tree)}"
    found: list[TriggerWarning] = []
    absorbed: set[int] = set()
    tokens = reading.tokens
    for leaf, first, last in reading.spans:
        if not isinstance(leaf, Condition) or tokens[first].type != "ident" or last - first != 2:
            continue
        op, value = tokens[first + 1], tokens[first + 2]
        if op.value in _OPERATORS and value.type == "operator" and value.start == op.end:
            written = op.value + value.value
            found.append(
                TriggerWarning(
                    "fql-operator",
                    op.start,
                    f"'{written}' is not an FQL operator; "
                    f"Segment reads '{op.value}' and takes '{value.value}' as the value. {seen}",
                )
            )
            following = last + 1
            if (
                following < len(tokens)
                and reading.owner[following] is None
                and tokens[following].type in ("string", "number", "ident")
            ):
                absorbed.add(following)
        elif op.type != "operator" and op.value not in _WORD_OPERATORS:
            found.append(
                TriggerWarning(
                    "fql-operator",
                    op.start,
                    f"'{op.value}' is not an FQL operator "
                    f"(=, !=, <, <=, >, >=): Segment keeps it, and the condition never "
                    f"matches. {seen}",
                )
            )
        elif value.type == "ident" and value.value not in ("true", "false"):
            found.append(
                TriggerWarning(
                    "fql-unquoted",
                    value.start,
                    f"the value {value.value} is not quoted; write {json.dumps(value.value)}. {seen}",
                )
            )
        elif value.type == "string" and value.value.startswith("'"):
            found.append(
                TriggerWarning(
                    "fql-unquoted",
                    value.start,
                    f"the value {value.value} is in single quotes, "
                    f"which Segment keeps as part of the value; use double quotes. {seen}",
                )
            )
    for run in reading.skipped_runs():
        run = [i for i in run if i not in absorbed]
        if run:
            found.append(_skipped(reading, run, seen))
    found += _mixed_levels(tokens)
    return sorted(found, key=lambda w: w.offset)


def _skipped(reading: _Reading, run: list[int], seen: str) -> TriggerWarning:
    tokens = reading.tokens
    head = tokens[run[0]]
    text = reading.query[head.start : tokens[run[-1]].end]
    if len(run) == 1 and head.type == "ident" and head.value.lower() in ("and", "or"):
        return TriggerWarning(
            "fql-operator",
            head.start,
            f"'{head.value}' is not FQL's '{head.value.lower()}' "
            f"(FQL's words are lower case): Segment skips it. {seen}",
        )
    field = None
    if head.type == "ident" and head.value in ("contains", "match") and len(run) > 2:
        field = tokens[run[2]].value
    elif head.type == "ident" and len(run) > 1 and tokens[run[1]].type == "operator":
        field = head.value
    if field is not None and field.split(".")[0] not in FIELDS:
        root, dot, rest = field.partition(".")
        close = closest(root, FIELDS)
        hint = f" (did you mean '{close}{dot}{rest}'?)" if close else ""
        return TriggerWarning(
            "fql-unknown-field",
            head.start if field == head.value else tokens[run[2]].start,
            f"Segment's events have no field '{field}'{hint}, so Segment skips '{text}'. {seen}",
        )
    return TriggerWarning(
        "fql-ignored", head.start, f"Segment skips '{text}': it is not a condition Segment can use. {seen}"
    )


def _mixed_levels(tokens: list[Token]) -> list[TriggerWarning]:
    """`and` and `or` at one level: the last one written decides for the whole level."""
    levels: dict[int, list[Token]] = {}
    depth, opened = 0, 0
    for tok in tokens:
        if tok.type == "parenleft":
            opened += 1
            depth = opened
        elif tok.type == "parenright":
            depth = 0
        elif tok.type == "conditional":
            levels.setdefault(depth, []).append(tok)
    found = []
    for conj in levels.values():
        last = conj[-1].value
        odd = next((tok for tok in conj if tok.value != last), None)
        if odd is not None:
            found.append(
                TriggerWarning(
                    "fql-operator",
                    odd.start,
                    f"'{odd.value}' and '{last}' are mixed at one "
                    f"level: Segment joins every condition of the level with '{last}' (the "
                    f"last one written); put parentheses around the '{odd.value}' part.",
                )
            )
    return found
