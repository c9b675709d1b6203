"""Police's GraphQL types, and the `Child.compulsoryReports` and `Child.policeVisits` fields it
adds to the core type."""

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Self

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import (
    Child,
    Info,
    Organization,
    Region,
    Through,
    batch_many_per_key,
    batch_one_per_key,
    children_seen_through,
    load_nodes,
    or_none,
    require_readable,
)
from plugins.police.models import CompulsoryReport as CompulsoryReportRow
from plugins.police.models import (
    CompulsoryReportStatus,
    PoliceVisitConcernLevel,
    PoliceVisitMetWith,
    ReportTrigger,
    VenueInspectionResult,
    VenueKind,
)
from plugins.police.models import PoliceVisit as PoliceVisitRow
from plugins.police.models import Venue as VenueRow
from plugins.police.models import VenueInspection as VenueInspectionRow
from plugins.police.scopes import venue_in_callers_region

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
strawberry.enum(
    PoliceVisitMetWith,
    description="Whom the officer met on a visit (走访对象): a guardian, a teacher, a village "
    "cadre (村干部), the child, someone else.",
)
strawberry.enum(
    PoliceVisitConcernLevel,
    description="How worried the officer came away from a visit (关注程度): low, medium, high.",
)
strawberry.enum(
    VenueKind,
    description="A venue minors may not enter (未成年人禁入场所): internet café (网吧), game hall "
    "(游戏厅), video hall (录像厅).",
)
strawberry.enum(
    VenueInspectionResult,
    description="What an inspection found (巡查结果): compliant (合规), a violation (发现违规).",
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


"""Which of the caller's roles see the child a record is about (None: all of them)."""


def visits_of_child(info: Info) -> DataLoader[uuid.UUID, list[PoliceVisitRow]]:
    return info.context.loader(
        "police.visits_of_child",
        batch_many_per_key(
            info.context.sessions,
            PoliceVisitRow,
            PoliceVisitRow.child_id,
            order_by=[PoliceVisitRow.visited_on, PoliceVisitRow.created_at, PoliceVisitRow.id],
        ),
    )


def visit_by_id(info: Info) -> DataLoader[uuid.UUID, PoliceVisitRow | None]:
    return info.context.loader(
        "police.visit",
        batch_one_per_key(
            info.context.sessions,
            PoliceVisitRow,
            PoliceVisitRow.id,
            where=[info.context.visible_children(PoliceVisitRow.child_id)],
        ),
    )


def venue_by_id(info: Info) -> DataLoader[uuid.UUID, VenueRow | None]:
    """Venues in the caller's region only: others are as unknown as missing ones."""
    return info.context.loader(
        "police.venue",
        batch_one_per_key(
            info.context.sessions,
            VenueRow,
            VenueRow.id,
            where=[venue_in_callers_region(info.context.caller)],
        ),
    )


def inspections_of_venue(info: Info) -> DataLoader[uuid.UUID, list[VenueInspectionRow]]:
    return info.context.loader(
        "police.inspections_of_venue",
        batch_many_per_key(
            info.context.sessions,
            VenueInspectionRow,
            VenueInspectionRow.venue_id,
            order_by=[
                VenueInspectionRow.inspected_on,
                VenueInspectionRow.created_at,
                VenueInspectionRow.id,
            ],
        ),
    )


def inspection_by_id(info: Info) -> DataLoader[uuid.UUID, VenueInspectionRow | None]:
    visible_venues = select(VenueRow.id).where(venue_in_callers_region(info.context.caller))
    return info.context.loader(
        "police.venue_inspection",
        batch_one_per_key(
            info.context.sessions,
            VenueInspectionRow,
            VenueInspectionRow.id,
            where=[VenueInspectionRow.venue_id.in_(visible_venues)],
        ),
    )


@strawberry.type(description="Home or school visit by a police officer (民警走访)")
class PoliceVisit(relay.Node):
    id: relay.NodeID[str]
    visited_on: date = strawberry.field(description="Day of the visit (走访日期).")
    officer_user_id: str = strawberry.field(description="The officer who visited (走访民警).")
    met_with: list[PoliceVisitMetWith] = strawberry.field(
        description="Whom the officer met (走访对象)."
    )
    life_situation: str | None = strawberry.field(
        description="What the officer learned of the child's life (生活情况)."
    )
    schooling_situation: str | None = strawberry.field(
        description="What the officer learned of the child's schooling (学习情况)."
    )
    safety_situation: str | None = strawberry.field(
        description="What the officer learned of the child's safety (安全情况)."
    )
    concern_level: PoliceVisitConcernLevel | None = strawberry.field(
        description="How worried the officer came away (关注程度)."
    )
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID]
    organization_id: strawberry.Private[uuid.UUID]
    # the roles that see the child: the visit's field decisions count only those
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: PoliceVisitRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            visited_on=row.visited_on,
            officer_user_id=row.officer_user_id,
            met_with=[PoliceVisitMetWith(value) for value in row.met_with],
            life_situation=row.life_situation,
            schooling_situation=row.schooling_situation,
            safety_situation=row.safety_situation,
            concern_level=row.concern_level,
            version=row.version,
            child_id=row.child_id,
            organization_id=row.organization_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(visit_by_id(info), node_ids)
        present = [row for row in rows if row is not None]
        through = dict(
            zip(
                [row.id for row in present],
                await children_seen_through(info, [row.child_id for row in present]),
                strict=True,
            )
        )
        return [cls.from_row(row, through[row.id]) if row else None for row in rows]

    @strawberry.field
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))

    @strawberry.field(description="The officer's organisation, e.g. the police station (派出所).")
    async def organization(self, info: Info) -> Organization | None:
        return or_none(
            Organization.from_row,
            await info.context.loaders.organization.load(self.organization_id),
        )


@strawberry.type(description="Venue inspection (网吧/游戏厅/录像厅巡查)")
class VenueInspection(relay.Node):
    id: relay.NodeID[str]
    inspected_on: date = strawberry.field(description="Day of the inspection (巡查日期).")
    minors_found: int = strawberry.field(
        description="Minors found on the premises (发现未成年人数)."
    )
    no_minors_sign_displayed: bool = strawberry.field(
        description="The no-minors sign was displayed (是否悬挂未成年人禁入标志)."
    )
    result: VenueInspectionResult
    follow_up: str | None = strawberry.field(description="What must be corrected (整改要求).")
    follow_up_due_on: date | None = strawberry.field(description="Correct by (整改期限).")
    inspector_user_id: str = strawberry.field(description="The inspecting officer (巡查民警).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    venue_id: strawberry.Private[uuid.UUID]
    organization_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: VenueInspectionRow) -> Self:
        return cls(
            id=str(row.id),
            inspected_on=row.inspected_on,
            minors_found=row.minors_found,
            no_minors_sign_displayed=row.no_minors_sign_displayed,
            result=row.result,
            follow_up=row.follow_up,
            follow_up_due_on=row.follow_up_due_on,
            inspector_user_id=row.inspector_user_id,
            version=row.version,
            venue_id=row.venue_id,
            organization_id=row.organization_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(inspection_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The venue inspected (场所).")
    async def venue(self, info: Info) -> "Venue | None":
        return or_none(Venue.from_row, await venue_by_id(info).load(self.venue_id))

    @strawberry.field(description="The inspecting officer's organisation (巡查单位).")
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        return or_none(
            Organization.from_row,
            await info.context.loaders.organization.load(self.organization_id),
        )


@strawberry.type(description="Venue minors may not enter (网吧/游戏厅/录像厅)")
class Venue(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Name (场所名称).")
    kind: VenueKind
    address: str = strawberry.field(description="Address (地址).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    region_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: VenueRow) -> Self:
        return cls(
            id=str(row.id),
            name=row.name,
            kind=row.kind,
            address=row.address,
            version=row.version,
            region_code=row.region_code,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(venue_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The region the venue is in (所在行政区划).")
    async def region(self, info: Info) -> Region | None:
        return or_none(Region.from_row, await info.context.loaders.region.load(self.region_code))

    @strawberry.field(description="Inspections of the venue (巡查记录), newest first.")
    async def inspections(self, info: Info) -> list[VenueInspection]:
        rows = await inspections_of_venue(info).load(uuid.UUID(self.id))
        return [VenueInspection.from_row(row) for row in reversed(rows)]


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

    @strawberry.field(
        description="Home and school visits by police officers (民警走访), newest first. "
        "Police plugin."
    )
    async def police_visits(self, info: Info, child: strawberry.Parent[Child]) -> list[PoliceVisit]:
        require_readable(info, "PoliceVisit", child.visible_through)
        rows = await visits_of_child(info).load(uuid.UUID(child.id))
        return [PoliceVisit.from_row(row, child.visible_through) for row in reversed(rows)]
