"""The pages of the top bar, in order: the one list the bar and `serve`'s banner both print."""

from __future__ import annotations

from dataclasses import dataclass

from receiver.pages.views import LOGS_PATH, OUTBOUND_LOGS_PATH

DASHBOARD_PATH = "/"
TESTER_PATH = "/tester"
MAPPINGS_PATH = "/mappings"
SETTINGS_PATH = "/settings"
OVERVIEW_PATH = "/overview"
AUDIT_PATH = "/audit"


@dataclass(frozen=True)
class Page:
    """One signed-in page: `key` marks it current in the bar, `label` names it, `path` is where it is."""

    key: str
    label: str
    path: str


PAGES: tuple[Page, ...] = (
    Page("dashboard", "Dashboard", DASHBOARD_PATH),
    Page("overview", "Delivery Overview", OVERVIEW_PATH),
    Page("tester", "Event tester", TESTER_PATH),
    Page("logs", "Inbound log", LOGS_PATH),
    Page("outbound", "Outbound log", OUTBOUND_LOGS_PATH),
    Page("mappings", "Mappings", MAPPINGS_PATH),
    Page("settings", "Settings", SETTINGS_PATH),
    Page("audit", "Audit trail", AUDIT_PATH),
)
