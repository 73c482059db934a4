"""The users (`receiver.store.users`) in one process: a map by name under the store's lock."""

from __future__ import annotations

import hmac
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from receiver.store.contract import StoredSession
from receiver.store.users import NewUser, StoredUser


@dataclass
class _User:
    kept: StoredUser
    digests: list[str] = field(default_factory=list)


class MemoryUsers:
    """The store contract's `user_*` methods, for `MemoryStore` to inherit (its lock and sessions)."""

    _lock: threading.Lock
    _sessions: OrderedDict[str, StoredSession]

    def _open_users(self) -> None:
        self._users: dict[str, _User] = {}

    def _end_sessions(self, name: str) -> None:
        for digest in [digest for digest, found in self._sessions.items() if found.user_name == name]:
            del self._sessions[digest]

    async def user_add(self, user: NewUser) -> bool:
        with self._lock:
            if user.name in self._users:
                return False
            kept = StoredUser(
                user.name,
                user.role,
                user.password_hash,
                user.totp_secret,
                0,
                len(user.recovery_digests),
                user.created_at,
                user.pii_access,
            )
            self._users[user.name] = _User(kept, list(user.recovery_digests))
            return True

    async def user_get(self, name: str) -> StoredUser | None:
        with self._lock:
            found = self._users.get(name)
            return found.kept if found else None

    async def user_list(self) -> list[StoredUser]:
        with self._lock:
            return [self._users[name].kept for name in sorted(self._users)]

    async def user_count(self) -> int:
        with self._lock:
            return len(self._users)

    def _change(self, name: str, **fields: object) -> bool:
        """Change what the user may do (its role, its PII access): its sessions end with it."""
        with self._lock:
            found = self._users.get(name)
            if found is None:
                return False
            found.kept = replace(found.kept, **fields)  # type: ignore[arg-type]
            self._end_sessions(name)
            return True

    async def user_set_role(self, name: str, role: str) -> bool:
        return self._change(name, role=role)

    async def user_set_pii(self, name: str, granted: bool) -> bool:
        return self._change(name, pii_access=granted)

    async def user_remove(self, name: str) -> bool:
        with self._lock:
            if self._users.pop(name, None) is None:
                return False
            self._end_sessions(name)
            return True

    async def user_accept_step(self, name: str, step: int) -> bool:
        with self._lock:
            found = self._users.get(name)
            if found is None or step <= found.kept.last_step:
                return False
            found.kept = replace(found.kept, last_step=step)
            return True

    async def user_use_recovery(self, name: str, digest: str) -> bool:
        with self._lock:
            found = self._users.get(name)
            if found is None:
                return False
            # Every kept digest is compared, in constant time, whichever matches.
            matches = [kept for kept in found.digests if hmac.compare_digest(kept.encode(), digest.encode())]
            if not matches:
                return False
            found.digests.remove(matches[0])
            found.kept = replace(found.kept, recovery_left=len(found.digests))
            return True
