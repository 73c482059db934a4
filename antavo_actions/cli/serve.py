"""`antavo-actions serve`: run the reference receiver under uvicorn.

Settings come from `receiver.yaml`, then `ANTAVO_*` variables, then these options. The API
key and the Tracking API's write key are best given as `ANTAVO_API_KEY` / `ANTAVO_WRITE_KEY`
(an option shows in the process list); neither is ever printed. Ctrl-C stops the server cleanly.
"""

from __future__ import annotations

import asyncio
import errno
import os
import secrets
import socket
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from antavo_actions.cli.banner import print_banner
from destination.definition.model import Definition, load_definition
from destination.lint.checks import Problem
from receiver.config import ConfigError, ReceiverConfig, env_name, load_config
from receiver.web.server import make_server, server_config

EXIT_USAGE = 2
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def webhook_url(host: str, port: int, path: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


def serve(
    host: Annotated[str, typer.Option(metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, metavar="PORT", help="Port to listen on.")] = 8080,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", metavar="FILE", help="Settings file (default: ./receiver.yaml, else the project's)."
        ),
    ] = None,
    log_level: Annotated[
        str, typer.Option(metavar="LEVEL", help=f"uvicorn log level: {', '.join(LOG_LEVELS)}.")
    ] = "info",
    api_key: Annotated[
        str | None,
        typer.Option(
            metavar="KEY",
            help=f"Brand API key; prefer the {env_name('api_key')} environment variable.",
            show_default=False,
        ),
    ] = None,
    stack: Annotated[str | None, typer.Option(metavar="NAME", help="Antavo stack name to report.")] = None,
    multi_accounts: Annotated[
        bool | None,
        typer.Option("--multi-accounts/--single-account", help="Multi Accounts extension on or off."),
    ] = None,
    account: Annotated[
        list[str] | None,
        typer.Option("--account", metavar="ID", help="A brand account ID (repeat for several)."),
    ] = None,
    default_account: Annotated[
        str | None, typer.Option(metavar="ID", help="Account used when Multi Accounts is off.")
    ] = None,
    earn_rate: Annotated[
        float | None, typer.Option(metavar="RATE", help="Points per unit of a checkout's total.")
    ] = None,
    max_body_bytes: Annotated[
        int | None, typer.Option(metavar="BYTES", help="Largest accepted webhook body in bytes.")
    ] = None,
    write_key: Annotated[
        str | None,
        typer.Option(
            metavar="KEY",
            help=f"Write key of the Tracking API ingest; prefer the {env_name('write_key')} environment variable.",
            show_default=False,
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help=f"Store URL: memory:// (default), sqlite:///file.db or postgresql://…; or {env_name('store_url')}.",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, metavar="N", help="Worker processes (several need a sqlite or postgresql store)."),
    ] = 1,
    generate_key: Annotated[
        bool,
        typer.Option(
            "--generate-key", help="Print a freshly generated random key (for the API or write key) and exit."
        ),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Refuse to start on mapping warnings too, as `validate --strict` does.")
    ] = False,
) -> None:
    """Run the reference Antavo receiver: the webhook, the Tracking API, the pages and the loyalty store."""
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
        "store": {"url": store} if store else None,
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
    # Imported here: the web stack takes most of a second to import, which every other command would pay.

    from receiver.app import create_app
    from receiver.core.contract import ContractError
    from receiver.ingest.plan_gate import PlanSetupError
    from receiver.ingest.service import IngestSetupError

    if workers > 1 and settings.store.backend == "memory":
        _fail("several workers need a shared store: pass --store sqlite:///file.db or --store postgresql://…")
    definition = load_definition()
    warned = _mapping_warnings(settings, definition, strict)
    try:
        app = create_app(settings, definition=definition)
    except (ContractError, IngestSetupError, PlanSetupError, ValueError) as exc:
        _fail(str(exc))
    _check_store(settings)
    path = definition.request["path"]
    sock = listen(host, port)
    port = sock.getsockname()[1]
    base = webhook_url(host, port, "")
    print_banner(
        settings,
        store_name=app.state.store.name,
        base=base,
        webhook=webhook_url(host, port, path),
        config=config,
        warned=warned,
        workers=workers,
    )
    try:
        if workers > 1:
            # Each worker builds its own app from the same settings, passed on in the environment,
            # and serves the socket bound above, with the same connection limits (see receiver.web.server).
            from uvicorn.supervisors import Multiprocess

            os.environ.update(_worker_environment(settings, config))
            factory = "receiver.app:create_app_from_env"
            options = {"host": host, "port": port, "workers": workers, "log_level": log_level.lower()}
            options["freeze_heap"] = True  # each worker freezes what it built (see receiver.web.server.GuardedConfig)
            Multiprocess(server_config(factory, settings, factory=True, **options), sockets=[sock]).run()
        else:
            server = make_server(app, settings, host=host, port=port, log_level=log_level.lower(), freeze_heap=True)
            server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    typer.echo("Receiver stopped.")


def _mapping_warnings(settings: ReceiverConfig, definition: Definition, strict: bool) -> int:
    """Show the mappings' warnings on stderr as `validate` prints them (errors are left to the ingest's load,
    which names them); with `strict` a warning stops the start. The number of warnings."""
    from destination.lint.loading import ProjectFilesError, checked_mapping_files, checked_mappings

    warnings: list[Problem] = []
    try:
        checked_mappings(definition, checked_mapping_files(settings.mappings_dir), warnings=warnings)
    except ProjectFilesError:
        return 0
    for warning in warnings:
        typer.echo(warning.text(), err=True)
    if strict and warnings:
        _fail(f"{len(warnings)} mapping warning(s) above, and --strict stops on warnings")
    return len(warnings)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed, so a busy port is one clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        if exc.errno == errno.EADDRINUSE:
            reason = "another program is listening on it"
        _fail(f"cannot listen on {webhook_url(host, port, '')}: {reason}. Choose another port with --port (or --host).")
    return sock


def _check_store(settings: ReceiverConfig) -> None:
    """Refuse to start on a database that is unreachable or whose schema is behind (naming the command)."""
    if settings.store.backend == "memory":
        return
    from receiver.app import store_from_config
    from receiver.store.contract import StoreUnavailable
    from receiver.store.sql.migrate import SchemaBehind, redact_url

    async def check() -> None:
        probe = store_from_config(settings)
        try:
            await probe.open()
        finally:
            await probe.close()

    try:
        asyncio.run(check())
    except SchemaBehind as exc:
        _fail(str(exc))
    except StoreUnavailable as exc:
        _fail(f"cannot reach the store database {redact_url(settings.store.url)}: {exc.detail}")


def _worker_environment(settings: ReceiverConfig, config: Path | None) -> dict[str, str]:
    """The settings as `ANTAVO_*` variables (they rank above the file, so every worker gets the same)."""
    from receiver.app import CONFIG_FILE_ENV

    found: dict[str, str] = {}
    if config is not None:
        found[CONFIG_FILE_ENV] = str(config.resolve())
    dumped: dict[str, Any] = settings.model_dump(mode="python", exclude={"outbound", "store", "mappings_dir"})
    for name, value in dumped.items():
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        if isinstance(value, list):
            found[env_name(name)] = ",".join(value)
        else:
            found[env_name(name)] = str(value).lower() if isinstance(value, bool) else str(value)
    found[env_name("store_url")] = settings.store.url
    if settings.mappings_dir is not None:
        found[env_name("mappings_dir")] = str(settings.mappings_dir)
    return found


def _fail(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=EXIT_USAGE)
