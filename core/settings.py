"""Configuration, read from the environment (and an optional `.env` file)."""

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEMO_JWT_SECRET = "caregraph-demo-secret-change-me-in-production"


def _seconds_or_iso8601(value: Any) -> Any:
    """Durations from the environment: plain seconds ("3600") or ISO 8601 ("PT1H")."""
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        return float(value)
    return value


def _comma_separated(value: Any) -> Any:
    """Lists from the environment: `a,b,c` (blank: none)."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


# A duration setting: seconds or ISO 8601 (`PT1H`, `P3D`). Plugins use it for their own.
Duration = Annotated[timedelta, BeforeValidator(_seconds_or_iso8601)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: an embedded PostgreSQL is started in `data_dir`.",
    )
    database_replica_urls: Annotated[list[str], NoDecode, BeforeValidator(_comma_separated)] = (
        Field(
            default_factory=list,
            validation_alias="DATABASE_REPLICA_URLS",
            description="PostgreSQL streaming replicas that answer queries, comma-separated "
            "(docs/deployment.md). Mutations and a caller's reads of their own writes go to "
            "the primary.",
        )
    )
    pool_size: int = Field(
        default=10,
        ge=1,
        validation_alias="CAREGRAPH_POOL_SIZE",
        description="Connections each server process keeps in each of its pools (writes, "
        "reads, each replica), plus 5 more under load; size PostgreSQL's max_connections "
        "for every process (docs/deployment.md).",
    )
    replica_max_lag: Duration = Field(
        default=timedelta(seconds=5),
        validation_alias="CAREGRAPH_REPLICA_MAX_LAG",
        description="A replica further behind the primary than this is taken out of rotation "
        "until it catches up.",
    )
    replica_check_interval: Duration = Field(
        default=timedelta(seconds=0.5),
        validation_alias="CAREGRAPH_REPLICA_CHECK_INTERVAL",
        description="How often each server process measures its replicas' lag.",
    )
    database_listen_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_LISTEN_URL",
        description="A direct PostgreSQL URL for LISTEN (policy changes, subscriptions) when "
        "DATABASE_URL goes through PgBouncer in transaction mode; unset: DATABASE_URL.",
    )
    pgbouncer: bool = Field(
        default=False,
        validation_alias="CAREGRAPH_PGBOUNCER",
        description="DATABASE_URL is a PgBouncer in transaction mode: no server-side prepared "
        "statements and no settings sent at connection start (docs/deployment.md).",
    )
    data_dir: Path = Field(
        default=Path(".caregraph"),
        validation_alias="CAREGRAPH_DATA_DIR",
        description="Where the embedded PostgreSQL keeps its files.",
    )
    jwt_secret: str = Field(
        default=DEMO_JWT_SECRET,
        validation_alias="CAREGRAPH_JWT_SECRET",
    )
    jwt_public_key_file: Path | None = Field(
        default=None,
        validation_alias="CAREGRAPH_JWT_PUBLIC_KEY_FILE",
        description="PEM public key verifying RS256/ES256 tokens (production).",
    )
    jwks_file: Path | None = Field(
        default=None,
        validation_alias="CAREGRAPH_JWKS_FILE",
        description="JWKS file verifying RS256/ES256 tokens by key id (production).",
    )
    production: bool = Field(
        default=False,
        validation_alias="CAREGRAPH_PRODUCTION",
        description="Production mode: introspection for platform administrators only, no "
        "GraphiQL page, and only registered documents from callers the policy requires them of.",
    )
    # Limits on one request (docs/operations.md). Each refusal names the limit and by how much.
    max_page_size: int = Field(
        default=100,
        validation_alias="CAREGRAPH_MAX_PAGE_SIZE",
        description="The largest `first`/`last` a connection accepts; every connection needs one.",
    )
    max_nodes: int = Field(
        default=50_000,
        validation_alias="CAREGRAPH_MAX_NODES",
        description="The most objects a response may hold, computed before running from the "
        "page sizes multiplied down the nesting.",
    )
    list_estimate: int = Field(
        default=10,
        validation_alias="CAREGRAPH_LIST_ESTIMATE",
        description="How many objects a plain list field (a child's guardianships) counts for.",
    )
    max_depth: int = Field(default=15, validation_alias="CAREGRAPH_MAX_DEPTH")
    max_aliases: int = Field(default=30, validation_alias="CAREGRAPH_MAX_ALIASES")
    max_tokens: int = Field(default=5_000, validation_alias="CAREGRAPH_MAX_TOKENS")
    max_body_bytes: int = Field(default=100_000, validation_alias="CAREGRAPH_MAX_BODY_BYTES")
    request_timeout: Duration = Field(
        default=timedelta(seconds=15),
        validation_alias="CAREGRAPH_REQUEST_TIMEOUT",
        description="How long one request may run; its database statements are cancelled too.",
    )
    compiled_execution: bool = Field(
        default=True,
        validation_alias="CAREGRAPH_COMPILED_EXECUTION",
        description="Answer queries on the fast path when it answers as graphql-core would "
        "(docs/performance.md); false: graphql-core executes every query.",
    )
    rate_limit_points: int = Field(
        default=5_000,
        validation_alias="CAREGRAPH_RATE_LIMIT_POINTS",
        description="Cost points each user or API key may spend per window (0: no limit).",
    )
    rate_limit_window: Duration = Field(
        default=timedelta(hours=1), validation_alias="CAREGRAPH_RATE_LIMIT_WINDOW"
    )
    mutation_points: int = Field(
        default=5,
        validation_alias="CAREGRAPH_MUTATION_POINTS",
        description="Points each mutation field costs on top of what its answer selects.",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias="CAREGRAPH_REDIS_URL",
        description="Keep rate-limit counters in this Redis (redis://…); unset: in PostgreSQL.",
    )
    idempotency_retention: Duration = Field(
        default=timedelta(hours=24),
        validation_alias="CAREGRAPH_IDEMPOTENCY_RETENTION",
        description="How long a mutation's Idempotency-Key and its answer are kept for retries.",
    )
    sweep_interval: Duration = Field(
        default=timedelta(seconds=60),
        validation_alias="CAREGRAPH_SWEEP_INTERVAL",
        description="How often a server looks for overdue items and runs the alert rules "
        "(seconds, or ISO 8601 like PT1M). Zero: never; run `caregraph alerts sweep` instead.",
    )
    alert_repeat_after: Duration = Field(
        default=timedelta(days=7),
        validation_alias="CAREGRAPH_ALERT_REPEAT_AFTER",
        description="A rule that still finds the same thing raises it again only after this "
        "long since its last alert, even once that alert is acknowledged.",
    )
    no_guardian_grace: Duration = Field(
        default=timedelta(days=1),
        validation_alias="CAREGRAPH_NO_GUARDIAN_GRACE",
        description="How long a newly registered child may have no guardian living with them "
        "on record (time to link the guardians) before the rule raises an alert.",
    )
    federation: bool = Field(
        default=False,
        validation_alias="CAREGRAPH_FEDERATION",
        description="Serve as an Apollo Federation 2 subgraph: Child, Guardian, Case and "
        "Organization are entities keyed by id (docs/federation.md).",
    )
    lead_department: str = Field(
        default="civil_affairs",
        validation_alias="CAREGRAPH_LEAD_DEPARTMENT",
        description="The department that leads the work (民政) and receives the alerts about "
        "children that no other department owns.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
