"""A prepared request's two ends (`WebhookService.prepare`): the refusal it carries into the unit, and its answer."""

from __future__ import annotations

from typing import Any

from receiver.core.idempotency import reused
from receiver.errors import ApiError
from receiver.store.batch import accepted_answer
from receiver.store.contract import Change, CustomerView, Decision, RequestOutcome, StoredResponse


def refusing(refusal: ApiError) -> Decision:
    """A decision that refuses as the checks did: inside the unit, after the key's claim, as `_process` has it."""

    def decide(_view: CustomerView) -> Change:
        raise refusal

    return decide


def answer_of(outcome: RequestOutcome, early: tuple[int, dict[str, Any]] | None) -> tuple[int, dict[str, Any]]:
    """A prepared request's status and body, from what the unit made of it."""
    claim = outcome.claim
    if isinstance(claim, StoredResponse):
        return claim.status, claim.body
    if isinstance(claim, tuple):
        refusal: ApiError | None = reused()
    else:
        refusal = outcome.refusal
    if refusal is not None:
        return refusal.status, refusal.body()
    if outcome.event is not None:
        answer = accepted_answer(outcome.event)
        return answer.status, answer.body
    if early is None:
        raise RuntimeError("a prepared request without a decision was refused before the store")
    return early
