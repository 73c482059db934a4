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


@dataclass(frozen=True)
class NewUser:
    """A user to add, with the hashes of its secrets (`receiver.core.users` makes them)."""

    name: str
    role: str
    password_hash: str
    totp_secret: str
    recovery_digests: tuple[str, ...]
    created_at: datetime


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

    def __repr__(self) -> str:
        # A user shown in a log or a traceback names itself and its role, never its hashes or seed.
        return f"StoredUser(name={self.name!r}, role={self.role!r})"
