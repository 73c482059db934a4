"""Hypothesis strategies for JSON-shaped data, shared by the property tests.

Each property test tunes its own sizes and leaves (a receiver body wants big trees, a trigger
test small ones with chosen keys), but they all build the same shape: scalars in one fixed
order (simplest first, which shrinking prefers), nested in lists and objects.
"""

from __future__ import annotations

from hypothesis import strategies as st

FINITE_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_INTEGERS = st.integers()
_NOT_NAN = st.floats(allow_nan=False)
_TEXT = st.text()


def mostly(likely: st.SearchStrategy, other: st.SearchStrategy) -> st.SearchStrategy:
    """`likely` about four times in five, so most examples get past the early checks."""
    return st.integers(0, 4).flatmap(lambda n: other if n == 0 else likely)


def json_scalars(
    *,
    ints: st.SearchStrategy = _INTEGERS,
    floats: st.SearchStrategy = _NOT_NAN,
    text: st.SearchStrategy = _TEXT,
) -> st.SearchStrategy:
    """null, booleans, numbers and strings, in that order."""
    return st.none() | st.booleans() | ints | floats | text


def json_trees(
    scalars: st.SearchStrategy, keys: st.SearchStrategy, *, size: int, leaves: int, dict_size: int | None = None
) -> st.SearchStrategy:
    """`scalars` nested in arrays (up to `size` items) and objects (up to `dict_size`, else `size`, keys)."""
    members = size if dict_size is None else dict_size
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=size) | st.dictionaries(keys, inner, max_size=members),
        max_leaves=leaves,
    )
