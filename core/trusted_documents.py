"""Trusted documents (persisted operations): the GraphQL documents a front-end registered.

A portal's build emits its operations; `caregraph documents register FILE` stores each under
the SHA-256 of its text. A client then sends `{"documentId": "sha256:<hash>"}` (GraphQL over
HTTP) or Apollo's `extensions.persistedQuery.sha256Hash` instead of the text, or the text
itself, which is recognised by its hash.

In production mode a caller may send a document nobody registered only when the policy grants
one of their subjects (`department:role`, or `apikey:<name>` for an API key)
`Document.unregistered, execute`; by default nobody is granted it (deny by default).
"""

import hashlib
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from graphql import (
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor
from sqlalchemy import DateTime, String, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column
from strawberry.extensions import SchemaExtension

from core.errors import DocumentNotTrusted, ValidationFailed
from core.graphql.error_masking import as_caller_error
from core.models import Base

UNREGISTERED_OBJECT = "Document.unregistered"
UNREGISTERED_ACTION = "execute"
HASH_PREFIX = "sha256:"
CACHE_LIMIT = 10_000


class TrustedDocument(Base):
    __tablename__ = "trusted_documents"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    operation_name: Mapped[str | None] = mapped_column(String(200))
    client: Mapped[str | None] = mapped_column(String(100))
    registered_by: Mapped[str] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


def document_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


@dataclass(frozen=True)
class Document:
    hash: str
    body: str
    operation_name: str | None


def _check(body: str, source: str) -> str | None:
    """The operation name of a document that parses; refuses one that does not."""
    try:
        parsed = parse(body)
    except GraphQLError as error:
        raise ValidationFailed(f"{source}: not a GraphQL document ({error.message})") from None
    names = [
        d.name.value if d.name else None
        for d in parsed.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    if not names:
        raise ValidationFailed(f"{source}: the document holds no operation")
    return names[0] if len(names) == 1 else None


def _split_operations(text: str, source: str) -> list[str]:
    """Each operation of a .graphql file, printed with the fragments it uses (transitively)."""
    try:
        parsed = parse(text)
    except GraphQLError as error:
        raise ValidationFailed(f"{source}: not a GraphQL document ({error.message})") from None
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)
    }

    def used_by(node: Any) -> list[str]:
        names: list[str] = []

        class Spreads(Visitor):
            def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: Any) -> None:
                names.append(spread.name.value)

        visit(node, Spreads())
        return names

    bodies = []
    for definition in parsed.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        needed: list[str] = []
        pending = used_by(definition)
        while pending:
            name = pending.pop()
            if name in needed or name not in fragments:
                continue
            needed.append(name)
            pending.extend(used_by(fragments[name]))
        parts = [print_ast(definition)] + [print_ast(fragments[n]) for n in sorted(needed)]
        bodies.append("\n\n".join(parts))
    return bodies


def read_documents(path: Path) -> list[Document]:
    """The documents of a file a front-end build produced: a `.graphql` file (each operation
    becomes one document), a JSON map `{hash: body}` (GraphQL Code Generator's
    persisted-documents.json), or an Apollo persisted-query manifest."""
    text = path.read_text(encoding="utf-8")
    bodies: list[tuple[str | None, str]] = []
    if path.suffix == ".json":
        try:
            content = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValidationFailed(f"{path.name}: not JSON ({error.msg})") from None
        if isinstance(content, dict) and isinstance(content.get("operations"), list):
            bodies = [(op.get("id"), op.get("body")) for op in content["operations"]]
        elif isinstance(content, dict):
            bodies = list(content.items())
        else:
            raise ValidationFailed(f"{path.name}: expected a map of hashes to documents")
    else:
        bodies = [(None, body) for body in _split_operations(text, path.name)]
    documents = []
    for given_id, body in bodies:
        if not isinstance(body, str):
            raise ValidationFailed(f"{path.name}: every document must be a string")
        digest = document_hash(body)
        if given_id is not None and str(given_id).removeprefix(HASH_PREFIX) != digest:
            raise ValidationFailed(
                f"{path.name}: the id {given_id} is not the SHA-256 of its document"
            )
        documents.append(Document(digest, body, _check(body, path.name)))
    return documents


async def register(
    session: AsyncSession, documents: Iterable[Document], *, client: str | None, by: str
) -> int:
    """Store the documents; returns how many were new (registering again is harmless)."""
    rows = [
        {
            "hash": d.hash,
            "body": d.body,
            "operation_name": d.operation_name,
            "client": client,
            "registered_by": by,
        }
        for d in documents
    ]
    if not rows:
        return 0
    statement = insert(TrustedDocument).values(rows).on_conflict_do_nothing()
    result = await session.execute(statement.returning(TrustedDocument.hash))
    return len(result.all())


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The document id a request sent instead of its text, if any."""
    extensions = extensions or {}
    document_id = extensions.get("documentId")
    if isinstance(document_id, str):
        return document_id.removeprefix(HASH_PREFIX).lower()
    persisted = extensions.get("persistedQuery")
    if isinstance(persisted, dict) and isinstance(persisted.get("sha256Hash"), str):
        return str(persisted["sha256Hash"]).lower()
    return None


class DocumentRegistry:
    """Registered documents by hash. A hash names one text forever, so what was found stays
    cached; what was not is looked up again (it may be registered meanwhile)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._known: dict[str, str] = {}

    async def body(self, digest: str) -> str | None:
        if digest in self._known:
            return self._known[digest]
        async with self._sessions() as session:
            body = await session.scalar(
                select(TrustedDocument.body).where(TrustedDocument.hash == digest)
            )
        if body is not None:
            if len(self._known) >= CACHE_LIMIT:
                self._known.clear()
            self._known[digest] = body
        return body

    async def resolve(
        self, query: str | None, extensions: dict[str, Any] | None, *, must_be_trusted: bool
    ) -> str:
        """The text to run: the registered text for a document id, or the text sent (which
        must be registered when `must_be_trusted`)."""
        digest = requested_hash(extensions)
        if digest is not None:
            body = await self.body(digest)
            if body is None:
                raise DocumentNotTrusted(
                    "no document is registered under this id; register it with "
                    "`caregraph documents register`",
                    field="documentId",
                )
            if query is not None and document_hash(query) != digest:
                raise ValidationFailed(
                    "the query text does not match the document id", field="documentId"
                )
            return body
        if query is None:
            raise ValidationFailed("send a query or a documentId", field="query")
        if must_be_trusted and await self.body(document_hash(query)) is None:
            raise DocumentNotTrusted(
                "your role must send registered documents only; this one is not registered",
                field="query",
            )
        return query


def must_send_registered(context: Any) -> bool:
    """Whether this caller may send only registered documents: in production, unless the
    policy grants one of their subjects `Document.unregistered, execute`."""
    if not context.settings.production:
        return False
    access = context.access
    if access is None or not access.enforced:
        return False
    caller = context.caller
    subjects = (*access.subjects, *((caller.user_id,) if caller.via == "api_key" else ()))
    policy = access.compiled.policy
    return not any(policy.allows(s, UNREGISTERED_OBJECT, UNREGISTERED_ACTION) for s in subjects)


# What runs in place of a refused document: it parses, and is refused at validation with the
# reason, so that the refusal leaves as any request error does (over HTTP and WebSocket alike).
REFUSED_PLACEHOLDER = "{ __typename }"


class TrustedDocuments(SchemaExtension):
    """Replaces a document id by its registered text and, for callers who must send registered
    documents only, refuses any other text, before it is even parsed."""

    refusal: GraphQLError | None = None

    async def on_operation(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        registry: DocumentRegistry | None = getattr(context, "documents", None)
        self.refusal = None
        if registry is not None:
            try:
                execution.query = await registry.resolve(
                    execution.query,
                    execution.operation_extensions,
                    must_be_trusted=must_send_registered(context),
                )
            except Exception as error:  # the database may be away: say so, never its message
                limit = context.settings.request_timeout.total_seconds()
                refusal = as_caller_error(error, "trusted documents", time_limit=limit)
                self.refusal = GraphQLError(refusal.message, extensions=refusal.extensions)
                execution.query = REFUSED_PLACEHOLDER
        yield

    def on_validate(self) -> Iterator[None]:
        if self.refusal is not None:  # later validation steps see errors already there
            self.execution_context.pre_execution_errors = [self.refusal]
        yield
