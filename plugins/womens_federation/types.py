"""The women's federation's GraphQL types, and the fields it adds to the core types:
`Child.familyContacts`, `Child.weeklyContact`, `Child.careServices`, `Child.surrogateMothers`
and `Guardian.guidanceSessionsAttended`."""

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, timedelta
from typing import Annotated, Any, Self

import strawberry
from sqlalchemy import exists, or_, select
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import (
    Child,
    Guardian,
    Info,
    Organization,
    Region,
    Through,
    ValidationFailed,
    batch_many_per_key,
    batch_one_per_key,
    children_seen_through,
    load_nodes,
    models,
    or_none,
    require_readable,
)
from plugins.womens_federation.models import CareHome as CareHomeRow
from plugins.womens_federation.models import CareHomeKind, CareServiceKind, ContactChannel
from plugins.womens_federation.models import CareService as CareServiceRow
from plugins.womens_federation.models import CareServiceParticipant as ParticipantRow
from plugins.womens_federation.models import FamilyContact as FamilyContactRow
from plugins.womens_federation.models import GuidanceSession as GuidanceSessionRow
from plugins.womens_federation.models import GuidanceSessionAttendee as AttendeeRow
from plugins.womens_federation.models import SurrogateMother as SurrogateMotherRow
from plugins.womens_federation.scopes import home_in_callers_region

strawberry.enum(
    ContactChannel,
    description="How the parent and child were in touch (联系方式): phone, video call, WeChat, "
    "QQ, letter or a visit home.",
)
strawberry.enum(
    CareHomeKind,
    description="Kind of home (阵地类型): women's home (妇女之家), children's home (儿童之家).",
)
strawberry.enum(
    CareServiceKind,
    description="Kind of care service (关爱服务类型): companionship (陪伴), homework help "
    "(课业辅导), psychological support (心理疏导), safety education (安全教育), other.",
)

MAX_WEEKS = 52
DEFAULT_WEEKS = 4

"""Which of the caller's roles see the child a record is about (None: all of them)."""


def contacts_of_child(info: Info) -> DataLoader[uuid.UUID, list[FamilyContactRow]]:
    return info.context.loader(
        "womens_federation.family_contacts_of_child",
        batch_many_per_key(
            info.context.reads,
            FamilyContactRow,
            FamilyContactRow.child_id,
            order_by=[
                FamilyContactRow.contact_on,
                FamilyContactRow.created_at,
                FamilyContactRow.id,
            ],
        ),
    )


def contact_by_id(info: Info) -> DataLoader[uuid.UUID, FamilyContactRow | None]:
    return info.context.loader(
        "womens_federation.family_contact",
        batch_one_per_key(info.context.reads, FamilyContactRow, FamilyContactRow.id),
    )


@strawberry.type(description="Family contact (亲情联系)")
class FamilyContact(relay.Node):
    id: relay.NodeID[str]
    contact_on: date = strawberry.field(description="Day of the contact (联系日期).")
    channel: ContactChannel
    minutes: int | None = strawberry.field(description="How long, in minutes (通话时长).")
    note: str | None = strawberry.field(description="Note (备注).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID]
    guardian_id: strawberry.Private[uuid.UUID]
    arranged_by_organization_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: FamilyContactRow) -> Self:
        return cls(
            id=str(row.id),
            contact_on=row.contact_on,
            channel=row.channel,
            minutes=row.minutes,
            note=row.note,
            version=row.version,
            child_id=row.child_id,
            guardian_id=row.guardian_id,
            arranged_by_organization_id=row.arranged_by_organization_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(contact_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))

    @strawberry.field(description="The parent or guardian in touch with the child (监护人).")
    async def guardian(self, info: Info) -> Guardian | None:
        return or_none(
            Guardian.from_row, await info.context.loaders.guardian.load(self.guardian_id)
        )

    @strawberry.field(description="Who arranged it: a women's or children's home (组织单位).")
    async def arranged_by(self, info: Info) -> Organization | None:
        if self.arranged_by_organization_id is None:
            return None
        row = await info.context.loaders.organization.load(self.arranged_by_organization_id)
        return Organization.from_row(row) if row else None


def _joined_many(
    info: Info,
    key_column: Any,
    model: type[Any],
    join_on: Any,
    order_by: list[Any],
) -> Callable[[list[uuid.UUID]], Awaitable[list[list[Any]]]]:
    """Rows of `model` per key of a link table's `key_column`, in one statement per batch."""

    async def load(keys: list[uuid.UUID]) -> list[list[Any]]:
        statement = (
            select(key_column, model).join(model, join_on).where(key_column.in_(keys))
        ).order_by(*order_by)
        async with info.context.read_session() as session:
            rows = (await session.execute(statement)).all()
        groups: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for key, row in rows:
            groups[key].append(row)
        return [groups.get(key, []) for key in keys]

    return load


def home_by_id(info: Info) -> DataLoader[uuid.UUID, CareHomeRow | None]:
    """Homes in the caller's region only: others are as unknown as missing ones."""
    return info.context.loader(
        "womens_federation.care_home",
        batch_one_per_key(
            info.context.reads,
            CareHomeRow,
            CareHomeRow.id,
            where=[home_in_callers_region(info.context.caller)],
        ),
    )


def _visible_homes(info: Info) -> Any:
    return select(CareHomeRow.id).where(home_in_callers_region(info.context.caller))


def services_of_home(info: Info) -> DataLoader[uuid.UUID, list[CareServiceRow]]:
    return info.context.loader(
        "womens_federation.care_services_of_home",
        batch_many_per_key(
            info.context.reads,
            CareServiceRow,
            CareServiceRow.home_id,
            order_by=[CareServiceRow.provided_on, CareServiceRow.created_at, CareServiceRow.id],
        ),
    )


def services_of_child(info: Info) -> DataLoader[uuid.UUID, list[CareServiceRow]]:
    return info.context.loader(
        "womens_federation.care_services_of_child",
        _joined_many(
            info,
            ParticipantRow.child_id,
            CareServiceRow,
            CareServiceRow.id == ParticipantRow.service_id,
            [CareServiceRow.provided_on, CareServiceRow.created_at, CareServiceRow.id],
        ),
    )


def participants_of_service(info: Info) -> DataLoader[uuid.UUID, list[ParticipantRow]]:
    return info.context.loader(
        "womens_federation.participants_of_care_service",
        batch_many_per_key(
            info.context.reads,
            ParticipantRow,
            ParticipantRow.service_id,
            order_by=[ParticipantRow.child_id],
        ),
    )


def service_by_id(info: Info) -> DataLoader[uuid.UUID, CareServiceRow | None]:
    """A service of a home in the caller's region, or one a child the caller sees took part in."""
    with_visible_child = exists(
        select(ParticipantRow.child_id).where(
            ParticipantRow.service_id == CareServiceRow.id,
            info.context.visible_children(ParticipantRow.child_id),
        )
    )
    return info.context.loader(
        "womens_federation.care_service",
        batch_one_per_key(
            info.context.reads,
            CareServiceRow,
            CareServiceRow.id,
            where=[or_(CareServiceRow.home_id.in_(_visible_homes(info)), with_visible_child)],
        ),
    )


def sessions_of_home(info: Info) -> DataLoader[uuid.UUID, list[GuidanceSessionRow]]:
    return info.context.loader(
        "womens_federation.guidance_sessions_of_home",
        batch_many_per_key(
            info.context.reads,
            GuidanceSessionRow,
            GuidanceSessionRow.home_id,
            order_by=[GuidanceSessionRow.held_on, GuidanceSessionRow.id],
        ),
    )


def sessions_of_guardian(info: Info) -> DataLoader[uuid.UUID, list[GuidanceSessionRow]]:
    return info.context.loader(
        "womens_federation.guidance_sessions_of_guardian",
        _joined_many(
            info,
            AttendeeRow.guardian_id,
            GuidanceSessionRow,
            GuidanceSessionRow.id == AttendeeRow.session_id,
            [GuidanceSessionRow.held_on, GuidanceSessionRow.id],
        ),
    )


def attendees_of_session(info: Info) -> DataLoader[uuid.UUID, list[AttendeeRow]]:
    return info.context.loader(
        "womens_federation.attendees_of_guidance_session",
        batch_many_per_key(
            info.context.reads,
            AttendeeRow,
            AttendeeRow.session_id,
            order_by=[AttendeeRow.guardian_id],
        ),
    )


def session_by_id(info: Info) -> DataLoader[uuid.UUID, GuidanceSessionRow | None]:
    """A session at a home in the caller's region, or one a guardian of a child the caller
    sees attended."""
    visible_guardians = select(models.Guardianship.guardian_id).where(
        info.context.visible_children(models.Guardianship.child_id)
    )
    with_visible_guardian = exists(
        select(AttendeeRow.guardian_id).where(
            AttendeeRow.session_id == GuidanceSessionRow.id,
            AttendeeRow.guardian_id.in_(visible_guardians),
        )
    )
    return info.context.loader(
        "womens_federation.guidance_session",
        batch_one_per_key(
            info.context.reads,
            GuidanceSessionRow,
            GuidanceSessionRow.id,
            where=[
                or_(GuidanceSessionRow.home_id.in_(_visible_homes(info)), with_visible_guardian)
            ],
        ),
    )


def surrogates_of_child(info: Info) -> DataLoader[uuid.UUID, list[SurrogateMotherRow]]:
    return info.context.loader(
        "womens_federation.surrogate_mothers_of_child",
        batch_many_per_key(
            info.context.reads,
            SurrogateMotherRow,
            SurrogateMotherRow.child_id,
            order_by=[
                SurrogateMotherRow.started_on,
                SurrogateMotherRow.created_at,
                SurrogateMotherRow.id,
            ],
        ),
    )


def surrogate_by_id(info: Info) -> DataLoader[uuid.UUID, SurrogateMotherRow | None]:
    return info.context.loader(
        "womens_federation.surrogate_mother",
        batch_one_per_key(
            info.context.reads,
            SurrogateMotherRow,
            SurrogateMotherRow.id,
            where=[info.context.visible_children(SurrogateMotherRow.child_id)],
        ),
    )


def week_starts(today: date, weeks: int) -> list[date]:
    """The Mondays of the last `weeks` calendar weeks, this week's first."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=n) for n in range(weeks)]


def contact_days_of_child(
    info: Info, since: date, until: date
) -> DataLoader[uuid.UUID, list[date]]:
    """The days of each child's family contacts from `since` to `until`, oldest first."""

    async def load(keys: list[uuid.UUID]) -> list[list[date]]:
        statement = (
            select(FamilyContactRow.child_id, FamilyContactRow.contact_on)
            .where(
                FamilyContactRow.child_id.in_(keys),
                FamilyContactRow.contact_on >= since,
                FamilyContactRow.contact_on <= until,
            )
            .order_by(FamilyContactRow.contact_on)
        )
        async with info.context.read_session() as session:
            rows = (await session.execute(statement)).all()
        days: dict[uuid.UUID, list[date]] = defaultdict(list)
        for child_id, contact_on in rows:
            days[child_id].append(contact_on)
        return [days.get(key, []) for key in keys]

    return info.context.loader(
        f"womens_federation.contact_days:{since.isoformat()}:{until.isoformat()}", load
    )


@strawberry.type(description="Women's home or children's home (妇女之家, 儿童之家)")
class CareHome(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Name (名称).")
    kind: CareHomeKind
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    region_code: strawberry.Private[str]
    organization_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: CareHomeRow) -> Self:
        return cls(
            id=str(row.id),
            name=row.name,
            kind=row.kind,
            version=row.version,
            region_code=row.region_code,
            organization_id=row.organization_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(home_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="Region of the home (所在行政区划).")
    async def region(self, info: Info) -> Region | None:
        return or_none(Region.from_row, await info.context.loaders.region.load(self.region_code))

    @strawberry.field(description="The registered organisation the home is, if any (单位).")
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        return or_none(
            Organization.from_row,
            await info.context.loaders.organization.load(self.organization_id),
        )

    @strawberry.field(description="Care services the home gave (关爱服务), newest first.")
    async def care_services(self, info: Info) -> list["CareService"]:
        rows = await services_of_home(info).load(uuid.UUID(self.id))
        return [CareService.from_row(row) for row in reversed(rows)]

    @strawberry.field(
        description="Family-education guidance sessions held (家庭教育指导), newest first."
    )
    async def guidance_sessions(self, info: Info) -> list["GuidanceSession"]:
        rows = await sessions_of_home(info).load(uuid.UUID(self.id))
        return [GuidanceSession.from_row(row) for row in reversed(rows)]


@strawberry.type(description="Care service of a women's or children's home (关爱服务活动)")
class CareService(relay.Node):
    id: relay.NodeID[str]
    provided_on: date = strawberry.field(description="Day of the service (服务日期).")
    kind: CareServiceKind
    description: str | None = strawberry.field(description="What was done (服务内容).")
    recorded_by_user_id: str = strawberry.field(description="Who recorded it (记录人).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    home_id: strawberry.Private[uuid.UUID]
    # reached from a child: the roles that see that child (field decisions count only those)
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: CareServiceRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            provided_on=row.provided_on,
            kind=row.kind,
            description=row.description,
            recorded_by_user_id=row.recorded_by_user_id,
            version=row.version,
            home_id=row.home_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(service_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The home that gave it (服务阵地).")
    async def home(self, info: Info) -> CareHome | None:
        return or_none(CareHome.from_row, await home_by_id(info).load(self.home_id))

    @strawberry.field(description="How many children took part (参与儿童人数).")
    async def participant_count(self, info: Info) -> int:
        return len(await participants_of_service(info).load(uuid.UUID(self.id)))

    @strawberry.field(description="The children who took part whom the caller may see (参与儿童).")
    async def children(self, info: Info) -> list[Child]:
        participants = await participants_of_service(info).load(uuid.UUID(self.id))
        rows = await info.context.loaders.child.load_many([p.child_id for p in participants])
        return [Child.from_row(row) for row in rows if row is not None]


@strawberry.type(description="Family-education guidance session (家庭教育指导)")
class GuidanceSession(relay.Node):
    id: relay.NodeID[str]
    held_on: date = strawberry.field(description="Day of the session (指导日期).")
    topic: str = strawberry.field(description="Topic (主题).")
    note: str | None = strawberry.field(description="Note (备注).")
    recorded_by_user_id: str = strawberry.field(description="Who recorded it (记录人).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    home_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: GuidanceSessionRow) -> Self:
        return cls(
            id=str(row.id),
            held_on=row.held_on,
            topic=row.topic,
            note=row.note,
            recorded_by_user_id=row.recorded_by_user_id,
            version=row.version,
            home_id=row.home_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(session_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The home that held it (组织阵地).")
    async def home(self, info: Info) -> CareHome | None:
        return or_none(CareHome.from_row, await home_by_id(info).load(self.home_id))

    @strawberry.field(description="How many parents and caregivers attended (参加人数).")
    async def attendee_count(self, info: Info) -> int:
        return len(await attendees_of_session(info).load(uuid.UUID(self.id)))

    @strawberry.field(
        description="The parents and caregivers who attended whom the caller may see (参加人员)."
    )
    async def attendees(self, info: Info) -> list[Guardian]:
        attendees = await attendees_of_session(info).load(uuid.UUID(self.id))
        rows = await info.context.loaders.guardian.load_many([a.guardian_id for a in attendees])
        return [Guardian.from_row(row) for row in rows if row is not None]


@strawberry.type(description="Surrogate mother (代理妈妈) paired with a child")
class SurrogateMother(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="The volunteer's name (姓名).")
    phone: str = strawberry.field(description="The volunteer's phone (联系电话).")
    user_id: str | None = strawberry.field(
        description="The volunteer's user id, when she uses CareGraph (用户标识)."
    )
    started_on: date = strawberry.field(description="First day of the pairing (结对日期).")
    ended_on: date | None = strawberry.field(description="Last day of the pairing (解除日期).")
    end_reason: str | None = strawberry.field(description="Why it ended (解除原因).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID]
    # the roles that see the child: the pairing's field decisions count only those
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: SurrogateMotherRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            name=row.name,
            phone=row.phone,
            user_id=row.user_id,
            started_on=row.started_on,
            ended_on=row.ended_on,
            end_reason=row.end_reason,
            version=row.version,
            child_id=row.child_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(surrogate_by_id(info), node_ids)
        present = [row for row in rows if row is not None]
        through = dict(
            zip(
                [row.id for row in present],
                await children_seen_through(info, [row.child_id for row in present]),
                strict=True,
            )
        )
        return [cls.from_row(row, through[row.id]) if row else None for row in rows]

    @strawberry.field(description="The pairing has not ended (结对中).")
    def active(self) -> bool:
        return self.ended_on is None

    @strawberry.field
    async def child(self, info: Info) -> Child | None:
        return or_none(Child.from_row, await info.context.loaders.child.load(self.child_id))


@strawberry.type(
    description="One calendar week, Monday to Sunday, of family contact (每周亲情联系)."
)
class FamilyContactWeek:
    week_start: date = strawberry.field(description="The Monday (周一).")
    week_end: date = strawberry.field(description="The Sunday (周日).")
    contacted: bool = strawberry.field(
        description="A contact with a parent or guardian was recorded that week (本周已联系)."
    )
    contact_count: int = strawberry.field(description="Contacts recorded that week (联系次数).")
    last_contact_on: date | None = strawberry.field(
        description="Day of the week's latest contact (最近联系日期)."
    )


@strawberry.type
class ChildWomensFederationFields:
    """Added to the core `Child` type."""

    @strawberry.field(
        description="Contacts with working-away parents (亲情联系), newest first. "
        "Women's federation plugin."
    )
    async def family_contacts(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[FamilyContact]:
        rows = await contacts_of_child(info).load(uuid.UUID(child.id))
        return [FamilyContact.from_row(row) for row in reversed(rows)]

    @strawberry.field(
        description="Whether a family contact happened in each of the last calendar weeks, this "
        "week first (每周亲情联系情况; parents contact the child at least weekly, Law on the "
        "Protection of Minors art. 23). Women's federation plugin."
    )
    async def weekly_contact(
        self,
        info: Info,
        child: strawberry.Parent[Child],
        weeks: Annotated[
            int | None,
            strawberry.argument(description=f"How many weeks, 1-{MAX_WEEKS}; 4 when null."),
        ] = DEFAULT_WEEKS,
    ) -> list[FamilyContactWeek]:
        # what the weeks show is when the family contacts happened
        require_readable(info, "FamilyContact", child.visible_through)
        if weeks is None:
            weeks = DEFAULT_WEEKS
        if not 1 <= weeks <= MAX_WEEKS:
            raise ValidationFailed(
                f"weeks run from 1 to {MAX_WEEKS}", field="weeks", maximum=MAX_WEEKS
            )
        today = date.today()
        starts = week_starts(today, weeks)
        days = await contact_days_of_child(info, starts[-1], today).load(uuid.UUID(child.id))
        result = []
        for start in starts:
            end = start + timedelta(days=6)
            in_week = [day for day in days if start <= day <= end]
            result.append(
                FamilyContactWeek(
                    week_start=start,
                    week_end=end,
                    contacted=bool(in_week),
                    contact_count=len(in_week),
                    last_contact_on=max(in_week) if in_week else None,
                )
            )
        return result

    @strawberry.field(
        description="Care services of women's and children's homes the child took part in "
        "(关爱服务), newest first. Women's federation plugin."
    )
    async def care_services(self, info: Info, child: strawberry.Parent[Child]) -> list[CareService]:
        require_readable(info, "CareService", child.visible_through)
        rows = await services_of_child(info).load(uuid.UUID(child.id))
        return [CareService.from_row(row, child.visible_through) for row in reversed(rows)]

    @strawberry.field(
        description="Surrogate mothers (代理妈妈) paired with the child, the latest pairing first. "
        "Women's federation plugin."
    )
    async def surrogate_mothers(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[SurrogateMother]:
        require_readable(info, "SurrogateMother", child.visible_through)
        rows = await surrogates_of_child(info).load(uuid.UUID(child.id))
        return [SurrogateMother.from_row(row, child.visible_through) for row in reversed(rows)]


@strawberry.type
class GuardianWomensFederationFields:
    """Added to the core `Guardian` type."""

    @strawberry.field(
        description="Family-education guidance sessions (家庭教育指导) the guardian attended, "
        "newest first. Women's federation plugin."
    )
    async def guidance_sessions_attended(
        self, info: Info, guardian: strawberry.Parent[Guardian]
    ) -> list[GuidanceSession]:
        require_readable(info, "GuidanceSession", None)
        rows = await sessions_of_guardian(info).load(uuid.UUID(guardian.id))
        return [GuidanceSession.from_row(row) for row in reversed(rows)]
