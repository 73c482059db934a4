"""A user's sign-in: password and TOTP (a code replayed is refused, the step either side is accepted once),
a recovery code once, an unknown name and a wrong password alike refused; no secret in a Setup's repr."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pyotp
import pytest

from receiver.core.users import add_user, recovery_digest, verify_sign_in
from receiver.errors import ApiError
from receiver.store.memory.store import MemoryStore

NOW = 1_800_000_015.0


def _run(body: Callable[[MemoryStore], Awaitable[None]]) -> None:
    asyncio.run(body(MemoryStore()))


def test_password_and_totp_sign_in_and_a_replayed_code_is_refused() -> None:
    async def body(store: MemoryStore) -> None:
        setup = await add_user(store, "ann", "auditor", "pass-word-123")
        totp = pyotp.TOTP(setup.totp_secret)
        code = totp.at(NOW)
        assert await verify_sign_in(store, "ann", "pass-word-123", code, clock=lambda: NOW) == "auditor"
        assert await verify_sign_in(store, "ann", "pass-word-123", code, clock=lambda: NOW) is None
        earlier = totp.at(NOW - 30)
        assert await verify_sign_in(store, "ann", "pass-word-123", earlier, clock=lambda: NOW) is None
        later = totp.at(NOW + 30)
        assert await verify_sign_in(store, "ann", "pass-word-123", later, clock=lambda: NOW) == "auditor"
        far = totp.at(NOW + 120)
        assert await verify_sign_in(store, "ann", "pass-word-123", far, clock=lambda: NOW) is None
        assert await verify_sign_in(store, "ann", "wrong", totp.at(NOW + 60), clock=lambda: NOW + 60) is None
        assert await verify_sign_in(store, "nobody", "pass-word-123", code, clock=lambda: NOW) is None

    _run(body)


def test_a_recovery_code_works_once_and_the_setup_hides_its_secrets() -> None:
    async def body(store: MemoryStore) -> None:
        setup = await add_user(store, "ann", "editor")
        assert len(setup.recovery_codes) == 10 and len(set(setup.recovery_codes)) == 10
        code = setup.recovery_codes[3]
        assert await verify_sign_in(store, "ann", setup.password, code.upper()) == "editor"
        assert await verify_sign_in(store, "ann", setup.password, code) is None
        kept = await store.user_get("ann")
        assert kept is not None and kept.recovery_left == 9
        assert kept.password_hash.startswith("$argon2id$") and setup.password not in kept.password_hash
        assert recovery_digest(code) != code
        shown = repr(setup) + repr(kept)
        for secret in (setup.password, setup.totp_secret, *setup.recovery_codes):
            assert secret not in shown

    _run(body)


def test_names_and_roles_are_checked() -> None:
    async def body(store: MemoryStore) -> None:
        await add_user(store, "ann", "admin")
        for name, role, code in (
            ("ann", "admin", "USER_EXISTS"),
            ("bo b", "admin", "INVALID_USER_NAME"),
            ("cat", "root", "UNKNOWN_ROLE"),
        ):
            with pytest.raises(ApiError) as caught:
                await add_user(store, name, role)
            assert caught.value.code == code

    _run(body)
