"""The pages of the top bar, in order: the one list the bar and `serve`'s banner both print."""

from __future__ import annotations

from dataclasses import dataclass

from receiver.core.roles import Permission
from receiver.pages.views import LOGS_PATH, OUTBOUND_LOGS_PATH

DASHBOARD_PATH = "/"
TESTER_PATH = "/tester"
MAPPINGS_PATH = "/mappings"
SETTINGS_PATH = "/settings"
USERS_PATH = "/users"
OVERVIEW_PATH = "/overview"
AUDIT_PATH = "/audit"


@dataclass(frozen=True)
class Page:
    """One signed-in page: `key` marks it current in the bar, `label` names it, `path` is where it is,
    `needs` is the permission its route asks (the bar shows it only to a role that has it)."""

    key: str
    label: str
    path: str
    needs: Permission = "view"


PAGES: tuple[Page, ...] = (
    Page("dashboard", "Dashboard", DASHBOARD_PATH),
    Page("overview", "Delivery Overview", OVERVIEW_PATH),
    Page("tester", "Event tester", TESTER_PATH, "tester.use"),
    Page("logs", "Inbound log", LOGS_PATH),
    Page("outbound", "Outbound log", OUTBOUND_LOGS_PATH),
    Page("mappings", "Mappings", MAPPINGS_PATH),
    Page("settings", "Settings", SETTINGS_PATH),
    Page("audit", "Audit trail", AUDIT_PATH, "audit.read"),
    Page("users", "Users", USERS_PATH, "users.manage"),
)
