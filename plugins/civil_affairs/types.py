"""Civil affairs' GraphQL types, and the fields it adds to the core `Child` type:
`censusVisits`, `latestReviewedCensusVisit`, `assistanceEnrollments` and `projectServices`; and
to the core `Case` type: `assessments`, `assistancePlans` and `courtApplications`.

Every relation loads through a per-request DataLoader; records about children load only when the
request's row scope includes the child, so `node(id:)` answers NOT_FOUND for the others.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime
from typing import Self

import strawberry
from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import (
    Case,
    Child,
    Guardian,
    Guardianship,
    Info,
    Organization,
    Region,
    Through,
    batch_many_per_key,
    batch_one_per_key,
    enums,
    load_nodes,
    or_none,
    require_readable,
)
from plugins.civil_affairs.models import Assessment as AssessmentRow
from plugins.civil_affairs.models import (
    AssessmentFinding,
    AssessmentParticipant,
    AssistanceEnrollmentStatus,
    AssistanceService,
    CourtApplicationStatus,
    CourtOutcome,
    ProjectServiceKind,
    RevocationGround,
    ServiceProjectKind,
    ServiceProjectVillage,
)
from plugins.civil_affairs.models import AssistanceEnrollment as AssistanceEnrollmentRow
from plugins.civil_affairs.models import AssistancePlan as AssistancePlanRow
from plugins.civil_affairs.models import CensusVisit as CensusVisitRow
from plugins.civil_affairs.models import CourtApplication as CourtApplicationRow
from plugins.civil_affairs.models import FollowUp as FollowUpRow
from plugins.civil_affairs.models import PlanItem as PlanItemRow
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
            info.context.reads,
            CensusVisitRow,
            CensusVisitRow.child_id,
            order_by=[CensusVisitRow.visited_on, CensusVisitRow.created_at, CensusVisitRow.id],
        ),
    )


def visit_by_id(info: Info) -> DataLoader[uuid.UUID, CensusVisitRow | None]:
    return info.context.loader(
        "civil_affairs.census_visit",
        batch_one_per_key(
            info.context.reads,
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
        _latest_reviewed_visits(info.context.reads),
    )


def enrollments_of_child(info: Info) -> DataLoader[uuid.UUID, list[AssistanceEnrollmentRow]]:
    row = AssistanceEnrollmentRow
    return info.context.loader(
        "civil_affairs.assistance_enrollments_of_child",
        batch_many_per_key(
            info.context.reads,
            row,
            row.child_id,
            order_by=[row.start_on.desc(), row.created_at.desc(), row.id.desc()],
        ),
    )


def enrollment_by_id(info: Info) -> DataLoader[uuid.UUID, AssistanceEnrollmentRow | None]:
    return info.context.loader(
        "civil_affairs.assistance_enrollment",
        batch_one_per_key(
            info.context.reads,
            AssistanceEnrollmentRow,
            AssistanceEnrollmentRow.id,
            where=[info.context.visible_children(AssistanceEnrollmentRow.child_id)],
        ),
    )


def project_by_id(info: Info) -> DataLoader[uuid.UUID, ServiceProjectRow | None]:
    return info.context.loader(
        "civil_affairs.service_project",
        batch_one_per_key(info.context.reads, ServiceProjectRow, ServiceProjectRow.id),
    )


def villages_of_project(info: Info) -> DataLoader[uuid.UUID, list[ServiceProjectVillage]]:
    return info.context.loader(
        "civil_affairs.villages_of_service_project",
        batch_many_per_key(
            info.context.reads,
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
            info.context.reads,
            row,
            row.child_id,
            order_by=[row.served_on.desc(), row.created_at.desc(), row.id.desc()],
        ),
    )


def service_by_id(info: Info) -> DataLoader[uuid.UUID, ProjectServiceRow | None]:
    return info.context.loader(
        "civil_affairs.project_service",
        batch_one_per_key(
            info.context.reads,
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


# --- the protection workflow: assessments, assistance plans, court applications -----------------

strawberry.enum(
    AssessmentFinding,
    description="What an assessment found on one dimension (评估结论): SATISFACTORY (良好), "
    "CONCERNING (存在隐患), SERIOUS (严重).",
)
strawberry.enum(
    AssistanceService,
    description="A service an assistance plan arranges (帮扶措施): guardianship guidance "
    "(监护指导), medical care (医疗救治), counselling (心理疏导), behaviour correction (行为矫治), "
    "legal aid (法律援助), enrolment in social assistance (社会救助).",
)
strawberry.enum(
    RevocationGround,
    description="Grounds to revoke a guardian's status (撤销监护人资格的情形): leaving the child "
    "unsupervised and in danger without correcting it (置于无人监管和照看的危险状态且拒不改正), "
    "refusing guardianship for six months or more (拒不履行监护职责六个月以上), violence, abuse "
    "or abandonment (性侵害、虐待、遗弃等), other serious harm (其他严重侵害).",
)
strawberry.enum(
    CourtApplicationStatus,
    description="Where an application to the court stands (申请状态): PENDING (审理中), REVOKED "
    "(判决撤销监护人资格), REJECTED (驳回申请).",
)
strawberry.enum(
    CourtOutcome,
    description="What the court decided (法院判决): REVOKED the guardian's status (撤销监护人"
    "资格) or REJECTED the application (驳回).",
)


def assessments_of_case(info: Info) -> DataLoader[uuid.UUID, list[AssessmentRow]]:
    row = AssessmentRow
    return info.context.loader(
        "civil_affairs.assessments_of_case",
        batch_many_per_key(
            info.context.reads,
            row,
            row.case_id,
            order_by=[row.assessed_on.desc(), row.created_at.desc(), row.id.desc()],
        ),
    )


def assessment_by_id(info: Info) -> DataLoader[uuid.UUID, AssessmentRow | None]:
    return info.context.loader(
        "civil_affairs.assessment",
        batch_one_per_key(
            info.context.reads,
            AssessmentRow,
            AssessmentRow.id,
            where=[info.context.visible_children(AssessmentRow.child_id)],
        ),
    )


def participants_of_assessment(
    info: Info,
) -> DataLoader[uuid.UUID, list[AssessmentParticipant]]:
    return info.context.loader(
        "civil_affairs.participants_of_assessment",
        batch_many_per_key(
            info.context.reads,
            AssessmentParticipant,
            AssessmentParticipant.assessment_id,
            order_by=[AssessmentParticipant.organization_id],
        ),
    )


def plans_of_case(info: Info) -> DataLoader[uuid.UUID, list[AssistancePlanRow]]:
    row = AssistancePlanRow
    return info.context.loader(
        "civil_affairs.assistance_plans_of_case",
        batch_many_per_key(
            info.context.reads,
            row,
            row.case_id,
            order_by=[row.adopted_at.desc(), row.id.desc()],
        ),
    )


def _visible_plans(info: Info) -> Select[uuid.UUID]:
    plan = AssistancePlanRow
    return select(plan.id).where(info.context.visible_children(plan.child_id))


def plan_by_id(info: Info) -> DataLoader[uuid.UUID, AssistancePlanRow | None]:
    return info.context.loader(
        "civil_affairs.assistance_plan",
        batch_one_per_key(
            info.context.reads,
            AssistancePlanRow,
            AssistancePlanRow.id,
            where=[AssistancePlanRow.id.in_(_visible_plans(info))],
        ),
    )


def items_of_plan(info: Info) -> DataLoader[uuid.UUID, list[PlanItemRow]]:
    return info.context.loader(
        "civil_affairs.items_of_assistance_plan",
        batch_many_per_key(
            info.context.reads,
            PlanItemRow,
            PlanItemRow.plan_id,
            order_by=[PlanItemRow.position, PlanItemRow.id],
        ),
    )


def _visible_items(info: Info) -> Select[uuid.UUID]:
    return select(PlanItemRow.id).where(PlanItemRow.plan_id.in_(_visible_plans(info)))


def item_by_id(info: Info) -> DataLoader[uuid.UUID, PlanItemRow | None]:
    return info.context.loader(
        "civil_affairs.plan_item",
        batch_one_per_key(
            info.context.reads,
            PlanItemRow,
            PlanItemRow.id,
            where=[PlanItemRow.id.in_(_visible_items(info))],
        ),
    )


def follow_ups_of_item(info: Info) -> DataLoader[uuid.UUID, list[FollowUpRow]]:
    return info.context.loader(
        "civil_affairs.follow_ups_of_plan_item",
        batch_many_per_key(
            info.context.reads,
            FollowUpRow,
            FollowUpRow.plan_item_id,
            order_by=[FollowUpRow.recorded_at, FollowUpRow.id],
        ),
    )


def follow_up_by_id(info: Info) -> DataLoader[uuid.UUID, FollowUpRow | None]:
    return info.context.loader(
        "civil_affairs.follow_up",
        batch_one_per_key(
            info.context.reads,
            FollowUpRow,
            FollowUpRow.id,
            where=[FollowUpRow.plan_item_id.in_(_visible_items(info))],
        ),
    )


def applications_of_case(info: Info) -> DataLoader[uuid.UUID, list[CourtApplicationRow]]:
    row = CourtApplicationRow
    return info.context.loader(
        "civil_affairs.court_applications_of_case",
        batch_many_per_key(
            info.context.reads,
            row,
            row.case_id,
            order_by=[row.filed_on.desc(), row.created_at.desc(), row.id.desc()],
        ),
    )


def application_by_id(info: Info) -> DataLoader[uuid.UUID, CourtApplicationRow | None]:
    return info.context.loader(
        "civil_affairs.court_application",
        batch_one_per_key(
            info.context.reads,
            CourtApplicationRow,
            CourtApplicationRow.id,
            where=[info.context.visible_children(CourtApplicationRow.child_id)],
        ),
    )


async def _organization(info: Info, key: uuid.UUID | None) -> Organization | None:
    if key is None:
        return None
    return or_none(Organization.from_row, await info.context.loaders.organization.load(key))


async def _case(info: Info, key: uuid.UUID) -> Case | None:
    return or_none(Case.from_row, await info.context.loaders.case.load(key))


async def _guardian(info: Info, key: uuid.UUID | None) -> Guardian | None:
    if key is None:
        return None
    return or_none(Guardian.from_row, await info.context.loaders.guardian.load(key))


@strawberry.type(description="What an assessment found on one dimension (评估结论).")
class AssessmentDimensionFinding:
    finding: AssessmentFinding
    note: str | None = strawberry.field(description="What was seen (情况说明).")


@strawberry.type(
    description="Assessment (评估) of the child of a case: safety situation (安全处境), "
    "guardianship (监护情况), physical and mental health (身心健康) and the risk level."
)
class Assessment(relay.Node):
    id: relay.NodeID[str]
    assessed_on: date = strawberry.field(description="Day of the assessment (评估日期).")
    safety: AssessmentDimensionFinding = strawberry.field(
        description="Safety situation (安全处境)."
    )
    guardianship: AssessmentDimensionFinding = strawberry.field(
        description="Guardianship (监护情况)."
    )
    health: AssessmentDimensionFinding = strawberry.field(
        description="Physical and mental health (身心健康)."
    )
    risk_level: enums.RiskLevel = strawberry.field(description="Risk level (风险等级).")
    assessed_by: str = strawberry.field(description="User id of whoever recorded it (评估人).")
    case_id: strawberry.Private[uuid.UUID]
    child_id: strawberry.Private[uuid.UUID]
    organization_id: strawberry.Private[uuid.UUID]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: AssessmentRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            assessed_on=row.assessed_on,
            safety=AssessmentDimensionFinding(finding=row.safety_finding, note=row.safety_note),
            guardianship=AssessmentDimensionFinding(
                finding=row.guardianship_finding, note=row.guardianship_note
            ),
            health=AssessmentDimensionFinding(finding=row.health_finding, note=row.health_note),
            risk_level=row.risk_level,
            assessed_by=row.assessed_by,
            case_id=row.case_id,
            child_id=row.child_id,
            organization_id=row.organization_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(assessment_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The organisation that assessed (评估单位).")
    async def organization(self, info: Info) -> Organization | None:
        return await _organization(info, self.organization_id)

    @strawberry.field(
        description="Organisations that took part (参与评估单位): village committee, school, "
        "medical institution, social workers."
    )
    async def participants(self, info: Info) -> list[Organization]:
        links = await participants_of_assessment(info).load(uuid.UUID(self.id))
        rows = await info.context.loaders.organization.load_many(
            [link.organization_id for link in links]
        )
        return [Organization.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="The case assessed (个案).")
    async def case(self, info: Info) -> Case | None:
        return await _case(info, self.case_id)


@strawberry.type(
    description="A follow-up (跟踪回访) on a plan item: how the service is going, and whether "
    "it is now delivered."
)
class FollowUp(relay.Node):
    id: relay.NodeID[str]
    progress: str = strawberry.field(description="How it is going (进展情况).")
    completed: bool = strawberry.field(description="The service is delivered (已完成).")
    recorded_at: datetime = strawberry.field(description="When it was recorded (回访时间).")
    recorded_by: str = strawberry.field(description="User id of whoever recorded it (回访人).")
    plan_item_id: strawberry.Private[uuid.UUID]
    organization_id: strawberry.Private[uuid.UUID]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: FollowUpRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            progress=row.progress,
            completed=row.completed,
            recorded_at=row.recorded_at,
            recorded_by=row.recorded_by,
            plan_item_id=row.plan_item_id,
            organization_id=row.organization_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(follow_up_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The organisation that followed up (回访单位).")
    async def organization(self, info: Info) -> Organization | None:
        return await _organization(info, self.organization_id)

    @strawberry.field(description="The plan item followed up (帮扶事项).")
    async def plan_item(self, info: Info) -> "PlanItem | None":
        require_readable(info, "PlanItem", self.visible_through)
        row = await item_by_id(info).load(self.plan_item_id)
        return PlanItem.from_row(row, self.visible_through) if row else None


@strawberry.type(
    description="One service of an assistance plan (帮扶事项): what, by which organisation, "
    "by when; completed once a follow-up says it was delivered."
)
class PlanItem(relay.Node):
    id: relay.NodeID[str]
    service: AssistanceService = strawberry.field(description="The service (帮扶措施).")
    due_on: date = strawberry.field(description="Deliver by this day (完成期限).")
    note: str | None = strawberry.field(description="What is to be done (具体内容).")
    completed_on: date | None = strawberry.field(
        description="Day a follow-up recorded it delivered (完成日期); null while open."
    )
    version: int = strawberry.field(description="Bumped on each change (optimistic locking).")
    plan_id: strawberry.Private[uuid.UUID]
    organization_id: strawberry.Private[uuid.UUID]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: PlanItemRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            service=row.service,
            due_on=row.due_on,
            note=row.note,
            completed_on=row.completed_on,
            version=row.version,
            plan_id=row.plan_id,
            organization_id=row.organization_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(item_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The organisation that delivers it (责任单位).")
    async def organization(self, info: Info) -> Organization | None:
        return await _organization(info, self.organization_id)

    @strawberry.field(description="Follow-ups (跟踪回访), oldest first.")
    async def follow_ups(self, info: Info) -> list[FollowUp]:
        require_readable(info, "FollowUp", self.visible_through)
        rows = await follow_ups_of_item(info).load(uuid.UUID(self.id))
        return [FollowUp.from_row(row, self.visible_through) for row in rows]

    @strawberry.field(description="The plan it belongs to (帮扶计划).")
    async def plan(self, info: Info) -> "AssistancePlan | None":
        require_readable(info, "AssistancePlan", self.visible_through)
        row = await plan_by_id(info).load(self.plan_id)
        return AssistancePlan.from_row(row, self.visible_through) if row else None


@strawberry.type(
    description="Assistance plan (帮扶计划) adopted after an assessment: its goal and the "
    "services organisations deliver."
)
class AssistancePlan(relay.Node):
    id: relay.NodeID[str]
    goal: str = strawberry.field(description="What the plan is to achieve (帮扶目标).")
    adopted_at: datetime = strawberry.field(description="When it was adopted (制定时间).")
    adopted_by: str = strawberry.field(description="User id of whoever adopted it (制定人).")
    case_id: strawberry.Private[uuid.UUID]
    child_id: strawberry.Private[uuid.UUID]
    organization_id: strawberry.Private[uuid.UUID]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: AssistancePlanRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            goal=row.goal,
            adopted_at=row.adopted_at,
            adopted_by=row.adopted_by,
            case_id=row.case_id,
            child_id=row.child_id,
            organization_id=row.organization_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(plan_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The organisation that adopted it (制定单位).")
    async def organization(self, info: Info) -> Organization | None:
        return await _organization(info, self.organization_id)

    @strawberry.field(description="Its services, in the plan's order (帮扶事项).")
    async def items(self, info: Info) -> list[PlanItem]:
        require_readable(info, "PlanItem", self.visible_through)
        rows = await items_of_plan(info).load(uuid.UUID(self.id))
        return [PlanItem.from_row(row, self.visible_through) for row in rows]

    @strawberry.field(description="The case (个案).")
    async def case(self, info: Info) -> Case | None:
        return await _case(info, self.case_id)


@strawberry.type(
    description="Application to the court to revoke a guardian's status (申请撤销监护人资格) "
    "and the court's decision: revoked, with another guardian designated (另行指定监护人), or "
    "rejected."
)
class CourtApplication(relay.Node):
    id: relay.NodeID[str]
    status: CourtApplicationStatus = strawberry.field(description="Where it stands (状态).")
    grounds: list[RevocationGround] = strawberry.field(description="Grounds (申请事由).")
    court: str = strawberry.field(description="The court applied to (受理法院).")
    filed_on: date = strawberry.field(description="Day it was filed (申请日期).")
    note: str | None = strawberry.field(description="What the application says (申请说明).")
    filed_by: str = strawberry.field(description="User id of whoever filed it (申请人).")
    decided_on: date | None = strawberry.field(description="Day of the judgment (判决日期).")
    decision_note: str | None = strawberry.field(description="What the court said (判决说明).")
    decided_by: str | None = strawberry.field(
        description="User id of whoever recorded the decision."
    )
    version: int = strawberry.field(description="Bumped on each change (optimistic locking).")
    case_id: strawberry.Private[uuid.UUID]
    child_id: strawberry.Private[uuid.UUID]
    guardian_id: strawberry.Private[uuid.UUID]
    guardianship_id: strawberry.Private[uuid.UUID]
    designated_guardian_id: strawberry.Private[uuid.UUID | None]
    organization_id: strawberry.Private[uuid.UUID]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: CourtApplicationRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            status=row.status,
            grounds=[RevocationGround(value) for value in row.grounds],
            court=row.court,
            filed_on=row.filed_on,
            note=row.note,
            filed_by=row.filed_by,
            decided_on=row.decided_on,
            decision_note=row.decision_note,
            decided_by=row.decided_by,
            version=row.version,
            case_id=row.case_id,
            child_id=row.child_id,
            guardian_id=row.guardian_id,
            guardianship_id=row.guardianship_id,
            designated_guardian_id=row.designated_guardian_id,
            organization_id=row.organization_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(application_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The guardian whose status is challenged (被申请人).")
    async def guardian(self, info: Info) -> Guardian | None:
        return await _guardian(info, self.guardian_id)

    @strawberry.field(description="The guardianship challenged (监护关系).")
    async def guardianship(self, info: Info) -> Guardianship | None:
        row = await info.context.loaders.guardianship.load(self.guardianship_id)
        return or_none(Guardianship.from_row, row)

    @strawberry.field(description="The guardian the court designated (另行指定的监护人).")
    async def designated_guardian(self, info: Info) -> Guardian | None:
        return await _guardian(info, self.designated_guardian_id)

    @strawberry.field(description="The organisation that filed it (申请单位).")
    async def organization(self, info: Info) -> Organization | None:
        return await _organization(info, self.organization_id)

    @strawberry.field(description="The case (个案).")
    async def case(self, info: Info) -> Case | None:
        return await _case(info, self.case_id)


# --- fields added to Case ----------------------------------------------------------------------


@strawberry.type
class CaseCivilAffairsFields:
    """Added to the core `Case` type."""

    @strawberry.field(
        description="Assessments (评估), the latest first; the first is the one in force. Civil "
        "affairs plugin."
    )
    async def assessments(self, info: Info, case: strawberry.Parent[Case]) -> list[Assessment]:
        require_readable(info, "Assessment", case.visible_through)
        rows = await assessments_of_case(info).load(uuid.UUID(case.id))
        return [Assessment.from_row(row, case.visible_through) for row in rows]

    @strawberry.field(
        description="Assistance plans (帮扶计划) with their items and follow-ups, the latest "
        "first. Civil affairs plugin."
    )
    async def assistance_plans(
        self, info: Info, case: strawberry.Parent[Case]
    ) -> list[AssistancePlan]:
        require_readable(info, "AssistancePlan", case.visible_through)
        rows = await plans_of_case(info).load(uuid.UUID(case.id))
        return [AssistancePlan.from_row(row, case.visible_through) for row in rows]

    @strawberry.field(
        description="Applications to the court to revoke a guardian's status (撤销监护人资格申请), "
        "the latest first. Civil affairs plugin."
    )
    async def court_applications(
        self, info: Info, case: strawberry.Parent[Case]
    ) -> list[CourtApplication]:
        require_readable(info, "CourtApplication", case.visible_through)
        rows = await applications_of_case(info).load(uuid.UUID(case.id))
        return [CourtApplication.from_row(row, case.visible_through) for row in rows]
