"""`antavo-actions serve`: run the reference receiver under uvicorn.

Settings come from `receiver.yaml`, then `ANTAVO_*` variables, then these options. The API
key and the Tracking API's write key are best given as `ANTAVO_API_KEY` / `ANTAVO_WRITE_KEY`
(an option shows in the process list); neither is ever printed. Ctrl-C stops the server cleanly.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from destination.definition.model import load_definition
from receiver.app import create_app
from receiver.config import ConfigError, env_name, load_config
from receiver.core.contract import ContractError
from receiver.ingest.service import IngestSetupError
from receiver.server import make_server

EXIT_USAGE = 2
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def webhook_url(host: str, port: int, path: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Settings file (default: ./receiver.yaml, else the project's)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help=f"uvicorn log level: {', '.join(LOG_LEVELS)}.")] = "info",
    api_key: Annotated[
        str | None,
        typer.Option(help=f"Brand API key; prefer the {env_name('api_key')} environment variable.", show_default=False),
    ] = None,
    stack: Annotated[str | None, typer.Option(help="Antavo stack name to report.")] = None,
    multi_accounts: Annotated[
        bool | None,
        typer.Option("--multi-accounts/--single-account", help="Multi Accounts extension on or off."),
    ] = None,
    account: Annotated[
        list[str] | None,
        typer.Option("--account", help="A brand account ID (repeat for several)."),
    ] = None,
    default_account: Annotated[str | None, typer.Option(help="Account used when Multi Accounts is off.")] = None,
    earn_rate: Annotated[float | None, typer.Option(help="Points per unit of a checkout's total.")] = None,
    max_body_bytes: Annotated[int | None, typer.Option(help="Largest accepted webhook body in bytes.")] = None,
    write_key: Annotated[
        str | None,
        typer.Option(
            help=f"Write key of the Tracking API ingest; prefer the {env_name('write_key')} environment variable.",
            show_default=False,
        ),
    ] = None,
    generate_key: Annotated[
        bool,
        typer.Option(
            "--generate-key", help="Print a freshly generated random key (for the API or write key) and exit."
        ),
    ] = False,
) -> None:
    """Run the reference Antavo receiver (Segment webhook + in-memory loyalty store)."""
    if generate_key:
        typer.echo(secrets.token_urlsafe(24))
        return
    if log_level.lower() not in LOG_LEVELS:
        _fail(f"unknown log level {log_level!r}; use one of: {', '.join(LOG_LEVELS)}")
    overrides = {
        "api_key": api_key,
        "stack": stack,
        "multi_accounts": multi_accounts,
        "accounts": account or None,
        "default_account": default_account,
        "earn_rate": earn_rate,
        "max_body_bytes": max_body_bytes,
        "write_key": write_key,
    }
    try:
        settings = load_config(config, overrides=overrides)
    except ConfigError as exc:
        _fail(str(exc))
    if not settings.has_api_key:
        _fail(
            "no API key configured: set the "
            f"{env_name('api_key')} environment variable (or pass --api-key) and run again."
        )
    try:
        app = create_app(settings)
    except (ContractError, IngestSetupError) as exc:
        _fail(str(exc))
    path = load_definition().request["path"]
    base = webhook_url(host, port, "")
    typer.echo(f"Antavo receiver (stack {settings.stack!r}, store {settings.store!r}) on {base}")
    typer.echo(f"  API docs:            {base}/docs")
    typer.echo(f"  Segment webhook URL: {webhook_url(host, port, path)}")
    if settings.has_write_key:
        typer.echo(f"  Tracking API (host): {base}  (POST /v1/track, /v1/identify, /v1/batch)")
    else:
        typer.echo(f"  Tracking API:        off until a write key is set ({env_name('write_key')} or --write-key)")
    typer.echo(f"  Inbound log page:    {base}/logs  (sign in with the API key)")
    if settings.outbound.enabled:
        typer.echo(f"  Outbound sync:       to {settings.outbound.endpoint}")
    else:
        typer.echo("  Outbound sync:       off until a Segment write key is set (ANTAVO_OUTBOUND_WRITE_KEY)")
    typer.echo("Press Ctrl-C to stop.")
    server = make_server(app, settings, host=host, port=port, log_level=log_level.lower())
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    typer.echo("Receiver stopped.")


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=EXIT_USAGE)
