"""JavaScript property access as Segment's trigger evaluation does it.

Segment's `get` walks a path with `obj && obj[key]`. Reproducing that on JSON-shaped Python
values decides real verdicts: strings and arrays have a `length` and indices, and names
inherited from JavaScript prototypes (`toString`, `constructor`, …) resolve to an opaque
function value. The scalar rules `validate` compares with (`===`, `String(x)`, `Number(x)`,
truthiness) live in `jsvalues`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from destination.js.objects import array_index
from destination.js.values import is_number, utf16_length


class _Marker:
    """A JavaScript value with no JSON counterpart; shown by its name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNDEFINED = _Marker("<missing>")  # JavaScript's `undefined`: nothing at that path
JS_FUNCTION = _Marker("<function>")  # an inherited method such as `toString`
JS_PROTOTYPE = _Marker("<Object.prototype>")  # what `__proto__` yields

OBJECT_PROTOTYPE_NAMES = frozenset(
    "__defineGetter__ __defineSetter__ __lookupGetter__ __lookupSetter__ __proto__ constructor "
    "hasOwnProperty isPrototypeOf propertyIsEnumerable toLocaleString toString valueOf".split()
)
_ARRAY_PROTO = OBJECT_PROTOTYPE_NAMES | frozenset(
    "at concat copyWithin entries every fill filter find findIndex findLast findLastIndex flat flatMap "
    "forEach includes indexOf join keys lastIndexOf map pop push reduce reduceRight reverse shift slice "
    "some sort splice toReversed toSorted toSpliced unshift values with".split()
)
_STRING_PROTO = OBJECT_PROTOTYPE_NAMES | frozenset(
    "anchor at big blink bold charAt charCodeAt codePointAt concat endsWith fixed fontcolor fontsize "
    "includes indexOf isWellFormed italics lastIndexOf link localeCompare match matchAll normalize padEnd "
    "padStart repeat replace replaceAll search slice small split startsWith strike sub substr substring "
    "sup toLocaleLowerCase toLocaleUpperCase toLowerCase toUpperCase toWellFormed trim trimEnd trimLeft "
    "trimRight trimStart".split()
)
_NUMBER_PROTO = OBJECT_PROTOTYPE_NAMES | frozenset("toExponential toFixed toPrecision".split())


def member(value: Any, key: str) -> Any:
    """`value[key]` for a truthy JSON-shaped value."""
    if isinstance(value, Mapping):
        found = value.get(key, UNDEFINED)
        if found is UNDEFINED and key in OBJECT_PROTOTYPE_NAMES:
            return JS_PROTOTYPE if key == "__proto__" else JS_FUNCTION
        return found
    if isinstance(value, (list, tuple)):
        index = array_index(key)
        if index >= 0:
            return value[index] if index < len(value) else UNDEFINED
        if key == "length":
            return len(value)
        return _inherited(key, _ARRAY_PROTO)
    if isinstance(value, str):
        index = array_index(key)
        if index >= 0:
            units = value.encode("utf-16-le", "surrogatepass")
            if 2 * index + 2 > len(units):
                return UNDEFINED
            return units[2 * index : 2 * index + 2].decode("utf-16-le", "surrogatepass")
        if key == "length":
            return utf16_length(value)
        return _inherited(key, _STRING_PROTO)
    if value is True:
        return _inherited(key, OBJECT_PROTOTYPE_NAMES)
    if is_number(value):
        return _inherited(key, _NUMBER_PROTO)
    return UNDEFINED


def _inherited(key: str, names: frozenset[str]) -> Any:
    if key not in names:
        return UNDEFINED
    return JS_PROTOTYPE if key == "__proto__" else JS_FUNCTION
