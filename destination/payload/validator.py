"""What Segment does to a mapped payload before `perform`: drop empty values, coerce, validate.

Segment's runtime calls `removeEmptyValues(payload, schema, isRoot=true)` and then ajv with
`coerceTypes: "array"`, `removeAdditional: true` and `allErrors: true`, and reports the errors
through `ajv-human-errors`. `PayloadValidator` compiles a schema once into a tree of nodes that
does all three in one walk, in ajv's keyword order, and raises the first error ajv would list.

Semantics worth knowing (all Segment's):
- empty values: `undefined` goes everywhere the schema has properties; `null` goes where the
  property's `type` does not include "null"; `""` goes where it does not include "string", and
  at the top level always. Subtrees without a typed schema, and array items, are left as they are.
- coercion follows ajv's table: number/boolean -> string (`"" + value`), null -> "", numeric
  string/boolean/null -> number, "true"/"false"/1/0/null -> boolean, a one-element array -> its
  element (then coerced), scalar -> [scalar] for array types.
- properties a schema forbids (`additionalProperties: false`) are removed, not reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from destination.errors import PayloadValidationError
from destination.payload.node import Options, SchemaNode

__all__ = ["PayloadValidationError", "PayloadValidator"]


class PayloadValidator:
    """A schema compiled once; `validate` cleans, coerces and checks one payload per call.

    `coerce=False` turns off ajv's type coercion (a wrong type is an error); `remove_additional=False`
    reports forbidden properties instead of dropping them; `clean=False` skips removeEmptyValues.
    Segment's behaviour is the default for all three. The input payload is never modified.
    """

    def __init__(
        self,
        schema: Mapping[str, Any],
        *,
        coerce: bool = True,
        remove_additional: bool = True,
        clean: bool = True,
    ) -> None:
        self.schema = schema
        self.clean = clean
        self._root = SchemaNode(schema, Options(coerce, remove_additional))

    @property
    def root(self) -> SchemaNode:
        """The compiled schema, for callers that build payloads and validate them in one pass."""
        return self._root

    def validate(self, payload: Any) -> Any:
        """The cleaned, coerced payload, or `PayloadValidationError` with Segment's first message."""
        return self._root.run(payload, "", self.clean, is_root=True)
