"""The core's root query fields."""

from collections.abc import Sequence
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, exists, select, true
from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition

from core import models
from core.errors import ValidationFailed
from core.graphql import enums
from core.graphql.context import Info
from core.graphql.filters import (
    CaseFilter,
    ChildFilter,
    ChildOrder,
    OrderDirection,
    apply_case_filter,
    apply_child_filter,
    check_filter_access,
    region_condition,
)
from core.graphql.global_ids import decode_global_id, not_found
from core.graphql.loaders import Annotation
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
from core.graphql.types import Case, Child, Guardian, Me, Organization, Region
from core.region_codes import RegionLevel


@strawberry.type(name="ChildConnection", description="A page of children (儿童列表).")
class ChildConnection(CountedConnection[Child]):
    pass


@strawberry.type(name="GuardianConnection", description="A page of guardians (监护人列表).")
class GuardianConnection(CountedConnection[Guardian]):
    pass


@strawberry.type(name="CaseConnection", description="A page of cases (个案列表).")
class CaseConnection(CountedConnection[Case]):
    pass


@strawberry.type(name="RegionConnection", description="A page of regions (行政区划列表).")
class RegionConnection(CountedConnection[Region]):
    pass


@strawberry.type(name="OrganizationConnection", description="A page of organisations (单位列表).")
class OrganizationConnection(CountedConnection[Organization]):
    pass


async def _connection(
    info: Info,
    connection_class: Any,
    node_class: Any,
    statement: Select[Any],
    sort: list[SortKey],
    page: PageArguments,
    annotate: Sequence[Annotation] = (),
) -> Any:
    rows, page_info, count_statement, cursors = await fetch_page(
        info, statement, sort=sort, page=page, annotate=annotate
    )
    edges = [
        relay.Edge(node=node_class.from_row(row), cursor=cursor)
        for row, cursor in zip(rows, cursors, strict=True)
    ]
    return connection_class(edges=edges, page_info=page_info, count_statement=count_statement)


def _guardian_visible(info: Info) -> Any:
    """Guardians of at least one child the request may see."""
    scope = info.context.child_scope
    if scope is None or scope.condition is None:
        return true()
    return exists(
        select(models.Guardianship.id).where(
            models.Guardianship.guardian_id == models.Guardian.id,
            info.context.visible_children(models.Guardianship.child_id),
        )
    )


_CHILD_SORT_COLUMNS = {
    ChildOrder.NAME: models.Child.name,
    ChildOrder.BIRTH_DATE: models.Child.birth_date,
    ChildOrder.REGISTERED_AT: models.Child.registered_at,
}


@strawberry.type
class CoreQuery:
    @strawberry.field(
        description="Any object by its global ID; NOT_FOUND when none exists or it is outside "
        "what your role may see."
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        # Resolved here rather than with strawberry's `relay.node()`, whose field extension
        # rewrites the field in place and so cannot take part in more than one schema build.
        try:
            global_id = relay.GlobalID.from_id(id)
        except relay.GlobalIDValueError:
            raise ValidationFailed("is not a global ID", field="id") from None
        definition = info.schema.get_type_by_name(global_id.type_name)
        is_node_type = isinstance(definition, StrawberryObjectDefinition) and issubclass(
            definition.origin, relay.Node
        )
        node: relay.Node | None = (
            await global_id.resolve_node(info, required=False) if is_node_type else None
        )
        if node is None:  # unknown and out of scope look the same: no existence leak
            raise not_found(global_id.type_name if is_node_type else "object")
        return node

    @strawberry.field(description="Children (儿童), filtered and ordered, a page at a time.")
    async def children(
        self,
        info: Info,
        filter: ChildFilter | None = None,
        order_by: ChildOrder = ChildOrder.NAME,
        direction: OrderDirection = OrderDirection.ASC,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ChildConnection:
        descending = direction is OrderDirection.DESC
        sort = [
            SortKey(_CHILD_SORT_COLUMNS[order_by], descending),
            SortKey(models.Child.id, descending),
        ]
        scope = info.context.child_scope
        check_filter_access(filter, info.context.access)
        statement = apply_child_filter(select(models.Child), filter)
        if scope is not None and scope.condition is not None:
            statement = statement.where(scope.condition)
        connection: ChildConnection = await _connection(
            info,
            ChildConnection,
            Child,
            statement,
            sort,
            PageArguments(first, after, last, before),
            annotate=scope.per_subject if scope is not None and scope.tracks_subjects else (),
        )
        return connection

    @strawberry.field(description="One child by global ID (儿童).")
    async def child(self, info: Info, id: strawberry.ID) -> Child | None:
        key = decode_global_id(id, "Child", field="id")
        row = await info.context.loaders.child.load(key)
        if row is None:  # unknown and out of scope look the same: no existence leak
            raise not_found("Child")
        return Child.from_row(row)

    @strawberry.field(description="Guardians (监护人), by name, a page at a time.")
    async def guardians(
        self,
        info: Info,
        search: str | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> GuardianConnection:
        statement = select(models.Guardian).where(_guardian_visible(info))
        if search:
            statement = statement.where(models.Guardian.name.contains(search, autoescape=True))
        sort = [SortKey(models.Guardian.name), SortKey(models.Guardian.id)]
        connection: GuardianConnection = await _connection(
            info,
            GuardianConnection,
            Guardian,
            statement,
            sort,
            PageArguments(first, after, last, before),
            annotate=info.context.loaders.record_annotations["Guardian"],
        )
        return connection

    @strawberry.field(description="Protection cases (个案), newest first.")
    async def cases(
        self,
        info: Info,
        filter: CaseFilter | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CaseConnection:
        statement = apply_case_filter(select(models.Case), filter).where(
            info.context.visible_children(models.Case.child_id)
        )
        sort = [SortKey(models.Case.opened_at, True), SortKey(models.Case.id, True)]
        connection: CaseConnection = await _connection(
            info,
            CaseConnection,
            Case,
            statement,
            sort,
            PageArguments(first, after, last, before),
            annotate=info.context.loaders.record_annotations["Case"],
        )
        return connection

    @strawberry.field(name="case", description="One case by global ID (个案).")
    async def case_(self, info: Info, id: strawberry.ID) -> Case | None:
        key = decode_global_id(id, "Case", field="id")
        row = await info.context.loaders.case.load(key)
        if row is None:
            raise not_found("Case")
        return Case.from_row(row)

    @strawberry.field(description="Administrative regions (行政区划), by code.")
    async def regions(
        self,
        info: Info,
        level: RegionLevel | None = None,
        within: Annotated[
            str | None, strawberry.argument(description="Only this region's subtree.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> RegionConnection:
        statement = select(models.Region)
        if level is not None:
            statement = statement.where(models.Region.level == level.value)
        if within is not None:
            statement = statement.where(region_condition(models.Region.code, within, "within"))
        connection: RegionConnection = await _connection(
            info,
            RegionConnection,
            Region,
            statement,
            [SortKey(models.Region.code)],
            PageArguments(first, after, last, before),
        )
        return connection

    @strawberry.field(description="One region by its code (行政区划代码).")
    async def region(self, info: Info, code: str) -> Region | None:
        row = await info.context.loaders.region.load(code)
        return Region.from_row(row) if row else None

    @strawberry.field(description="Organisations (单位).")
    async def organizations(
        self,
        info: Info,
        department: str | None = None,
        kind: enums.OrganizationKind | None = None,
        region_code: Annotated[
            str | None, strawberry.argument(description="Only this region's subtree.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> OrganizationConnection:
        org = models.Organization
        statement = select(org)
        if department is not None:
            statement = statement.where(org.department == department)
        if kind is not None:
            statement = statement.where(org.kind == kind)
        if region_code is not None:
            statement = statement.where(
                region_condition(org.region_code, region_code, "regionCode")
            )
        connection: OrganizationConnection = await _connection(
            info,
            OrganizationConnection,
            Organization,
            statement,
            [SortKey(org.name), SortKey(org.id)],
            PageArguments(first, after, last, before),
        )
        return connection

    @strawberry.field(description="Who the caller is (当前用户).")
    def me(self, info: Info) -> Me:
        caller = info.context.caller
        return Me(
            user_id=caller.user_id,
            roles=list(caller.subjects),
            department=caller.department,
            role=caller.role,
            region_code=caller.region_code,
            organization_id=caller.organization_id,
        )
