"""The receiver's settings: one pydantic model, read from YAML, then the environment, then options.

Precedence, lowest first: the model's defaults, `receiver.yaml`, `ANTAVO_*` environment
variables, and explicit overrides (the `serve` command's options). The API key and the
ingest's write key are `SecretStr`s: they never show in a repr, a log line, an error or an
endpoint. Keep them out of the YAML file; set `ANTAVO_API_KEY` / `ANTAVO_WRITE_KEY` instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from destination.definition.project import project_path
from receiver.config.limits import LimitsConfig
from receiver.config.outbound import OutboundConfig
from receiver.config.retention import RetentionConfig
from receiver.config.source import SettingProblem, SettingsFileError, locate, read_settings_file
from receiver.config.store import StoreConfig

ENV_PREFIX = "ANTAVO_"
CONFIG_FILE = "receiver.yaml"
SCHEMA_FILE = "receiver.schema.json"
RECEIVER_COMMENT = "Generated from receiver.config.ReceiverConfig by `antavo-actions schemas`. Do not edit."
MIN_KEY_LENGTH = 16
"""Shorter keys are refused at start: a short key falls to guessing whatever the rate limits."""


class ConfigError(Exception):
    """Settings that cannot be used; the message says which one and why."""


class ReceiverConfig(BaseModel):
    """Settings of the reference Antavo receiver (the brand's side of the Segment webhook)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Antavo receiver settings")

    stack: str = Field(
        "dev",
        min_length=1,
        description="The Antavo Loyalty Engine stack this receiver plays (shown by /healthz and `serve`).",
    )
    api_key: SecretStr | None = Field(
        None,
        description=(
            "The brand API key every webhook body must carry and every inspection call must present as a "
            "Bearer token. Set it with ANTAVO_API_KEY rather than in a file."
        ),
        title="API key",
        json_schema_extra={"writeOnly": True},
    )
    multi_accounts: bool = Field(
        False,
        description="The Multi Accounts extension: every request must name one of `accounts`.",
    )
    accounts: list[str] = Field(
        default_factory=list,
        description="The brand's account IDs (used when `multi_accounts` is on).",
    )
    default_account: str = Field(
        "default",
        min_length=1,
        description="The account every request goes to when `multi_accounts` is off.",
    )
    earn_rate: float = Field(
        1.0,
        ge=0,
        allow_inf_nan=False,
        description="Points earned per unit of a checkout's total (points = floor(total x earn_rate)).",
    )
    max_body_bytes: int = Field(
        32 * 1024,
        ge=256,
        description="Largest accepted webhook body in bytes (Segment's per-event limit is 32 KB).",
    )
    idempotency_ttl_seconds: float = Field(
        24 * 3600,
        title="Idempotency TTL (seconds)",
        gt=0,
        description="How long an Idempotency-Key is remembered.",
    )
    log_size: int = Field(
        10000,
        ge=1,
        description="How many entries each log (inbound, outbound) keeps (oldest dropped first).",
    )
    store: StoreConfig = Field(
        default_factory=StoreConfig,
        description=(
            "The loyalty store: where customers, balances, events, keys, logs, sessions and the outbound queue "
            "are kept. Each setting can be overridden by ANTAVO_STORE_<SETTING> (e.g. ANTAVO_STORE_URL)."
        ),
    )
    write_key: SecretStr | None = Field(
        None,
        description=(
            "The write key of the Segment-compatible Tracking API ingest (/v1/track, /v1/identify, /v1/batch), "
            "sent as the HTTP Basic user name or the body's `writeKey`. Without one the ingest refuses every "
            "call. Set it with ANTAVO_WRITE_KEY rather than in a file."
        ),
        title="Write key",
        json_schema_extra={"writeOnly": True},
    )
    dedup_window_seconds: float = Field(
        24 * 3600,
        gt=0,
        title="Deduplication window (seconds)",
        description="How long the ingest remembers a messageId: a message seen again within it is dropped.",
    )
    dedup_max_messages: int = Field(
        100_000,
        ge=1,
        description="The most messageIds the ingest remembers; past it the oldest are forgotten first.",
    )
    mappings_dir: Path | None = Field(
        None,
        description="The folder of mapping files the ingest runs (its enabled ones); default: the project's mappings/.",
    )
    tracking_plan: str | None = Field(
        None,
        description=(
            "The tracking plan every Tracking-API message is checked against, by its events' policies (allow, "
            "omit, block): a file path, or `none` to check nothing. Default: the project's tracking_plan.yaml "
            "when there is one. The file is read again when it changes."
        ),
    )
    metrics: bool = Field(
        False,
        description=(
            "Serve GET /metrics in Prometheus' text format, to scrapers presenting the API key as a Bearer token. "
            "Off by default (the route answers 404)."
        ),
    )
    queue_sample_seconds: float = Field(
        10.0,
        ge=0.05,
        le=3600,
        allow_inf_nan=False,
        description=(
            "How often the outbound queue depth is sampled for the dashboard's chart (each process keeps "
            "a per-minute history of the last 24 hours in memory)."
        ),
    )
    outbound: OutboundConfig = Field(
        default_factory=OutboundConfig,
        description=(
            "Outbound sync: the receiver as Antavo's Segment source, sending selected loyalty events (`track`) "
            "and profile changes (`identify`) to a Segment source. Off until `write_key` is set. Each setting "
            "can be overridden by ANTAVO_OUTBOUND_<SETTING> (e.g. ANTAVO_OUTBOUND_WRITE_KEY)."
        ),
    )

    retention: RetentionConfig = Field(
        default_factory=RetentionConfig,
        description=(
            "How long log entries are kept (a default, per source and per kind), how long they keep their "
            "request and response bodies, and how long the audit trail is kept (longest). Applied alike on "
            "every store by its retention sweep."
        ),
    )
    limits: LimitsConfig = Field(
        default_factory=LimitsConfig,
        description=(
            "Memory, time, connection and abuse limits. Each setting can be overridden by "
            "ANTAVO_LIMITS_<SETTING> (e.g. ANTAVO_LIMITS_MAX_POINTS)."
        ),
    )

    @field_validator("api_key", "write_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and 0 < len(value.get_secret_value()) < MIN_KEY_LENGTH:
            raise ValueError(
                f"must be at least {MIN_KEY_LENGTH} characters long "
                "(`antavo-actions serve --generate-key` prints a fresh one)"
            )
        return value

    @model_validator(mode="after")
    def _accounts_make_sense(self) -> ReceiverConfig:
        if self.multi_accounts and not self.accounts:
            raise ValueError("multi_accounts is on but `accounts` lists no account")
        if len(set(self.accounts)) != len(self.accounts):
            raise ValueError("`accounts` lists an account twice")
        if any(not account for account in self.accounts):
            raise ValueError("`accounts` holds an empty account ID")
        return self

    @property
    def has_api_key(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value())

    def api_key_bytes(self) -> bytes:
        """The key for constant-time comparison; empty when none is configured."""
        return self.api_key.get_secret_value().encode() if self.api_key is not None else b""

    @property
    def has_write_key(self) -> bool:
        return self.write_key is not None and bool(self.write_key.get_secret_value())

    def write_key_bytes(self) -> bytes:
        """The write key for constant-time comparison; empty when none is configured."""
        return self.write_key.get_secret_value().encode() if self.write_key is not None else b""


def env_name(field: str) -> str:
    """`ANTAVO_<FIELD>`: `api_key` → `ANTAVO_API_KEY`."""
    return ENV_PREFIX + field.upper()


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings given as `ANTAVO_*` variables; list settings are comma-separated.

    A section's settings are `ANTAVO_<SECTION>_<SETTING>` (`ANTAVO_OUTBOUND_WRITE_KEY`).
    """
    environ = os.environ if environ is None else environ
    return _from_env(ReceiverConfig, ENV_PREFIX, environ)


def _from_env(model: type[BaseModel], prefix: str, environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            section = _from_env(info.annotation, f"{prefix}{field.upper()}_", environ)
            if section:
                found[field] = section
            continue
        raw = environ.get(prefix + field.upper())
        if raw is None:
            continue
        if info.annotation == list[str]:
            found[field] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            found[field] = raw
    return found


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        return read_settings_file(path)
    except SettingsFileError as exc:
        raise ConfigError(str(exc)) from None


def default_config_path() -> Path | None:
    """`./receiver.yaml` if present, else the project's own `receiver.yaml`, else none."""
    for candidate in (Path.cwd() / CONFIG_FILE, project_path(CONFIG_FILE)):
        if candidate.is_file():
            return candidate
    return None


def load_config(
    path: Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    use_default_file: bool = True,
) -> ReceiverConfig:
    """Defaults < YAML file < environment < overrides (None values in overrides are ignored)."""
    if path is None and use_default_file:
        path = default_config_path()
    merged: dict[str, Any] = read_yaml(path) if path is not None else {}
    explicit = {key: value for key, value in (overrides or {}).items() if value is not None}
    for layer in (env_overrides(environ), explicit):
        for key, value in layer.items():
            below = merged.get(key)
            merged[key] = {**below, **value} if isinstance(below, dict) and isinstance(value, dict) else value
    try:
        return ReceiverConfig.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None


def _describe(exc: ValidationError, path: Path | None) -> str:
    """One line per problem, naming the setting (and its line in the file) and never echoing its value."""
    where = f" (from {path}, ANTAVO_* variables or options)" if path else ""
    problems = [(err["loc"], err["msg"]) for err in exc.errors(include_input=False, include_url=False)]
    if path is not None:
        return "\n".join([f"invalid receiver settings{where}:", *(p.text() for p in locate(path, problems))])
    lines = [f"invalid receiver settings{where}:"]
    lines += [f"  {'.'.join(str(part) for part in loc) or 'settings'}: {msg}" for loc, msg in problems]
    return "\n".join(lines)


def file_problems(path: Path) -> list[SettingProblem]:
    """What is wrong with a settings file on its own (no environment, no options), for `validate`."""
    try:
        ReceiverConfig.model_validate(read_settings_file(path))
    except SettingsFileError as exc:
        return [exc.problem]
    except ValidationError as exc:
        found = [(err["loc"], err["msg"]) for err in exc.errors(include_input=False, include_url=False)]
        return locate(path, found, all_from_file=True)
    return []


def config_schema() -> dict[str, Any]:
    """The JSON Schema of `receiver.yaml`, for editors and `antavo-actions schemas` (which adds its `$comment`)."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **ReceiverConfig.model_json_schema()}


def write_config_schema(path: Path | None = None) -> Path:
    """Write `schemas/receiver.schema.json` (or `path`) exactly as `antavo-actions schemas` does."""
    from destination.definition.payload_schemas import render_schema

    target = path or project_path("schemas", SCHEMA_FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_schema({"$comment": RECEIVER_COMMENT, **config_schema()}), encoding="utf-8")
    return target
