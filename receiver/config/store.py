"""Settings of the loyalty store: which backend (one URL) and its pool and retention limits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

STORE_SCHEMES = ("memory://", "sqlite:///", "postgresql://", "postgres://", "postgresql+asyncpg://")


class StoreConfig(BaseModel):
    """Where the receiver keeps its state: `memory://` (forgotten on restart), SQLite or PostgreSQL."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Loyalty store")

    url: str = Field(
        "memory://",
        description=(
            "`memory://` (the default: everything is forgotten when the receiver stops), "
            "`sqlite:///path/to/file.db` (durable, one machine) or `postgresql://user:pass@host/db` "
            "(several workers and machines). Set it with ANTAVO_STORE_URL or `serve --store`."
        ),
        title="Store URL",
    )
    pool_size: int = Field(5, ge=1, le=200, description="Database connections per worker process.")
    connect_timeout_seconds: float = Field(
        5.0, gt=0, description="How long to wait for a database connection before answering 503."
    )
    log_max_age_seconds: float | None = Field(
        None,
        gt=0,
        description=(
            "Deprecated: use `retention` (`default_days`, `sources`, `kinds`). When set, no log entry is kept "
            "longer than this, whatever `retention` allows."
        ),
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if not url.startswith(STORE_SCHEMES):
            raise ValueError("must start with memory://, sqlite:/// or postgresql://")
        if url.startswith("sqlite:///") and len(url) == len("sqlite:///"):
            raise ValueError("a SQLite store needs a file: sqlite:///path/to/file.db")
        return url

    @property
    def backend(self) -> str:
        """`memory`, `sqlite` or `postgresql`."""
        scheme = self.url.split(":", 1)[0].split("+", 1)[0]
        return "postgresql" if scheme.startswith("postgres") else scheme
