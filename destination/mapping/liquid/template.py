"""liquidjs's parser and renderer for the tags Segment leaves on, ported from liquidjs 10.30.

A template is a list of nodes. Parsing follows liquidjs's `Parser.parseToken`: a tag's own
error (a plain Error in liquidjs) is reported at the tag's start, a tokenizer's error where the
tokenizer stopped. Rendering follows `Render.renderTemplates`: a filter's failure is reported
at the start of the innermost output or tag, `break`/`continue` outside a loop stop every block
around them, and a tag's returned text is written only when JavaScript finds it truthy.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable
from typing import Any

from destination.js.values import UNDEFINED, is_number
from destination.js.values import truthy as js_truthy
from destination.mapping.liquid.evaluate import Context, evaluate, evaluate_filtered, property_key
from destination.mapping.liquid.lexer import HTML, Filtered, Output, Tag, Token, Tokenizer, located
from destination.mapping.liquid.values import LiquidJSError, js, stringify, truthy

__all__ = ["DISABLED_TAGS", "Node", "parse", "render_all"]

DISABLED_TAGS = ("case", "for", "include", "layout", "render", "tablerow")
Out = list[str]


class Node:
    """One parsed output, tag or text; `render` writes to `out` or returns text for the renderer to write."""

    def __init__(self, begin: int) -> None:
        self.begin = begin

    def render(self, ctx: Context, out: Out) -> Any:
        return None


def render_all(nodes: list[Node], ctx: Context, out: Out) -> None:
    """liquidjs's `renderTemplates`: an error is placed at the innermost node that raised it."""
    for node in nodes:
        try:
            html = node.render(ctx, out)
            if js_truthy(js(html)):
                out.append(stringify(html))
            if ctx.stopped:
                break
        except LiquidJSError as exc:
            if exc.positioned:
                raise
            raise LiquidJSError(located(exc.text, ctx.source, node.begin), node.begin, positioned=True) from None


class _Text(Node):
    def __init__(self, token: HTML) -> None:
        super().__init__(token.begin)
        self.text = token.content

    def render(self, ctx: Context, out: Out) -> Any:
        out.append(self.text)


class _Value(Node):
    """`{{ value }}` and `{% echo value %}`: the value written through liquidjs's `stringify`."""

    def __init__(self, begin: int, value: Filtered | None) -> None:
        super().__init__(begin)
        self.value = value

    def render(self, ctx: Context, out: Out) -> Any:
        if self.value is not None:
            out.append(stringify(evaluate_filtered(self.value, ctx)))


class _Assign(Node):
    def __init__(self, begin: int, key: str, value: Filtered) -> None:
        super().__init__(begin)
        self.key, self.value = key, value

    def render(self, ctx: Context, out: Out) -> Any:
        ctx.bottom[self.key] = evaluate_filtered(self.value, ctx)


class _Capture(Node):
    def __init__(self, begin: int, key: str, body: list[Node]) -> None:
        super().__init__(begin)
        self.key, self.body = key, body

    def render(self, ctx: Context, out: Out) -> Any:
        inner: Out = []
        render_all(self.body, ctx, inner)
        ctx.bottom[self.key] = "".join(inner)


class _Branches(Node):
    """`if` and `unless`: the first branch whose test passes renders, else the `else` body."""

    def __init__(self, begin: int) -> None:
        super().__init__(begin)
        self.branches: list[tuple[Filtered, bool, list[Node]]] = []  # (condition, wanted truthiness, body)
        self.otherwise: list[Node] = []

    def render(self, ctx: Context, out: Out) -> Any:
        for condition, wanted, body in self.branches:
            if truthy(js(evaluate_filtered(condition, ctx))) is wanted:
                render_all(body, ctx, out)
                return None
        render_all(self.otherwise, ctx, out)


class _Body(Node):
    """`liquid` and `block`: their tags rendered in place."""

    def __init__(self, begin: int, body: list[Node]) -> None:
        super().__init__(begin)
        self.body = body

    def render(self, ctx: Context, out: Out) -> Any:
        render_all(self.body, ctx, out)


class _Raw(Node):
    def __init__(self, begin: int, text: str) -> None:
        super().__init__(begin)
        self.text = text

    def render(self, ctx: Context, out: Out) -> Any:
        return self.text


class _Counter(Node):
    """`increment` (shows the value, then adds one) and `decrement` (subtracts one, then shows it)."""

    def __init__(self, begin: int, key: str, step: int) -> None:
        super().__init__(begin)
        self.key, self.step = key, step

    def render(self, ctx: Context, out: Out) -> Any:
        env = ctx.writable_env()
        found = env.get(self.key)
        current = found if is_number(found) else 0
        env[self.key] = current + self.step  # type: ignore[operator]
        out.append(stringify(current if self.step > 0 else env[self.key]))


class _Cycle(Node):
    def __init__(self, begin: int, group: Any, candidates: list[Filtered]) -> None:
        super().__init__(begin)
        self.group, self.candidates = group, candidates

    def render(self, ctx: Context, out: Out) -> Any:
        group = evaluate(self.group, ctx) if self.group is not None else UNDEFINED
        shown = "[object Object]" if isinstance(group, dict) or not isinstance(js(group), type(group)) else None
        key = f"cycle:{shown or property_key(group)}:" + ",".join(c.text for c in self.candidates)
        index = ctx.registers.get(key, 0)
        ctx.registers[key] = (index + 1) % len(self.candidates)
        return js(evaluate_filtered(self.candidates[index], ctx))


class _Stop(Node):
    def render(self, ctx: Context, out: Out) -> Any:
        ctx.stopped = True


# ---- parsing ----------------------------------------------------------------------------------

Tokens = deque[Token]


def parse(source: str) -> list[Node]:
    """The template's nodes, or the first LiquidJSError liquidjs would raise while parsing it."""
    return _parse_all(deque(Tokenizer(source).top_level()))


def _parse_all(tokens: Tokens) -> list[Node]:
    nodes = []
    while tokens:
        nodes.append(_parse_one(tokens.popleft(), tokens))
    return nodes


def _parse_one(token: Token, rest: Tokens) -> Node:
    try:
        if isinstance(token, Tag):
            parser = _TAGS.get(token.name)
            if parser is None:
                raise LiquidJSError(f'tag "{token.name}" not found')
            return parser(token, rest)
        if isinstance(token, Output):
            tokenizer = Tokenizer(token.source, token.content_begin, token.content_end)
            return _Value(token.begin, tokenizer.read_filtered_value())
        assert isinstance(token, HTML)
        return _Text(token)
    except LiquidJSError as exc:
        if exc.positioned:
            raise
        raise LiquidJSError(located(exc.text, token.source, token.begin), token.begin, positioned=True) from None


def _not_closed(tag: Tag) -> LiquidJSError:
    return LiquidJSError(f"tag {tag.text} not closed")


def _until(tag: Tag, rest: Tokens, end: str, parse_body: bool = True) -> list[Any]:
    """The tokens (parsed, or as they are) up to the tag named `end`."""
    body: list[Any] = []
    while rest:
        token = rest.popleft()
        if isinstance(token, Tag) and token.name == end:
            return body
        body.append(_parse_one(token, rest) if parse_body else token)
    raise _not_closed(tag)


def _assert_empty(args: str) -> None:
    if args:
        raise LiquidJSError(f"unexpected {json.dumps(args, ensure_ascii=False)}")


_NOT_A_TAG = Tag("{%x%}", 0, 5, 2, 3)  # stands for text and outputs, which no block's inner-tag test matches
_NOT_A_TAG.name = ""


def _if(tag: Tag, rest: Tokens) -> Node:
    node = _Branches(tag.begin)
    body: list[Node] = []
    node.branches.append((tag.tokenizer.read_filtered_value(), True, body))
    otherwise: list[Node] | None = None
    while rest:
        token = rest.popleft()
        inner = token if isinstance(token, Tag) else _NOT_A_TAG
        name = inner.name
        if name == "elsif":
            if otherwise is not None:
                raise LiquidJSError("unexpected elsif after else")
            body = []
            node.branches.append((inner.tokenizer.read_filtered_value(), True, body))
        elif name == "else":
            _assert_empty(inner.args)
            if otherwise is not None:
                raise LiquidJSError("duplicated else")
            body = otherwise = node.otherwise
        elif name == "endif":
            _assert_empty(inner.args)
            return node
        else:
            body.append(_parse_one(token, rest))
    raise _not_closed(tag)


def _unless(tag: Tag, rest: Tokens) -> Node:
    """`unless`: an `elsif` after `else` and everything after a second `else` are dropped."""
    node = _Branches(tag.begin)
    body: list[Node] = []
    node.branches.append((tag.tokenizer.read_filtered_value(), False, body))
    elses = 0
    while rest:
        token = rest.popleft()
        inner = token if isinstance(token, Tag) else _NOT_A_TAG
        name = inner.name
        if name == "elsif":
            body = []
            if not elses:
                node.branches.append((inner.tokenizer.read_filtered_value(), True, body))
        elif name == "else":
            elses += 1
            body = node.otherwise
        elif name == "endunless":
            return node
        else:
            parsed = _parse_one(token, rest)
            if body is not node.otherwise or elses == 1:
                body.append(parsed)
    raise _not_closed(tag)


def _assign(tag: Tag, rest: Tokens) -> Node:
    t = tag.tokenizer
    key = t.read_identifier().text
    t.check(key, "expected variable name")
    t.skip_blank()
    t.check(t.peek() == "=", 'expected "="')
    t.p += 1
    return _Assign(tag.begin, key, t.read_filtered_value())


def _capture(tag: Tag, rest: Tokens) -> Node:
    t = tag.tokenizer
    key = t.read_identifier().text
    if not key:
        quoted = t.read_quoted()
        if quoted is None:
            raise t.error("invalid capture name")
        key = quoted.content
    return _Capture(tag.begin, key, _until(tag, rest, "endcapture"))


def _echo(tag: Tag, rest: Tokens) -> Node:
    tag.tokenizer.skip_blank()
    return _Value(tag.begin, None if tag.tokenizer.end() else tag.tokenizer.read_filtered_value())


def _cycle(tag: Tag, rest: Tokens) -> Node:
    t = tag.tokenizer
    begin, group = t.p, t.read_value()
    t.skip_blank()
    if group is not None and t.peek() == ":":
        t.p += 1
    else:
        t.p, group = begin, None
    candidates = []
    while not t.end():
        candidates.append(t.read_filtered_value())
        t.read_to(",")
    t.check(candidates, f'empty candidates: "{tag.text}"')
    return _Cycle(tag.begin, group, candidates)


_COMMENT_LINE = re.compile(r"\n[\s\u2028\u2029\ufeff]*[^#\s\u2028\u2029\ufeff]")


def _inline_comment(tag: Tag, rest: Tokens) -> Node:
    if _COMMENT_LINE.search(tag.args):
        raise LiquidJSError("every line of an inline comment must start with a '#' character")
    return Node(tag.begin)


def _disabled(name: str) -> Callable[[Tag, Tokens], Node]:
    def refuse(tag: Tag, rest: Tokens) -> Node:
        raise LiquidJSError(f'tag "{name}" is disabled')

    return refuse


def _counter(step: int) -> Callable[[Tag, Tokens], Node]:
    return lambda tag, rest: _Counter(tag.begin, tag.tokenizer.read_identifier().text, step)


_TAGS: dict[str, Callable[[Tag, Tokens], Node]] = {
    "assign": _assign,
    "capture": _capture,
    "comment": lambda tag, rest: (_until(tag, rest, "endcomment", parse_body=False), Node(tag.begin))[1],
    "raw": lambda tag, rest: _Raw(tag.begin, "".join(t.text for t in _until(tag, rest, "endraw", parse_body=False))),
    "block": lambda tag, rest: _Body(tag.begin, _until(tag, rest, "endblock")),
    "liquid": lambda tag, rest: _Body(tag.begin, _parse_all(deque(tag.tokenizer.liquid_lines()))),
    "if": _if,
    "unless": _unless,
    "echo": _echo,
    "increment": _counter(1),
    "decrement": _counter(-1),
    "cycle": _cycle,
    "break": lambda tag, rest: _Stop(tag.begin),
    "continue": lambda tag, rest: _Stop(tag.begin),
    "#": _inline_comment,
    **{name: _disabled(name) for name in DISABLED_TAGS},
}
