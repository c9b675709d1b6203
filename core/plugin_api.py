"""The public plugin API: the one module a department plugin imports from the core.

A plugin is a Python package whose module defines `plugin = Plugin(...)`. It is found in-tree
under `plugins/<name>/` or through the entry-point group `caregraph.plugins`, and enabled by
`CAREGRAPH_PLUGINS`. Everything it contributes is declared in that one `Plugin` value:

- `tables`: its SQLAlchemy models, declared on `Base` (they may reference core tables);
- `migrations`: its Alembic versions folder, with its own version table;
- `query`, `mutation`, `subscription`: Strawberry types whose fields join the root types;
- `types`: further Strawberry types the schema must know;
- `type_fields`: fields added to core types, e.g. `{"Child": ChildEducationFields}`;
- `policy`: a CSV file of Casbin policy lines, and `roles` it defines;
- `demo_data`: an async function that loads believable demo records;
- `event_handlers`: async functions called, inside the writer's transaction, on core events
  (`child.registered`, `case.opened`, …) and on events of other plugins;
- `row_scopes`: named row scopes, `caller -> SQL condition on children`, that policy lines
  `p, <subject>, scope:<name>, row` give to roles (e.g. education's `school`);
- `write_targets`: `{mutation name: type name}`, so each input field the mutation sets is
  checked against `write` on `Type.field`;
- `sensitive_fields`: `Type.field` names whose every read is written to the audit trail;
- `alert_rules`: `{name: rule}`, rules the periodic sweep runs to raise alerts on their own
  (see `core.workflow.alerts`).

The protection workflow is open to plugins through `steps` (the case's state machine),
`deadlines`, `alerts` and `notify`/`deliveries` (live updates to subscribers).

The core itself is registered through this same API (see `core.builtin`).
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core import enums, events, models
from core.errors import (
    CareGraphError,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from core.events import DomainEvent, publish
from core.graphql.batching import batched
from core.graphql.context import Info, RequestContext
from core.graphql.filters import region_condition
from core.graphql.global_ids import decode_global_id, encode_global_id, not_found
from core.graphql.loaders import batch_many_per_key, batch_one_per_key
from core.graphql.pagination import (
    After,
    Before,
    CountedConnection,
    First,
    Last,
    PageArguments,
    SortKey,
    fetch_page,
)
from core.graphql.subscriptions import ReplaySince, deliveries
from core.graphql.types import (
    Case,
    CaseEvent,
    Child,
    Guardian,
    Guardianship,
    Organization,
    RecordNode,
    Region,
    load_nodes,
    or_none,
)
from core.graphql.unit_of_work import unit_of_work
from core.graphql.visibility import Through, children_seen_through, require_readable
from core.identity import SYSTEM, Caller
from core.models import Base, Versioned, new_id, text_enum
from core.notifications import Delivery, notify
from core.services import validation
from core.settings import Duration
from core.workflow import alerts, deadlines, steps
from core.workflow.alerts import AlertRule

EventHandler = Callable[[AsyncSession, DomainEvent], Awaitable[None]]
DemoLoader = Callable[[AsyncEngine], Awaitable[Any]]


@dataclass(frozen=True)
class Plugin:
    """What a department plugin is and contributes. Only `name` and `department` are required."""

    name: str
    department: str
    version: str = "0.1.0"
    description: str = ""
    requires: tuple[str, ...] = ()
    tables: tuple[type[Base], ...] = ()
    migrations: Path | None = None
    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None
    types: tuple[type, ...] = ()
    type_fields: Mapping[str, type] = field(default_factory=dict)
    policy: Path | None = None
    roles: tuple[str, ...] = ()
    demo_data: DemoLoader | None = None
    event_handlers: Mapping[str, EventHandler] = field(default_factory=dict)
    row_scopes: Mapping[str, Callable[[Caller], Any]] = field(default_factory=dict)
    write_targets: Mapping[str, str] = field(default_factory=dict)
    sensitive_fields: tuple[str, ...] = ()
    alert_rules: Mapping[str, AlertRule] = field(default_factory=dict)

    @property
    def table_names(self) -> list[str]:
        return [model.__tablename__ for model in self.tables]


__all__ = [
    "SYSTEM",
    "After",
    "AlertRule",
    "Base",
    "Before",
    "Caller",
    "CareGraphError",
    "Case",
    "CaseEvent",
    "Child",
    "Conflict",
    "CountedConnection",
    "Delivery",
    "DemoLoader",
    "DomainEvent",
    "Duration",
    "EventHandler",
    "First",
    "Forbidden",
    "Guardian",
    "Guardianship",
    "Info",
    "InvalidTransition",
    "Last",
    "NotFound",
    "Organization",
    "PageArguments",
    "Plugin",
    "RecordNode",
    "Region",
    "ReplaySince",
    "RequestContext",
    "SortKey",
    "Through",
    "ValidationFailed",
    "Versioned",
    "alerts",
    "batch_many_per_key",
    "batch_one_per_key",
    "batched",
    "children_seen_through",
    "deadlines",
    "decode_global_id",
    "deliveries",
    "encode_global_id",
    "enums",
    "events",
    "fetch_page",
    "load_nodes",
    "models",
    "new_id",
    "not_found",
    "notify",
    "or_none",
    "publish",
    "region_condition",
    "require_readable",
    "steps",
    "text_enum",
    "unit_of_work",
    "validation",
]
