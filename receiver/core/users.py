"""The receiver's users: making their secrets and checking a sign-in (password, then TOTP or a recovery code).

A user gets a generated password (argon2-hashed), a TOTP seed (RFC 6238, 30 s steps, 6 digits) and
ten recovery codes (SHA-256 digests kept; each usable once): the plain values exist only in the
`Setup` handed back once, to be shown to the person and never stored or logged. A TOTP code is
accepted for the step before, at or after now, and only when that step is newer than the user's
last accepted one, so a code seen on the wire cannot be replayed. Every comparison is in constant
time, and an unknown name costs a password check too (no timing says which names exist).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from receiver.core.roles import ROLES, Role
from receiver.errors import ApiError
from receiver.store.contract import LoyaltyStore, NewUser, StoredUser

ISSUER = "Antavo receiver"
RECOVERY_CODES = 10
STEP_SECONDS = 30
MAX_NAME = 64
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Setup:
    """What a new user is shown once: the password, the TOTP seed and its otpauth:// URI, the recovery codes."""

    name: str
    role: str
    password: str = field(repr=False)
    totp_secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)
    recovery_codes: tuple[str, ...] = field(repr=False)


def check_role(role: str) -> Role:
    """The role named, else a 400 naming the three."""
    if role not in ROLES:
        raise ApiError(400, "UNKNOWN_ROLE", f"Unknown role {role!r}; expected one of: {', '.join(ROLES)}.")
    return role


def check_name(name: str) -> str:
    """A user name: 1 to 64 visible characters without spaces (it is shown on pages and in URIs)."""
    if not 0 < len(name) <= MAX_NAME or not name.isprintable() or any(c.isspace() for c in name):
        raise ApiError(400, "INVALID_USER_NAME", "A user name is 1 to 64 printable characters without spaces.")
    return name


def recovery_digest(code: str) -> str:
    """A recovery code's stored form (dashes and case do not matter when it is typed)."""
    return hashlib.sha256(code.replace("-", "").strip().lower().encode("utf-8", "surrogatepass")).hexdigest()


def _recovery_code() -> str:
    raw = secrets.token_hex(8)
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}-{raw[12:]}"


async def add_user(
    store: LoyaltyStore,
    name: str,
    role: str,
    password: str | None = None,
    *,
    pii_access: bool = False,
    now: datetime | None = None,
) -> Setup:
    """Add a user and hand back its one-time setup; 409 when the name is taken."""
    check_name(name)
    check_role(role)
    password = password or secrets.token_urlsafe(18)
    secret = pyotp.random_base32()
    codes = tuple(_recovery_code() for _ in range(RECOVERY_CODES))
    user = NewUser(
        name,
        role,
        _hasher.hash(password),
        secret,
        tuple(recovery_digest(code) for code in codes),
        now or datetime.now(UTC),
        pii_access,
    )
    if not await store.user_add(user):
        raise ApiError(409, "USER_EXISTS", f"There is already a user named {name!r}.")
    uri = pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)
    return Setup(name, role, password, secret, uri, codes)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_step(secret: str, code: str, now: float) -> int | None:
    """The time step (now's, or one either side) whose code is `code`, compared in constant time."""
    totp = pyotp.TOTP(secret)
    current = int(now) // STEP_SECONDS
    found = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS).encode(), code.encode()):
            found = step
    return found


async def verified_user(
    store: LoyaltyStore, name: str, password: str, code: str, *, clock: Callable[[], float] = time.time
) -> StoredUser | None:
    """The user when the password and the TOTP (or an unused recovery code) match, else None.

    The code is spent on success: the TOTP step is recorded, the recovery code deleted.
    """
    user = await store.user_get(name)
    matched = _password_matches(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not matched:
        return None
    code = code.strip().replace(" ", "")
    if code.isdigit() and len(code) == 6:
        step = _totp_step(user.totp_secret, code, clock())
        accepted = step is not None and await store.user_accept_step(name, step)
    else:
        accepted = bool(code) and await store.user_use_recovery(name, recovery_digest(code))
    return user if accepted else None


async def verify_sign_in(
    store: LoyaltyStore, name: str, password: str, code: str, *, clock: Callable[[], float] = time.time
) -> Role | None:
    """The user's role when the password and the TOTP (or an unused recovery code) match, else None
    (`verified_user`, the code spent on success)."""
    user = await verified_user(store, name, password, code, clock=clock)
    return check_role(user.role) if user is not None else None
