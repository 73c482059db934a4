"""The receiver's users, as every backend keeps them: what a sign-in checks, never a secret in the clear
but the TOTP seed (which must be read back to check a code).

The password is kept as its argon2 hash and each recovery code as its SHA-256 digest (the codes are
random and long, so a fast digest cannot be reversed by guessing); `last_step` is the newest TOTP
time step accepted, so a code seen once is refused when it comes again. The store does not know
what a role allows (`receiver.core.roles` does): it keeps the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class NewUser:
    """A user to add, with the hashes of its secrets (`receiver.core.users` makes them)."""

    name: str
    role: str
    password_hash: str
    totp_secret: str
    recovery_digests: tuple[str, ...]
    created_at: datetime
    pii_access: bool = False
    """Whether the user sees properties the tracking plan marks `pii` (an admin always does)."""


@dataclass(frozen=True)
class StoredUser:
    """One kept user; `recovery_left` counts its unused recovery codes."""

    name: str
    role: str
    password_hash: str
    totp_secret: str
    last_step: int
    recovery_left: int
    created_at: datetime
    pii_access: bool = False

    def __repr__(self) -> str:
        # A user shown in a log or a traceback names itself and its role, never its hashes or seed.
        return f"StoredUser(name={self.name!r}, role={self.role!r})"


@dataclass(frozen=True)
class StoredSession:
    """A signed-in browser: the digest of its token, its CSRF token, when it ends (epoch seconds), and
    who signed in (no `user_name` for the API key's bootstrap admin) with which role."""

    digest: str
    csrf: str
    expires_at: float
    user_name: str | None = None
    role: str | None = None
    pii_access: bool = False


class UserStore(Protocol):
    """The store contract's part for users (`LoyaltyStore` has it): a user's sessions end when its role
    or PII access changes or it is removed."""

    async def user_add(self, user: NewUser) -> bool:
        """Keep a new user; False (nothing written) when the name is taken."""
        ...

    async def user_get(self, name: str) -> StoredUser | None: ...

    async def user_list(self) -> list[StoredUser]:
        """Every user, by name."""
        ...

    async def user_count(self) -> int: ...

    async def user_set_role(self, name: str, role: str) -> bool:
        """Change a user's role and end its sessions; False when there is no such user."""
        ...

    async def user_remove(self, name: str) -> bool:
        """Forget a user, its recovery codes and its sessions; False when there is no such user."""
        ...

    async def user_accept_step(self, name: str, step: int) -> bool:
        """Record `step` as the user's newest accepted TOTP step, only if it is newer: of two
        sign-ins with one code, one gets True."""
        ...

    async def user_set_pii(self, name: str, granted: bool) -> bool:
        """Grant or withdraw the user's PII access and end its sessions; False when there is no such user."""
        ...

    async def user_use_recovery(self, name: str, digest: str) -> bool:
        """Spend one of the user's recovery codes (by digest), at once: True only the first time."""
        ...

    async def session_put(self, session: StoredSession) -> None: ...

    async def session_get(self, digest: str) -> StoredSession | None:
        """The live session, else None (unknown, revoked or expired)."""
        ...

    async def session_delete(self, digest: str) -> None: ...
