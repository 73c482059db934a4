"""`@liquid` rendered as Segment renders it: liquidjs 10.30's language, limits and messages.

Segment's runtime (`liquid-directive.ts` in `@segment/actions-core`) renders a `@liquid`
template with liquidjs's `parseAndRenderSync` against the event, with six tags and twenty
filters disabled and templates limited to 1,000 characters. The engine is a port of liquidjs
(`liquid_lexer`, `liquid_template`, `liquid_evaluate`; filters in `liquid_filters`, values in
`liquid_values`), not another Liquid bent towards it: liquidjs's leniency (`{{ a | }}`),
its keywords (`properties.empty` is a property), its error messages and their positions
(`line:L, col:C` in UTF-16 units) come from reading the template as liquidjs reads it.
Every failure becomes a `MappingError` carrying liquidjs's message, as Segment reports it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from destination.errors import MappingError
from destination.js.objects import remove_undefined
from destination.js.values import utf16_length
from destination.mapping.liquid.evaluate import Context
from destination.mapping.liquid.template import parse, render_all
from destination.mapping.liquid.values import LiquidJSError, memory
from destination.mapping.node import Compiler, Node, constant, fails

__all__ = ["MAX_TEMPLATE_LENGTH", "LiquidTemplate", "check_template", "compile_liquid", "compile_template", "render"]

MAX_TEMPLATE_LENGTH = 1000
TOO_LONG = f"liquid template values are limited to {MAX_TEMPLATE_LENGTH} characters"
NOT_A_STRING = "liquid template value must be a string"


class LiquidTemplate:
    """One `@liquid` template, parsed once; `render(payload)` is liquidjs's `parseAndRenderSync`."""

    __slots__ = ("source", "_nodes")

    def __init__(self, source: str) -> None:
        self.source = source
        self._nodes = parse(source)

    def render(self, payload: Any) -> str:
        out: list[str] = []
        token = memory.set([0])
        try:
            render_all(self._nodes, Context(self.source, payload), out)
        except LiquidJSError as exc:
            raise MappingError(exc.text) from None
        except RecursionError:
            raise MappingError("Maximum call stack size exceeded") from None
        finally:
            memory.reset(token)
        return "".join(out)


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
