"""Signing in on `/login`, over real HTTP: the API key while the store has no user, then only users (name,
password, TOTP or a recovery code, each code once), one answer for every wrong part, the failure guard's
429, the API key still valid as Bearer, and a user's sessions ending when its role changes or it goes."""

from __future__ import annotations

import asyncio

import httpx
import pyotp
import pytest

from receiver.config.limits import LimitsConfig
from receiver.core.users import Setup, add_user
from receiver.errors import ApiError
from receiver.pages.sessions import SessionStore
from receiver.pages.sign_in import FAILED, SignIn
from receiver.ratelimit import AuthGuard
from receiver.security import KeyGate
from receiver.store.memory.store import MemoryStore

PASSWORD = "correct horse battery staple"
GENERIC = "The name, password or code is wrong."


def _user(receiver, name: str, role: str) -> Setup:
    return receiver.call(add_user(receiver.store, name, role, PASSWORD))


def _sign_in(client: httpx.Client, name: str, password: str, code: str, target: str = "/") -> httpx.Response:
    return client.post("/login", data={"name": name, "password": password, "code": code, "next": target})


def test_without_users_the_api_key_signs_in_as_the_bootstrap_admin(receiver_server):
    with receiver_server.client() as client:
        form = client.get("/login")
        assert 'id="api_key"' in form.text and 'id="code"' not in form.text
        assert client.post("/login", data={"api_key": "wrong-key", "next": "/"}).status_code == 401
        signed = client.post("/login", data={"api_key": receiver_server.api_key, "next": "/settings"})
        assert signed.status_code == 303 and signed.headers["location"] == "/settings"
        page = client.get("/settings")
        assert page.status_code == 200 and 'id="signed-in-as">API key <span class="muted">(admin)' in page.text
        assert "Sign out" in page.text and 'id="settings-read-only"' not in page.text


def test_a_user_signs_in_with_password_and_totp_and_a_replayed_code_is_refused(receiver_server):
    setup = _user(receiver_server, "ann", "editor")
    code = pyotp.TOTP(setup.totp_secret).now()
    with receiver_server.client() as client:
        form = client.get("/login?next=/mappings")
        assert 'id="name"' in form.text and 'id="code"' in form.text and 'id="api_key"' not in form.text
        signed = _sign_in(client, "ann", PASSWORD, code, "/mappings")
        assert signed.status_code == 303 and signed.headers["location"] == "/mappings"
        page = client.get("/settings")
        assert 'id="signed-in-as">ann <span class="muted">(editor)' in page.text
        assert 'id="settings-read-only"' in page.text and '<fieldset class="plain" disabled>' in page.text
        assert ">Save</button>" not in page.text
    with receiver_server.client() as other:
        replayed = _sign_in(other, "ann", PASSWORD, code)
        assert replayed.status_code == 401 and GENERIC in replayed.text
        assert other.get("/", follow_redirects=False).status_code == 303


def test_a_recovery_code_signs_in_once(receiver_server):
    setup = _user(receiver_server, "bo", "auditor")
    recovery = setup.recovery_codes[0]
    with receiver_server.client() as client:
        assert _sign_in(client, "bo", PASSWORD, recovery).status_code == 303
        assert 'id="signed-in-as">bo <span class="muted">(auditor)' in client.get("/").text
    with receiver_server.client() as client:
        again = _sign_in(client, "bo", PASSWORD, recovery)
        assert again.status_code == 401 and GENERIC in again.text


def test_every_wrong_part_gets_the_same_answer(receiver_server):
    setup = _user(receiver_server, "cy", "admin")
    totp = pyotp.TOTP(setup.totp_secret)
    with receiver_server.client() as client:
        answers = [
            _sign_in(client, "cy", "wrong password", totp.now()),
            _sign_in(client, "nobody", PASSWORD, totp.now()),
            _sign_in(client, "cy", PASSWORD, "000000" if totp.now() != "000000" else "111111"),
            _sign_in(client, "cy", PASSWORD, "not-a-recovery-code"),
            _sign_in(client, "cy", PASSWORD, ""),
        ]
    assert {answer.status_code for answer in answers} == {401}
    assert len({answer.text for answer in answers}) == 1 and GENERIC in answers[0].text
    assert PASSWORD not in answers[0].text and "nobody" not in answers[0].text


def test_the_api_key_no_longer_signs_in_on_the_page_but_stays_valid_as_bearer(receiver_server):
    _user(receiver_server, "di", "admin")
    with receiver_server.client() as client:
        refused = client.post("/login", data={"api_key": receiver_server.api_key, "next": "/"})
        assert refused.status_code == 401 and GENERIC in refused.text and "set-cookie" not in refused.headers
        assert client.get("/", follow_redirects=False).status_code == 303
        assert client.get("/v1/logs", headers=receiver_server.auth).status_code == 200
        assert client.get("/dashboard/data", headers=receiver_server.auth).status_code == 200


def test_failed_sign_ins_are_limited_with_429_and_retry_after(start_receiver):
    receiver = start_receiver(limits={"auth_failures_burst": 3, "auth_failures_per_minute": 1})
    setup = _user(receiver, "ed", "admin")
    with receiver.client() as client:
        assert [_sign_in(client, "ed", "wrong", "123456").status_code for _ in range(3)] == [401] * 3
        limited = _sign_in(client, "ed", PASSWORD, pyotp.TOTP(setup.totp_secret).now())
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "Too many failed authentication attempts" in limited.text and "set-cookie" not in limited.headers


def test_a_name_under_attack_holds_back_other_failing_addresses_but_never_a_clean_one():
    async def body() -> None:
        store = MemoryStore()
        setup = await add_user(store, "fay", "editor", PASSWORD)
        guard = AuthGuard(LimitsConfig(auth_failures_burst=100, key_failures_burst=3, key_failures_per_minute=1))
        sign_in = SignIn(store, SessionStore(store), KeyGate(guard, "api_key", b"k" * 24))
        for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
            assert await sign_in.as_user(address, "fay", "guess", "123456") is None
        assert await sign_in.as_user("10.0.0.4", "someone-else", "guess", "123456") is None
        with pytest.raises(ApiError) as caught:
            await sign_in.as_user("10.0.0.4", "fay", PASSWORD, setup.recovery_codes[0])
        assert caught.value.status == 429
        made = await sign_in.as_user("10.0.0.5", "fay", PASSWORD, setup.recovery_codes[0])
        assert made is not None and made[1].user == "fay" and made[1].role == "editor"
        assert FAILED == GENERIC

    asyncio.run(body())


def test_a_role_change_or_removal_ends_the_users_sessions(receiver_server):
    gus = _user(receiver_server, "gus", "admin")
    hal = _user(receiver_server, "hal", "admin")
    with receiver_server.client() as first, receiver_server.client() as second:
        assert _sign_in(first, "gus", PASSWORD, gus.recovery_codes[0]).status_code == 303
        assert _sign_in(second, "hal", PASSWORD, hal.recovery_codes[0]).status_code == 303
        assert first.get("/settings").status_code == 200 and second.get("/settings").status_code == 200
        assert receiver_server.call(receiver_server.store.user_set_role("gus", "auditor"))
        assert first.get("/settings", follow_redirects=False).headers["location"] == "/login?next=%2Fsettings"
        assert receiver_server.call(receiver_server.store.user_remove("hal"))
        assert second.get("/", follow_redirects=False).status_code == 303
        again = _sign_in(first, "gus", PASSWORD, gus.recovery_codes[1])
        assert again.status_code == 303
        assert 'id="signed-in-as">gus <span class="muted">(auditor)' in first.get("/").text
        assert _sign_in(second, "hal", PASSWORD, hal.recovery_codes[1]).status_code == 401


def test_the_first_user_added_signs_out_every_api_key_session(receiver_server):
    with receiver_server.client() as client:
        assert client.post("/login", data={"api_key": receiver_server.api_key, "next": "/"}).status_code == 303
        assert client.get("/settings").status_code == 200
        _user(receiver_server, "ivy", "admin")
        assert client.get("/settings", follow_redirects=False).headers["location"] == "/login?next=%2Fsettings"
        assert client.get("/logs/data").status_code == 401
