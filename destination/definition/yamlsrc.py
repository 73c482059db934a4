"""YAML files with positions, so every problem can name its file, line and column.

ruamel.yaml's round-trip loader keeps the line and column of every key and item; this
module turns a JSON pointer into the nearest position, and a syntax error into one too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

Pointer = Sequence[str | int]


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


class YAMLSyntaxError(Exception):
    """The file is not valid YAML; `position` is where the parser gave up."""

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass
class SourceFile:
    """A loaded YAML document together with the positions of its nodes."""

    path: Path
    data: Any

    def position(self, pointer: Pointer, *, key: bool = False) -> Position:
        """Where the value at `pointer` starts (or its key, with `key=True`).

        A pointer that goes past what the file holds stops at the deepest node that exists,
        which is where a person has to add or fix something.
        """
        node: Any = self.data
        best = Position(1, 1)
        for part in pointer:
            if isinstance(node, CommentedMap) and part in node:
                try:
                    line, col = node.lc.key(part) if key else node.lc.value(part)
                    best = Position(line + 1, col + 1)
                except KeyError:  # a key that comes from a `<<` merge has no position here
                    pass
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, col = node.lc.item(part)
                best = Position(line + 1, col + 1)
                node = node[part]
            else:
                break
        return best

    def key_position(self, pointer: Pointer) -> Position:
        return self.position(pointer, key=True)


def _plain(node: Any) -> Any:
    """Round-trip containers as plain dicts and lists (what the runtime sees)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_source(path: Path) -> SourceFile:
    """Load a YAML file keeping positions; raises `YAMLSyntaxError` on malformed YAML."""
    return parse_source(path.read_text(encoding="utf-8"), path)


def parse_source(text: str, path: Path) -> SourceFile:
    """YAML text (e.g. a mapping edited in the browser) as if it were the file `path`."""
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        raise YAMLSyntaxError(f"{exc.problem or exc.context}", where) from None
    except YAMLError as exc:
        raise YAMLSyntaxError(str(exc).splitlines()[0], Position(1, 1)) from None
    return SourceFile(path=path, data=data)


def plain(source: SourceFile) -> Any:
    """The document as plain Python data."""
    return _plain(source.data)
