"""Education's root fields: enrolments, mentoring pairs, home-school contacts, children's homes
and the dropout watch."""

import uuid
from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy import or_, select
from sqlalchemy.orm import undefer

from core.plugin_api import (
    After,
    Before,
    CountedConnection,
    First,
    Info,
    Last,
    PageArguments,
    SortKey,
    ValidationFailed,
    decode_global_id,
    enums,
    fetch_page,
    models,
    unit_of_work,
)
from plugins.education import services
from plugins.education.models import (
    NEVER_CONTACTED,
    EnrollmentStatus,
    HomeSchoolContactChannel,
    HomeSchoolContactParty,
)
from plugins.education.models import ChildrensHome as ChildrensHomeRow
from plugins.education.models import Enrollment as EnrollmentRow
from plugins.education.types import (
    DROPOUT_CONTACT_DAYS,
    ChildrensHome,
    DropoutRisk,
    Enrollment,
    HomeActivity,
    HomeSchoolContact,
    MentoringNote,
    MentoringPair,
    contact_cutoff,
)

NEEDING_CONTACT_DAYS = (1, 365)


@strawberry.type(name="EnrollmentConnection", description="A page of enrolments (学籍列表).")
class EnrollmentConnection(CountedConnection[Enrollment]):
    pass


@strawberry.type(
    name="ChildrensHomeConnection", description="A page of children's homes (留守儿童之家列表)."
)
class ChildrensHomeConnection(CountedConnection[ChildrensHome]):
    pass


@strawberry.type(
    name="DropoutRiskConnection",
    description="A page of pupils at risk of dropping out (辍学风险名单, 控辍保学).",
)
class DropoutRiskConnection(CountedConnection[DropoutRisk]):
    pass


# --- inputs ----------------------------------------------------------------------------------


@strawberry.input(description="Enrol a child at a school (学籍登记).")
class EnrollChildInput:
    child_id: strawberry.ID
    school_id: strawberry.ID
    student_number: str = strawberry.field(description="学籍号.")
    grade: int
    class_name: str | None = None
    boarding: bool = False
    enrolled_on: date


@strawberry.input(
    description="Change an enrolment (学籍变更): only the fields you send change; send the "
    "version you read."
)
class UpdateEnrollmentInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read.")
    grade: int | None = strawberry.field(default=strawberry.UNSET, description="Grade 1-12.")
    class_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Class (班级); null clears it."
    )
    boarding: bool | None = strawberry.field(default=strawberry.UNSET, description="寄宿.")
    status: EnrollmentStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Enrolment status (学籍状态)."
    )


@strawberry.input(description="Pair a teacher with a pupil (结对帮扶).")
class StartMentoringPairInput:
    child_id: strawberry.ID
    teacher_name: str = strawberry.field(description="The mentor teacher (帮扶教师).")
    teacher_user_id: str | None = strawberry.field(
        default=None, description="The mentor's CareGraph user id, if any."
    )
    started_on: date = strawberry.field(description="First day, not in the future (结对日期).")
    help_agreed: str = strawberry.field(description="The help agreed (帮扶内容).")


@strawberry.input(description="End a mentoring pair (结束结对), naming the version you read.")
class EndMentoringPairInput:
    id: strawberry.ID
    version: int
    ended_on: date = strawberry.field(
        description="Last day: not before the start, nor in the future (结束日期)."
    )


@strawberry.input(description="A mentoring note (帮扶记录) under a pair.")
class AddMentoringNoteInput:
    pair_id: strawberry.ID
    noted_on: date = strawberry.field(
        name="date",
        description="Day of the note, within the pairing and not in the future (记录日期).",
    )
    note: str = strawberry.field(description="What the mentor and the pupil did or said.")


@strawberry.input(description="A home-school contact (家校联系).")
class RecordHomeSchoolContactInput:
    child_id: strawberry.ID
    channel: HomeSchoolContactChannel
    with_whom: HomeSchoolContactParty
    guardian_id: strawberry.ID | None = strawberry.field(
        default=None, description="The guardian spoken with; must be linked to the child."
    )
    contacted_on: date = strawberry.field(description="Day of the contact, not in the future.")
    summary: str = strawberry.field(description="What was said or agreed (联系内容).")


@strawberry.input(description="Register a children's home at a school (留守儿童之家).")
class RegisterChildrensHomeInput:
    school_id: strawberry.ID
    name: str
    facilities: list[str] = strawberry.field(
        default_factory=list, description="Facilities (设施), e.g. 图书角, 亲情电话."
    )
    opened_on: date = strawberry.field(description="Day it opened, not in the future.")


@strawberry.input(description="An activity held at a children's home (留守儿童之家活动).")
class RecordHomeActivityInput:
    home_id: strawberry.ID
    held_on: date = strawberry.field(
        name="date", description="Day of the activity, not in the future."
    )
    title: str
    description: str
    attendee_ids: list[strawberry.ID] = strawberry.field(
        description="The children who attended (参加儿童); duplicates are ignored."
    )


# --- payloads ----------------------------------------------------------------------------------


@strawberry.type
class EnrollmentPayload:
    enrollment: Enrollment


@strawberry.type
class MentoringPairPayload:
    pair: MentoringPair


@strawberry.type
class MentoringNotePayload:
    note: MentoringNote


@strawberry.type
class HomeSchoolContactPayload:
    contact: HomeSchoolContact


@strawberry.type
class ChildrensHomePayload:
    home: ChildrensHome


@strawberry.type
class HomeActivityPayload:
    activity: HomeActivity


# --- queries -----------------------------------------------------------------------------------


def _school_key(school_id: strawberry.ID | None) -> uuid.UUID | None:
    if school_id is None:
        return None
    return decode_global_id(school_id, "Organization", field="schoolId")


@strawberry.type
class EducationQuery:
    @strawberry.field(description="Enrolments (学籍), by school and status. Education plugin.")
    async def enrollments(
        self,
        info: Info,
        school_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this school's pupils.")
        ] = None,
        status: list[EnrollmentStatus] | None = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> EnrollmentConnection:
        statement = select(EnrollmentRow).where(
            info.context.visible_children(EnrollmentRow.child_id)
        )
        school_key = _school_key(school_id)
        if school_key is not None:
            statement = statement.where(EnrollmentRow.school_id == school_key)
        if status:
            statement = statement.where(EnrollmentRow.status.in_(status))
        sort = [SortKey(EnrollmentRow.student_number), SortKey(EnrollmentRow.id)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=Enrollment.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return EnrollmentConnection(edges=edges, page_info=page_info, count_statement=count)

    @strawberry.field(
        description="Enrolled pupils of a school with no home-school contact (家校联系) in the "
        "last `days` days, never-contacted and oldest contact first. Education plugin."
    )
    async def pupils_needing_contact(
        self,
        info: Info,
        school_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The school; by default your organisation."),
        ] = None,
        days: Annotated[
            int, strawberry.argument(description="How many days back a contact counts, 1-365.")
        ] = 30,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> EnrollmentConnection:
        low, high = NEEDING_CONTACT_DAYS
        if not low <= days <= high:
            raise ValidationFailed(f"days run from {low} to {high}", field="days")
        async with info.context.read_session() as session:
            school_key = await services.school_to_list(
                session, info.context.caller, _school_key(school_id)
            )
        cutoff = contact_cutoff(date.today(), days)
        statement = (
            select(EnrollmentRow)
            .options(undefer(EnrollmentRow.last_contact_on))
            .where(
                EnrollmentRow.school_id == school_key,
                EnrollmentRow.status == EnrollmentStatus.ENROLLED,
                EnrollmentRow.last_contact_on <= cutoff,
                info.context.visible_children(EnrollmentRow.child_id),
            )
        )
        sort = [SortKey(EnrollmentRow.last_contact_on), SortKey(EnrollmentRow.id)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=Enrollment.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return EnrollmentConnection(edges=edges, page_info=page_info, count_statement=count)

    @strawberry.field(
        description="Pupils at risk of dropping out (控辍保学): enrolment suspended or dropped "
        "out, schooling recorded as dropped out, or left-behind with no home-school contact "
        "in 60 days; by student number. Education plugin."
    )
    async def dropout_risks(
        self,
        info: Info,
        school_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this school's pupils.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> DropoutRiskConnection:
        school_key = _school_key(school_id)
        today = date.today()
        child = models.Child
        statement = (
            select(EnrollmentRow)
            .options(undefer(EnrollmentRow.last_contact_on))
            .join(child, child.id == EnrollmentRow.child_id)
            .where(
                EnrollmentRow.status != EnrollmentStatus.TRANSFERRED,
                or_(
                    EnrollmentRow.status.in_(
                        [EnrollmentStatus.SUSPENDED, EnrollmentStatus.DROPPED_OUT]
                    ),
                    child.schooling == enums.Schooling.DROPPED_OUT,
                    child.is_left_behind
                    & (
                        EnrollmentRow.last_contact_on <= contact_cutoff(today, DROPOUT_CONTACT_DAYS)
                    ),
                ),
                info.context.visible_children(EnrollmentRow.child_id),
            )
        )
        if school_key is not None:
            statement = statement.where(EnrollmentRow.school_id == school_key)
        sort = [SortKey(EnrollmentRow.student_number), SortKey(EnrollmentRow.id)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        children = await info.context.loaders.child.load_many([row.child_id for row in rows])
        edges = []
        for row, pupil, cursor in zip(rows, children, cursors, strict=True):
            last_contact = None if row.last_contact_on == NEVER_CONTACTED else row.last_contact_on
            risk = DropoutRisk.build(row, pupil, last_contact, today)
            if risk is not None:
                edges.append(strawberry.relay.Edge(node=risk, cursor=cursor))
        return DropoutRiskConnection(edges=edges, page_info=page_info, count_statement=count)

    @strawberry.field(
        description="Children's homes at schools (留守儿童之家), by name. Education plugin."
    )
    async def childrens_homes(
        self,
        info: Info,
        school_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this school's homes.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> ChildrensHomeConnection:
        statement = select(ChildrensHomeRow)
        school_key = _school_key(school_id)
        if school_key is not None:
            statement = statement.where(ChildrensHomeRow.school_id == school_key)
        sort = [SortKey(ChildrensHomeRow.name), SortKey(ChildrensHomeRow.id)]
        rows, page_info, count, cursors = await fetch_page(
            info, statement, sort=sort, page=PageArguments(first, after, last, before)
        )
        edges = [
            strawberry.relay.Edge(node=ChildrensHome.from_row(row), cursor=cursor)
            for row, cursor in zip(rows, cursors, strict=True)
        ]
        return ChildrensHomeConnection(edges=edges, page_info=page_info, count_statement=count)


# --- mutations ---------------------------------------------------------------------------------


@strawberry.type
class EducationMutation:
    @strawberry.mutation(description="Enrol a child at a school (学籍登记). Education plugin.")
    async def enroll_child(self, info: Info, input: EnrollChildInput) -> EnrollmentPayload:
        async with unit_of_work(info) as session:
            row = await services.enroll_child(
                session,
                info.context.caller,
                child_id=input.child_id,
                school_id=input.school_id,
                student_number=input.student_number,
                grade=input.grade,
                class_name=input.class_name,
                boarding=input.boarding,
                enrolled_on=input.enrolled_on,
            )
        return EnrollmentPayload(enrollment=Enrollment.from_row(row))

    @strawberry.mutation(
        description="Change a pupil's grade, class, boarding or status (学籍变更). "
        "Education plugin."
    )
    async def update_enrollment(
        self, info: Info, input: UpdateEnrollmentInput
    ) -> EnrollmentPayload:
        async with unit_of_work(info) as session:
            row = await services.update_enrollment(
                session,
                info.context.caller,
                enrollment_id=input.id,
                version=input.version,
                changes=services.set_fields(input),
            )
        return EnrollmentPayload(enrollment=Enrollment.from_row(row))

    @strawberry.mutation(
        description="Pair a teacher with a pupil (结对帮扶, 德育导师制). Education plugin."
    )
    async def start_mentoring_pair(
        self, info: Info, input: StartMentoringPairInput
    ) -> MentoringPairPayload:
        async with unit_of_work(info) as session:
            row = await services.start_mentoring_pair(
                session,
                info.context.caller,
                child_id=input.child_id,
                teacher_name=input.teacher_name,
                teacher_user_id=input.teacher_user_id,
                started_on=input.started_on,
                help_agreed=input.help_agreed,
            )
        return MentoringPairPayload(pair=MentoringPair.from_row(row))

    @strawberry.mutation(description="End a mentoring pair (结束结对). Education plugin.")
    async def end_mentoring_pair(
        self, info: Info, input: EndMentoringPairInput
    ) -> MentoringPairPayload:
        async with unit_of_work(info) as session:
            row = await services.end_mentoring_pair(
                session,
                info.context.caller,
                pair_id=input.id,
                version=input.version,
                ended_on=input.ended_on,
            )
        return MentoringPairPayload(pair=MentoringPair.from_row(row))

    @strawberry.mutation(
        description="Add a mentoring note (帮扶记录) under a pair. Education plugin."
    )
    async def add_mentoring_note(
        self, info: Info, input: AddMentoringNoteInput
    ) -> MentoringNotePayload:
        async with unit_of_work(info) as session:
            row = await services.add_mentoring_note(
                session,
                info.context.caller,
                pair_id=input.pair_id,
                noted_on=input.noted_on,
                note=input.note,
            )
        return MentoringNotePayload(note=MentoringNote.from_row(row))

    @strawberry.mutation(
        description="Record a home-school contact (记录家校联系). Education plugin."
    )
    async def record_home_school_contact(
        self, info: Info, input: RecordHomeSchoolContactInput
    ) -> HomeSchoolContactPayload:
        async with unit_of_work(info) as session:
            row = await services.record_home_school_contact(
                session,
                info.context.caller,
                child_id=input.child_id,
                channel=input.channel,
                with_whom=input.with_whom,
                guardian_id=input.guardian_id,
                contacted_on=input.contacted_on,
                summary=input.summary,
            )
        return HomeSchoolContactPayload(contact=HomeSchoolContact.from_row(row))

    @strawberry.mutation(
        description="Register a children's home at a school (登记留守儿童之家). Education plugin."
    )
    async def register_childrens_home(
        self, info: Info, input: RegisterChildrensHomeInput
    ) -> ChildrensHomePayload:
        async with unit_of_work(info) as session:
            row = await services.register_childrens_home(
                session,
                info.context.caller,
                school_id=input.school_id,
                name=input.name,
                facilities=input.facilities,
                opened_on=input.opened_on,
            )
        return ChildrensHomePayload(home=ChildrensHome.from_row(row))

    @strawberry.mutation(
        description="Record an activity at a children's home and who attended "
        "(记录留守儿童之家活动). Education plugin."
    )
    async def record_home_activity(
        self, info: Info, input: RecordHomeActivityInput
    ) -> HomeActivityPayload:
        async with unit_of_work(info) as session:
            row = await services.record_home_activity(
                session,
                info.context.caller,
                info.context.visible_children,
                home_id=input.home_id,
                held_on=input.held_on,
                title=input.title,
                description=input.description,
                attendee_ids=input.attendee_ids,
            )
        return HomeActivityPayload(activity=HomeActivity.from_row(row))
