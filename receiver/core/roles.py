"""What each role may do: the one table every page route, JSON route and template asks.

Three roles, as Segment's workspace roles are cut: an **admin** may do everything (users, keys,
settings); an **editor** changes what data does (mappings, the tracking plan's replays, the tester)
but not the receiver's settings or its users; an **auditor** reads pages, logs and the audit trail
and changes nothing. Properties the tracking plan marks `pii` are shown only to an admin or to a
user granted PII access (`antavo-actions users set-pii`), as Segment's "PII Access" toggle.
The brand API key signs in as the bootstrap admin, so a receiver without users works as before.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["admin", "editor", "auditor"]
ROLES: tuple[Role, ...] = get_args(Role)

Permission = Literal[
    "view",
    "audit.read",
    "mappings.edit",
    "plan.replay",
    "tester.use",
    "settings.edit",
    "users.manage",
]
PERMISSIONS: tuple[Permission, ...] = get_args(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "admin": frozenset(PERMISSIONS),
    "editor": frozenset({"view", "audit.read", "mappings.edit", "plan.replay", "tester.use"}),
    "auditor": frozenset({"view", "audit.read"}),
}

DESCRIPTIONS: dict[Permission, str] = {
    "view": "read the pages and logs",
    "audit.read": "read the audit trail",
    "mappings.edit": "change mappings",
    "plan.replay": "replay or drop quarantined messages",
    "tester.use": "send test events",
    "settings.edit": "change the receiver's settings",
    "users.manage": "manage users",
}
"""How a refusal names what was asked: "Your role (auditor) may not change mappings."."""


def allows(role: str | None, permission: Permission) -> bool:
    """Whether `role` may do it; an unknown role may do nothing."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())  # type: ignore[call-overload]


def sees_pii(role: str | None, pii_access: bool) -> bool:
    """Whether a user sees `pii` properties unmasked: an admin always, anyone else when granted."""
    return role == "admin" or (role in ROLE_PERMISSIONS and pii_access)


def refusal(role: str | None, permission: Permission) -> str:
    return f"Your role ({role or 'none'}) may not {DESCRIPTIONS[permission]}."
