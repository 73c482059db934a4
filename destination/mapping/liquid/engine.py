"""`@liquid` rendered as Segment renders it: liquidjs's language, limits and messages, on python-liquid.

Segment's runtime (`liquid-directive.ts` in `@segment/actions-core`) renders a `@liquid`
template with liquidjs against the event, with six tags and twenty filters disabled and
templates limited to 1,000 characters. python-liquid parses and runs the template here;
what liquidjs does differently is supplied around it:
- the filters are liquidjs's (`liquid_filters`, `liquid_dates`), values follow JavaScript
  (`liquid_values`): `{{ 259.0 }}` is `259`, `==` is `===`, `<` converts like JavaScript;
- a missing variable is undefined and only false/null/undefined are falsy; there are no
  built-in `now`/`today` variables; an unknown filter is skipped;
- structural errors (unclosed markup, unknown, stray, disabled or unclosed tags) are found
  by `liquid_scan` in liquidjs's order, with liquidjs's words and `line:L, col:C`.
Every failure becomes a `MappingError` carrying liquidjs's message, as Segment reports it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TextIO

from liquid import BoundTemplate, Environment, RenderContext
from liquid.ast import Node as Node_
from liquid.builtin.expressions import logical
from liquid.builtin.expressions.primitive import Blank, Empty, Nil
from liquid.builtin.output import Output, OutputNode
from liquid.builtin.tags.echo_tag import EchoNode, EchoTag
from liquid.context import ReadOnlyChainMap
from liquid.exceptions import LiquidError, StopRender
from liquid.expression import Expression
from liquid.extra.tags.extends_tag import BlockTag
from liquid.stream import TokenStream
from liquid.tag import Tag

from destination.errors import MappingError
from destination.js.objects import remove_undefined
from destination.js.values import utf16_length
from destination.mapping.liquid.filters import FILTERS
from destination.mapping.liquid.scan import Markup, position, scan
from destination.mapping.liquid.values import (
    LiquidJSError,
    contains,
    equals,
    is_nil,
    less,
    less_equal,
    memory,
    stringify,
)
from destination.mapping.node import Compiler, Node, constant, fails

__all__ = ["MAX_TEMPLATE_LENGTH", "LiquidTemplate", "check_template", "compile_liquid", "compile_template", "render"]

MAX_TEMPLATE_LENGTH = 1000
TOO_LONG = f"liquid template values are limited to {MAX_TEMPLATE_LENGTH} characters"
NOT_A_STRING = "liquid template value must be a string"


# ---- the engine ---------------------------------------------------------------------------------


class _Context(RenderContext):
    """A render context without python-liquid's built-in `now` and `today` (liquidjs has neither)."""

    def __init__(self, template: BoundTemplate, **kwargs: Any) -> None:
        super().__init__(template, **kwargs)
        self.scope = ReadOnlyChainMap(self.locals, self.globals, self.counters)


class _Template(BoundTemplate):
    context_class = _Context


class _JSOutputNode(OutputNode):
    """`{{ value }}` written with liquidjs's `stringify` (JavaScript numbers, '' for nil)."""

    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(stringify(self.expression.evaluate(context)))


class _JSEchoNode(EchoNode):
    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        return buffer.write(stringify(self.expression.evaluate(context)))


class _Output(Output):
    node_class = _JSOutputNode


class _Echo(EchoTag):
    node_class = _JSEchoNode


class _StopNode(Node_):
    """`break`/`continue` outside a loop: liquidjs stops rendering the rest of the template."""

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        raise StopRender


class _Break(Tag):
    name = "break"
    block = False

    def parse(self, stream: TokenStream) -> _StopNode:
        return _StopNode(stream.current)


class _Continue(_Break):
    name = "continue"


class _SegmentLiquid(Environment):
    """python-liquid configured as Segment configures liquidjs (tags and filters, lax filters)."""

    template_class = _Template
    shorthand_indexes = True
    logical_not_operator = True

    def __init__(self) -> None:
        super().__init__(strict_filters=False)
        for name in ("ifchanged", "doc", "case", "for", "include", "render", "tablerow"):
            self.tags.pop(name, None)  # not liquidjs's, or disabled (`liquid_scan` refuses them first)
        for tag in (_Output, _Echo, _Break, _Continue, BlockTag):
            self.add_tag(tag)
        self.filters = dict(FILTERS)


_ENV = _SegmentLiquid()


# ---- JavaScript comparisons -------------------------------------------------------------------
# The parsed tree's comparison nodes are re-classed to these, which differ only in `evaluate`.


def _drop(value: Any) -> bool:
    return isinstance(value, (Empty, Blank))


class _Eq(logical.EqExpression):
    __slots__ = ()

    def evaluate(self, context: RenderContext) -> object:
        left, right = self.left.evaluate(context), self.right.evaluate(context)
        if isinstance(self.left, Nil) or isinstance(self.right, Nil):
            return is_nil(left) and is_nil(right)  # liquidjs's `nil` equals null and undefined alike
        if _drop(left):
            return left == right
        return right == left if _drop(right) else equals(left, right)


class _Ne(logical.NeExpression):
    __slots__ = ()

    def evaluate(self, context: RenderContext) -> object:
        return not _Eq.evaluate(self, context)  # type: ignore[arg-type]


class _Lt(logical.LtExpression):
    __slots__ = ()

    def evaluate(self, context: RenderContext) -> object:
        return less(self.left.evaluate(context), self.right.evaluate(context))


class _Gt(logical.GtExpression):
    __slots__ = ()

    def evaluate(self, context: RenderContext) -> object:
        return less(self.right.evaluate(context), self.left.evaluate(context))


class _Le(logical.LeExpression):
    __slots__ = ()

    def evaluate(self, context: RenderContext) -> object:
        return less_equal(self.left.evaluate(context), self.right.evaluate(context))


class _Ge(logical.GeExpression):
    __slots__ = ()

    def evaluate(self, context: RenderContext) -> object:
        return less_equal(self.right.evaluate(context), self.left.evaluate(context))


class _Contains(logical.ContainsExpression):
    __slots__ = ()

    def evaluate(self, context: RenderContext) -> object:
        return contains(self.left.evaluate(context), self.right.evaluate(context))


_JS_CLASSES: dict[type, type] = {
    logical.EqExpression: _Eq,
    logical.NeExpression: _Ne,
    logical.LtExpression: _Lt,
    logical.GtExpression: _Gt,
    logical.LeExpression: _Le,
    logical.GeExpression: _Ge,
    logical.ContainsExpression: _Contains,
}


def _use_js_comparisons(template: BoundTemplate) -> None:
    """Re-class every comparison in the parsed template to its JavaScript twin."""
    context = _Context(template)
    nodes = list(template.nodes)
    while nodes:
        node = nodes.pop()
        nodes.extend(node.children(context, include_partials=False))
        expressions: list[Expression] = list(node.expressions())
        while expressions:
            expression = expressions.pop()
            twin = _JS_CLASSES.get(type(expression))
            if twin is not None:
                expression.__class__ = twin
            expressions.extend(expression.children())


# ---- compile and render -----------------------------------------------------------------------


class LiquidTemplate:
    """One `@liquid` template, parsed once; `render(payload)` is liquidjs's `parseAndRenderSync`."""

    __slots__ = ("source", "_template", "_markups")

    def __init__(self, source: str) -> None:
        self.source = source
        self._markups = scan(source)
        try:
            self._template = _ENV.from_string(source)
        except LiquidError as exc:
            raise self._translate(exc) from None
        _use_js_comparisons(self._template)

    def render(self, payload: Any) -> str:
        scope = payload if isinstance(payload, dict) else {}
        token = memory.set([0])
        try:
            return self._template.render(scope)
        except LiquidJSError as exc:
            raise MappingError(self._located(exc)) from None
        except LiquidError as exc:
            raise MappingError(self._translate(exc).text) from None
        except RecursionError:
            raise MappingError("Maximum call stack size exceeded") from None
        finally:
            memory.reset(token)

    def _enclosing(self, index: int | None) -> Markup | None:
        """The output or tag holding `index`: liquidjs reports an error at its markup's start."""
        if index is None or index < 0:
            return None
        found = [m for m in self._markups if m.start <= index < max(m.end, m.start + 1)]
        return found[-1] if found else None

    def _located(self, exc: LiquidJSError) -> str:
        """A filter's failure, placed as liquidjs places it: at the start of its output or tag."""
        markup = self._enclosing(exc.where())
        return f"{exc.text}, {position(self.source, markup.start if markup else 0)}"

    def _translate(self, exc: LiquidError) -> LiquidJSError:
        """python-liquid's error as liquidjs would place it: its words, at the enclosing markup."""
        index = exc.token.start_index if exc.token is not None else None
        markup = self._enclosing(index)
        where = markup.start if markup else 0
        return LiquidJSError(f"{exc.message}, {position(self.source, where)}", where)


@lru_cache(maxsize=512)
def compile_template(source: str) -> LiquidTemplate:
    """A parsed template (cached: the same text is parsed once); raises LiquidJSError as liquidjs would."""
    return LiquidTemplate(source)


def check_template(source: Any) -> str | None:
    """Why Segment's `evaluateLiquid` would fail on this template before rendering, or None."""
    if not isinstance(source, str):
        return NOT_A_STRING
    if utf16_length(source) > MAX_TEMPLATE_LENGTH:
        return TOO_LONG
    if not source:
        return None
    try:
        compile_template(source)
    except LiquidJSError as exc:
        return exc.text
    return None


def render(source: Any, payload: Any, payload_clean: bool = True) -> str:
    """Segment's `evaluateLiquid(source, payload)`: the rendered text, or MappingError with its message."""
    problem = check_template(source)
    if problem is not None:
        raise MappingError(problem)
    if not source:
        return ""
    if not payload_clean and isinstance(payload, dict):
        payload = remove_undefined(payload)
    return compile_template(source).render(payload)


def compile_liquid(options: Any, c: Compiler) -> Node:
    """The `@liquid` directive: the template is checked and parsed once, rendered per payload.

    A template Segment would refuse fails only when the directive is reached, as in Segment.
    """
    problem = check_template(options)
    if problem is not None:
        return fails(problem)
    if not options:
        return constant("")
    template = compile_template(options)
    if c.payload_clean:
        return Node(template.render, clean=True, defined=True)
    return Node(lambda payload: template.render(remove_undefined(payload)), clean=True, defined=True)
