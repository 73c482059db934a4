"""Antavo's business rules: what an already schema-valid webhook payload does to a customer.

`LoyaltyRules.decide` checks everything that depends only on the request (account, points,
dates, totals) up front, and returns the `Decision` the store runs under its lock for what
depends on state (balance, seen transaction IDs). Either step refuses with an `ApiError`;
nothing is written unless both pass.

The event names (`point_add`, `checkout`, ...) and their data keys are Antavo's API, not the
destination's: the destination forwards whatever event name a mapping produces.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeGuard

from destination.js.time import calendar_date
from receiver.config import ReceiverConfig
from receiver.core.contract import ActionContract, WebhookContract
from receiver.errors import ApiError
from receiver.store.contract import Change, CustomerView, Decision, SeenTransaction

OPT_IN, OPT_OUT = "opt_in", "opt_out"
POINT_ADD, POINT_SUBTRACT = "point_add", "point_subtract"
CHECKOUT = "checkout"
POINTS, REASON, TRANSACTION_ID, TOTAL = "points", "reason", "transaction_id", "total"

# The code Antavo answers with when an event lacks a data key its name requires (`requires:` in antavo.yaml).
_MISSING = {POINT_ADD: "INVALID_POINTS", POINT_SUBTRACT: "INVALID_POINTS", CHECKOUT: "INVALID_CHECKOUT"}

Handler = Callable[[str, str, Mapping[str, Any], str], Decision]
"""(account, event name, event data, the data field's label) → the decision to run."""


@dataclass(frozen=True)
class Verdict:
    """A request that passed the request-only rules: who it is for, and what to run in the store."""

    customer: str
    account: str
    action: str
    decide: Decision


def _unprocessable(code: str, message: str, field: str) -> ApiError:
    return ApiError(422, code, message, field=field)


def _is_number(value: Any) -> TypeGuard[int | float]:
    """A finite JSON number (booleans are not numbers here)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


class LoyaltyRules:
    """The rules for one brand (its accounts and earn rate) and one webhook contract."""

    def __init__(self, config: ReceiverConfig, contract: WebhookContract) -> None:
        self._config = config
        self._c = contract
        self._earn_rate = Decimal(repr(config.earn_rate))
        self._max_points = config.limits.max_points
        self._max_balance = config.limits.max_balance
        profile = contract.action_by_type("identify")
        missing = [name for name in profile.date_fields if name not in profile.data_properties]
        if missing:
            raise ValueError(f"the profile action's dateFields name no data field: {missing}")
        self._profile = profile
        self._handlers: dict[str, Handler] = {
            OPT_IN: self._opt(True),
            OPT_OUT: self._opt(False),
            POINT_ADD: self._point_add,
            POINT_SUBTRACT: self._point_subtract,
            CHECKOUT: self._checkout,
        }

    def account(self, payload: Mapping[str, Any]) -> str:
        """The account a request goes to; with Multi Accounts it must name a known one."""
        if not self._config.multi_accounts:
            return self._config.default_account
        field = self._c.account_field
        given = payload.get(field)
        if given is None or given == "":
            raise _unprocessable(
                "ACCOUNT_REQUIRED",
                f"The Multi Accounts extension is enabled: the field '{field}' must name one of the brand's accounts.",
                field,
            )
        if given not in self._config.accounts:
            raise _unprocessable(
                "UNKNOWN_ACCOUNT",
                f"The brand has no account {_shown(given)}; the field '{field}' must name one of: "
                f"{_listed(self._config.accounts)}.",
                field,
            )
        return given

    def decide(self, action: ActionContract, payload: Mapping[str, Any], name: str) -> Verdict:
        """Check the request-only rules and return what the store must run."""
        customer = payload.get(self._c.customer_field)
        if not customer:
            raise _unprocessable(
                "INVALID_PAYLOAD",
                f"The root value is missing the required field '{self._c.customer_field}'.",
                self._c.customer_field,
            )
        if not name:
            raise _unprocessable(
                "INVALID_PAYLOAD",
                f"The root value is missing the required field '{self._c.name_field}'.",
                self._c.name_field,
            )
        account = self.account(payload)
        data = payload.get(self._c.data_field) or {}
        if action.event_type == self._profile.event_type:
            decide = self._profile_update(account, name, data)
        else:
            for key in action.requires.get(name, ()):  # declared in antavo.yaml under `requires:`
                if key not in data:
                    raise _unprocessable(
                        _MISSING.get(name, "INVALID_PAYLOAD"),
                        f"{action.data_label} is missing the required field '{key}'.",
                        self._field(key),
                    )
            handler = self._handlers.get(name, self._custom)
            decide = handler(account, name, data, action.data_label)
        return Verdict(customer=customer, account=account, action=name, decide=decide)

    def _field(self, key: str) -> str:
        return f"{self._c.data_field}.{key}"

    def _profile_update(self, account: str, name: str, data: Mapping[str, Any]) -> Decision:
        named = self._profile.data_properties
        dates: dict[str, str] = {}
        for key in self._profile.date_fields:
            value = data.get(key)
            if value is None:
                continue
            day = calendar_date(value)
            if day is None:
                raise _unprocessable(
                    "INVALID_DATE",
                    f"{named[key]} must be a date in the form YYYY-MM-DD (or a date-time at midnight).",
                    self._field(key),
                )
            dates[key] = day
        data = {**data, **dates}
        profile = {key: value for key, value in data.items() if key in named}
        attributes = {key: value for key, value in data.items() if key not in named}

        def decide(_: CustomerView) -> Change:
            return Change(account=account, action=name, data=data, profile=profile, attributes=attributes)

        return decide

    def _opt(self, opted_in: bool) -> Handler:
        def handler(account: str, name: str, data: Mapping[str, Any], _label: str) -> Decision:
            return lambda _view: Change(account=account, action=name, data=data, opted_in=opted_in)

        return handler

    def _points(self, data: Mapping[str, Any], label: str) -> int:
        value = data.get(POINTS)
        if not _is_number(value) or value != int(value) or value <= 0:
            raise _unprocessable("INVALID_POINTS", "Points must be a positive integer.", self._field(POINTS))
        if value > self._max_points:
            raise self._too_large(f"Points must be at most {self._max_points} per event.")
        reason = data.get(REASON)
        if reason is not None and not isinstance(reason, str):
            raise _unprocessable("INVALID_REASON", "Reason must be a string.", self._field(REASON))
        return int(value)

    def _too_large(self, message: str, key: str = POINTS) -> ApiError:
        return _unprocessable("POINTS_TOO_LARGE", message, self._field(key))

    def _credit(self, view: CustomerView, account: str, points: int, key: str = POINTS) -> None:
        """Refuse a credit that would take the balance past `limits.max_balance`."""
        if view.balance(account) + points > self._max_balance:
            raise self._too_large(f"The account's balance would exceed {self._max_balance} points.", key)

    def _point_add(self, account: str, name: str, data: Mapping[str, Any], label: str) -> Decision:
        points = self._points(data, label)

        def decide(view: CustomerView) -> Change:
            self._credit(view, account, points)
            return Change(account=account, action=name, data=data, points=points)

        return decide

    def _point_subtract(self, account: str, name: str, data: Mapping[str, Any], label: str) -> Decision:
        points = self._points(data, label)
        field = self._field(POINTS)

        def decide(view: CustomerView) -> Change:
            if view.balance(account) < points:
                raise _unprocessable(
                    "INSUFFICIENT_POINTS", "The customer does not have enough points in this account.", field
                )
            return Change(account=account, action=name, data=data, points=-points)

        return decide

    def _checkout(self, account: str, name: str, data: Mapping[str, Any], label: str) -> Decision:
        raw_id, total = data.get(TRANSACTION_ID), data.get(TOTAL)
        if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or raw_id == "":
            raise _unprocessable(
                "INVALID_TRANSACTION_ID",
                "Transaction ID must be a non-empty string or an integer.",
                self._field(TRANSACTION_ID),
            )
        if not _is_number(total) or total < 0:
            raise _unprocessable("INVALID_TOTAL", "Total must be a number of at least 0.", self._field(TOTAL))
        transaction_id = str(raw_id)
        earned = math.floor(Decimal(repr(total)) * self._earn_rate)
        if earned > self._max_points:
            raise self._too_large(f"This checkout would earn more than {self._max_points} points.", TOTAL)
        field = self._field(TRANSACTION_ID)

        def decide(view: CustomerView) -> Change:
            seen = view.transaction_seen(account, transaction_id)
            if seen:
                raise ApiError(409, "ERR_TX_ALREADY_EXISTS", _duplicate_message(seen, account), field=field)
            self._credit(view, account, earned, TOTAL)
            return Change(account=account, action=name, data=data, points=earned, transaction_id=transaction_id)

        return decide

    def _custom(self, account: str, name: str, data: Mapping[str, Any], _label: str) -> Decision:
        """Any other event name is kept as a custom event, with no effect on points."""
        return lambda _view: Change(account=account, action=name, data=data)


def _duplicate_message(seen: SeenTransaction | bool, account: str) -> str:
    """Whose and when, which the brand's key holder may read anyway (`GET /v1/customers/{id}/events`).

    Nothing else of the earlier transaction (its total, its points) is told.
    """
    if not isinstance(seen, SeenTransaction):
        return "This account already has a transaction with this ID."
    when = seen.recorded_at.isoformat(timespec="seconds")
    return (
        f"Account '{account}' already has a transaction with this ID: customer '{seen.customer_id}' recorded it "
        f"at {when}."
    )


def _shown(value: Any, limit: int = 64) -> str:
    """A caller's value quoted for a message, cut to `limit` characters (it is event data)."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _listed(accounts: Sequence[str], limit: int = 10) -> str:
    """The brand's account IDs, the first `limit` of them."""
    shown = ", ".join(repr(account) for account in accounts[:limit])
    return shown if len(accounts) <= limit else f"{shown} and {len(accounts) - limit} more"
