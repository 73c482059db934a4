"""Users with roles in Chromium, on a real receiver with a SQLite store: an admin, an editor and an auditor
each sign in with name, password and the TOTP code of the moment, and see exactly what their role may do.

The admin saves a setting; the editor opens the mapping editor and the tester, sees the settings read-only
and has a settings POST refused with 403; the auditor reads the dashboard and the logs, sees no edit
button, and gets 403 on the mapping editor. Screenshots per role go to `tests/artifacts/` (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect
from test_configuration_browser import browser as browser  # the module-scoped Chromium context
from test_configuration_browser import page as page  # a fresh 1280 px tab in it

from receiver.core.users import Setup, add_user

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "a long browser password"
READER_PAGES = ["Dashboard", "Delivery Overview", "Inbound log", "Outbound log", "Mappings", "Settings", "Audit trail"]
"""The bar of a role that may only read: every page but the tester and the users."""


def _sign_in(page: Page, receiver, setup: Setup, path: str) -> None:
    page.goto(receiver.base_url + path)
    expect(page.locator("#api_key")).to_have_count(0)
    page.fill("#name", setup.name)
    page.fill("#password", PASSWORD)
    page.fill("#code", pyotp.TOTP(setup.totp_secret).now())
    page.click("button[type=submit]")
    expect(page).to_have_url(receiver.base_url + path)
    expect(page.locator("#signed-in-as")).to_have_text(f"{setup.name} ({setup.role})")


def _post_from_page(page: Page, path: str) -> int:
    """A form POST the page's own script could make (same origin, the session's CSRF token): its status."""
    script = """async (path) => {
        const csrf = document.querySelector('input[name=csrf]').value;
        const answer = await fetch(path, {method: 'POST', body: new URLSearchParams({csrf}), redirect: 'manual'});
        return answer.status;
    }"""
    return int(page.evaluate(script, path))


def _nav(page: Page) -> list[str]:
    return page.locator("nav.nav a").all_inner_texts()


@pytest.mark.parametrize("receiver_backend", ["sqlite"], indirect=True)
def test_each_role_sees_exactly_what_it_may_do(page: Page, start_receiver) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    receiver = start_receiver()
    assert receiver.call(receiver.store.user_count()) == 0
    users = {
        role: receiver.call(add_user(receiver.store, f"{role}-1", role, PASSWORD))
        for role in ("admin", "editor", "auditor")
    }

    # The admin: every page in the bar, and a settings save that applies.
    _sign_in(page, receiver, users["admin"], "/settings")
    assert _nav(page) == [*READER_PAGES[:2], "Event tester", *READER_PAGES[2:], "Users"]
    page.fill("#outbound__user_id_attribute", "crm_id")
    page.locator("#customer-id-mapping button[type=submit]").click()
    expect(page.locator("#saved")).to_have_text("Settings saved.")
    expect(page.locator("#outbound__user_id_attribute")).to_have_value("crm_id")
    page.screenshot(path=str(ARTIFACTS / "roles-admin-settings.png"), full_page=True)
    page.click("nav.nav a:text('Users')")
    expect(page.locator("tr[data-user]")).to_have_count(3)
    page.click("nav.nav a:text('Audit trail')")
    expect(page.locator("main")).to_contain_text("settings.save")
    expect(page.locator("main")).to_contain_text("Signed in as admin-1")
    page.screenshot(path=str(ARTIFACTS / "roles-admin-audit.png"), full_page=True)
    page.locator("nav.nav button", has_text="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(receiver.base_url + "/login")))

    # The editor: the mapping editor and the tester, the settings read-only and a save refused.
    _sign_in(page, receiver, users["editor"], "/mappings")
    assert _nav(page) == [*READER_PAGES[:2], "Event tester", *READER_PAGES[2:]]
    expect(page.locator("#new-mapping")).to_be_visible()
    page.click("#new-mapping")
    expect(page).to_have_url(receiver.base_url + "/mappings/new")
    expect(page.locator("#mapping-form")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "roles-editor-mapping-editor.png"), full_page=True)
    page.goto(receiver.base_url + "/tester")
    expect(page.locator("form#tester")).to_be_visible()
    page.goto(receiver.base_url + "/settings")
    expect(page.locator("#settings-read-only")).to_contain_text("your role (editor) may not change the settings")
    expect(page.locator("#outbound__user_id_attribute")).to_be_disabled()
    expect(page.locator("#outbound__user_id_attribute")).to_have_value("crm_id")
    expect(page.locator(".settings-group button[type=submit]")).to_have_count(0)
    assert _post_from_page(page, "/settings/customer-id-mapping") == 403
    page.screenshot(path=str(ARTIFACTS / "roles-editor-settings.png"), full_page=True)
    page.locator("nav.nav button", has_text="Sign out").click()

    # The auditor: the dashboard and the logs, no tester in the bar, no edit button, 403 on the editor.
    _sign_in(page, receiver, users["auditor"], "/")
    assert _nav(page) == READER_PAGES
    page.screenshot(path=str(ARTIFACTS / "roles-auditor-dashboard.png"), full_page=True)
    page.goto(receiver.base_url + "/logs")
    expect(page.locator("h1")).to_be_visible()
    page.goto(receiver.base_url + "/mappings")
    expect(page.locator("#new-mapping")).to_have_count(0)
    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("form.toggle, form.remove")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "roles-auditor-mappings.png"), full_page=True)
    refused = page.goto(receiver.base_url + "/mappings/new")
    assert refused is not None and refused.status == 403
    expect(page.locator("main")).to_contain_text("Your role (auditor) may not change mappings.")
    page.screenshot(path=str(ARTIFACTS / "roles-auditor-refused.png"), full_page=True)
    tester = page.goto(receiver.base_url + "/tester")
    assert tester is not None and tester.status == 403
    users_page = page.goto(receiver.base_url + "/users")
    assert users_page is not None and users_page.status == 403
    page.goto(receiver.base_url + "/audit?actor=editor-1")
    expect(page.locator("main")).to_contain_text("Signed in as editor-1")
    expect(page.locator("main")).not_to_contain_text("admin-1")
