"""What `serve` prints once it listens: where everything is and what is switched off, and why.

The pages come from the top bar's own list (`receiver.pages.nav.PAGES`), so the banner names
every page the bar links, and each line that needs the API key says so.
"""

from __future__ import annotations

from pathlib import Path

import typer

from destination.definition.project import find_project, project_path
from receiver.config import ReceiverConfig, default_config_path, env_name
from receiver.pages.nav import PAGES

LABEL_WIDTH = 21


def line(label: str, text: str) -> None:
    """One `  Label:   text` line, the labels in one column."""
    typer.echo(f"  {label + ':':<{LABEL_WIDTH}}{text}")


def print_banner(
    settings: ReceiverConfig,
    *,
    store_name: str,
    base: str,
    webhook: str,
    config: Path | None,
    warned: int,
    workers: int,
) -> None:
    typer.echo(f"Antavo receiver (stack {settings.stack!r}, store {store_name!r}) on {base}")
    line("Settings", str(config or default_config_path() or "defaults (no receiver.yaml)"))
    root = find_project()
    line("Project files", f"{root.path}  ({root.how})")
    line("Mappings", str(settings.mappings_dir or project_path("mappings")))
    if warned:
        line("Mapping warnings", f"{warned} (listed above; they never stop the receiver, --strict does)")
    if settings.multi_accounts:
        line("Multi-accounts", f"on: every request names one of {', '.join(settings.accounts)}")
    else:
        line("Multi-accounts", f"off: every request goes to account {settings.default_account!r}")
    line("API docs", f"{base}/docs")
    line("Segment webhook URL", webhook)
    if settings.has_write_key:
        line("Tracking API (host)", f"{base}  (POST /v1/track, /v1/identify, /v1/batch)")
    else:
        line("Tracking API", f"off until a write key is set ({env_name('write_key')} or --write-key)")
    typer.echo("  Pages (sign in once with the API key):")
    for page in PAGES:
        line(f"  {page.label}", f"{base}{page.path}")
    if settings.metrics:
        line("Prometheus metrics", f"{base}/metrics  (Bearer API key)")
    else:
        line("Prometheus metrics", f"off until metrics is on ({env_name('metrics')}=true)")
    if settings.outbound.enabled:
        line("Outbound sync", f"to {settings.outbound.endpoint}")
    else:
        line(
            "Outbound sync", f"off until a Segment write key is set (Settings page or {env_name('outbound_write_key')})"
        )
    _describe_store(settings, workers)
    typer.echo("Press Ctrl-C to stop.")


def _describe_store(settings: ReceiverConfig, workers: int) -> None:
    if settings.store.backend == "memory":
        line(
            "Store",
            "memory — a restart forgets every customer, balance, log entry and mapping saved on the "
            f"Mappings page (keep them with --store sqlite:///receiver.db or {env_name('store_url')})",
        )
        return
    from receiver.store.sql.migrate import redact_url

    line("Store", f"{settings.store.backend} ({redact_url(settings.store.url)}), {workers} worker(s)")
