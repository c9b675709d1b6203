"""Civil affairs' GraphQL types, and the fields it adds to the core `Child` type:
`censusVisits`, `latestReviewedCensusVisit`, `assistanceEnrollments` and `projectServices`.

Every relation loads through a per-request DataLoader; records about children load only when the
request's row scope includes the child, so `node(id:)` answers NOT_FOUND for the others.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import date
from typing import Self

import strawberry
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import (
    Child,
    Info,
    Organization,
    Region,
    batch_many_per_key,
    batch_one_per_key,
    enums,
    load_nodes,
    or_none,
    require_readable,
)
from plugins.civil_affairs.models import AssistanceEnrollment as AssistanceEnrollmentRow
from plugins.civil_affairs.models import (
    AssistanceEnrollmentStatus,
    ProjectServiceKind,
    ServiceProjectKind,
    ServiceProjectVillage,
)
from plugins.civil_affairs.models import CensusVisit as CensusVisitRow
from plugins.civil_affairs.models import ProjectService as ProjectServiceRow
from plugins.civil_affairs.models import ServiceProject as ServiceProjectRow

strawberry.enum(
    AssistanceEnrollmentStatus,
    description="Where a social assistance enrolment stands (救助状态): applied (已申请), "
    "approved (已批准), suspended (暂停发放), ended (已终止).",
)
strawberry.enum(
    ServiceProjectKind,
    description="Kind of care project (服务项目类型): child companion programme (童伴计划), "
    "village-child programme (童村同在), social-work service project (社工服务项目), other.",
)
strawberry.enum(
    ProjectServiceKind,
    description="Kind of service given to a child (服务类型): tutoring (阳光助教), counselling "
    "(心理疏导), letter from home (爱心家书), surrogate parent (代理家长), other.",
)


"""Which of the caller's roles see the child a record is about (None: all of them)."""


# --- loaders -----------------------------------------------------------------------------------


def visits_of_child(info: Info) -> DataLoader[uuid.UUID, list[CensusVisitRow]]:
    return info.context.loader(
        "civil_affairs.census_visits_of_child",
        batch_many_per_key(
            info.context.sessions,
            CensusVisitRow,
            CensusVisitRow.child_id,
            order_by=[CensusVisitRow.visited_on, CensusVisitRow.created_at, CensusVisitRow.id],
        ),
    )


def visit_by_id(info: Info) -> DataLoader[uuid.UUID, CensusVisitRow | None]:
    return info.context.loader(
        "civil_affairs.census_visit",
        batch_one_per_key(
            info.context.sessions,
            CensusVisitRow,
            CensusVisitRow.id,
            where=[info.context.visible_children(CensusVisitRow.child_id)],
        ),
    )


def _latest_reviewed_visits(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[[list[uuid.UUID]], Awaitable[list[CensusVisitRow | None]]]:
    """Per child, the reviewed visit with the latest visit date, in one statement a batch."""

    async def load(keys: list[uuid.UUID]) -> list[CensusVisitRow | None]:
        visit = CensusVisitRow
        statement = (
            select(visit)
            .where(visit.child_id.in_(keys), visit.reviewed_on.is_not(None))
            .ext(distinct_on(visit.child_id))
            .order_by(
                visit.child_id, visit.visited_on.desc(), visit.created_at.desc(), visit.id.desc()
            )
        )
        async with sessions() as session:
            rows = (await session.scalars(statement)).all()
        by_child = {row.child_id: row for row in rows}
        return [by_child.get(key) for key in keys]

    return load


def latest_reviewed_visit_of_child(info: Info) -> DataLoader[uuid.UUID, CensusVisitRow | None]:
    return info.context.loader(
        "civil_affairs.latest_reviewed_census_visit_of_child",
        _latest_reviewed_visits(info.context.sessions),
    )


def enrollments_of_child(info: Info) -> DataLoader[uuid.UUID, list[AssistanceEnrollmentRow]]:
    row = AssistanceEnrollmentRow
    return info.context.loader(
        "civil_affairs.assistance_enrollments_of_child",
        batch_many_per_key(
            info.context.sessions,
            row,
            row.child_id,
            order_by=[row.start_on.desc(), row.created_at.desc(), row.id.desc()],
        ),
    )


def enrollment_by_id(info: Info) -> DataLoader[uuid.UUID, AssistanceEnrollmentRow | None]:
    return info.context.loader(
        "civil_affairs.assistance_enrollment",
        batch_one_per_key(
            info.context.sessions,
            AssistanceEnrollmentRow,
            AssistanceEnrollmentRow.id,
            where=[info.context.visible_children(AssistanceEnrollmentRow.child_id)],
        ),
    )


def project_by_id(info: Info) -> DataLoader[uuid.UUID, ServiceProjectRow | None]:
    return info.context.loader(
        "civil_affairs.service_project",
        batch_one_per_key(info.context.sessions, ServiceProjectRow, ServiceProjectRow.id),
    )


def villages_of_project(info: Info) -> DataLoader[uuid.UUID, list[ServiceProjectVillage]]:
    return info.context.loader(
        "civil_affairs.villages_of_service_project",
        batch_many_per_key(
            info.context.sessions,
            ServiceProjectVillage,
            ServiceProjectVillage.project_id,
            order_by=[ServiceProjectVillage.region_code],
        ),
    )


def services_of_child(info: Info) -> DataLoader[uuid.UUID, list[ProjectServiceRow]]:
    row = ProjectServiceRow
    return info.context.loader(
        "civil_affairs.project_services_of_child",
        batch_many_per_key(
            info.context.sessions,
            row,
            row.child_id,
            order_by=[row.served_on.desc(), row.created_at.desc(), row.id.desc()],
        ),
    )


def service_by_id(info: Info) -> DataLoader[uuid.UUID, ProjectServiceRow | None]:
    return info.context.loader(
        "civil_affairs.project_service",
        batch_one_per_key(
            info.context.sessions,
            ProjectServiceRow,
            ProjectServiceRow.id,
            where=[info.context.visible_children(ProjectServiceRow.child_id)],
        ),
    )


# --- census visits -----------------------------------------------------------------------------


@strawberry.type(description="Census visit (摸底排查走访)")
class CensusVisit(relay.Node):
    id: relay.NodeID[str]
    visited_on: date = strawberry.field(description="Day of the visit (走访日期).")
    visitor_name: str = strawberry.field(description="Who visited (走访人).")
    met_with: str = strawberry.field(description="Whom the visitor met (走访对象).")
    guardianship_type_observed: enums.GuardianshipType | None = strawberry.field(
        description="Guardianship type the visitor saw (监护类型)."
    )
    changes_noted: str | None = strawberry.field(description="What had changed (变化情况).")
    entered_by: str | None = strawberry.field(
        description="User id of whoever entered the visit (填报人); null for visits entered "
        "before this was recorded."
    )
    reviewed_by: str | None = strawberry.field(description="User id of the reviewer (审核人).")
    reviewed_on: date | None = strawberry.field(
        description="Day of the review (审核日期); a visit counts only once reviewed."
    )
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: CensusVisitRow) -> Self:
        return cls(
            id=str(row.id),
            visited_on=row.visited_on,
            visitor_name=row.visitor_name,
            met_with=row.met_with,
            guardianship_type_observed=row.guardianship_type_observed,
            changes_noted=row.changes_noted,
            entered_by=row.entered_by,
            reviewed_by=row.reviewed_by,
            reviewed_on=row.reviewed_on,
            version=row.version,
            child_id=row.child_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(visit_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))


# --- social assistance -------------------------------------------------------------------------


@strawberry.type(
    description="Social assistance enrolment (社会救助): minimum living allowance (低保), "
    "extreme-poverty support (特困供养), temporary assistance (临时救助) or the allowance for "
    "children without de-facto caregivers (事实无人抚养儿童基本生活补贴)."
)
class AssistanceEnrollment(relay.Node):
    id: relay.NodeID[str]
    kind: enums.AssistanceKind = strawberry.field(description="Kind of assistance (救助类别).")
    status: AssistanceEnrollmentStatus = strawberry.field(description="Status (救助状态).")
    monthly_amount: int | None = strawberry.field(
        description="Monthly amount in whole yuan (月发放金额, 元); null for temporary assistance."
    )
    one_off_amount: int | None = strawberry.field(
        description="One-off amount of temporary assistance in whole yuan (一次性救助金额, 元)."
    )
    start_on: date = strawberry.field(description="First day of the enrolment (起始日期).")
    end_on: date | None = strawberry.field(description="Last day, once known (终止日期).")
    entered_by: str = strawberry.field(description="User id of whoever entered it (填报人).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID]
    approving_organization_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: AssistanceEnrollmentRow) -> Self:
        return cls(
            id=str(row.id),
            kind=row.kind,
            status=row.status,
            monthly_amount=row.monthly_amount,
            one_off_amount=row.one_off_amount,
            start_on=row.start_on,
            end_on=row.end_on,
            entered_by=row.entered_by,
            version=row.version,
            child_id=row.child_id,
            approving_organization_id=row.approving_organization_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(enrollment_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(
        description="The approving organisation (审批单位): a civil affairs bureau "
        "or township government."
    )
    async def approving_organization(self, info: Info) -> Organization | None:
        if self.approving_organization_id is None:
            return None
        return or_none(
            Organization.from_row,
            await info.context.loaders.organization.load(self.approving_organization_id),
        )

    @strawberry.field
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))


# --- service projects --------------------------------------------------------------------------


@strawberry.type(
    description="Care service project (关爱服务项目): child companion programme (童伴计划), "
    "village-child programme (童村同在), social-work service project (社工服务项目)."
)
class ServiceProject(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Project name (项目名称).")
    kind: ServiceProjectKind = strawberry.field(description="Kind of project (项目类型).")
    funder: str = strawberry.field(description="Who funds it (资助方).")
    start_on: date = strawberry.field(description="First day (开始日期).")
    end_on: date | None = strawberry.field(description="Last day, if set (结束日期).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")

    @classmethod
    def from_row(cls, row: ServiceProjectRow) -> Self:
        return cls(
            id=str(row.id),
            name=row.name,
            kind=row.kind,
            funder=row.funder,
            start_on=row.start_on,
            end_on=row.end_on,
            version=row.version,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(project_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The villages the project covers (覆盖村/社区).")
    async def villages(self, info: Info) -> list[Region]:
        links = await villages_of_project(info).load(uuid.UUID(self.id))
        rows = await info.context.loaders.region.load_many([link.region_code for link in links])
        return [Region.from_row(row) for row in rows if row is not None]


@strawberry.type(
    description="A service a care project gave a child (项目服务记录): tutoring (阳光助教), "
    "counselling, a letter from home (爱心家书), a surrogate parent (代理家长)."
)
class ProjectService(relay.Node):
    id: relay.NodeID[str]
    served_on: date = strawberry.field(description="Day of the service (服务日期).")
    kind: ProjectServiceKind = strawberry.field(description="Kind of service (服务类型).")
    note: str | None = strawberry.field(description="What was done (服务内容).")
    entered_by: str = strawberry.field(description="User id of whoever entered it (填报人).")
    child_id: strawberry.Private[uuid.UUID]
    project_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: ProjectServiceRow) -> Self:
        return cls(
            id=str(row.id),
            served_on=row.served_on,
            kind=row.kind,
            note=row.note,
            entered_by=row.entered_by,
            child_id=row.child_id,
            project_id=row.project_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(service_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The project that gave it (服务项目).")
    async def project(self, info: Info) -> ServiceProject | None:
        require_readable(info, "ServiceProject", None)
        return or_none(ServiceProject.from_row, await project_by_id(info).load(self.project_id))

    @strawberry.field
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))


# --- fields added to Child ---------------------------------------------------------------------


@strawberry.type
class ChildCivilAffairsFields:
    """Added to the core `Child` type."""

    @strawberry.field(
        description="Census and home visits (摸底排查走访), newest first. Civil affairs plugin."
    )
    async def census_visits(self, info: Info, child: strawberry.Parent[Child]) -> list[CensusVisit]:
        require_readable(info, "CensusVisit", child.visible_through)
        rows = await visits_of_child(info).load(uuid.UUID(child.id))
        return [CensusVisit.from_row(row) for row in reversed(rows)]

    @strawberry.field(
        description="The latest census visit a supervisor has reviewed (最近一次已审核走访): the "
        "one that counts. Civil affairs plugin."
    )
    async def latest_reviewed_census_visit(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> CensusVisit | None:
        require_readable(info, "CensusVisit", child.visible_through)
        row = await latest_reviewed_visit_of_child(info).load(uuid.UUID(child.id))
        return or_none(CensusVisit.from_row, row)

    @strawberry.field(
        description="Social assistance enrolments (社会救助), newest first. Civil affairs plugin."
    )
    async def assistance_enrollments(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[AssistanceEnrollment]:
        require_readable(info, "AssistanceEnrollment", child.visible_through)
        rows = await enrollments_of_child(info).load(uuid.UUID(child.id))
        return [AssistanceEnrollment.from_row(row) for row in rows]

    @strawberry.field(
        description="Services care projects gave the child (项目服务记录), newest first. Civil "
        "affairs plugin."
    )
    async def project_services(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[ProjectService]:
        require_readable(info, "ProjectService", child.visible_through)
        rows = await services_of_child(info).load(uuid.UUID(child.id))
        return [ProjectService.from_row(row) for row in rows]
