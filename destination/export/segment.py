"""The destination as segmentio/action-destinations lays it out, generated from the YAML.

`destination_files` returns every file of the destination's folder (relative path → text):
`index.ts` (the `DestinationDefinition`), `generated-types.ts`, and per action `<key>/index.ts`
and `<key>/generated-types.ts`; `examples_tests.action_tests` adds the `__tests__/`. Only
Segment's vocabulary is known here (which keys a `DestinationDefinition` or an
`ActionDefinition` has, how a request is made); names, texts, fields, the request's URL and
body all come from the definition and the presets.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence
from typing import Any

from destination.export import tsliteral as ts
from destination.export.sources import Definition
from destination.export.typegen import generated_types

GENERATOR = "antavo-actions export segment"
HEADER_SUFFIX = f" by `{GENERATOR}`."

# The keys of Segment's definitions the YAML may carry, in the order the YAML writes them.
DESTINATION_KEYS = ("name", "slug", "mode", "description", "authentication")
AUTHENTICATION_KEYS = ("scheme", "fields")
ACTION_KEYS = ("title", "description", "platform", "hidden", "defaultSubscription", "fields")
REQUEST_KEYS = frozenset({"method", "base_url", "path", "settings_in_body"})
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_JS_RESERVED = frozenset(
    {
        *("break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do"),
        *("else", "enum", "export", "extends", "false", "finally", "for", "function", "if", "import", "in"),
        *("instanceof", "new", "null", "return", "super", "switch", "this", "throw", "true", "try", "typeof"),
        *("var", "void", "while", "with", "yield", "let", "static", "implements", "interface", "package"),
        *("private", "protected", "public", "await"),
    }
)


def header(sources: str) -> str:
    """The first line of a generated file: what it is made from, and the command that makes it."""
    return f"// Generated from {sources}{HEADER_SUFFIX}"


def is_header(line: str) -> bool:
    return line.startswith("// Generated from ") and line.endswith(HEADER_SUFFIX)


def import_name(action_key: str) -> str:
    """The variable an action's module is imported as (its key, when that is a usable name)."""
    if not ts.is_identifier(action_key):
        raise ValueError(f"action key {action_key!r} is not an identifier; Segment's folders use such keys")
    return f"{action_key}Action" if action_key in _JS_RESERVED or keyword.iskeyword(action_key) else action_key


def _pick(spec: Mapping[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k in keys}


def root_index(definition: Definition, presets: Sequence[Mapping[str, Any]], sources: str) -> str:
    """`index.ts`: the `DestinationDefinition` with its settings, presets and actions."""
    raw = definition.raw
    body: dict[Any, Any] = _pick(raw, DESTINATION_KEYS)
    if "authentication" in body:
        body["authentication"] = _pick(body["authentication"], AUTHENTICATION_KEYS)
    if presets:
        body["presets"] = [_preset(p, definition) for p in presets]
    body["actions"] = {key: ts.Raw(import_name(key)) for key in definition.actions}
    imports = ["import type { DestinationDefinition } from '@segment/actions-core'"]
    if presets:
        imports.append("import { defaultValues } from '@segment/actions-core'")
    imports.append("import type { Settings } from './generated-types'")
    action_imports = [f"import {import_name(key)} from './{key}'" for key in definition.actions]
    return "\n".join(
        [
            header(sources),
            *imports,
            "",
            *action_imports,
            "",
            f"const destination: DestinationDefinition<Settings> = {ts.literal(body)}",
            "",
            "export default destination",
            "",
        ]
    )


def _preset(preset: Mapping[str, Any], definition: Definition) -> dict[Any, Any]:
    """A preset; its mapping starts from the action's default values, as presets.yaml says."""
    action = definition.action(preset["partnerAction"])
    defaults = f"defaultValues({import_name(action.key)}.fields)"
    written = preset.get("mapping") or {}
    out = dict(preset)
    out["mapping"] = ts.Raw(defaults) if not written else {ts.Spread(defaults): None, **written}
    return out


def action_index(definition: Definition, key: str, sources: str) -> str:
    """`<action>/index.ts`: the `ActionDefinition` with its fields and `perform`."""
    action = definition.action(key)
    spec = definition.raw["actions"][key]
    body: dict[str, Any] = _pick(spec, ACTION_KEYS)
    body["perform"] = ts.Raw(perform(definition, action.body))
    return "\n".join(
        [
            header(sources),
            "import type { ActionDefinition } from '@segment/actions-core'",
            "import type { Settings } from '../generated-types'",
            "import type { Payload } from './generated-types'",
            "",
            f"const action: ActionDefinition<Settings, Payload> = {ts.literal(body)}",
            "",
            "export default action",
            "",
        ]
    )


def url_template(definition: Definition) -> list[str | ts.Raw]:
    """The request URL as template-literal parts: `{setting}` placeholders become settings reads."""
    request = definition.request
    text = f"{request['base_url']}{request.get('path', '')}"
    parts: list[str | ts.Raw] = []
    for i, part in enumerate(_PLACEHOLDER.split(text)):
        if i % 2 == 0:
            if part:
                parts.append(part)
        elif part in definition.settings:
            parts.append(ts.Raw(ts.member("data.settings", part)))
        else:
            raise ValueError(f"the request URL names {{{part}}}, which is not a setting")
    return parts


def perform(definition: Definition, extras: Mapping[str, Any]) -> str:
    """`perform`: the declared request, with the payload, the action's extras and settings as body."""
    request = definition.request
    unknown = set(request) - REQUEST_KEYS
    if unknown:
        raise ValueError(f"the request declares {sorted(unknown)}, which the export does not know how to write")
    payload: dict[Any, Any] = {ts.Spread("data.payload"): None, **extras}
    for name in request.get("settings_in_body") or ():
        if name not in definition.settings:
            raise ValueError(f"settings_in_body names {name!r}, which is not a setting")
        payload[name] = ts.Raw(ts.member("data.settings", name))
    options = {"method": str(request["method"]).lower(), "json": ts.Raw("payload")}
    options_text = ts.literal(options, 2)
    return "\n".join(
        [
            "(request, data) => {",
            f"    const url = {ts.template(url_template(definition))}",
            f"    const payload = {ts.literal(payload, 2)}",
            "",
            f"    return request(url, {options_text})",
            "  }",
        ]
    )


def destination_files(definition: Definition, presets: Sequence[Mapping[str, Any]], sources: str) -> dict[str, str]:
    """Every file of the destination's folder but the tests, by path relative to the folder."""
    files = {
        "index.ts": root_index(definition, presets, sources),
        "generated-types.ts": generated_types("Settings", definition.settings),
    }
    for key, action in definition.actions.items():
        files[f"{key}/index.ts"] = action_index(definition, key, sources)
        files[f"{key}/generated-types.ts"] = generated_types("Payload", action.fields)
    return files
