"""The API's documentation: the `/docs` page, and the OpenAPI text it shows.

The webhook's request body is described from the same schemas it validates with (the app
reads the raw body itself, to bound its size, so FastAPI cannot infer it).
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from receiver.core.contract import ActionContract, WebhookContract
from receiver.core.loyalty import CHECKOUT, POINT_ADD, POINTS, REASON, TOTAL, TRANSACTION_ID
from receiver.web.docs_ui import DOCS_PATH, docs_page

API_DESCRIPTION = """
A reference implementation of **Antavo Loyalty Engine's Segment webhook**, for testing the
*Antavo (Actions)* destination end to end.

* `POST /v1/webhook/segment` takes exactly what the destination sends: the mapped payload plus
  the brand's API key in the body (and `"action": "profile"` for profile updates).
* Loyalty events change an in-memory loyalty store: `opt_in`, `opt_out`, `point_add`,
  `point_subtract`, `checkout` (earns `floor(total × earn_rate)` points); any other event name
  is kept as a custom event.
* Every webhook request lands in the **inbound log** (`GET /v1/logs`), with the key redacted.
* Send `Idempotency-Key` to make retries safe: the first answer is replayed.

Every route except `/healthz` and the docs needs `Authorization: Bearer <API key>`; the
webhook itself authenticates with the key in its body, as Segment sends it.
Every error answers `{"error": {"code", "message", "field"}}`.
"""

TAGS = [
    {"name": "Segment webhook", "description": "Where the destination (and Segment's test events) deliver."},
    {"name": "Inspection", "description": "What the receiver stored and logged. Bearer token required."},
    {
        "name": "Segment Tracking API",
        "description": "Segment-compatible `track`, `identify` and `batch` calls (HTTP Basic, write key as user): "
        "each message runs through the enabled mappings into the webhook, in process.",
    },
    {"name": "Health", "description": "Liveness, without authentication."},
]

WEBHOOK_DESCRIPTION = """
Accepts one event from the Antavo (Actions) destination.

The body is the action's mapped payload plus the settings the destination sends in the body
(the API key) plus the action's extras: a profile update carries `"action": "profile"`,
anything else is a loyalty event named by its `action`. The payload is checked against the
same JSON Schemas the destination uses (without type coercion), then against Antavo's rules.

Answers `202` with the stored event's ID when applied. With `Idempotency-Key`, a repeated
request with the same body gets the first answer again (header `Idempotent-Replayed: true`)
and is not applied twice.
"""


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema fit for OpenAPI: no `$schema`, no mapping-directive defaults."""
    out = {key: value for key, value in schema.items() if key not in ("$schema", "$comment", "default")}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {key: _clean(value) for key, value in out["properties"].items()}
    return out


def body_schema(contract: WebhookContract, action: ActionContract) -> dict[str, Any]:
    """What the webhook receives for one action: its payload schema plus extras and settings."""
    schema = _clean(copy.deepcopy(dict(action.schema)))
    schema["title"] = f"{action.key} ({action.event_type})"
    properties = schema.setdefault("properties", {})
    required = list(schema.get("required", []))
    for key, value in action.extras.items():
        properties[key] = {"const": value, "description": "Added by the destination for this action."}
        required.append(key)
    for key in contract.settings_fields:
        properties[key] = {"type": "string", "description": "Sent by the destination from its settings."}
        if key == contract.auth_field:
            properties[key]["format"] = "password"
        required.append(key)
    schema["required"] = required
    return schema


def _examples(contract: WebhookContract) -> dict[str, Any]:
    c = contract
    key = {c.auth_field: "YOUR_API_KEY"}
    track = {c.customer_field: "u1", c.account_field: "acc-1"}
    examples: dict[str, Any] = {
        POINT_ADD: {
            "summary": "Add points",
            "value": {**track, c.name_field: POINT_ADD, c.data_field: {POINTS: 5, REASON: "welcome"}, **key},
        },
        CHECKOUT: {
            "summary": "Checkout (earns points)",
            "value": {**track, c.name_field: CHECKOUT, c.data_field: {TRANSACTION_ID: "tx-1", TOTAL: 99.5}, **key},
        },
    }
    for action in c.actions:
        if action.extras:
            fields = list(action.data_properties)
            examples[action.key] = {
                "summary": "Profile update",
                "value": {
                    c.customer_field: "u1",
                    c.account_field: "",
                    c.data_field: {fields[0]: "Ada", "tier": "gold"} if fields else {},
                    **action.extras,
                    **key,
                },
            }
    return examples


def webhook_openapi(contract: WebhookContract) -> dict[str, Any]:
    """`openapi_extra` for the webhook route (it reads the raw body itself, to bound its size)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"oneOf": [body_schema(contract, action) for action in contract.actions]},
                    "examples": _examples(contract),
                }
            },
        },
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Up to 255 characters; a retry with the same key and body replays the first answer.",
                "schema": {"type": "string", "maxLength": 255},
            },
            {
                "name": "X-Segment-Message-Id",
                "in": "header",
                "required": False,
                "description": "Segment's messageId, used as the inbound log's request identifier.",
                "schema": {"type": "string"},
            },
        ],
    }


REDOC_PATH = "/redoc"
OAUTH2_REDIRECT_PATH = DOCS_PATH + "/oauth2-redirect"
router = APIRouter(include_in_schema=False)


@router.get(DOCS_PATH)
async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI from the installed package, under a CSP (see `receiver.web.docs_ui`)."""
    return docs_page(request.app)


@router.get(OAUTH2_REDIRECT_PATH)
async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_PATH)
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc from the installed package too."""
    return docs_page(request.app, redoc=True)
