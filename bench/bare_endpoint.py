"""The reference for `receiver_speed.py`: a bare FastAPI endpoint that parses and validates only.

It does what any webhook must do at the least — read the JSON body and validate it with
`jsonschema` against the action's schema (the same `schemas/event.schema.json` the receiver
uses) — and nothing else: no auth, no store, no log. The receiver's figures are read against it.

    python bench/bare_endpoint.py PORT
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "schemas" / "event.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
# The destination puts its settings (api_key) beside the payload; they are not the payload's.
SETTINGS = set(json.loads((ROOT / "schemas" / "settings.schema.json").read_text(encoding="utf-8"))["properties"])

app = FastAPI()


@app.post("/v1/webhook/segment")
async def webhook(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    payload = {k: v for k, v in body.items() if k not in SETTINGS}
    errors = [e.message for e in VALIDATOR.iter_errors(payload)]
    if errors:
        return JSONResponse({"error": {"code": "INVALID", "message": errors[0]}}, status_code=422)
    return JSONResponse({"status": "accepted"}, status_code=202)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
