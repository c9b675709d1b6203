"""The process's authorization state: the compiled policy in force, reloaded when an
administrator changes the policy in any server process (PostgreSQL LISTEN/NOTIFY)."""

import asyncio
import logging
from collections.abc import Sequence

import strawberry
from graphql import GraphQLObjectType
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit import trail
from core.audit.recorder import CORE_SENSITIVE_FIELDS
from core.authorization.access import ROOT_TYPES, CompiledPolicy, RequestAccess
from core.authorization.policy import PolicySet, check_line, load_policy
from core.authorization.scopes import CORE_SCOPES, ChildScope, ScopeCondition, child_scope
from core.errors import Forbidden
from core.identity import Caller
from core.listener import asyncpg_dsn, listen_forever, stop
from core.models import PolicyChange
from core.plugin_api import Plugin

CHANNEL = "caregraph_policy"
PLATFORM_OBJECTS = frozenset(
    {"Query.policyLines", "Mutation.grantPolicy", "Mutation.revokePolicy", "Query.me"}
)
logger = logging.getLogger("caregraph.authorization")


def schema_fields(schema: strawberry.Schema) -> tuple[dict[str, list[str]], frozenset[str]]:
    """Every object type's field names, and which types are records (implement Node)."""
    type_fields: dict[str, list[str]] = {}
    records: set[str] = set()
    # strawberry keeps the graphql-core schema it built in `_schema`
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        type_fields[name] = list(graphql_type.fields)
        if any(interface.name == "Node" for interface in graphql_type.interfaces):
            records.add(name)
    return type_fields, frozenset(records)


class AccessControl:
    def __init__(self, plugins: Sequence[Plugin], schema: strawberry.Schema) -> None:
        self.plugins = list(plugins)
        self.type_fields, self.record_types = schema_fields(schema)
        self.scope_conditions: dict[str, ScopeCondition] = dict(CORE_SCOPES)
        self.write_targets: dict[str, str] = {}
        self.sensitive_fields: set[str] = set(CORE_SENSITIVE_FIELDS)
        for plugin in self.plugins:
            self.scope_conditions.update(plugin.row_scopes)
            self.write_targets.update(plugin.write_targets)
            self.sensitive_fields.update(plugin.sensitive_fields)
        self.compiled: CompiledPolicy | None = None
        self._listener: asyncio.Task[None] | None = None

    def compile(self, policy: PolicySet) -> CompiledPolicy:
        return CompiledPolicy(
            policy=policy,
            type_fields=self.type_fields,
            scope_names=tuple(self.scope_conditions),
            record_types=self.record_types,
        )

    async def reload(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions() as session:
            policy = await load_policy(session, self.plugins)
        if self.compiled is None or policy.version != self.compiled.policy.version:
            self.compiled = self.compile(policy)
            logger.info("policy version %s in force (%s lines)", policy.version, len(policy.lines))

    @property
    def policy(self) -> PolicySet:
        assert self.compiled is not None, "the policy is loaded at start-up"
        return self.compiled.policy

    def known_subject(self, subject: str) -> bool:
        return subject in self.policy.subjects

    def request_access(self, caller: Caller, *, enforced: bool = True) -> RequestAccess:
        assert self.compiled is not None
        return RequestAccess(compiled=self.compiled, subjects=caller.subjects, enforced=enforced)

    def child_scope(self, caller: Caller, access: RequestAccess) -> ChildScope:
        if not access.enforced:
            return ChildScope(condition=None)
        return child_scope(caller, access.scopes_by_subject, self.scope_conditions)

    async def record_change(
        self,
        session: AsyncSession,
        caller: Caller,
        change: str,
        subject: str,
        obj: str,
        action: str,
    ) -> PolicyChange:
        """Store an administrator's change and tell every server process to reload."""
        check_line(subject, obj, action)
        if (
            change == "add"
            and subject.split(":")[0] in ("platform", "*")
            and not (obj in PLATFORM_OBJECTS and action == "execute")
        ):
            # Separation of duties: those who manage the policy never read children's data,
            # not even through a line they grant themselves (or everyone).
            raise Forbidden(
                "platform roles and * manage policies only; this line would give them data",
                field="input.subject",
            )
        record = PolicyChange(
            change=change, subject=subject, object=obj, action=action, changed_by=caller.user_id
        )
        session.add(record)
        await session.flush()
        await trail.append(
            session,
            trail.AuditRecord(
                action=trail.POLICY_CHANGE,
                outcome=trail.SUCCESS,
                caller=caller,
                operation=f"policy {change}",
                record_ids=[f"PolicyChange:{record.id}"],
                detail=f"{change} p, {subject}, {obj}, {action}",
            ),
        )
        await session.execute(
            text("SELECT pg_notify(:channel, :version)"),
            {"channel": CHANNEL, "version": str(record.id)},
        )
        return record

    def start_listening(
        self, database_url: str, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        """Reload on every NOTIFY, and on reconnection in case a change was missed."""

        async def reload() -> None:
            await self.reload(sessions)

        self._listener = asyncio.create_task(
            listen_forever(asyncpg_dsn(database_url), CHANNEL, reload)
        )

    async def stop_listening(self) -> None:
        await stop(self._listener)


__all__ = ["ROOT_TYPES", "AccessControl"]
