"""Education's GraphQL types, and the fields it adds to the core `Child` type.

Records about a child load only when the request's row scope includes the child. Records
reached from a child carry that child's `visible_through`, so that for a caller with several
roles only the roles that see the child decide what of the record they may read.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, timedelta
from enum import Enum
from typing import Any, Self

import strawberry
from sqlalchemy import func, select
from strawberry import relay
from strawberry.dataloader import DataLoader

from core.plugin_api import (
    Child,
    Guardian,
    Info,
    Organization,
    Through,
    batch_many_per_key,
    batch_one_per_key,
    batched,
    enums,
    load_nodes,
    models,
    or_none,
    require_readable,
)
from plugins.education.models import ChildrensHome as ChildrensHomeRow
from plugins.education.models import Enrollment as EnrollmentRow
from plugins.education.models import (
    EnrollmentStatus,
    HomeSchoolContactChannel,
    HomeSchoolContactParty,
)
from plugins.education.models import HomeActivity as HomeActivityRow
from plugins.education.models import HomeActivityAttendance as AttendanceRow
from plugins.education.models import HomeSchoolContact as HomeSchoolContactRow
from plugins.education.models import MentoringNote as MentoringNoteRow
from plugins.education.models import MentoringPair as MentoringPairRow

strawberry.enum(EnrollmentStatus, description="Enrolment status (学籍状态).")
strawberry.enum(
    HomeSchoolContactChannel,
    description="How the school reached the family (家校联系方式): phone, QQ, WeChat, letter or "
    "a home visit (家访).",
)
strawberry.enum(
    HomeSchoolContactParty,
    description="Whom the school was in touch with (联系对象): a parent working away (外出务工"
    "父母), the caregiver at home (照护人) or someone else.",
)


@strawberry.enum(description="Why a pupil is at risk of dropping out (辍学风险原因, 控辍保学).")
class DropoutRiskReason(Enum):
    ENROLLMENT_SUSPENDED = strawberry.enum_value(
        "ENROLLMENT_SUSPENDED", description="The enrolment is suspended (休学)."
    )
    ENROLLMENT_DROPPED_OUT = strawberry.enum_value(
        "ENROLLMENT_DROPPED_OUT", description="The enrolment says dropped out (辍学)."
    )
    SCHOOLING_DROPPED_OUT = strawberry.enum_value(
        "SCHOOLING_DROPPED_OUT",
        description="The shared record's schooling says dropped out (就学情况: 辍学).",
    )
    LEFT_BEHIND_WITHOUT_CONTACT = strawberry.enum_value(
        "LEFT_BEHIND_WITHOUT_CONTACT",
        description="A left-behind pupil with no home-school contact in 60 days "
        "(留守儿童60天内无家校联系).",
    )


DROPOUT_CONTACT_DAYS = 60


def dropout_reasons(
    status: EnrollmentStatus,
    schooling: enums.Schooling | None,
    left_behind: bool,
    last_contact_on: date | None,
    today: date,
) -> list[DropoutRiskReason]:
    """The reasons a pupil is at risk (the `dropoutRisks` query's condition, in Python)."""
    if status is EnrollmentStatus.TRANSFERRED:
        return []
    reasons = []
    if status is EnrollmentStatus.SUSPENDED:
        reasons.append(DropoutRiskReason.ENROLLMENT_SUSPENDED)
    if status is EnrollmentStatus.DROPPED_OUT:
        reasons.append(DropoutRiskReason.ENROLLMENT_DROPPED_OUT)
    if schooling is enums.Schooling.DROPPED_OUT:
        reasons.append(DropoutRiskReason.SCHOOLING_DROPPED_OUT)
    if left_behind and not contacted_since(last_contact_on, today, DROPOUT_CONTACT_DAYS):
        reasons.append(DropoutRiskReason.LEFT_BEHIND_WITHOUT_CONTACT)
    return reasons


def contact_cutoff(today: date, days: int) -> date:
    """A contact on or before this day is not "in the last `days` days" (today is day 0)."""
    return today - timedelta(days=days)


def contacted_since(last_contact_on: date | None, today: date, days: int) -> bool:
    return last_contact_on is not None and last_contact_on > contact_cutoff(today, days)


# --- loaders -------------------------------------------------------------------------------


def _one(
    info: Info, name: str, model: type[Any], key: Any, *, child_id: Any = None
) -> DataLoader[Any, Any]:
    where = [info.context.visible_children(child_id)] if child_id is not None else []
    return info.context.loader(
        f"education.{name}", batch_one_per_key(info.context.reads, model, key, where=where)
    )


def _many(
    info: Info, name: str, model: type[Any], key: Any, *order_by: Any
) -> DataLoader[Any, Any]:
    return info.context.loader(
        f"education.{name}",
        batch_many_per_key(info.context.reads, model, key, order_by=list(order_by)),
    )


def enrollment_of_child(info: Info) -> DataLoader[uuid.UUID, EnrollmentRow | None]:
    return _one(info, "enrollment_of_child", EnrollmentRow, EnrollmentRow.child_id)


def enrollment_by_id(info: Info) -> DataLoader[uuid.UUID, EnrollmentRow | None]:
    return _one(
        info, "enrollment", EnrollmentRow, EnrollmentRow.id, child_id=EnrollmentRow.child_id
    )


def _latest_contact_per_child(
    info: Info,
) -> Callable[[list[uuid.UUID]], Awaitable[list[date | None]]]:
    contact = HomeSchoolContactRow

    async def load(keys: list[uuid.UUID]) -> list[date | None]:
        statement = (
            select(contact.child_id, func.max(contact.contacted_on))
            .where(contact.child_id.in_(keys))
            .group_by(contact.child_id)
        )
        async with info.context.read_session() as session:
            latest: dict[uuid.UUID, date] = {
                child_id: on for child_id, on in (await session.execute(statement)).all()
            }
        return [latest.get(key) for key in keys]

    return load


def latest_contact_of_child(info: Info) -> DataLoader[uuid.UUID, date | None]:
    return info.context.loader(
        "education.latest_home_school_contact_of_child", _latest_contact_per_child(info)
    )


def pairs_of_child(info: Info) -> DataLoader[uuid.UUID, list[MentoringPairRow]]:
    row = MentoringPairRow
    return _many(info, "mentoring_pairs_of_child", row, row.child_id, row.started_on, row.id)


def pair_by_id(info: Info) -> DataLoader[uuid.UUID, MentoringPairRow | None]:
    row = MentoringPairRow
    return _one(info, "mentoring_pair", row, row.id, child_id=row.child_id)


def notes_of_pair(info: Info) -> DataLoader[uuid.UUID, list[MentoringNoteRow]]:
    row = MentoringNoteRow
    return _many(
        info, "mentoring_notes_of_pair", row, row.pair_id, row.noted_on, row.created_at, row.id
    )


def note_by_id(info: Info) -> DataLoader[uuid.UUID, MentoringNoteRow | None]:
    row = MentoringNoteRow
    return _one(info, "mentoring_note", row, row.id, child_id=row.child_id)


def contacts_of_child(info: Info) -> DataLoader[uuid.UUID, list[HomeSchoolContactRow]]:
    row = HomeSchoolContactRow
    return _many(
        info,
        "home_school_contacts_of_child",
        row,
        row.child_id,
        row.contacted_on,
        row.created_at,
        row.id,
    )


def contact_by_id(info: Info) -> DataLoader[uuid.UUID, HomeSchoolContactRow | None]:
    row = HomeSchoolContactRow
    return _one(info, "home_school_contact", row, row.id, child_id=row.child_id)


def home_by_id(info: Info) -> DataLoader[uuid.UUID, ChildrensHomeRow | None]:
    return _one(info, "childrens_home", ChildrensHomeRow, ChildrensHomeRow.id)


def activity_by_id(info: Info) -> DataLoader[uuid.UUID, HomeActivityRow | None]:
    return _one(info, "home_activity", HomeActivityRow, HomeActivityRow.id)


def activities_of_home(info: Info) -> DataLoader[uuid.UUID, list[HomeActivityRow]]:
    row = HomeActivityRow
    return _many(
        info, "home_activities_of_home", row, row.home_id, row.held_on, row.created_at, row.id
    )


def attendances_of_activity(info: Info) -> DataLoader[uuid.UUID, list[AttendanceRow]]:
    row = AttendanceRow
    return _many(info, "attendances_of_activity", row, row.activity_id, row.child_id)


def attendances_of_child(info: Info) -> DataLoader[uuid.UUID, list[AttendanceRow]]:
    row = AttendanceRow
    return _many(info, "attendances_of_child", row, row.child_id, row.activity_id)


async def _child(info: Info, child_id: uuid.UUID) -> Child | None:
    return or_none(Child.from_row, await info.context.loaders.child.load(child_id))


async def children_of_enrollments(
    enrollments: Sequence["Enrollment"], info: Info
) -> list[Child | None]:
    rows = await info.context.loaders.child.load_many([e.child_id for e in enrollments])
    return [or_none(Child.from_row, row) for row in rows]


async def latest_contacts_of_enrollments(
    enrollments: Sequence["Enrollment"], info: Info
) -> list[date | None]:
    loader = latest_contact_of_child(info)
    return list(await loader.load_many([e.child_id for e in enrollments]))


def _newest_first(rows: list[Any]) -> list[Any]:
    return list(reversed(rows))


# --- enrolment -----------------------------------------------------------------------------


@strawberry.type(description="A pupil's enrolment (学籍) in the electronic registration system.")
class Enrollment(relay.Node):
    id: relay.NodeID[str]
    student_number: str = strawberry.field(description="Student registration number (学籍号).")
    grade: int = strawberry.field(description="Grade 1-12 (年级).")
    class_name: str | None = strawberry.field(description="Class (班级).")
    boarding: bool = strawberry.field(description="Boards at school (寄宿).")
    status: EnrollmentStatus
    enrolled_on: date
    version: int
    child_id: strawberry.Private[uuid.UUID]
    school_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: EnrollmentRow) -> Self:
        return cls(
            id=str(row.id),
            student_number=row.student_number,
            grade=row.grade,
            class_name=row.class_name,
            boarding=row.boarding,
            status=row.status,
            enrolled_on=row.enrolled_on,
            version=row.version,
            child_id=row.child_id,
            school_id=row.school_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(enrollment_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The school (学校).")
    async def school(self, info: Info) -> Organization:
        row = await info.context.loaders.organization.load(self.school_id)
        return Organization.from_row(row)

    @strawberry.field(metadata=batched(children_of_enrollments))
    async def child(self, info: Info) -> Child | None:
        return (await children_of_enrollments([self], info))[0]

    @strawberry.field(
        description="Day of the pupil's latest home-school contact (最近一次家校联系), if any.",
        metadata=batched(latest_contacts_of_enrollments),
    )
    async def last_home_school_contact_on(self, info: Info) -> date | None:
        return (await latest_contacts_of_enrollments([self], info))[0]


# --- mentoring pairs (结对帮扶) ----------------------------------------------------------------


@strawberry.type(
    description="Mentoring note (帮扶记录): what the mentor and the pupil did or said."
)
class MentoringNote(relay.Node):
    id: relay.NodeID[str]
    noted_on: date = strawberry.field(name="date", description="Day of the note (记录日期).")
    note: str = strawberry.field(description="The note (帮扶情况).")
    recorded_by: str = strawberry.field(description="User id of who recorded it (记录人).")
    pair_id: strawberry.Private[uuid.UUID]
    child_id: strawberry.Private[uuid.UUID]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: MentoringNoteRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            noted_on=row.noted_on,
            note=row.note,
            recorded_by=row.recorded_by,
            pair_id=row.pair_id,
            child_id=row.child_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(note_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The mentoring pair (结对).")
    async def pair(self, info: Info) -> "MentoringPair | None":
        row = await pair_by_id(info).load(self.pair_id)
        return MentoringPair.from_row(row, self.visible_through) if row else None


@strawberry.type(
    description="Mentoring pair (结对帮扶, 德育导师制): a teacher paired with a pupil to look "
    "after them, from a start day until it ends."
)
class MentoringPair(relay.Node):
    id: relay.NodeID[str]
    teacher_name: str = strawberry.field(description="The mentor teacher (帮扶教师).")
    teacher_user_id: str | None = strawberry.field(
        description="The mentor's user id in CareGraph, when the mentor has one."
    )
    started_on: date = strawberry.field(description="First day of the pairing (结对日期).")
    ended_on: date | None = strawberry.field(
        description="Last day of the pairing; null while it lasts (结束日期)."
    )
    help_agreed: str = strawberry.field(description="The help agreed (帮扶内容).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    child_id: strawberry.Private[uuid.UUID]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: MentoringPairRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            teacher_name=row.teacher_name,
            teacher_user_id=row.teacher_user_id,
            started_on=row.started_on,
            ended_on=row.ended_on,
            help_agreed=row.help_agreed,
            version=row.version,
            child_id=row.child_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(pair_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The pupil (学生).")
    async def child(self, info: Info) -> Child | None:
        return await _child(info, self.child_id)

    @strawberry.field(description="Mentoring notes (帮扶记录), oldest first.")
    async def notes(self, info: Info) -> list[MentoringNote]:
        rows = await notes_of_pair(info).load(uuid.UUID(self.id))
        return [MentoringNote.from_row(row, self.visible_through) for row in rows]


# --- home-school contact (家校联系) ------------------------------------------------------------


@strawberry.type(description="Home-school contact (家校联系): the school in touch with the family.")
class HomeSchoolContact(relay.Node):
    id: relay.NodeID[str]
    channel: HomeSchoolContactChannel
    with_whom: HomeSchoolContactParty
    contacted_on: date = strawberry.field(description="Day of the contact (联系日期).")
    summary: str = strawberry.field(description="What was said or agreed (联系内容).")
    recorded_by: str = strawberry.field(description="User id of who recorded it (记录人).")
    child_id: strawberry.Private[uuid.UUID]
    guardian_id: strawberry.Private[uuid.UUID | None]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: HomeSchoolContactRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            channel=row.channel,
            with_whom=row.with_whom,
            contacted_on=row.contacted_on,
            summary=row.summary,
            recorded_by=row.recorded_by,
            child_id=row.child_id,
            guardian_id=row.guardian_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(contact_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The pupil (学生).")
    async def child(self, info: Info) -> Child | None:
        return await _child(info, self.child_id)

    @strawberry.field(description="The guardian the school spoke with, when recorded (监护人).")
    async def guardian(self, info: Info) -> Guardian | None:
        if self.guardian_id is None:
            return None
        return or_none(
            Guardian.from_row, await info.context.loaders.guardian.load(self.guardian_id)
        )


# --- children's homes (留守儿童之家) -----------------------------------------------------------


@strawberry.type(description="Children's home activity (留守儿童之家活动).")
class HomeActivity(relay.Node):
    id: relay.NodeID[str]
    held_on: date = strawberry.field(name="date", description="Day of the activity (活动日期).")
    title: str = strawberry.field(description="Title (活动名称).")
    description: str = strawberry.field(description="What was done (活动内容).")
    recorded_by: str = strawberry.field(description="User id of who recorded it (记录人).")
    home_id: strawberry.Private[uuid.UUID]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def from_row(cls, row: HomeActivityRow, visible_through: Through = None) -> Self:
        return cls(
            id=str(row.id),
            held_on=row.held_on,
            title=row.title,
            description=row.description,
            recorded_by=row.recorded_by,
            home_id=row.home_id,
            visible_through=visible_through,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(activity_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The children's home (留守儿童之家).")
    async def home(self, info: Info) -> "ChildrensHome | None":
        return or_none(ChildrensHome.from_row, await home_by_id(info).load(self.home_id))

    @strawberry.field(
        description="The children who attended (参加儿童), those your role may see, by name."
    )
    async def attendees(self, info: Info) -> list[Child]:
        attendances = await attendances_of_activity(info).load(uuid.UUID(self.id))
        rows = await info.context.loaders.child.load_many([a.child_id for a in attendances])
        visible = [row for row in rows if row is not None]
        return [Child.from_row(row) for row in sorted(visible, key=lambda r: (r.name, r.id))]


@strawberry.type(description="Children's home at a school (留守儿童之家).")
class ChildrensHome(relay.Node):
    id: relay.NodeID[str]
    name: str = strawberry.field(description="Name (名称).")
    facilities: list[str] = strawberry.field(
        description="Facilities (设施): a reading corner, a family phone, a video link…"
    )
    opened_on: date = strawberry.field(description="Day it opened (建成日期).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    school_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: ChildrensHomeRow) -> Self:
        return cls(
            id=str(row.id),
            name=row.name,
            facilities=list(row.facilities),
            opened_on=row.opened_on,
            version=row.version,
            school_id=row.school_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(home_by_id(info), node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The school (学校).")
    async def school(self, info: Info) -> Organization | None:
        return or_none(
            Organization.from_row, await info.context.loaders.organization.load(self.school_id)
        )

    @strawberry.field(description="Activities held (活动), newest first.")
    async def activities(self, info: Info) -> list[HomeActivity]:
        rows = await activities_of_home(info).load(uuid.UUID(self.id))
        return [HomeActivity.from_row(row) for row in _newest_first(rows)]


# --- dropout watch (控辍保学) --------------------------------------------------------------------


@strawberry.type(
    description="A pupil at risk of dropping out (辍学风险, 控辍保学), with the reasons. Its ID "
    "is the enrolment's."
)
class DropoutRisk(relay.Node):
    id: relay.NodeID[str]
    reasons: list[DropoutRiskReason] = strawberry.field(description="Why (风险原因).")
    last_home_school_contact_on: date | None = strawberry.field(
        description="Day of the latest home-school contact (最近一次家校联系), if any."
    )
    enrollment: Enrollment = strawberry.field(description="The enrolment (学籍).")
    child_id: strawberry.Private[uuid.UUID]
    visible_through: strawberry.Private[Through] = None

    @classmethod
    def build(
        cls,
        enrollment: EnrollmentRow,
        child: models.Child | None,
        last_contact_on: date | None,
        today: date,
    ) -> Self | None:
        """The risk, or None when the pupil is not (or no longer) at risk or out of scope."""
        if child is None:
            return None
        reasons = dropout_reasons(
            enrollment.status, child.schooling, child.is_left_behind, last_contact_on, today
        )
        if not reasons:
            return None
        return cls(
            id=str(enrollment.id),
            reasons=reasons,
            last_home_school_contact_on=last_contact_on,
            enrollment=Enrollment.from_row(enrollment),
            child_id=enrollment.child_id,
            visible_through=getattr(child, "visible_through", None),
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows: list[EnrollmentRow | None] = await load_nodes(enrollment_by_id(info), node_ids)
        keys = [row.child_id for row in rows if row is not None]
        children = dict(zip(keys, await info.context.loaders.child.load_many(keys), strict=True))
        latest = dict(zip(keys, await latest_contact_of_child(info).load_many(keys), strict=True))
        today = date.today()
        return [
            cls.build(row, children[row.child_id], latest[row.child_id], today) if row else None
            for row in rows
        ]

    @strawberry.field(description="The pupil (学生).")
    async def child(self, info: Info) -> Child | None:
        return await _child(info, self.child_id)


# --- fields added to Child ---------------------------------------------------------------------


@strawberry.type
class ChildEducationFields:
    """Added to the core `Child` type."""

    @strawberry.field(description="Current school enrolment (学籍), if any. Education plugin.")
    async def enrollment(self, info: Info, child: strawberry.Parent[Child]) -> Enrollment | None:
        require_readable(info, "Enrollment", child.visible_through)
        row = await enrollment_of_child(info).load(uuid.UUID(child.id))
        return Enrollment.from_row(row) if row else None

    @strawberry.field(
        description="Mentoring pairs (结对帮扶), newest first. Education plugin.",
    )
    async def mentoring_pairs(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[MentoringPair]:
        require_readable(info, "MentoringPair", child.visible_through)
        rows = await pairs_of_child(info).load(uuid.UUID(child.id))
        return [MentoringPair.from_row(row, child.visible_through) for row in _newest_first(rows)]

    @strawberry.field(
        description="Home-school contacts (家校联系), newest first. Education plugin.",
    )
    async def home_school_contacts(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[HomeSchoolContact]:
        require_readable(info, "HomeSchoolContact", child.visible_through)
        rows = await contacts_of_child(info).load(uuid.UUID(child.id))
        return [
            HomeSchoolContact.from_row(row, child.visible_through) for row in _newest_first(rows)
        ]

    @strawberry.field(
        description="Children's home activities (留守儿童之家活动) the child attended, newest "
        "first. Education plugin.",
    )
    async def home_activities_attended(
        self, info: Info, child: strawberry.Parent[Child]
    ) -> list[HomeActivity]:
        require_readable(info, "HomeActivity", child.visible_through)
        attendances = await attendances_of_child(info).load(uuid.UUID(child.id))
        rows = await activity_by_id(info).load_many([a.activity_id for a in attendances])
        activities = sorted(
            (row for row in rows if row is not None),
            key=lambda row: (row.held_on, row.created_at, row.id),
            reverse=True,
        )
        return [HomeActivity.from_row(row, child.visible_through) for row in activities]
