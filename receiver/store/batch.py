"""A Tracking-API call's writes as one unit of work: `LoyaltyStore.write_batch`.

Why: a `/v1/batch` call of 100 messages used to reach a SQL store as four grouped transactions
(messageId claims, Idempotency-Key claims, events, log entries), each behind 100 futures. Handed
over whole, the call is one transaction with one statement per table, and the per-message
asyncio work is gone.

Each message keeps its own outcome, in the order sent: its messageId is claimed first (one
already claimed within the window writes only its `duplicate` entry); then each of its requests
claims its Idempotency-Key (if any), runs its decision and writes its event, the key's answer
and its inbound-log entry. A decision's refusal (`ApiError`) refuses that request alone, and a
refusal with a key stores the refusal as the key's answer, as the webhook does. A key another
request still holds (`in_progress`) writes nothing: the caller runs that request again on its
own, where the webhook's wait applies. The store's rules (no negative balance, one transaction
ID per account) hold as in `apply`; a conflict with another process reruns the whole unit.

A unit that fails (`StoreUnavailable`, a full outbox among them, or any error that is not a
decision's refusal) raises: on SQL nothing of it stands. `write_by_steps` is the same unit
through the contract's single calls: right for a store whose calls never wait (memory), where
the steps cannot interleave with another request; there a failure leaves the messages before
the failing one written, and that one's messageId free again.
"""

from __future__ import annotations

from collections.abc import Sequence

from receiver.errors import ApiError
from receiver.store.contract import (
    BatchMessage,
    BatchRequest,
    BatchWindows,
    LogEntry,
    LoyaltyStore,
    MessageResult,
    RequestOutcome,
    StoredEvent,
    StoredResponse,
    StoreUnavailable,
)

__all__ = ["accepted_answer", "key_answer", "write_by_steps"]


def accepted_answer(event: StoredEvent) -> StoredResponse:
    """The answer to an accepted event: what the webhook sends and its Idempotency-Key replays (every store's)."""
    return StoredResponse(202, {"id": event.id, "status": "accepted"})


def key_answer(refusal: ApiError) -> StoredResponse:
    """The answer a refused request's Idempotency-Key replays."""
    return StoredResponse(refusal.status, refusal.body())


async def write_by_steps(
    store: LoyaltyStore, messages: Sequence[BatchMessage], windows: BatchWindows
) -> list[MessageResult]:
    """The unit through the contract's single calls (see the module's docstring for when that is right)."""
    results: list[MessageResult] = []
    for message in messages:
        if not await store.first_time(message.message_id, window=windows.dedup):
            await store.log_add("duplicate", [message.duplicate()])
            results.append(MessageResult(duplicate=True))
            continue
        outcomes: list[RequestOutcome] = []
        entries: list[LogEntry | None] = []
        try:
            for request in message.requests:
                outcome = await _one(store, request, windows)
                entry = request.entry(outcome)
                outcomes.append(outcome)
                entries.append((await store.log_add("inbound", [entry]))[0] if entry is not None else None)
        except BaseException:
            # The messages before it stand; this one is let through again (its applied requests' keys replay).
            await store.forget_message(message.message_id)
            raise
        results.append(MessageResult(False, tuple(outcomes), tuple(entries)))
    return results


async def _one(store: LoyaltyStore, request: BatchRequest, windows: BatchWindows) -> RequestOutcome:
    if request.decide is None:
        return RequestOutcome()
    key = request.idempotency_key
    if key is not None:
        claim = await store.idempotency_begin(key, request.fingerprint, ttl=windows.ttl, lease=windows.lease)
        if claim != "reserved":
            return RequestOutcome(claim=claim)
    try:
        event = await store.apply(request.customer_id, request.decide, idempotency_key=key, lineage=request.lineage)
        return RequestOutcome(event=event)
    except StoreUnavailable:
        if key is not None:
            await store.idempotency_release(key)  # not an answer (a full outbox): the retry runs afresh
        raise
    except ApiError as refusal:
        if key is not None:
            await store.idempotency_finish(key, key_answer(refusal))
        return RequestOutcome(refusal=refusal)
    except BaseException:
        if key is not None:
            await store.idempotency_release(key)  # as the webhook does: a retry runs afresh
        raise
