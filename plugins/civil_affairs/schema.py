"""Civil affairs' root fields: census visits and their review, social assistance enrolments,
care service projects and their services, the left-behind statistics for the joint meeting, and
its steps of the protection workflow: assessments, assistance plans, follow-ups and applications
to the court to revoke a guardian's status."""

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy import select
from strawberry import relay

from core.plugin_api import (
    After,
    Before,
    Case,
    CountedConnection,
    First,
    Info,
    Last,
    PageArguments,
    SortKey,
    enums,
    fetch_page,
    models,
    region_condition,
    unit_of_work,
)
from plugins.civil_affairs import services, statistics, workflow
from plugins.civil_affairs.models import (
    AssessmentFinding,
    AssistanceEnrollmentStatus,
    AssistanceService,
    CourtOutcome,
    ProjectServiceKind,
    RevocationGround,
    ServiceProjectKind,
    ServiceProjectVillage,
)
from plugins.civil_affairs.models import CensusVisit as CensusVisitRow
from plugins.civil_affairs.models import ServiceProject as ServiceProjectRow
from plugins.civil_affairs.statistics import LeftBehindStatisticsRow, StatisticsGrouping
from plugins.civil_affairs.types import (
    Assessment,
    AssistanceEnrollment,
    AssistancePlan,
    CensusVisit,
    CourtApplication,
    FollowUp,
    PlanItem,
    ProjectService,
    ServiceProject,
)

# --- census visits (摸底排查走访) -------------------------------------------------------------


@strawberry.type(name="CensusVisitConnection", description="A page of census visits (走访列表).")
class CensusVisitConnection(CountedConnection[CensusVisit]):
    pass


@strawberry.input(description="A census or home visit (摸底排查走访) by a village child director.")
class RecordCensusVisitInput:
    child_id: strawberry.ID
    visited_on: date = strawberry.field(
        description="Day of the visit, not in the future (走访日期)."
    )
    visitor_name: str = strawberry.field(description="Who visited (走访人).")
    met_with: str = strawberry.field(
        description="Whom the visitor met: the child, caregivers, neighbours (走访对象)."
    )
    guardianship_type_observed: enums.GuardianshipType | None = strawberry.field(
        default=None, description="Guardianship type the visitor saw (监护类型)."
    )
    changes_noted: str | None = strawberry.field(
        default=None, description="What had changed since the last visit (变化情况)."
    )


@strawberry.input(description="Review a census visit (审核走访记录), naming the version you read.")
class ReviewCensusVisitInput:
    id: strawberry.ID
    version: int


@strawberry.type
class CensusVisitPayload:
    visit: CensusVisit


# --- social assistance (社会救助) ----------------------------------------------------------------


@strawberry.input(description="Enrol a child in social assistance (社会救助登记).")
class EnrollInAssistanceInput:
    child_id: strawberry.ID
    kind: enums.AssistanceKind = strawberry.field(
        description="MINIMUM_LIVING_ALLOWANCE (低保), EXTREME_POVERTY_SUPPORT (特困供养), "
        "TEMPORARY_ASSISTANCE (临时救助) or NO_DE_FACTO_CAREGIVER_ALLOWANCE (事实无人抚养儿童"
        "基本生活补贴); medical and housing assistance are administered elsewhere."
    )
    status: AssistanceEnrollmentStatus = strawberry.field(
        default=AssistanceEnrollmentStatus.APPLIED,
        description="APPROVED and SUSPENDED need the amount and the approving organisation; "
        "ENDED needs the end date.",
    )
    monthly_amount: int | None = strawberry.field(
        default=None,
        description="Monthly amount in whole yuan (月发放金额), not for temporary assistance.",
    )
    one_off_amount: int | None = strawberry.field(
        default=None, description="One-off amount of temporary assistance in whole yuan."
    )
    start_on: date = strawberry.field(description="First day, not in the future (起始日期).")
    end_on: date | None = strawberry.field(
        default=None,
        description="Last day, not before the start (终止日期); may be a planned end, except "
        "for an ENDED enrolment.",
    )
    approving_organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The approving civil affairs bureau or township government (审批单位), "
        "whose area includes where the child lives.",
    )


@strawberry.input(
    description="Change a social assistance enrolment (变更救助), naming the version you read. "
    "Omitted fields stay as they are; null clears endOn or approvingOrganizationId."
)
class UpdateAssistanceEnrollmentInput:
    id: strawberry.ID
    version: int
    status: AssistanceEnrollmentStatus | None = strawberry.UNSET
    monthly_amount: int | None = strawberry.UNSET
    one_off_amount: int | None = strawberry.UNSET
    start_on: date | None = strawberry.UNSET
    end_on: date | None = strawberry.UNSET
    approving_organization_id: strawberry.ID | None = strawberry.UNSET


@strawberry.type
class AssistanceEnrollmentPayload:
    enrollment: AssistanceEnrollment


# --- service projects (童伴计划, 童村同在, 社工服务项目) ------------------------------------


@strawberry.type(
    name="ServiceProjectConnection", description="A page of care service projects (服务项目列表)."
)
class ServiceProjectConnection(CountedConnection[ServiceProject]):
    pass


@strawberry.input(description="Register a care service project (登记关爱服务项目).")
class CreateServiceProjectInput:
    name: str = strawberry.field(description="Project name (项目名称).")
    kind: ServiceProjectKind
    funder: str = strawberry.field(description="Who funds it (资助方).")
    start_on: date = strawberry.field(description="First day, not in the future (开始日期).")
    end_on: date | None = strawberry.field(
        default=None, description="Planned last day, not before the start (结束日期)."
    )
    village_codes: list[str] = strawberry.field(
        description="12-digit codes of the villages or communities it covers (覆盖村/社区)."
    )


@strawberry.input(description="A service a care project gave a child (记录项目服务).")
class RecordProjectServiceInput:
    project_id: strawberry.ID
    child_id: strawberry.ID = strawberry.field(
        description="The child, who must live in a village the project covers."
    )
    served_on: date = strawberry.field(
        description="Day of the service, within the project's period and not in the future."
    )
    kind: ProjectServiceKind
    note: str | None = strawberry.field(
        default=None, description="What was done (服务内容); required for OTHER."
    )


@strawberry.type
class ServiceProjectPayload:
    project: ServiceProject


@strawberry.type
class ProjectServicePayload:
    service: ProjectService


# --- assessment and assistance (评估帮扶), guardianship intervention (监护干预) ---------------


@strawberry.input(description="What the assessment found on one dimension (评估结论).")
class AssessmentFindingInput:
    finding: AssessmentFinding
    note: str | None = strawberry.field(
        default=None, description="What was seen, at most 4000 characters (情况说明)."
    )


@strawberry.input(
    description="Assess the child of a case (评估): safety situation, guardianship, physical and "
    "mental health, and the risk level."
)
class RecordAssessmentInput:
    case_id: strawberry.ID
    safety: AssessmentFindingInput = strawberry.field(description="Safety situation (安全处境).")
    guardianship: AssessmentFindingInput = strawberry.field(description="Guardianship (监护情况).")
    health: AssessmentFindingInput = strawberry.field(
        description="Physical and mental health (身心健康)."
    )
    risk_level: enums.RiskLevel = strawberry.field(
        description="Risk level (风险等级); it becomes the case's."
    )
    assessed_on: date = strawberry.field(
        description="Day of the assessment, not in the future nor before the case was opened."
    )
    participant_organization_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Organisations that took part (参与评估单位): village committee, school, "
        "medical institution, social workers.",
    )
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organisation assessing; default: yours."
    )


@strawberry.type
class AssessmentPayload:
    assessment: Assessment
    case: Case = strawberry.field(description="The case, now ASSESSED (or as it was, if later).")


@strawberry.input(description="One service of an assistance plan (帮扶事项).")
class PlanItemInput:
    service: AssistanceService
    organization_id: strawberry.ID = strawberry.field(
        description="The organisation that delivers it (责任单位); the case is assigned to it."
    )
    due_on: date = strawberry.field(description="Deliver by this day, not in the past (完成期限).")
    note: str | None = strawberry.field(
        default=None, description="What is to be done, at most 4000 characters (具体内容)."
    )


@strawberry.input(description="Adopt an assistance plan (制定帮扶计划) for an assessed case.")
class AdoptAssistancePlanInput:
    case_id: strawberry.ID
    goal: str = strawberry.field(description="What the plan is to achieve (帮扶目标).")
    items: list[PlanItemInput] = strawberry.field(description="At least one service.")
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organisation adopting it; default: yours."
    )


@strawberry.type
class AssistancePlanPayload:
    plan: AssistancePlan
    case: Case = strawberry.field(description="The case, now IN_PROGRESS.")


@strawberry.input(description="Follow up on a plan item (跟踪回访).")
class RecordFollowUpInput:
    plan_item_id: strawberry.ID
    progress: str = strawberry.field(description="How it is going (进展情况).")
    completed: bool = strawberry.field(
        default=False, description="The service is now delivered: completes the item (已完成)."
    )
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organisation following up; default: yours."
    )


@strawberry.type
class FollowUpPayload:
    follow_up: FollowUp
    plan_item: PlanItem
    case: Case


@strawberry.input(
    description="Apply to the court to revoke a guardian's status (申请撤销监护人资格)."
)
class FileGuardianshipRevocationInput:
    case_id: strawberry.ID
    guardian_id: strawberry.ID = strawberry.field(
        description="A guardian of the case's child whose status is not revoked (被申请人)."
    )
    grounds: list[RevocationGround] = strawberry.field(
        description="At least one ground (申请事由); OTHER_SERIOUS_HARM needs a note."
    )
    court: str = strawberry.field(description="The court applied to (受理法院).")
    filed_on: date = strawberry.field(
        description="Day it was filed, not in the future nor before the case was opened."
    )
    note: str | None = strawberry.field(
        default=None, description="What the application says, at most 4000 characters."
    )
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organisation applying; default: yours."
    )


@strawberry.input(
    description="The court's decision on an application (法院判决); when it revokes, the "
    "guardian it designates instead (另行指定监护人)."
)
class RecordCourtDecisionInput:
    application_id: strawberry.ID
    outcome: CourtOutcome
    decided_on: date = strawberry.field(
        description="Day of the judgment, not in the future nor before the filing (判决日期)."
    )
    designated_guardian_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="REVOKED only, and required: another registered guardian, who becomes the "
        "child's legal guardian with full capacity.",
    )
    relationship: enums.Relationship | None = strawberry.field(
        default=None,
        description="REVOKED only: how the designated guardian is related to the child; "
        "required unless they are already linked to the child.",
    )
    lives_with_child: bool | None = strawberry.field(
        default=None,
        description="REVOKED only: whether the designated guardian lives with the child; "
        "required unless they are already linked to the child.",
    )
    note: str | None = strawberry.field(
        default=None, description="What the court said, at most 4000 characters (判决说明)."
    )
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The organisation recording it; default: yours."
    )


@strawberry.type
class CourtApplicationPayload:
    application: CourtApplication
    case: Case


# --- root fields -------------------------------------------------------------------------------


@strawberry.type
class CivilAffairsQuery:
    @strawberry.field(
        description="Census visits not yet reviewed (待审核走访), oldest first, about children in "
        "your scope. Civil affairs plugin."
    )
    async def census_visits_awaiting_review(
        self,
        info: Info,
        region_code: Annotated[
            str | None,
            strawberry.argument(description="Only children living in this region's subtree."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CensusVisitConnection:
        visit = CensusVisitRow
        statement = select(visit).where(
            visit.reviewed_on.is_(None), info.context.visible_children(visit.child_id)
        )
        if region_code is not None:
            in_region = region_condition(
                models.Child.residence_region_code, region_code, "regionCode"
            )
            statement = statement.where(
                visit.child_id.in_(select(models.Child.id).where(in_region))
            )
        rows, page_info, count, cursors = await fetch_page(
            info,
            statement,
            sort=[SortKey(visit.visited_on), SortKey(visit.id)],
            page=PageArguments(first, after, last, before),
        )
        edges = [
            relay.Edge(node=CensusVisit.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return CensusVisitConnection(edges=edges, page_info=page_info, count_statement=count)

    @strawberry.field(
        description="Care service projects (关爱服务项目), newest first. Civil affairs plugin."
    )
    async def service_projects(
        self,
        info: Info,
        region_code: Annotated[
            str | None,
            strawberry.argument(
                description="Only projects covering a village in this region's subtree."
            ),
        ] = None,
        kind: list[ServiceProjectKind] | None = None,
        active_on: Annotated[
            date | None,
            strawberry.argument(description="Only projects running on this day (服务期内)."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ServiceProjectConnection:
        project = ServiceProjectRow
        statement = select(project)
        if region_code is not None:
            village = ServiceProjectVillage
            statement = statement.where(
                project.id.in_(
                    select(village.project_id).where(
                        region_condition(village.region_code, region_code, "regionCode")
                    )
                )
            )
        if kind:
            statement = statement.where(project.kind.in_(kind))
        if active_on is not None:
            statement = statement.where(
                project.start_on <= active_on,
                (project.end_on.is_(None)) | (project.end_on >= active_on),
            )
        rows, page_info, count, cursors = await fetch_page(
            info,
            statement,
            sort=[SortKey(project.start_on, True), SortKey(project.id, True)],
            page=PageArguments(first, after, last, before),
        )
        edges = [
            relay.Edge(node=ServiceProject.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return ServiceProjectConnection(edges=edges, page_info=page_info, count_statement=count)

    @strawberry.field(
        description="Left-behind children (留守儿童) of a region for the joint meeting (联席会议), "
        "grouped; only children in your scope count. Counts from 1 to "
        f"{statistics.SMALL_COUNT_LIMIT} are withheld (null, suppressed) so that no child can be "
        "singled out, and a second cell is withheld wherever one could be worked out from the "
        "total. The total row comes last. Civil affairs plugin."
    )
    async def left_behind_statistics(
        self,
        info: Info,
        region_code: Annotated[
            str, strawberry.argument(description="The region (行政区划代码), its whole subtree.")
        ],
        group_by: Annotated[
            StatisticsGrouping,
            strawberry.argument(
                description="SUBREGION: the region's direct subregions; or the children's "
                "guardianship type, schooling or difficulty category (a child in several "
                "categories counts in each; the total counts children once)."
            ),
        ],
    ) -> list[LeftBehindStatisticsRow]:
        return await statistics.left_behind_statistics(info, region_code, group_by)


@strawberry.type
class CivilAffairsMutation:
    @strawberry.mutation(
        description="Record a census or home visit (记录摸底排查走访); the caller is recorded as "
        "having entered it. Civil affairs plugin."
    )
    async def record_census_visit(
        self, info: Info, input: RecordCensusVisitInput
    ) -> CensusVisitPayload:
        async with unit_of_work(info) as session:
            row = await services.record_census_visit(
                session,
                info.context.caller,
                child_id=input.child_id,
                visited_on=input.visited_on,
                visitor_name=input.visitor_name,
                met_with=input.met_with,
                guardianship_type_observed=input.guardianship_type_observed,
                changes_noted=input.changes_noted,
            )
        return CensusVisitPayload(visit=CensusVisit.from_row(row))

    @strawberry.mutation(
        description="Review a census visit (审核走访记录): records the caller as reviewer, today. "
        "Only a township supervisor or the city bureau reviews, never whoever entered the visit "
        "(VALIDATION_FAILED). Civil affairs plugin."
    )
    async def review_census_visit(
        self, info: Info, input: ReviewCensusVisitInput
    ) -> CensusVisitPayload:
        async with unit_of_work(info) as session:
            row = await services.review_census_visit(
                session, info.context.caller, visit_id=input.id, version=input.version
            )
        return CensusVisitPayload(visit=CensusVisit.from_row(row))

    @strawberry.mutation(
        description="Enrol a child in social assistance (社会救助登记). Civil affairs plugin."
    )
    async def enroll_in_assistance(
        self, info: Info, input: EnrollInAssistanceInput
    ) -> AssistanceEnrollmentPayload:
        async with unit_of_work(info) as session:
            row = await services.enroll_in_assistance(
                session,
                info.context.caller,
                child_id=input.child_id,
                kind=input.kind,
                status=input.status,
                monthly_amount=input.monthly_amount,
                one_off_amount=input.one_off_amount,
                start_on=input.start_on,
                end_on=input.end_on,
                approving_organization_id=input.approving_organization_id,
            )
        return AssistanceEnrollmentPayload(enrollment=AssistanceEnrollment.from_row(row))

    @strawberry.mutation(
        description="Change a social assistance enrolment (变更救助): approve, suspend, end, or "
        "correct amounts and dates. Civil affairs plugin."
    )
    async def update_assistance_enrollment(
        self, info: Info, input: UpdateAssistanceEnrollmentInput
    ) -> AssistanceEnrollmentPayload:
        async with unit_of_work(info) as session:
            row = await services.update_assistance_enrollment(session, info.context.caller, input)
        return AssistanceEnrollmentPayload(enrollment=AssistanceEnrollment.from_row(row))

    @strawberry.mutation(
        description="Register a care service project (登记关爱服务项目) and the villages it "
        "covers. Civil affairs plugin."
    )
    async def create_service_project(
        self, info: Info, input: CreateServiceProjectInput
    ) -> ServiceProjectPayload:
        async with unit_of_work(info) as session:
            row = await services.create_service_project(
                session,
                info.context.caller,
                name=input.name,
                kind=input.kind,
                funder=input.funder,
                start_on=input.start_on,
                end_on=input.end_on,
                village_codes=input.village_codes,
            )
        return ServiceProjectPayload(project=ServiceProject.from_row(row))

    @strawberry.mutation(
        description="Record a service a care project gave a child (记录项目服务): tutoring, "
        "counselling, a letter from home, a surrogate parent. Civil affairs plugin."
    )
    async def record_project_service(
        self, info: Info, input: RecordProjectServiceInput
    ) -> ProjectServicePayload:
        async with unit_of_work(info) as session:
            row = await services.record_project_service(
                session,
                info.context.caller,
                project_id=input.project_id,
                child_id=input.child_id,
                served_on=input.served_on,
                kind=input.kind,
                note=input.note,
            )
        return ProjectServicePayload(service=ProjectService.from_row(row))

    @strawberry.mutation(
        description="Assess the child of a case (评估): safety situation, guardianship, physical "
        "and mental health and the risk level, which becomes the case's. An OPEN case becomes "
        "ASSESSED and its assessment deadline is met. Civil affairs plugin."
    )
    async def record_assessment(
        self, info: Info, input: RecordAssessmentInput
    ) -> AssessmentPayload:
        async with unit_of_work(info) as session:
            row, case = await workflow.record_assessment(
                session,
                info.context.caller,
                case_id=input.case_id,
                safety=_finding(input.safety),
                guardianship=_finding(input.guardianship),
                health=_finding(input.health),
                risk_level=input.risk_level,
                assessed_on=input.assessed_on,
                participant_organization_ids=input.participant_organization_ids,
                organization_id=input.organization_id,
            )
        return AssessmentPayload(assessment=Assessment.from_row(row), case=Case.from_row(case))

    @strawberry.mutation(
        description="Adopt an assistance plan (制定帮扶计划) for an assessed case: "
        "INVALID_TRANSITION before any assessment. The case becomes IN_PROGRESS, each item is "
        "due from its organisation by its day, and the case is assigned to each organisation "
        "(caseAssigned). Civil affairs plugin."
    )
    async def adopt_assistance_plan(
        self, info: Info, input: AdoptAssistancePlanInput
    ) -> AssistancePlanPayload:
        items = [
            workflow.PlanItemDraft(
                service=item.service,
                organization_id=item.organization_id,
                due_on=item.due_on,
                note=item.note,
            )
            for item in input.items
        ]
        async with unit_of_work(info) as session:
            row, case = await workflow.adopt_assistance_plan(
                session,
                info.context.caller,
                case_id=input.case_id,
                goal=input.goal,
                items=items,
                organization_id=input.organization_id,
            )
        return AssistancePlanPayload(plan=AssistancePlan.from_row(row), case=Case.from_row(case))

    @strawberry.mutation(
        description="Follow up on a plan item (跟踪回访); `completed` marks it delivered, once "
        "(VALIDATION_FAILED the second time). A case closes only when all its items are "
        "completed. Civil affairs plugin."
    )
    async def record_follow_up(self, info: Info, input: RecordFollowUpInput) -> FollowUpPayload:
        async with unit_of_work(info) as session:
            row, item, case = await workflow.record_follow_up(
                session,
                info.context.caller,
                plan_item_id=input.plan_item_id,
                progress=input.progress,
                completed=input.completed,
                organization_id=input.organization_id,
            )
        return FollowUpPayload(
            follow_up=FollowUp.from_row(row),
            plan_item=PlanItem.from_row(item),
            case=Case.from_row(case),
        )

    @strawberry.mutation(
        description="Apply to the court to revoke a guardian's status (申请撤销监护人资格), on "
        "the grounds the law names. Pending applications keep the case from closing. Civil "
        "affairs plugin."
    )
    async def file_guardianship_revocation(
        self, info: Info, input: FileGuardianshipRevocationInput
    ) -> CourtApplicationPayload:
        async with unit_of_work(info) as session:
            row, case = await workflow.file_guardianship_revocation(
                session,
                info.context.caller,
                case_id=input.case_id,
                guardian_id=input.guardian_id,
                grounds=input.grounds,
                court=input.court,
                filed_on=input.filed_on,
                note=input.note,
                organization_id=input.organization_id,
            )
        return CourtApplicationPayload(
            application=CourtApplication.from_row(row), case=Case.from_row(case)
        )

    @strawberry.mutation(
        description="Record the court's decision on a pending application (法院判决): REVOKED "
        "revokes the guardianship (revokedOn, no longer living with the child) and makes the "
        "designated guardian the child's legal guardian (另行指定监护人); REJECTED changes no "
        "guardianship. INVALID_TRANSITION once decided. Civil affairs plugin."
    )
    async def record_court_decision(
        self, info: Info, input: RecordCourtDecisionInput
    ) -> CourtApplicationPayload:
        async with unit_of_work(info) as session:
            row, case = await workflow.record_court_decision(
                session,
                info.context.caller,
                application_id=input.application_id,
                outcome=input.outcome,
                decided_on=input.decided_on,
                designated_guardian_id=input.designated_guardian_id,
                relationship=input.relationship,
                lives_with_child=input.lives_with_child,
                note=input.note,
                organization_id=input.organization_id,
            )
        return CourtApplicationPayload(
            application=CourtApplication.from_row(row), case=Case.from_row(case)
        )


def _finding(given: AssessmentFindingInput) -> workflow.Finding:
    return workflow.Finding(finding=given.finding, note=given.note)
