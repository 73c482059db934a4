"""Every backend keeps the users alike: a name once, hashes as given, a TOTP step accepted once and only
forward, a recovery code spent once, and a user's sessions ending when its role changes or it goes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from receiver.store.contract import LoyaltyStore, NewUser, StoredSession

WHEN = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def new_user(name: str, role: str = "editor", codes: tuple[str, ...] = ("a" * 64, "b" * 64)) -> NewUser:
    return NewUser(name, role, "$argon2id$hash", "JBSWY3DPEHPK3PXP", codes, WHEN)


def test_a_user_is_kept_once_listed_by_name_and_removed(backend):
    async def body(store: LoyaltyStore) -> None:
        assert await store.user_count() == 0
        assert await store.user_add(new_user("zoe", "auditor"))
        assert await store.user_add(new_user("ann", "admin"))
        assert not await store.user_add(new_user("ann", "editor"))
        found = await store.user_get("ann")
        assert found is not None
        assert (found.name, found.role, found.password_hash, found.totp_secret) == (
            "ann",
            "admin",
            "$argon2id$hash",
            "JBSWY3DPEHPK3PXP",
        )
        assert (found.last_step, found.recovery_left, found.created_at) == (0, 2, WHEN)
        assert "hash" not in repr(found) and "JBSW" not in repr(found)
        assert [user.name for user in await store.user_list()] == ["ann", "zoe"]
        assert await store.user_count() == 2
        assert await store.user_remove("zoe")
        assert not await store.user_remove("zoe")
        assert await store.user_get("zoe") is None
        assert await store.user_count() == 1

    backend.run(body)


def test_a_totp_step_is_accepted_once_and_only_forward(backend):
    async def body(store: LoyaltyStore, other: LoyaltyStore) -> None:
        await store.user_add(new_user("ann"))
        assert await store.user_accept_step("ann", 100)
        assert not await other.user_accept_step("ann", 100)
        assert not await store.user_accept_step("ann", 99)
        assert not await store.user_accept_step("nobody", 100)
        raced = await asyncio.gather(store.user_accept_step("ann", 101), other.user_accept_step("ann", 101))
        assert sorted(raced) == [False, True]
        found = await other.user_get("ann")
        assert found is not None and found.last_step == 101

    backend.run(body, stores=2)


def test_a_recovery_code_is_spent_once(backend):
    async def body(store: LoyaltyStore, other: LoyaltyStore) -> None:
        await store.user_add(new_user("ann"))
        await store.user_add(new_user("bob"))
        assert not await store.user_use_recovery("ann", "c" * 64)
        raced = await asyncio.gather(store.user_use_recovery("ann", "a" * 64), other.user_use_recovery("ann", "a" * 64))
        assert sorted(raced) == [False, True]
        found = await store.user_get("ann")
        assert found is not None and found.recovery_left == 1
        assert await store.user_use_recovery("bob", "a" * 64)
        await store.user_remove("ann")
        await store.user_add(new_user("ann", codes=()))
        assert not await store.user_use_recovery("ann", "b" * 64)

    backend.run(body, stores=2)


def test_a_session_keeps_its_user_and_ends_with_a_role_change_or_removal(backend):
    async def body(store: LoyaltyStore) -> None:
        later = backend.clock.now + 3600
        await store.user_add(new_user("ann"))
        await store.user_add(new_user("bob"))
        await store.session_put(StoredSession("d1", "c1", later, "ann", "editor"))
        await store.session_put(StoredSession("d2", "c2", later, "bob", "editor"))
        await store.session_put(StoredSession("d3", "c3", later))
        assert await store.session_get("d1") == StoredSession("d1", "c1", later, "ann", "editor")
        assert await store.session_get("d3") == StoredSession("d3", "c3", later, None, None)
        assert await store.user_set_role("ann", "auditor")
        assert not await store.user_set_role("nobody", "auditor")
        found = await store.user_get("ann")
        assert found is not None and found.role == "auditor"
        assert await store.session_get("d1") is None
        await store.user_remove("bob")
        assert await store.session_get("d2") is None
        assert await store.session_get("d3") is not None

    backend.run(body)


def test_pii_access_is_kept_per_user_and_session_and_a_change_ends_the_sessions(backend):
    async def body(store: LoyaltyStore, other: LoyaltyStore) -> None:
        later = backend.clock.now + 3600
        await store.user_add(new_user("ann", "auditor"))
        await store.user_add(NewUser("eve", "editor", "$argon2id$hash", "JBSWY3DPEHPK3PXP", (), WHEN, True))
        assert [(user.name, user.pii_access) for user in await other.user_list()] == [("ann", False), ("eve", True)]
        await store.session_put(StoredSession("d1", "c1", later, "ann", "auditor", False))
        await store.session_put(StoredSession("d2", "c2", later, "eve", "editor", True))
        assert await other.session_get("d2") == StoredSession("d2", "c2", later, "eve", "editor", True)
        assert await other.user_set_pii("ann", True)
        assert not await other.user_set_pii("nobody", True)
        found = await store.user_get("ann")
        assert found is not None and found.pii_access
        assert await store.session_get("d1") is None
        assert await store.session_get("d2") is not None

    backend.run(body, stores=2)
