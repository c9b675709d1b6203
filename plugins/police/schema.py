"""Police's root fields: compulsory reports by region and status, and filing one."""

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
from plugins.police.models import CompulsoryReportStatus, ReportTrigger
from plugins.police.types import CompulsoryReport


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
