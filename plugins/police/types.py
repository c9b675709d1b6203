"""Police's GraphQL types; the `Child.compulsoryReports` and `Child.policeVisits` fields it adds
to the core `Child`, and `Case.compulsoryReport` and `Case.guardianActions` to the core `Case`.

Compulsory reports, and the emergency measures on them, load only where `scopes.report_visible`
holds for the caller (`visible_reports`)."""

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Self

import strawberry
from sqlalchemy import ColumnElement, select
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import (
    Case,
    Child,
    Guardian,
    Info,
    Organization,
    Region,
    Through,
    batch_many_per_key,
    batch_one_per_key,
    children_seen_through,
    load_nodes,
    models,
    or_none,
    require_readable,
)
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
from plugins.police.models import EmergencyMeasure as EmergencyMeasureRow
from plugins.police.models import GuardianAction as GuardianActionRow
from plugins.police.models import PoliceVisit as PoliceVisitRow
from plugins.police.models import Venue as VenueRow
from plugins.police.models import VenueInspection as VenueInspectionRow
from plugins.police.scopes import report_visible, venue_in_callers_region

strawberry.enum(
    ReportTrigger,
    description="What the mandated reporter found (报告情形): a child living alone or missing, "
    "a guardian without capacity or not acting, suspected violence, an accident or unlawful harm.",
)
strawberry.enum(
    CompulsoryReportStatus,
    description="Where the police are with the report (报告状态): received (已接报), "
    "accepted (已受理), referred for assessment (已转介), closed (已办结).",
)
strawberry.enum(
    EmergencyMeasureKind,
    description="An emergency measure the police took (应急处置措施): brought the child to "
    "safety (带离危险环境), medical care (送医救治), temporary care with relatives (亲属临时照护), "
    "by the village or residents' committee (村/居委会临时照护) or in a welfare institution "
    "(福利机构临时照护), a rapid search for a missing child (紧急查找), violence stopped "
    "(制止侵害), parents ordered back or a caregiver named (责令父母返回或委托照护).",
)
strawberry.enum(
    GuardianActionKind,
    description="What the police did about a guardian (监护干预措施): criticism and education "
    "(批评教育), a warning (警告), an admonition letter (告诫书), an administrative penalty "
    "(行政处罚), a criminal case filed (立案侦查).",
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
            info.context.reads,
            CompulsoryReportRow,
            CompulsoryReportRow.child_id,
            order_by=[CompulsoryReportRow.reported_at, CompulsoryReportRow.id],
        ),
    )


def visible_reports(info: Info) -> ColumnElement[bool]:
    """`scopes.report_visible` for this request's caller and row scope."""
    return report_visible(info.context.caller, info.context.visible_children)


def report_by_id(info: Info) -> DataLoader[uuid.UUID, CompulsoryReportRow | None]:
    """Reports the caller may see only: others are as unknown as missing ones."""
    return info.context.loader(
        "police.compulsory_report",
        batch_one_per_key(
            info.context.reads,
            CompulsoryReportRow,
            CompulsoryReportRow.id,
            where=[visible_reports(info)],
        ),
    )


def report_of_case(info: Info) -> DataLoader[uuid.UUID, CompulsoryReportRow | None]:
    return info.context.loader(
        "police.compulsory_report_of_case",
        batch_one_per_key(
            info.context.reads,
            CompulsoryReportRow,
            CompulsoryReportRow.case_id,
            where=[visible_reports(info)],
        ),
    )


def measures_of_report(info: Info) -> DataLoader[uuid.UUID, list[EmergencyMeasureRow]]:
    return info.context.loader(
        "police.emergency_measures_of_report",
        batch_many_per_key(
            info.context.reads,
            EmergencyMeasureRow,
            EmergencyMeasureRow.report_id,
            order_by=[
                EmergencyMeasureRow.taken_at,
                EmergencyMeasureRow.created_at,
                EmergencyMeasureRow.id,
            ],
        ),
    )


def measure_by_id(info: Info) -> DataLoader[uuid.UUID, EmergencyMeasureRow | None]:
    visible = select(CompulsoryReportRow.id).where(visible_reports(info))
    return info.context.loader(
        "police.emergency_measure",
        batch_one_per_key(
            info.context.reads,
            EmergencyMeasureRow,
            EmergencyMeasureRow.id,
            where=[EmergencyMeasureRow.report_id.in_(visible)],
        ),
    )


def actions_of_case(info: Info) -> DataLoader[uuid.UUID, list[GuardianActionRow]]:
    return info.context.loader(
        "police.guardian_actions_of_case",
        batch_many_per_key(
            info.context.reads,
            GuardianActionRow,
            GuardianActionRow.case_id,
            order_by=[
                GuardianActionRow.taken_on,
                GuardianActionRow.created_at,
                GuardianActionRow.id,
            ],
        ),
    )


def action_by_id(info: Info) -> DataLoader[uuid.UUID, GuardianActionRow | None]:
    """Actions on cases about children the caller sees."""
    visible_cases = select(models.Case.id).where(
        info.context.visible_children(models.Case.child_id)
    )
    return info.context.loader(
        "police.guardian_action",
        batch_one_per_key(
            info.context.reads,
            GuardianActionRow,
            GuardianActionRow.id,
            where=[GuardianActionRow.case_id.in_(visible_cases)],
        ),
    )


async def organization_or_none(info: Info, key: uuid.UUID | None) -> Organization | None:
    if key is None:
        return None
    return or_none(Organization.from_row, await info.context.loaders.organization.load(key))


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
    accepted_at: datetime | None = strawberry.field(
        description="When the police accepted the report (受理时间)."
    )
    accepted_by_user_id: str | None = strawberry.field(
        description="The officer who accepted it (受理民警)."
    )
    acceptance_note: str | None = strawberry.field(description="Said on accepting it (受理意见).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID | None]
    place_region_code: strawberry.Private[str]
    reporter_organization_id: strawberry.Private[uuid.UUID]
    police_organization_id: strawberry.Private[uuid.UUID | None]
    accepting_organization_id: strawberry.Private[uuid.UUID | None]
    case_id: strawberry.Private[uuid.UUID | None]

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
            accepted_at=row.accepted_at,
            accepted_by_user_id=row.accepted_by_user_id,
            acceptance_note=row.acceptance_note,
            version=row.version,
            child_id=row.child_id,
            place_region_code=row.place_region_code,
            reporter_organization_id=row.reporter_organization_id,
            police_organization_id=row.police_organization_id,
            accepting_organization_id=row.accepting_organization_id,
            case_id=row.case_id,
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

    @strawberry.field(
        description="The police station of the place's jurisdiction the report was routed to "
        "(辖区派出所); none where no station covers the place."
    )
    async def police_station(self, info: Info) -> Organization | None:
        return await organization_or_none(info, self.police_organization_id)

    @strawberry.field(description="The organisation that accepted the report (受理单位).")
    async def accepting_organization(self, info: Info) -> Organization | None:
        return await organization_or_none(info, self.accepting_organization_id)

    @strawberry.field(
        description="Emergency measures the police took (应急处置), in the order taken."
    )
    async def emergency_measures(self, info: Info) -> list["EmergencyMeasure"]:
        require_readable(info, "EmergencyMeasure", None)
        rows = await measures_of_report(info).load(uuid.UUID(self.id))
        return [EmergencyMeasure.from_row(row) for row in rows]

    @strawberry.field(
        description="The protection case the report was referred into (转介个案), if you may "
        "see it."
    )
    async def case(self, info: Info) -> Case | None:
        if self.case_id is None:
            return None
        return or_none(Case.from_row, await info.context.loaders.case.load(self.case_id))


@strawberry.type(description="Emergency measure on a compulsory report (应急处置)")
class EmergencyMeasure(relay.Node):
    id: relay.NodeID[str]
    measure: EmergencyMeasureKind
    note: str = strawberry.field(description="What was done (处置情况).")
    taken_at: datetime = strawberry.field(description="When it was taken (处置时间).")
    officer_user_id: str = strawberry.field(description="The officer who recorded it (处置民警).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    report_id: strawberry.Private[uuid.UUID]
    placement_organization_id: strawberry.Private[uuid.UUID | None]
    organization_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: EmergencyMeasureRow) -> Self:
        return cls(
            id=str(row.id),
            measure=row.measure,
            note=row.note,
            taken_at=row.taken_at,
            officer_user_id=row.officer_user_id,
            version=row.version,
            report_id=row.report_id,
            placement_organization_id=row.placement_organization_id,
            organization_id=row.organization_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(measure_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The report it was taken on (强制报告).")
    async def report(self, info: Info) -> CompulsoryReport | None:
        return or_none(CompulsoryReport.from_row, await report_by_id(info).load(self.report_id))

    @strawberry.field(
        description="The organisation caring for the child: the village committee or welfare "
        "institution of a temporary placement (临时照护单位)."
    )
    async def placement_organization(self, info: Info) -> Organization | None:
        return await organization_or_none(info, self.placement_organization_id)

    @strawberry.field(description="The officer's organisation, e.g. the station (处置单位).")
    async def organization(self, info: Info) -> Organization | None:
        return await organization_or_none(info, self.organization_id)


@strawberry.type(description="Guardianship intervention by the police (公安监护干预)")
class GuardianAction(relay.Node):
    id: relay.NodeID[str]
    action: GuardianActionKind
    taken_on: date = strawberry.field(description="Day it was taken (干预日期).")
    note: str = strawberry.field(description="What was done and why (干预情况).")
    officer_user_id: str = strawberry.field(description="The officer who recorded it (办案民警).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    case_id: strawberry.Private[uuid.UUID]
    guardian_id: strawberry.Private[uuid.UUID]
    organization_id: strawberry.Private[uuid.UUID]
    # the roles that see the case's child: the action's field decisions count only those
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: GuardianActionRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            action=row.action,
            taken_on=row.taken_on,
            note=row.note,
            officer_user_id=row.officer_user_id,
            version=row.version,
            case_id=row.case_id,
            guardian_id=row.guardian_id,
            organization_id=row.organization_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(action_by_id(info), node_ids)
        present = [row for row in rows if row is not None]
        cases = await info.context.loaders.case.load_many([row.case_id for row in present])
        through = dict(
            zip(
                [row.id for row in present],
                [getattr(case, "visible_through", None) for case in cases],
                strict=True,
            )
        )
        return [cls.from_row(row, through[row.id]) if row else None for row in rows]

    @strawberry.field(description="The case (个案).")
    async def case(self, info: Info) -> Case | None:
        return or_none(Case.from_row, await info.context.loaders.case.load(self.case_id))

    @strawberry.field(description="The guardian the action was against (监护人).")
    async def guardian(self, info: Info) -> Guardian | None:
        row = await info.context.loaders.guardian.load(self.guardian_id)
        return or_none(Guardian.from_row, row)

    @strawberry.field(description="The officer's organisation (办案单位).")
    async def organization(self, info: Info) -> Organization | None:
        return await organization_or_none(info, self.organization_id)


"""Which of the caller's roles see the child a record is about (None: all of them)."""


def visits_of_child(info: Info) -> DataLoader[uuid.UUID, list[PoliceVisitRow]]:
    return info.context.loader(
        "police.visits_of_child",
        batch_many_per_key(
            info.context.reads,
            PoliceVisitRow,
            PoliceVisitRow.child_id,
            order_by=[PoliceVisitRow.visited_on, PoliceVisitRow.created_at, PoliceVisitRow.id],
        ),
    )


def visit_by_id(info: Info) -> DataLoader[uuid.UUID, PoliceVisitRow | None]:
    return info.context.loader(
        "police.visit",
        batch_one_per_key(
            info.context.reads,
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
            info.context.reads,
            VenueRow,
            VenueRow.id,
            where=[venue_in_callers_region(info.context.caller)],
        ),
    )


def inspections_of_venue(info: Info) -> DataLoader[uuid.UUID, list[VenueInspectionRow]]:
    return info.context.loader(
        "police.inspections_of_venue",
        batch_many_per_key(
            info.context.reads,
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
            info.context.reads,
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


@strawberry.type
class CasePoliceFields:
    """Added to the core `Case` type."""

    @strawberry.field(
        description="The compulsory report (强制报告) the case was referred from, if any and if "
        "you may see it. Police plugin."
    )
    async def compulsory_report(
        self, info: Info, case: strawberry.Parent[Case]
    ) -> CompulsoryReport | None:
        require_readable(info, "CompulsoryReport", case.visible_through)
        row = await report_of_case(info).load(uuid.UUID(case.id))
        return or_none(CompulsoryReport.from_row, row)

    @strawberry.field(
        description="Guardianship interventions by the police (公安监护干预) in the case, oldest "
        "first. Police plugin."
    )
    async def guardian_actions(
        self, info: Info, case: strawberry.Parent[Case]
    ) -> list[GuardianAction]:
        require_readable(info, "GuardianAction", case.visible_through)
        rows = await actions_of_case(info).load(uuid.UUID(case.id))
        return [GuardianAction.from_row(row, case.visible_through) for row in rows]
