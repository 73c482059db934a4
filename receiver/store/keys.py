"""The memory store's Idempotency-Keys: reserved, answered and forgotten, bounded by count and bytes.

Keys are kept in arrival order, so expiry is a cheap sweep from the oldest end. Past
`max_keys` keys or `max_bytes` bytes (the key, and the answer it replays, as JSON) the oldest
go first, except a key whose request is still running (one per request in flight). A key
dropped before its TTL shortens the window really kept: `window` is how long, so the store
can warn about it. Not thread-safe by itself: the memory store calls it under its lock.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from itertools import islice

from receiver.jsontext import dumps_bytes
from receiver.store.contract import IdempotencyClaim, StoredResponse

KEY_OVERHEAD = 700
"""Bytes a key costs besides its text and its answer's JSON (record, fingerprint, dict slot), roughly."""


@dataclass
class _Key:
    fingerprint: str
    created_at: float
    expires_at: float
    locked_until: float
    response: StoredResponse | None = None
    size: int = 0


class MemoryKeys:
    """Idempotency-Keys and their first answers, in one process."""

    def __init__(self, max_keys: int, max_bytes: int) -> None:
        self._max_keys = max_keys
        self._max_bytes = max_bytes
        self._keys: OrderedDict[str, _Key] = OrderedDict()
        self.bytes = 0
        self.ttl: float | None = None
        """The TTL last asked for (None: no key yet)."""
        self.window: float | None = None
        """How long keys were really kept when the last one was dropped for room (None: none was)."""

    def count(self, now: float) -> int:
        self._sweep(now)
        return len(self._keys)

    def begin(
        self, key: str, fingerprint: str, *, now: float, ttl: float, lease: float
    ) -> tuple[IdempotencyClaim, bool]:
        """The claim, and whether a key was dropped before its TTL to make room for this one."""
        self.ttl = ttl
        self._sweep(now)
        entry = self._keys.get(key)
        if entry is not None and (entry.expires_at <= now or (entry.response is None and entry.locked_until <= now)):
            self._forget(key)
            entry = None
        if entry is None:
            size = KEY_OVERHEAD + len(key)
            early = self._make_room(now, size)
            self._keys[key] = _Key(fingerprint, now, now + ttl, now + lease, size=size)
            self.bytes += size
            return "reserved", early
        if entry.fingerprint != fingerprint:
            return ("mismatch", entry.fingerprint), False
        return (entry.response if entry.response is not None else "in_progress"), False

    def answer(self, key: str, response: StoredResponse) -> None:
        """Store the key's answer (its JSON counts toward the bytes); an unknown key is ignored."""
        entry = self._keys.get(key)
        if entry is None:
            return
        if entry.response is None:
            extra = len(dumps_bytes(response.body))
            entry.size += extra
            self.bytes += extra
        entry.response = response

    def release(self, key: str) -> None:
        entry = self._keys.get(key)
        if entry is not None and entry.response is None:
            self._forget(key)

    def _forget(self, key: str) -> None:
        self.bytes -= self._keys.pop(key).size

    def _make_room(self, now: float, cost: int) -> bool:
        skipped, early = 0, False
        while len(self._keys) > skipped and (len(self._keys) >= self._max_keys or self.bytes + cost > self._max_bytes):
            key, oldest = next(islice(self._keys.items(), skipped, None))
            if oldest.response is None and oldest.locked_until > now:
                skipped += 1
                continue
            self._forget(key)
            if oldest.expires_at > now:
                self.window, early = now - oldest.created_at, True
        return early

    def _sweep(self, now: float) -> None:
        while self._keys:
            key, oldest = next(iter(self._keys.items()))
            if oldest.expires_at > now:
                return
            self._forget(key)
