"""Police's GraphQL types, and the `Child.compulsoryReports` field it adds to the core type."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import (
    Child,
    Info,
    Organization,
    Region,
    batch_many_per_key,
    batch_one_per_key,
    load_nodes,
    or_none,
)
from plugins.police.models import CompulsoryReport as CompulsoryReportRow
from plugins.police.models import CompulsoryReportStatus, ReportTrigger

strawberry.enum(
    ReportTrigger,
    description="What the mandated reporter found (报告情形): a child living alone or missing, "
    "a guardian without capacity or not acting, suspected violence, an accident or unlawful harm.",
)
strawberry.enum(
    CompulsoryReportStatus,
    description="Where the police are with the report (报告状态): received (已接报), "
    "accepted (已受理), closed (已办结).",
)


def reports_of_child(info: Info) -> DataLoader[uuid.UUID, list[CompulsoryReportRow]]:
    return info.context.loader(
        "police.compulsory_reports_of_child",
        batch_many_per_key(
            info.context.sessions,
            CompulsoryReportRow,
            CompulsoryReportRow.child_id,
            order_by=[CompulsoryReportRow.reported_at, CompulsoryReportRow.id],
        ),
    )


def report_by_id(info: Info) -> DataLoader[uuid.UUID, CompulsoryReportRow | None]:
    return info.context.loader(
        "police.compulsory_report",
        batch_one_per_key(info.context.sessions, CompulsoryReportRow, CompulsoryReportRow.id),
    )


@strawberry.type(description="Compulsory report (强制报告)")
class CompulsoryReport(relay.Node):
    id: relay.NodeID[str]
    description: str | None = strawberry.field(
        description="Who the child is, while not yet identified (儿童体貌特征)."
    )
    place_description: str | None = strawberry.field(description="Where, in words (发现地点).")
    trigger: ReportTrigger
    reported_at: datetime = strawberry.field(description="When the report came in (报告时间).")
    summary: str = strawberry.field(description="What the reporter said (报告内容).")
    status: CompulsoryReportStatus
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID | None]
    place_region_code: strawberry.Private[str]
    reporter_organization_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: CompulsoryReportRow) -> Self:
        return cls(
            id=str(row.id),
            description=row.description,
            place_description=row.place_description,
            trigger=row.trigger,
            reported_at=row.reported_at,
            summary=row.summary,
            status=row.status,
            version=row.version,
            child_id=row.child_id,
            place_region_code=row.place_region_code,
            reporter_organization_id=row.reporter_organization_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(report_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The child, once identified (儿童).")
    async def child(self, info: Info) -> Child | None:
        if self.child_id is None:
            return None
        row = await info.context.loaders.child.load(self.child_id)
        return Child.from_row(row) if row else None

    @strawberry.field(description="The region where the child was found (发现地行政区划).")
    async def place_region(self, info: Info) -> Region | None:
        return or_none(
            Region.from_row, await info.context.loaders.region.load(self.place_region_code)
        )

    @strawberry.field(description="The mandated reporter's organisation (报告单位).")
    async def reporter_organization(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.reporter_organization_id)
        return Organization.from_row(row)


@strawberry.type
class ChildPoliceFields:
    """Added to the core `Child` type."""

    @strawberry.field(
        description="Compulsory reports (强制报告) about this child, newest first. Police plugin."
    )
    async def compulsory_reports(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[CompulsoryReport]:
        rows = await reports_of_child(info).load(uuid.UUID(child.id))
        return [CompulsoryReport.from_row(row) for row in reversed(rows)]
