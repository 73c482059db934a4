"""Segment's trigger language (FQL): parse a subscription query and test events against it.

Verdicts are Segment's (`@segment/destination-subscriptions` 3.37.0), which are not those of
a textbook expression grammar. Segment's parser walks the token list once, and:
- a field name (`type`, `event`, `name`, `userId`, `properties…`, `traits…`, `context…`) takes
  the next two tokens, whatever they are, as operator and value;
- `contains(`/`match(` take the next five tokens as `( field , value )`, and yield nothing
  when the field is not `event`, `name`, `userId`, `properties…`, `traits…` or `context…`;
- `(` takes every token up to the first `)` as a group, so a group inside a group never
  closes (rejected), while `a and (b or c)` works;
- a level's `and`/`or` is the last one written at that level (`a and b or c` = any of a, b, c);
- every other token is skipped, and a query that yields no condition is rejected.
That walk is expressed here as a grammar over fql-ts tokens (see `fql_lexer`); the tree it
builds is compiled once into closures so matching an event costs a few dict lookups.
Evaluation (`fql_eval`) follows Segment's `validate`/`get` with JavaScript value semantics (`fql_js`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lark import Lark, Tree
from lark import Token as LarkToken
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from destination.errors import FQLSyntaxError
from destination.fql.access import OBJECT_PROTOTYPE_NAMES
from destination.fql.evaluate import (
    MISSING,
    Check,
    Condition,
    FQLEvaluationError,
    Group,
    Node,
    Nothing,
    compile_tree,
    explain,
    segment_shape,
)
from destination.fql.lexer import LexError, Token, from_utf16_units, lex
from destination.js.values import to_js_string, to_number, utf16_units

__all__ = ["MISSING", "Check", "Condition", "FQLEvaluationError", "Group", "Nothing", "Trigger", "matches", "parse"]

# Segment's condition type for each leading field name; the fields contains()/match() take a path of.
_TARGETS = {
    "type": "event-type",
    "event": "event",
    "name": "name",
    "userId": "userId",
    "context": "event-context",
    "properties": "event-property",
    "traits": "event-trait",
}
_PATH_KINDS = {"properties": "event-property", "traits": "event-trait", "context": "event-context"}
_FUNCTIONS = ("contains", "match")

_GRAMMAR = r"""
start: _item* (EOS | last_cond | last_func)
_item: cond | func | group | conj | OTHER | RPAR
cond: _head _any _any
last_cond: _head _any EOS
func: BANG? FUNC _any _any _any _any _any
last_func: BANG? FUNC _any _any _any _any? EOS
group: LPAR _inner* (RPAR | close_cond | close_func)
_inner: cond_in | func_in | conj | OTHER
cond_in: _head _in _in
close_cond: _head _in RPAR
func_in: BANG? FUNC _in _in _in _in _in
close_func: BANG? FUNC _in _in _in _in? RPAR
conj: CONJ
_head: FIELD | INHERITED
_any: _in | RPAR
_in: FIELD | INHERITED | FUNC | BANG | LPAR | CONJ | OTHER
%declare FIELD INHERITED FUNC BANG LPAR RPAR CONJ EOS OTHER
"""
# FIELD: a field name; INHERITED: a name Segment's lookup table inherits from Object.prototype
# (it takes two tokens but yields nothing); BANG: `!` right before contains/match.


class _TokenFeed(Lexer):
    """Hands lark the already-lexed tokens; `start_pos` is the index into that list."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: list[tuple[str, str]]) -> Any:  # type: ignore[override]
        for index, (kind, value) in enumerate(data):
            yield LarkToken(kind, value, start_pos=index)


_PARSER = Lark(_GRAMMAR, parser="lalr", lexer=_TokenFeed, strict=True)


class Trigger:
    """A parsed subscription query, compiled for matching."""

    __slots__ = ("_evaluate", "source", "tree")

    def __init__(self, source: str, tree: Group) -> None:
        self.source = source
        self.tree = tree
        self._evaluate = compile_tree(tree)

    def evaluate(self, event: Any) -> bool:
        """Segment's verdict; raises FQLEvaluationError where Segment's `validate` throws."""
        return self._evaluate(event)

    def matches(self, event: Any) -> bool:
        """Whether Segment would run the subscription for `event`; never raises."""
        try:
            return self._evaluate(event)
        except Exception:  # Segment's validate threw: the subscription does not run
            return False

    def explain(self, event: Any) -> list[Check]:
        """Every condition in query order with the value it saw and its result."""
        return explain(self.tree, event)

    def as_segment(self) -> dict[str, Any]:
        """The tree in the JSON shape Segment's parseFql returns (empty groups as None)."""
        return segment_shape(self.tree)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Trigger({self.source!r})"


@lru_cache(maxsize=1024)
def parse(query: str) -> Trigger:
    """Parse `query` as Segment would; FQLSyntaxError for any query Segment rejects."""
    try:
        tokens = _merge_dotted(lex(query))
    except LexError as exc:
        raise _syntax_error(query, exc.message, exc.offset) from None
    kinds = [(_kind(tok, tokens[i + 1] if i + 1 < len(tokens) else None), tok.value) for i, tok in enumerate(tokens)]
    try:
        parsed = _PARSER.parse(kinds)
    except UnexpectedInput as exc:
        message, offset = _describe(exc, tokens)
        raise _syntax_error(query, message, offset) from None
    builder = _Builder(query, tokens)
    root = builder.level(parsed.children, 0, len(query))
    if root is None or isinstance(root, Nothing):
        message, offset = builder.why_empty()
        raise _syntax_error(query, message, offset)
    if not isinstance(root, Group):
        root = Group("and", (root,), root.text)
    return Trigger(query, root)


def matches(query: str, event: Any) -> bool:
    """Whether `event` matches `query` (parsed once and cached)."""
    return parse(query).matches(event)


# Parsing ---------------------------------------------------------------------------------------


def _merge_dotted(tokens: list[Token]) -> list[Token]:
    """Segment's normalize step: `ident . ident` becomes one identifier, left to right."""
    merged: list[Token] = []
    index = 0
    while index < len(tokens):
        tok = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if merged and merged[-1].type == "ident" and tok.type == "dot" and following and following.type == "ident":
            previous = merged.pop()
            merged.append(Token("ident", f"{previous.value}.{following.value}", previous.start, following.end))
            index += 2
        else:
            merged.append(tok)
            index += 1
    return merged


def _kind(tok: Token, following: Token | None) -> str:
    """The grammar terminal for a token: what Segment's walk does on meeting it."""
    if tok.type == "ident":
        head = tok.value.split(".")[0]
        if head in _TARGETS:
            return "FIELD"
        if head in OBJECT_PROTOTYPE_NAMES:
            return "INHERITED"
        return "FUNC" if tok.value in _FUNCTIONS else "OTHER"
    if tok.type == "operator" and tok.value == "!":
        is_function = following is not None and following.type == "ident" and following.value in _FUNCTIONS
        return "BANG" if is_function else "OTHER"
    return {"parenleft": "LPAR", "parenright": "RPAR", "conditional": "CONJ", "eos": "EOS"}.get(tok.type, "OTHER")


def _value(tok: Token) -> str | float | bool:
    """Segment's getTokenValue: strings lose one pair of double quotes, numbers become numbers."""
    if tok.type == "string":
        return tok.value.removeprefix('"').removesuffix('"')
    if tok.type == "number":
        return to_number(tok.value)
    if tok.type == "ident" and tok.value in ("true", "false"):
        return tok.value == "true"
    return tok.value


_SYNTHETIC_END = Token("eos", "eos", 0, 0)


class _Builder:
    """Turns lark's tree into Segment's condition tree, rule for rule."""

    def __init__(self, query: str, tokens: list[Token]) -> None:
        self.query = query
        self.tokens = tokens
        self.dropped: list[tuple[str, int]] = []  # constructs that yielded no condition

    def level(self, children: list[Any], start: int, end: int) -> Node | None:
        nodes: list[Node] = []
        operator = "and"
        for child in children:
            if not isinstance(child, Tree):
                continue
            rule = child.data
            if rule == "conj":
                operator = self._tok(child.children[0]).value
            elif rule == "group":
                group_tokens = [self._tok(t) for t in child.scan_values(lambda v: isinstance(v, LarkToken))]
                text = self.query[group_tokens[0].start : group_tokens[-1].end]
                inner = self.level(child.children, group_tokens[0].start, group_tokens[-1].end)
                if inner is None:
                    self.dropped.append((f"the group {text} has no condition Segment can use", group_tokens[0].start))
                nodes.append(Nothing(text) if inner is None else inner)
            else:
                node = self._leaf(rule, [self._tok(t) for t in child.children])
                if node is not None:
                    nodes.append(node)
        if len(nodes) > 1:
            return Group(operator, tuple(nodes), self.query[start:end].strip())
        return nodes[0] if nodes else None

    def _tok(self, lark_token: Any) -> Token:
        """Our token for a lark token (lark types children loosely, so this takes Any)."""
        return self.tokens[lark_token.start_pos]

    def _leaf(self, rule: str, written: list[Token]) -> Condition | None:
        toks = written[:-1] + [_SYNTHETIC_END] if rule.startswith(("last_", "close_")) else written
        if rule in ("cond", "cond_in", "last_cond", "close_cond"):
            shown = [t for t in toks if t is not _SYNTHETIC_END]
            return self._condition(toks[0], toks[1], toks[2], self.query[shown[0].start : shown[-1].end])
        negate = toks[0].type == "operator"
        text = self.query[written[0].start : written[-1].end]
        if negate:
            toks = toks[1:]
        return self._function(toks[0].value, toks[2], toks[4], negate, text)

    def _condition(self, head: Token, op_tok: Token, value_tok: Token, text: str) -> Condition | None:
        target = _TARGETS.get(head.value.split(".")[0])
        if target is None:
            self.dropped.append((f"'{head.value}' is not a field Segment can test", head.start))
            return None
        op, raw = op_tok.value, value_tok.value
        special = {
            ("!=", "null"): "exists",
            ("=", "null"): "not_exists",
            ("=", "true"): "is_true",
            ("=", "false"): "is_false",
        }.get((op, raw))
        if target in ("event-type", "event") or (target == "name" and special in ("is_true", "is_false")):
            special = None  # Segment turns these into exists/is_true/… only for the fields listed
        if target in ("event-type", "event", "name", "userId"):
            if special:
                return Condition(target, None, special, None, text)
            return Condition(target, None, op, to_js_string(_value(value_tok)), text)
        name = _path_name(head.value)
        if special:
            return Condition(target, name, special, None, text)
        if op in ("=", "!=") and value_tok.type == "number":
            op = "number_equals" if op == "=" else "number_not_equals"
        return Condition(target, name, op, _value(value_tok), text)

    def _function(self, function: str, field: Token, value_tok: Token, negate: bool, text: str) -> Condition | None:
        if field.value in ("event", "name", "userId"):
            target, name = field.value, None
        else:
            prefix = next((p for p in _PATH_KINDS if field.value.startswith(p)), None)
            if prefix is None:
                message = (
                    f"{function}() cannot test '{field.value}'; Segment tests only event, name, userId, "
                    "properties…, traits… and context… with it"
                )
                self.dropped.append((message, field.start))
                return None
            target, name = _PATH_KINDS[prefix], _path_name(field.value)
        text_value = to_js_string(_value(value_tok))
        if function == "contains":
            return Condition(target, name, "not_contains" if negate else "contains", text_value, text)
        units = utf16_units(text_value)
        if value_tok.value.endswith('*"'):
            operator, value = "starts_with", from_utf16_units("".join(units[:-1]))
        else:
            operator, value = "ends_with", from_utf16_units("".join(units[1:]))
        return Condition(target, name, f"not_{operator}" if negate else operator, value, text)

    def why_empty(self) -> tuple[str, int]:
        """Message and offset for a query that yields no condition (Segment fails on it)."""
        if self.dropped:
            return self.dropped[0]
        first = self.tokens[0]
        message = (
            "no condition Segment can use: start one with type, event, name, userId, properties…, "
            "traits…, context…, contains( or match("
        )
        return message, first.start


def _path_name(field: str) -> str:
    for prefix in _PATH_KINDS:
        if field.startswith(prefix + "."):
            return field[len(prefix) + 1 :]
    return field


def _describe(exc: UnexpectedInput, tokens: list[Token]) -> tuple[str, int]:
    """A person-sized message and offset for where Segment's token walk breaks down."""
    if not isinstance(exc, UnexpectedToken) or exc.token.start_pos is None:
        return "unexpected end of query", tokens[-1].start
    tok = tokens[exc.token.start_pos]
    stack = exc.interactive_parser.parser_state.value_stack
    # Bare tokens on lark's stack are ones at item position: a bare '(' is an open group.
    opened: Any = next((v for v in reversed(stack) if isinstance(v, LarkToken) and v.type == "LPAR"), None)
    head = None
    for entry in reversed(stack):
        if isinstance(entry, Tree) and entry.data in ("_any", "_in"):
            continue
        if isinstance(entry, Tree) and entry.data == "_head":
            first: Any = entry.children[0]
            head = tokens[first.start_pos]
        elif isinstance(entry, LarkToken) and entry.type in ("FIELD", "INHERITED", "FUNC"):
            head = tokens[entry.start_pos or 0]
        break
    if opened is not None and tok.type == "eos":
        return "'(' is never closed", tokens[opened.start_pos].start
    if opened is not None and head is None:
        return "Segment cannot parse a parenthesised group inside another group", tok.start
    if head is not None and head.value in _FUNCTIONS:
        return f'{head.value}() needs a field and a value: {head.value}(field, "value")', tok.start
    if head is not None:
        return f"'{head.value}' needs an operator and a value", tok.start
    return f"unexpected '{tok.value}'", tok.start


def _syntax_error(query: str, message: str, offset: int) -> FQLSyntaxError:
    line = query.count("\n", 0, offset) + 1
    column = offset - (query.rfind("\n", 0, offset) + 1) + 1
    return FQLSyntaxError(message, offset=offset, line=line, column=column)
