"""Police's root fields: compulsory reports by region and status, filing one and taking it
through the workflow (受理, 应急处置, 识别儿童, 转介评估) with the `compulsoryReportFiled`
subscription; guardianship interventions on cases (监护干预); officers' home and school visits;
venues and their inspections."""

import uuid
from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import Annotated

import strawberry
from sqlalchemy import select

from core.plugin_api import (
    After,
    Before,
    Case,
    CountedConnection,
    First,
    Info,
    Last,
    PageArguments,
    ReplaySince,
    SortKey,
    deliveries,
    enums,
    fetch_page,
    models,
    region_condition,
    unit_of_work,
)
from plugins.police import services
from plugins.police.models import CompulsoryReport as CompulsoryReportRow
from plugins.police.models import (
    CompulsoryReportStatus,
    EmergencyMeasureKind,
    GuardianActionKind,
    PoliceVisitConcernLevel,
    PoliceVisitMetWith,
    ReportTrigger,
    VenueInspectionResult,
    VenueKind,
)
from plugins.police.models import Venue as VenueRow
from plugins.police.scopes import report_in_jurisdiction, venue_in_callers_region
from plugins.police.types import (
    CompulsoryReport,
    EmergencyMeasure,
    GuardianAction,
    PoliceVisit,
    Venue,
    VenueInspection,
    visible_reports,
)


@strawberry.type(
    name="CompulsoryReportConnection", description="A page of compulsory reports (强制报告列表)."
)
class CompulsoryReportConnection(CountedConnection[CompulsoryReport]):
    pass


@strawberry.input(description="A compulsory report (强制报告) received from a mandated reporter.")
class FileCompulsoryReportInput:
    child_id: strawberry.ID | None = strawberry.field(
        default=None, description="The child, when identified (儿童)."
    )
    description: str | None = strawberry.field(
        default=None,
        description="Who the child is when not identified: age, sex, clothing (体貌特征).",
    )
    place_region_code: str = strawberry.field(
        description="Region where the child was found (发现地行政区划代码)."
    )
    place_description: str | None = strawberry.field(
        default=None, description="Where, in words (发现地点)."
    )
    reporter_organization_id: strawberry.ID = strawberry.field(
        description="The mandated reporter's organisation (报告单位)."
    )
    trigger: ReportTrigger
    summary: str = strawberry.field(description="What the reporter said (报告内容).")


@strawberry.type
class CompulsoryReportPayload:
    report: CompulsoryReport


@strawberry.input(description="Accept a compulsory report (受理强制报告).")
class AcceptCompulsoryReportInput:
    report_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="Said on accepting (受理意见).")


@strawberry.input(description="An emergency measure taken on an accepted report (应急处置).")
class RecordEmergencyMeasureInput:
    report_id: strawberry.ID
    measure: EmergencyMeasureKind
    note: str = strawberry.field(description="What was done (处置情况).")
    taken_at: datetime | None = strawberry.field(
        default=None,
        description="When, with its offset; not in the future nor before the report. "
        "Default: now (处置时间).",
    )
    placement_organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The organisation caring for the child (临时照护单位): needed for "
        "temporary care by a village committee or in a welfare institution, and of that kind.",
    )


@strawberry.type
class EmergencyMeasurePayload:
    measure: EmergencyMeasure
    report: CompulsoryReport


@strawberry.input(description="Name the registered child a report is about (识别儿童).")
class IdentifyReportedChildInput:
    report_id: strawberry.ID
    id_number: str = strawberry.field(
        description="The child's resident ID number (身份证号); any registered child."
    )


@strawberry.input(
    description="Refer an accepted report for assessment (转介评估): opens the protection case "
    "and assigns it to the township government and civil affairs."
)
class ReferCompulsoryReportInput:
    report_id: strawberry.ID
    case_kind: enums.CaseKind = strawberry.field(description="What the case is about (个案类型).")
    summary: str = strawberry.field(description="The case's summary (案情摘要).")
    risk_level: enums.RiskLevel | None = strawberry.field(
        default=None, description="The police's view of the risk (风险等级)."
    )
    township_organization_id: strawberry.ID = strawberry.field(
        description="The township government that leads the assessment (乡镇政府/街道办)."
    )
    civil_affairs_organization_id: strawberry.ID = strawberry.field(
        description="The civil affairs organisation that assesses with it (民政部门)."
    )


@strawberry.type
class ReferralPayload:
    report: CompulsoryReport
    case: Case = strawberry.field(description="The case the referral opened (转介个案).")


@strawberry.input(description="A guardianship intervention by the police (公安监护干预) in a case.")
class RecordGuardianActionInput:
    case_id: strawberry.ID
    guardian_id: strawberry.ID = strawberry.field(
        description="A guardian of the case's child (监护人)."
    )
    action: GuardianActionKind
    taken_on: date = strawberry.field(description="Day it was taken, not in the future (干预日期).")
    note: str = strawberry.field(description="What was done and why (干预情况).")


@strawberry.type
class GuardianActionPayload:
    action: GuardianAction


@strawberry.type(name="VenueConnection", description="A page of venues (场所列表).")
class VenueConnection(CountedConnection[Venue]):
    pass


@strawberry.input(description="A home or school visit (走访) by a police officer.")
class RecordPoliceVisitInput:
    child_id: strawberry.ID
    visited_on: date = strawberry.field(
        description="Day of the visit, not in the future (走访日期)."
    )
    met_with: list[PoliceVisitMetWith] = strawberry.field(
        description="Whom the officer met, at least one (走访对象)."
    )
    life_situation: str | None = strawberry.field(
        default=None, description="What the officer learned of the child's life (生活情况)."
    )
    schooling_situation: str | None = strawberry.field(
        default=None, description="What the officer learned of the child's schooling (学习情况)."
    )
    safety_situation: str | None = strawberry.field(
        default=None, description="What the officer learned of the child's safety (安全情况)."
    )
    concern_level: PoliceVisitConcernLevel | None = strawberry.field(
        default=None, description="How worried the officer came away (关注程度)."
    )


@strawberry.type
class PoliceVisitPayload:
    visit: PoliceVisit


@strawberry.input(description="Register a venue minors may not enter (登记网吧/游戏厅/录像厅).")
class RegisterVenueInput:
    name: str = strawberry.field(description="Name, unique in its region (场所名称).")
    kind: VenueKind
    region_code: str = strawberry.field(
        description="Region of the venue, inside the caller's region (所在行政区划代码)."
    )
    address: str = strawberry.field(description="Address (地址).")


@strawberry.type
class VenuePayload:
    venue: Venue


@strawberry.input(description="An inspection of a venue (场所巡查).")
class RecordVenueInspectionInput:
    venue_id: strawberry.ID
    inspected_on: date = strawberry.field(
        description="Day of the inspection, not in the future (巡查日期)."
    )
    minors_found: int = strawberry.field(description="Minors found on the premises, 0 or more.")
    no_minors_sign_displayed: bool = strawberry.field(
        description="The no-minors sign was displayed (是否悬挂未成年人禁入标志)."
    )
    result: VenueInspectionResult = strawberry.field(
        description="COMPLIANT only with no minors found and the sign displayed."
    )
    follow_up: str | None = strawberry.field(
        default=None, description="What must be corrected (整改要求); needed for a violation."
    )
    follow_up_due_on: date | None = strawberry.field(
        default=None, description="Correct by (整改期限), not before the inspection."
    )


@strawberry.type
class VenueInspectionPayload:
    inspection: VenueInspection


@strawberry.type
class PoliceQuery:
    @strawberry.field(
        description="Compulsory reports (强制报告), newest first, by status and region: about "
        "children you see, and, while the child is not identified, those placed in your region "
        "or routed to your station. Police plugin."
    )
    async def compulsory_reports(
        self,
        info: Info,
        status: list[CompulsoryReportStatus] | None = None,
        region_code: Annotated[
            str | None,
            strawberry.argument(description="Only reports from this region's subtree (辖区)."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> CompulsoryReportConnection:
        statement = select(CompulsoryReportRow).where(visible_reports(info))
        if status:
            statement = statement.where(CompulsoryReportRow.status.in_(status))
        if region_code is not None:
            statement = statement.where(
                region_condition(CompulsoryReportRow.place_region_code, region_code, "regionCode")
            )
        sort = [
            SortKey(CompulsoryReportRow.reported_at, True),
            SortKey(CompulsoryReportRow.id, True),
        ]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=CompulsoryReport.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return CompulsoryReportConnection(edges=edges, page_info=page_info, count_statement=count)

    @strawberry.field(
        description="Internet cafés, game halls and video halls (网吧/游戏厅/录像厅) in the "
        "caller's region, by name. Police plugin."
    )
    async def venues(
        self,
        info: Info,
        region_code: Annotated[
            str | None,
            strawberry.argument(description="Only venues in this region's subtree (辖区)."),
        ] = None,
        kind: list[VenueKind] | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> VenueConnection:
        statement = select(VenueRow).where(venue_in_callers_region(info.context.caller))
        if region_code is not None:
            statement = statement.where(
                region_condition(VenueRow.region_code, region_code, "regionCode")
            )
        if kind:
            statement = statement.where(VenueRow.kind.in_(kind))
        sort = [SortKey(VenueRow.name), SortKey(VenueRow.id)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=Venue.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return VenueConnection(edges=edges, page_info=page_info, count_statement=count)


@strawberry.type
class PoliceMutation:
    @strawberry.mutation(
        description="Receive a compulsory report (接报强制报告) about a child out of "
        "guardianship or harmed. Police plugin."
    )
    async def file_compulsory_report(
        self, info: Info, input: FileCompulsoryReportInput
    ) -> CompulsoryReportPayload:
        async with unit_of_work(info) as session:
            row = await services.file_compulsory_report(
                session,
                info.context.caller,
                child_id=input.child_id,
                description=input.description,
                place_region_code=input.place_region_code,
                place_description=input.place_description,
                reporter_organization_id=input.reporter_organization_id,
                trigger=input.trigger,
                summary=input.summary,
            )
        return CompulsoryReportPayload(report=CompulsoryReport.from_row(row))

    @strawberry.mutation(
        description="Accept a received compulsory report (受理); its acceptance deadline is met. "
        "Police plugin."
    )
    async def accept_compulsory_report(
        self, info: Info, input: AcceptCompulsoryReportInput
    ) -> CompulsoryReportPayload:
        async with unit_of_work(info) as session:
            row = await services.accept_compulsory_report(
                session,
                info.context.caller,
                visible_reports(info),
                report_id=input.report_id,
                note=input.note,
            )
        return CompulsoryReportPayload(report=CompulsoryReport.from_row(row))

    @strawberry.mutation(
        description="Record an emergency measure (应急处置) on an accepted report. Police plugin."
    )
    async def record_emergency_measure(
        self, info: Info, input: RecordEmergencyMeasureInput
    ) -> EmergencyMeasurePayload:
        async with unit_of_work(info) as session:
            row = await services.record_emergency_measure(
                session,
                info.context.caller,
                visible_reports(info),
                report_id=input.report_id,
                measure=input.measure,
                note=input.note,
                taken_at=input.taken_at,
                placement_organization_id=input.placement_organization_id,
            )
            report = await session.get(CompulsoryReportRow, row.report_id)
            assert report is not None
        return EmergencyMeasurePayload(
            measure=EmergencyMeasure.from_row(row), report=CompulsoryReport.from_row(report)
        )

    @strawberry.mutation(
        description="Name the registered child a report is about (识别儿童), by resident ID "
        "number; not once the report is referred or closed. Police plugin."
    )
    async def identify_reported_child(
        self, info: Info, input: IdentifyReportedChildInput
    ) -> CompulsoryReportPayload:
        async with unit_of_work(info) as session:
            row = await services.identify_reported_child(
                session,
                info.context.caller,
                visible_reports(info),
                report_id=input.report_id,
                id_number=input.id_number,
            )
        return CompulsoryReportPayload(report=CompulsoryReport.from_row(row))

    @strawberry.mutation(
        description="Refer an accepted report about an identified child for assessment "
        "(转介评估): opens the protection case, whose timeline starts with the report, its "
        "acceptance and the emergency measures. Police plugin."
    )
    async def refer_compulsory_report(
        self, info: Info, input: ReferCompulsoryReportInput
    ) -> ReferralPayload:
        async with unit_of_work(info) as session:
            row = await services.refer_compulsory_report(
                session,
                info.context.caller,
                visible_reports(info),
                report_id=input.report_id,
                case_kind=input.case_kind,
                summary=input.summary,
                risk_level=input.risk_level,
                township_organization_id=input.township_organization_id,
                civil_affairs_organization_id=input.civil_affairs_organization_id,
            )
            case = await session.get(models.Case, row.case_id)
            assert case is not None
        return ReferralPayload(report=CompulsoryReport.from_row(row), case=Case.from_row(case))

    @strawberry.mutation(
        description="Record a guardianship intervention by the police (公安监护干预: 批评教育, "
        "警告, 告诫书, 行政处罚, 立案侦查) against a guardian of the case's child. Police plugin."
    )
    async def record_guardian_action(
        self, info: Info, input: RecordGuardianActionInput
    ) -> GuardianActionPayload:
        async with unit_of_work(info) as session:
            row = await services.record_guardian_action(
                session,
                info.context.caller,
                case_id=input.case_id,
                guardian_id=input.guardian_id,
                action=input.action,
                taken_on=input.taken_on,
                note=input.note,
            )
        return GuardianActionPayload(action=GuardianAction.from_row(row))

    @strawberry.mutation(
        description="Record a home or school visit (记录民警走访) about a child; the child is then "
        "in the jurisdiction of the officer's organisation. Police plugin."
    )
    async def record_police_visit(
        self, info: Info, input: RecordPoliceVisitInput
    ) -> PoliceVisitPayload:
        async with unit_of_work(info) as session:
            row = await services.record_police_visit(
                session,
                info.context.caller,
                child_id=input.child_id,
                visited_on=input.visited_on,
                met_with=input.met_with,
                life_situation=input.life_situation,
                schooling_situation=input.schooling_situation,
                safety_situation=input.safety_situation,
                concern_level=input.concern_level,
            )
        return PoliceVisitPayload(visit=PoliceVisit.from_row(row))

    @strawberry.mutation(
        description="Register an internet café, game hall or video hall (登记场所) in the "
        "caller's region. Police plugin."
    )
    async def register_venue(self, info: Info, input: RegisterVenueInput) -> VenuePayload:
        async with unit_of_work(info) as session:
            row = await services.register_venue(
                session,
                info.context.caller,
                name=input.name,
                kind=input.kind,
                region_code=input.region_code,
                address=input.address,
            )
        return VenuePayload(venue=Venue.from_row(row))

    @strawberry.mutation(
        description="Record an inspection of a venue (记录场所巡查). Police plugin."
    )
    async def record_venue_inspection(
        self, info: Info, input: RecordVenueInspectionInput
    ) -> VenueInspectionPayload:
        async with unit_of_work(info) as session:
            row = await services.record_venue_inspection(
                session,
                info.context.caller,
                venue_id=input.venue_id,
                inspected_on=input.inspected_on,
                minors_found=input.minors_found,
                no_minors_sign_displayed=input.no_minors_sign_displayed,
                result=input.result,
                follow_up=input.follow_up,
                follow_up_due_on=input.follow_up_due_on,
            )
        return VenueInspectionPayload(inspection=VenueInspection.from_row(row))


@strawberry.type
class PoliceSubscription:
    @strawberry.subscription(
        description="Compulsory reports as they are filed (强制报告推送): those placed in your "
        "region or routed to your station, that you may see. Police plugin."
    )
    async def compulsory_report_filed(
        self, info: Info, since: ReplaySince = None
    ) -> AsyncGenerator[CompulsoryReport, None]:
        async for delivery in deliveries(info, services.REPORT_FILED, since=since):
            key = uuid.UUID(delivery.payload["report_id"])
            async with info.context.read_session() as session:
                row = await session.scalar(
                    select(CompulsoryReportRow).where(
                        CompulsoryReportRow.id == key,
                        report_in_jurisdiction(info.context.caller),
                        visible_reports(info),
                    )
                )
            if row is not None:  # elsewhere, or not the caller's to see: skipped silently
                yield CompulsoryReport.from_row(row)
