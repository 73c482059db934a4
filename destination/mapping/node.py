"""Compiled mapping pieces and the contract between the mapping engine and its directives.

A mapping is compiled once into a tree of `Node`s; running a node on a payload gives the value
Segment's `resolve` would give. A directive is registered with two functions: one compiling
its options into a node (through the engine's `Compiler`), one validating them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from destination.errors import MappingError
from destination.js.values import UNDEFINED
from destination.mapping.rules import Loc, MappingValidator

__all__ = ["Node", "Compiler", "Directive", "fails", "constant", "option", "is_directive"]


@dataclass(frozen=True, slots=True)
class Node:
    """A compiled piece of mapping: `run(payload)` gives its value (UNDEFINED for nothing).

    `clean`: the value never holds UNDEFINED or a non-finite number inside it, so the final
    output needs no clean-up pass; `defined`: the value itself is never UNDEFINED.
    """

    run: Callable[[Any], Any]
    clean: bool = False
    defined: bool = False


class Compiler(Protocol):
    """What a directive needs from the engine to compile the mappings inside it."""

    payload_clean: bool

    def node(self, mapping: Any) -> Node: ...

    def for_payload(self, clean: bool) -> Compiler: ...

    def apply(self, mapping: dict[str, Any]) -> Node: ...


Validate = Callable[[Any, Loc, MappingValidator], None]


@dataclass(frozen=True)
class Directive:
    """A directive's entry in the table: its name, how it compiles, how it is validated."""

    name: str
    compile: Callable[[Any, Compiler], Node]
    validate: Validate


def fails(message: str) -> Node:
    """A node that raises Segment's transform-time error when (and only if) it is reached."""

    def run(payload: Any) -> NoReturn:
        raise MappingError(message)

    return Node(run)


def constant(value: Any) -> Node:
    """A node for a raw JSON scalar (or UNDEFINED) from the mapping."""
    return Node(lambda payload: value, clean=True, defined=value is not UNDEFINED)


def option(options: dict[str, Any], key: str) -> Any:
    """`options.key` in JavaScript: UNDEFINED when the key is absent."""
    return options.get(key, UNDEFINED)


def is_directive(value: dict[str, Any]) -> bool:
    """mapping-kit's `isDirective`: some @-key, and no other keys but `_metadata`."""
    keys = [k for k in value if not k.startswith("@")]
    return len(keys) < len(value) and all(k == "_metadata" for k in keys)
