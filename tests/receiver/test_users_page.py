"""The admin's Users page over real HTTP: adding a user shows its one-time setup and the user then signs in
with it; role and PII access changes end the user's sessions; the last admin cannot be removed or demoted;
bad names and roles are refused on the page, naming what was expected, and nothing is written."""

from __future__ import annotations

import re
from contextlib import closing

import httpx
import pyotp
from signed_in import Browser, signed_in_as

from receiver.core.users import add_user
from receiver.store.audit import AuditFilter


def _admin(receiver) -> tuple[httpx.Client, str]:
    """A client signed in as the API key's bootstrap admin, and its CSRF token."""
    browser = Browser(receiver.base_url, receiver.api_key)
    page = browser.get("/users")
    assert page.status_code == 200 and 'id="no-users"' in page.text
    return browser.client, browser.csrf


def _field(page: str, name: str) -> str:
    return re.search(rf'id="setup-{name}">([^<]+)<', page).group(1)


def test_an_added_user_sees_its_setup_once_and_signs_in_with_it(receiver_server):
    client, csrf = _admin(receiver_server)
    with closing(client):
        added = client.post("/users", data={"csrf": csrf, "name": "ann", "role": "editor", "pii": "on"})
        assert added.status_code == 200 and 'id="setup-once"' in added.text
        assert added.headers["cache-control"] == "no-store"
        password, secret = _field(added.text, "password"), _field(added.text, "secret")
        assert added.text.count("<li><code>") == 10
        # The first user signs the API key's browser out: the page now wants a user.
        assert client.get("/users").status_code == 303
    user = receiver_server.call(receiver_server.store.user_get("ann"))
    assert user is not None and (user.role, user.pii_access) == ("editor", True)
    assert password not in repr(user) and user.password_hash != password
    with receiver_server.client() as ann:
        code = pyotp.TOTP(secret).now()
        signed = ann.post("/login", data={"name": "ann", "password": password, "code": code, "next": "/"})
        assert signed.status_code == 303
        assert 'id="signed-in-as">ann' in ann.get("/").text
        assert ann.get("/users").status_code == 403


def test_roles_and_pii_change_and_the_last_admin_stays(receiver_server):
    store = receiver_server.store
    receiver_server.call(add_user(store, "root", "admin", "pw-root-123456"))
    receiver_server.call(add_user(store, "ed", "editor", "pw-ed-1234567"))
    client, csrf = signed_in_as(receiver_server, "root", "admin")
    ed, _ = signed_in_as(receiver_server, "ed", "editor")
    with closing(client), closing(ed):
        assert ed.get("/mappings").status_code == 200
        page = client.get("/users")
        assert 'data-user="ed"' in page.text and 'data-user="root"' in page.text
        assert "pw-ed" not in page.text and "$argon2" not in page.text
        moved = client.post("/users/ed/role", data={"csrf": csrf, "role": "auditor"})
        assert moved.status_code == 303 and "auditor" in client.get(moved.headers["location"]).text
        assert ed.get("/mappings").status_code == 303  # its session ended
        assert client.post("/users/ed/pii", data={"csrf": csrf, "pii": "on"}).status_code == 303
        found = receiver_server.call(store.user_get("ed"))
        assert found is not None and (found.role, found.pii_access) == ("auditor", True)
        last = client.post("/users/root/delete", data={"csrf": csrf})
        assert last.status_code == 409 and "last admin" in last.text
        demoted = client.post("/users/root/role", data={"csrf": csrf, "role": "editor"})
        assert demoted.status_code == 409
        assert receiver_server.call(store.user_get("root")).role == "admin"
        assert client.post("/users/ed/delete", data={"csrf": csrf}).status_code == 303
        assert receiver_server.call(store.user_get("ed")) is None
        assert client.post("/users/nobody/delete", data={"csrf": csrf}).status_code == 404
    trail = receiver_server.call(receiver_server.app.state.config_state.audit(10, AuditFilter(action="user.")))
    assert [(r.entry.action, r.entry.target, r.entry.actor) for r in trail] == [
        ("user.remove", "ed", "root"),
        ("user.pii", "ed", "root"),
        ("user.role", "ed", "root"),
    ]
    assert [(c.field, c.before, c.after) for c in trail[2].entry.changes] == [("role", "editor", "auditor")]
    assert trail[0].entry.address == "127.0.0.1" and trail[0].entry.role == "admin"


def test_bad_input_and_foreign_forms_are_refused_and_write_nothing(receiver_server):
    client, csrf = _admin(receiver_server)
    with closing(client):
        cases = [
            ({"name": "has space", "role": "editor"}, 400, "without spaces"),
            ({"name": "ann", "role": "owner"}, 400, "expected one of: admin, editor, auditor"),
            ({"name": "", "role": "editor"}, 400, "1 to 64"),
        ]
        for data, status, says in cases:
            answer = client.post("/users", data={"csrf": csrf, **data})
            assert answer.status_code == status and says in answer.text, data
        assert client.post("/users", data={"name": "ann", "role": "editor"}).status_code == 403
        foreign = client.post(
            "/users", data={"csrf": csrf, "name": "ann", "role": "editor"}, headers={"Origin": "http://evil"}
        )
        assert foreign.status_code == 403
    assert receiver_server.call(receiver_server.store.user_count()) == 0
