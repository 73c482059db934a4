"""`/docs` in Chromium with every request off the loopback refused: Swagger UI comes from the package."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")


def test_docs_render_every_operation_with_the_network_off(receiver_server, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    outside: list[str] = []
    violations: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            context.route("**/*", only_loopback)
            page = context.new_page()
            page.on(
                "console",
                lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
            )
            response = page.goto(f"{receiver_server.base_url}/docs")
            assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
            operations = page.locator(".opblock-summary-path")
            expect(operations.first).to_be_visible(timeout=30_000)
            paths = set(operations.all_inner_texts())
        finally:
            context.close()
    assert outside == []
    assert violations == []
    assert {"/v1/webhook/segment", "/v1/track", "/v1/identify", "/v1/batch", "/v1/logs", "/healthz"} <= {
        path.replace("\u200b", "") for path in paths
    }
