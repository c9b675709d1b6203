"""Police's root fields: compulsory reports by region and status, and filing one; officers'
home and school visits; venues and their inspections."""

from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy import or_, select

from core.plugin_api import (
    CountedConnection,
    Info,
    PageArguments,
    SortKey,
    fetch_page,
    region_condition,
    unit_of_work,
)
from plugins.police import services
from plugins.police.models import CompulsoryReport as CompulsoryReportRow
from plugins.police.models import (
    CompulsoryReportStatus,
    PoliceVisitConcernLevel,
    PoliceVisitMetWith,
    ReportTrigger,
    VenueInspectionResult,
    VenueKind,
)
from plugins.police.models import Venue as VenueRow
from plugins.police.scopes import venue_in_callers_region
from plugins.police.types import CompulsoryReport, PoliceVisit, Venue, VenueInspection


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
        description="Compulsory reports (强制报告), newest first, by status and region. "
        "Police plugin."
    )
    async def compulsory_reports(
        self,
        info: Info,
        status: list[CompulsoryReportStatus] | None = None,
        region_code: Annotated[
            str | None,
            strawberry.argument(description="Only reports from this region's subtree (辖区)."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> CompulsoryReportConnection:
        statement = select(CompulsoryReportRow).where(
            # reports about a child not yet identified are the police's to see
            or_(
                CompulsoryReportRow.child_id.is_(None),
                info.context.visible_children(CompulsoryReportRow.child_id),
            )
        )
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
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
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
