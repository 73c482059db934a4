"""What the receiver's pages show, as plain data: parsed filters, table rows, customer cards.

Kept apart from the routes so it can be tested without HTTP, and so the HTML table and the
auto-refresh JSON are built from the very same rows. The inbound log is filtered by
`logs.LogFilter`, the filter `GET /v1/logs` uses, with the same parameter names where the
API has them, so a page URL's query reads the same on both. Values here are raw (event data
is attacker-controlled): escaping is the template's and the browser's job, never this one's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from receiver.logs.stored import StoredLog
from receiver.pages.pii import CLEAR, Masker
from receiver.store.contract import CustomerSnapshot, StoredEvent
from receiver.store.entries import LogEntry, LogFilter
from receiver.store.lineage import Lineage, MappingVersion

LOGS_PATH = "/logs"
OUTBOUND_LOGS_PATH = "/outbound-logs"
CUSTOMERS_PATH = "/customers/"
MAPPING_VERSIONS_PATH = "/mappings/versions/"
DASHBOARD_PATH = "/"
DEFAULT_NEXT = DASHBOARD_PATH
"""Where sign-in lands: the dashboard."""
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 20
TEXT_FILTERS = ("id", "customer_id", "event_type", "error_code")
"""Matched exactly, as `GET /v1/logs` matches them."""
ERROR_CHOICES = {"true": "Errors only", "false": "Successful only"}
FORM_LABELS = {
    "since": "Timestamp from",
    "until": "Timestamp to",
    "status": "Status code",
    "min_time_ms": "Response time",
    "min_time": "Response time",
    "error": "Error",
    "limit": "Per page",
}
"""The filter form's labels: a problem names a field as the form shows it."""


@dataclass(frozen=True)
class LogView:
    """What tells the inbound and the outbound log pages apart; their template and code are shared."""

    path: str
    nav: str
    title: str
    heading: str
    intro: str
    min_status: int = 100


INBOUND_LOG = LogView(
    LOGS_PATH,
    "logs",
    "Inbound log",
    "Segment inbound log",
    "Every request that reached the receiver, newest first: the Antavo (Actions) destination's webhook calls "
    "and the Segment libraries' Tracking API calls. "
    "Click a row to see its request and response.",
)
OUTBOUND_LOG = LogView(
    OUTBOUND_LOGS_PATH,
    "outbound",
    "Outbound log",
    "Segment outbound log",
    "Every message the outbound sync sent to the Segment source, or could not send, newest first. "
    "Status 0 means no HTTP answer. Click a row to see the message and Segment's answer.",
    min_status=0,
)


NO_MATCH = "No requests match these filters."
SYNC_OFF = (
    "Outbound sync is off, so nothing is sent to Segment. To turn it on, set the Segment source's write key as "
    "outbound.write_key on the Settings page (it applies at once), in receiver.yaml or as the "
    "ANTAVO_OUTBOUND_WRITE_KEY environment variable."
)


def empty_message(view: LogView, outbound_on: bool) -> str:
    """What an empty log table says: on the outbound page with sync off, why it is empty and how to fix it."""
    return SYNC_OFF if view is OUTBOUND_LOG and not outbound_on else NO_MATCH


@dataclass(frozen=True)
class LogForm:
    """A log view as a URL describes it; `values` are the cleaned filters, ready to re-fill the form."""

    where: LogFilter = field(default_factory=LogFilter)
    limit: int = DEFAULT_PAGE_SIZE
    cursor: int | None = None
    values: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    rejected: Mapping[str, str] = field(default_factory=dict)
    """Bad values as typed, so the form shows them back next to the problem instead of clearing them."""


def small_int(text: str | None) -> int | None:
    """A plain decimal number of at most 9 digits (so no input can make `int()` slow or fail)."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


class FieldProblem(ValueError):
    """A request value that cannot be used: `field` names it and `message` says why (a 400 page)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def positive_int(field: str, raw: str | None, message: str, *, digits: int) -> int | None:
    """A whole number from 1 up, of at most `digits` ASCII digits (None when not given).

    The `small_int` rule: only ASCII digits count (`'²'.isdigit()` is true, `int('²')` fails).
    Anything else raises `FieldProblem(field, message)`."""
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > digits or int(raw) < 1:
        raise FieldProblem(field, message)
    return int(raw)


def _timestamp(text: str) -> datetime:
    """ISO 8601 or an `<input type=datetime-local>` value; without an offset it is UTC."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _input_value(moment: datetime) -> str:
    """The form's spelling of a UTC moment (what a datetime-local input accepts)."""
    spec = "minutes" if not moment.second and not moment.microsecond else "auto"
    return moment.replace(tzinfo=None).isoformat(timespec=spec)


def parse_log_form(params: Mapping[str, str], *, min_status: int = 100) -> LogForm:
    """Read the log filters from a query string; a bad value is reported and ignored, not fatal.

    The outbound log passes `min_status=0`: its status 0 means no HTTP answer came.
    """
    values: dict[str, str] = {}
    problems: list[str] = []
    criteria: dict[str, Any] = {}
    typed = {name: text.strip() for name in FORM_LABELS if (text := params.get(name) or "").strip()}
    for name in TEXT_FILTERS:
        text = params.get(name) or ""
        if text:
            values[name] = criteria[name] = text
    status = small_int(params.get("status"))
    if status is not None and min_status <= status <= 599:
        criteria["status"] = status
        values["status"] = str(status)
    elif (params.get("status") or "").strip():
        problems.append(f"{FORM_LABELS['status']} must be a number from {min_status} to 599.")
    error = (params.get("error") or "").strip().lower()
    if error in ERROR_CHOICES:
        criteria["error"] = error == "true"
        values["error"] = error
    elif error:
        problems.append(f"{FORM_LABELS['error']} must be 'true' or 'false'.")
    for name in ("since", "until"):
        label = FORM_LABELS[name]
        text = (params.get(name) or "").strip()
        if not text:
            continue
        try:
            criteria[name] = _timestamp(text)
        except (ValueError, OverflowError):
            problems.append(f"{label} must be a date and time like 2026-01-31T14:05.")
            continue
        values[name] = _input_value(criteria[name])
    # The form asks in milliseconds, as the table shows; `min_time` in seconds keeps old links working.
    for name, per_second, unit in (("min_time_ms", 1000.0, "milliseconds"), ("min_time", 1.0, "seconds")):
        text = (params.get(name) or "").strip()
        if not text:
            continue
        try:
            amount = float(text)
        except ValueError:
            amount = math.nan
        if math.isfinite(amount) and amount >= 0:
            criteria["min_response_time"] = amount / per_second
            values[name] = text
        else:
            problems.append(f"{FORM_LABELS[name]} must be a number of {unit}, 0 or more.")
        break
    limit = small_int(params.get("limit"))
    if limit in PAGE_SIZES and limit != DEFAULT_PAGE_SIZE:
        values["limit"] = str(limit)
    elif limit not in PAGE_SIZES and (params.get("limit") or "").strip():
        problems.append(f"{FORM_LABELS['limit']} must be one of {', '.join(map(str, PAGE_SIZES))}.")
    cursor = small_int(params.get("cursor")) or None
    size = limit if limit in PAGE_SIZES else DEFAULT_PAGE_SIZE
    accepted = {**values, **({"limit": str(limit)} if limit in PAGE_SIZES else {})}
    rejected = {name: text for name, text in typed.items() if name not in accepted}
    return LogForm(LogFilter(**criteria), size, cursor, values, tuple(problems), rejected)


def logs_url(values: Mapping[str, str], cursor: int | None = None, path: str = LOGS_PATH) -> str:
    """The log page showing these filters (and, given a cursor, the entries older than it)."""
    items = [(key, value) for key, value in values.items() if value]
    if cursor is not None:
        items.append(("cursor", str(cursor)))
    return path + ("?" + urlencode(items) if items else "")


def customer_url(customer_id: str) -> str:
    """The customer page; the ID is one encoded path segment whatever characters it holds."""
    return CUSTOMERS_PATH + quote(customer_id, safe="")


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only, never another host or scheme."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return DEFAULT_NEXT
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return DEFAULT_NEXT
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return target


def pretty_json(value: Any) -> str:
    """Indented JSON for the expanded row (`null` for a body that could not be read)."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def compact_json(value: Any) -> str:
    """One-line JSON; a string shows as itself."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def show_second(moment: datetime) -> str:
    """A moment to the second, as the audit, history, retention and quarantine pages show it."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def show_time(moment: datetime) -> str:
    """UTC to the millisecond: requests often arrive within the same second."""
    moment = moment.astimezone(UTC)
    return f"{show_second(moment)}.{moment.microsecond // 1000:03d}"


def status_class(status: int) -> str:
    if status < 100:
        return "none"
    return "ok" if status < 300 else "redirect" if status < 400 else "client-error" if status < 500 else "server-error"


def log_row(entry: LogEntry, mask: Masker = CLEAR) -> dict[str, Any]:
    """One table row, every cell already a display string; the JSON refresh sends exactly this.
    `mask` hides the plan's PII in the bodies (and wherever the row quotes it) from who may not see it."""
    request, response, plan = mask(entry.request, entry.response, entry.plan_check)
    return {
        "seq": entry.seq,
        "id": entry.id,
        "timestamp": show_time(entry.timestamp),
        "timestamp_iso": entry.timestamp.isoformat(),
        "customer_id": entry.customer_id,
        "customer_url": customer_url(entry.customer_id) if entry.customer_id else None,
        "internal_customer_id": entry.internal_customer_id,
        "event_type": entry.event_type,
        "status": entry.status,
        "status_class": status_class(entry.status),
        "response_time": f"{entry.response_time * 1000:.1f}",
        "error": entry.error,
        "error_code": entry.error_code,
        "request": pretty_json(request),
        "response": pretty_json(response),
        "plan": pretty_json(plan) if plan is not None else None,
    }


async def log_page(log: StoredLog, query: LogForm, path: str = LOGS_PATH, mask: Masker = CLEAR) -> dict[str, Any]:
    """The rows of one page, newest first, with the filter's totals and the pager's links (on `path`);
    `pii_hidden` says when `mask` hid personal data."""
    page = await log.query(query.where, limit=query.limit, cursor=query.cursor)
    errors = 0 if query.where.error is False else await log.count(replace(query.where, error=True))
    return {
        "rows": [log_row(entry, mask) for entry in page.entries],
        "total": await log.count(query.where),
        "errors": errors,
        "older_url": logs_url(query.values, page.next_cursor, path) if page.next_cursor else None,
        "newest_url": logs_url(query.values, path=path) if query.cursor else None,
        "pii_hidden": mask.notice,
    }


def event_type_choices(known: Iterable[str], current: str | None) -> list[str]:
    """The contract's call types, plus whatever the URL asks for (so the form shows it)."""
    choices = list(dict.fromkeys(known))
    if current and current not in choices:
        choices.append(current)
    return choices


def history_window(total: int, page: int, per_page: int) -> tuple[int, int]:
    """(offset, limit) of page `page` (1 = newest) of a history stored oldest first."""
    end = max(0, total - (page - 1) * per_page)
    start = max(0, end - per_page)
    return start, end - start


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _opt_in(state: bool | None) -> dict[str, str]:
    if state is None:
        return {"label": "Not set", "class": "unknown"}
    return {"label": "Opted in", "class": "yes"} if state else {"label": "Opted out", "class": "no"}


def _signed(points: int) -> str:
    return f"+{points}" if points > 0 else str(points)


def history_row(event: StoredEvent, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One event of a customer's history; `data` is its data as shown (masked), else the event's own."""
    data = event.data if data is None else data
    return {
        "id": event.id,
        "received": show_time(event.received_at),
        "action": event.action,
        "account": event.account,
        "points": _signed(event.points),
        "points_class": "plus" if event.points > 0 else "minus" if event.points < 0 else "zero",
        "data": compact_json(dict(data)) if data else "",
        "lineage": lineage_cells(event.lineage),
    }


def mapping_version_url(digest: str) -> str:
    return MAPPING_VERSIONS_PATH + quote(digest, safe="")


def lineage_cells(lineage: Lineage | None) -> dict[str, Any] | None:
    """An event's origin as the history shows it: its sender, and links to its log entry and mapping version."""
    if lineage is None:
        return None
    version = lineage.mapping_version
    return {
        "source": lineage.source,
        "message_id": lineage.message_id,
        "log_url": logs_url({"id": lineage.log_entry_id}),
        "subscription": lineage.subscription,
        "version": version,
        "mapping_url": mapping_version_url(version) if version else None,
    }


def mapping_version_page(version: MappingVersion, running: bool, file_text: str) -> dict[str, Any]:
    """A mapping as it ran: as a mapping file (what was written) and as run (with the action's defaults)."""
    return {
        "digest": version.digest,
        "name": version.name,
        "first_seen": show_time(version.first_seen),
        "running": running,
        "file_text": file_text,
        "as_run": json.dumps(version.definition.get("mapping", {}), indent=2, ensure_ascii=False),
    }


def customer_page(
    customer: CustomerSnapshot,
    events: Sequence[StoredEvent],
    *,
    page: int,
    per_page: int,
    profile_labels: Mapping[str, str],
    mask: Masker = CLEAR,
) -> dict[str, Any]:
    """Profile, membership, balances, attributes, and one page of history (newest first); the plan's
    PII masked (in all of them at once) for who may not see it."""
    pages = page_count(customer.event_count, per_page)
    newest_first = list(reversed(events))
    profile, attributes, *datas = mask(customer.profile, customer.attributes, *(e.data for e in newest_first))

    def page_url(number: int) -> str | None:
        if not 1 <= number <= pages or number == page:
            return None
        return customer_url(customer.id) + (f"?page={number}" if number > 1 else "")

    return {
        "id": customer.id,
        "created_at": show_time(customer.created_at),
        "profile": [(profile_labels.get(key, key), compact_json(value)) for key, value in profile.items()],
        "attributes": [(key, compact_json(value)) for key, value in sorted(attributes.items())],
        "opt_in": _opt_in(customer.opted_in),
        "balances": sorted(customer.balances.items()),
        "event_count": customer.event_count,
        "history": [history_row(event, data) for event, data in zip(newest_first, datas)],
        "page": page,
        "pages": pages,
        "newer_url": page_url(page - 1),
        "older_url": page_url(page + 1),
        "log_url": logs_url({"customer_id": customer.id}),
        "pii_hidden": mask.notice,
    }
