"""Education's writes: enrolment, mentoring pairs and notes, home-school contacts, children's
homes and their activities; and following the core's schooling changes."""

import re
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import ID, UNSET

from core.plugin_api import (
    Caller,
    Conflict,
    DomainEvent,
    Forbidden,
    NotFound,
    ValidationFailed,
    decode_global_id,
    encode_global_id,
    enums,
    models,
    not_found,
    publish,
    region_condition,
    validation,
)
from plugins.education.models import (
    ChildrensHome,
    Enrollment,
    EnrollmentStatus,
    HomeActivity,
    HomeActivityAttendance,
    HomeSchoolContact,
    HomeSchoolContactChannel,
    HomeSchoolContactParty,
    MentoringNote,
    MentoringPair,
)

STUDENT_NUMBER = re.compile(r"^[A-Z0-9]{6,30}$")
CHILD_ENROLLED = "education.child_enrolled"
ENROLLMENT_UPDATED = "education.enrollment_updated"
MENTORING_PAIR_STARTED = "education.mentoring_pair_started"
MENTORING_PAIR_ENDED = "education.mentoring_pair_ended"
MENTORING_NOTE_ADDED = "education.mentoring_note_added"
HOME_SCHOOL_CONTACT_RECORDED = "education.home_school_contact_recorded"
CHILDRENS_HOME_REGISTERED = "education.childrens_home_registered"
HOME_ACTIVITY_RECORDED = "education.home_activity_recorded"
SCHOOL_KINDS = (enums.OrganizationKind.SCHOOL, enums.OrganizationKind.KINDERGARTEN)
MAX_FACILITIES = 30
MAX_ATTENDEES = 500
VisibleChildren = Callable[[Any], ColumnElement[bool]]


async def enroll_child(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    school_id: ID,
    student_number: str,
    grade: int,
    class_name: str | None,
    boarding: bool,
    enrolled_on: date,
) -> Enrollment:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    school_key = decode_global_id(school_id, "Organization", field="input.schoolId")
    await validation.visible_child(session, child_key, "input.childId")
    school = await session.get(models.Organization, school_key)
    if school is None:
        raise not_found("Organization", "input.schoolId")
    if school.kind not in SCHOOL_KINDS:
        raise ValidationFailed("is not a school or kindergarten", field="input.schoolId")
    number = student_number.strip().upper()
    if not STUDENT_NUMBER.match(number):
        raise ValidationFailed(
            "a student registration number is 6-30 letters and digits", field="input.studentNumber"
        )
    if not 1 <= grade <= 12:
        raise ValidationFailed("grades run from 1 to 12", field="input.grade")
    validation.not_in_future(enrolled_on, "input.enrolledOn")
    existing = await session.scalar(select(Enrollment.id).where(Enrollment.child_id == child_key))
    if existing is not None:
        raise Conflict(
            "the child is already enrolled; update that enrolment instead",
            field="input.childId",
            existingId=encode_global_id("Enrollment", existing),
        )
    taken = await session.scalar(select(Enrollment.id).where(Enrollment.student_number == number))
    if taken is not None:
        raise Conflict(
            "another pupil has this student registration number",
            field="input.studentNumber",
            existingId=encode_global_id("Enrollment", taken),
        )
    enrollment = Enrollment(
        child_id=child_key,
        school_id=school_key,
        student_number=number,
        grade=grade,
        class_name=validation.optional_text(class_name, "input.className", max_length=30),
        boarding=boarding,
        enrolled_on=enrolled_on,
    )
    session.add(enrollment)
    await session.flush()
    await publish(session, DomainEvent(CHILD_ENROLLED, enrollment.id, caller.user_id))
    return enrollment


async def follow_schooling_change(session: AsyncSession, event: DomainEvent) -> None:
    """When the shared record says a child dropped out, the enrolment says so too (控辍保学)."""
    if event.data.get("schooling") != enums.Schooling.DROPPED_OUT.value:
        return
    enrollment = await session.scalar(
        select(Enrollment).where(Enrollment.child_id == uuid.UUID(str(event.record_id)))
    )
    if enrollment is not None and enrollment.status is not EnrollmentStatus.DROPPED_OUT:
        enrollment.status = EnrollmentStatus.DROPPED_OUT
        await session.flush()


# --- shared checks -----------------------------------------------------------------------------


def set_fields(data: Any) -> dict[str, Any]:
    """The fields an update input sets (other than id and version), by Python name."""
    return {
        name: value
        for name, value in vars(data).items()
        if name not in {"id", "version"} and value is not UNSET
    }


def _caller_organization(caller: Caller) -> uuid.UUID | None:
    try:
        return uuid.UUID(caller.organization_id) if caller.organization_id else None
    except ValueError:
        return None


async def _school(session: AsyncSession, key: uuid.UUID, field: str) -> models.Organization:
    school = await session.get(models.Organization, key)
    if school is None:
        raise not_found("Organization", field)
    if school.kind not in SCHOOL_KINDS:
        raise ValidationFailed("is not a school or kindergarten", field=field)
    return school


async def _in_reach(
    session: AsyncSession, caller: Caller, school: models.Organization, field: str
) -> None:
    """A school is the caller's to run a home at when it is their organisation or lies in
    their region (a teacher's own school; a county bureau's schools)."""
    if _caller_organization(caller) == school.id:
        return
    if caller.region_code:
        try:
            in_region = region_condition(models.Organization.region_code, caller.region_code, field)
        except ValidationFailed:
            in_region = None
        if in_region is not None and await session.scalar(
            select(models.Organization.id).where(models.Organization.id == school.id, in_region)
        ):
            return
    raise Forbidden("the school is neither your organisation nor in your region", field=field)


async def school_to_list(
    session: AsyncSession, caller: Caller, school_key: uuid.UUID | None
) -> uuid.UUID:
    """The school a list is about: the one named, else the caller's organisation."""
    if school_key is None:
        school_key = _caller_organization(caller)
        if school_key is None:
            raise ValidationFailed(
                "your credentials name no organisation: pass schoolId", field="schoolId"
            )
    await _school(session, school_key, "schoolId")
    return school_key


async def _visible_pair(session: AsyncSession, key: uuid.UUID, field: str) -> MentoringPair:
    """The pair, if it exists and its child is in the request's scope; NOT_FOUND otherwise."""
    pair = await session.get(MentoringPair, key)
    if pair is None:
        raise not_found("MentoringPair", field)
    try:
        await validation.visible_child(session, pair.child_id, field)
    except NotFound:
        raise not_found("MentoringPair", field) from None
    return pair


def _not_before_birth(child: models.Child, value: date, field: str) -> None:
    if value < child.birth_date:
        raise ValidationFailed("is before the child's birth", field=field)


# --- enrolment updates (学籍变更) --------------------------------------------------------------


async def update_enrollment(
    session: AsyncSession,
    caller: Caller,
    *,
    enrollment_id: ID,
    version: int,
    changes: dict[str, Any],
) -> Enrollment:
    key = decode_global_id(enrollment_id, "Enrollment", field="input.id")
    enrollment = await session.get(Enrollment, key)
    if enrollment is None:
        raise not_found("Enrollment", "input.id")
    try:
        await validation.visible_child(session, enrollment.child_id, "input.id")
    except NotFound:
        raise not_found("Enrollment", "input.id") from None
    validation.check_version(enrollment, version, "Enrollment")
    for name in ("grade", "boarding", "status"):
        if name in changes and changes[name] is None:
            raise ValidationFailed("cannot be cleared", field=f"input.{name}")
    if "grade" in changes and not 1 <= changes["grade"] <= 12:
        raise ValidationFailed("grades run from 1 to 12", field="input.grade")
    if "class_name" in changes:
        changes["class_name"] = validation.optional_text(
            changes["class_name"], "input.className", max_length=30
        )
    if not changes:
        return enrollment
    previous = enrollment.status
    for name, value in changes.items():
        setattr(enrollment, name, value)
    await session.flush()
    data = {
        "child_id": enrollment.child_id,
        "status": enrollment.status.value,
        "previous_status": previous.value,
        "fields": sorted(changes),
    }
    await publish(session, DomainEvent(ENROLLMENT_UPDATED, enrollment.id, caller.user_id, data))
    return enrollment


# --- mentoring pairs (结对帮扶) ----------------------------------------------------------------


async def start_mentoring_pair(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    teacher_name: str,
    teacher_user_id: str | None,
    started_on: date,
    help_agreed: str,
) -> MentoringPair:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    child = await validation.visible_child(session, child_key, "input.childId")
    name = validation.required_text(teacher_name, "input.teacherName", max_length=100)
    user_id = validation.optional_text(teacher_user_id, "input.teacherUserId", max_length=100)
    validation.not_in_future(started_on, "input.startedOn")
    _not_before_birth(child, started_on, "input.startedOn")
    help_text = validation.required_text(help_agreed, "input.helpAgreed", max_length=2000)
    existing = await session.scalar(
        select(MentoringPair.id).where(
            MentoringPair.child_id == child_key,
            MentoringPair.teacher_name == name,
            MentoringPair.ended_on.is_(None),
        )
    )
    if existing is not None:
        raise Conflict(
            "this teacher is already paired with the pupil; end that pair first",
            field="input.teacherName",
            existingId=encode_global_id("MentoringPair", existing),
        )
    pair = MentoringPair(
        child_id=child_key,
        teacher_name=name,
        teacher_user_id=user_id,
        started_on=started_on,
        help_agreed=help_text,
    )
    session.add(pair)
    await session.flush()
    data = {"child_id": child_key}
    await publish(session, DomainEvent(MENTORING_PAIR_STARTED, pair.id, caller.user_id, data))
    return pair


async def end_mentoring_pair(
    session: AsyncSession, caller: Caller, *, pair_id: ID, version: int, ended_on: date
) -> MentoringPair:
    key = decode_global_id(pair_id, "MentoringPair", field="input.id")
    pair = await _visible_pair(session, key, "input.id")
    validation.check_version(pair, version, "MentoringPair")
    if pair.ended_on is not None:
        raise ValidationFailed("the pair has already ended", field="input.id")
    validation.not_in_future(ended_on, "input.endedOn")
    if ended_on < pair.started_on:
        raise ValidationFailed("is before the pair started", field="input.endedOn")
    latest_note = await session.scalar(
        select(func.max(MentoringNote.noted_on)).where(MentoringNote.pair_id == key)
    )
    if latest_note is not None and ended_on < latest_note:
        raise ValidationFailed("a mentoring note is dated after this day", field="input.endedOn")
    pair.ended_on = ended_on
    await session.flush()
    data = {"child_id": pair.child_id}
    await publish(session, DomainEvent(MENTORING_PAIR_ENDED, pair.id, caller.user_id, data))
    return pair


async def add_mentoring_note(
    session: AsyncSession, caller: Caller, *, pair_id: ID, noted_on: date, note: str
) -> MentoringNote:
    key = decode_global_id(pair_id, "MentoringPair", field="input.pairId")
    pair = await _visible_pair(session, key, "input.pairId")
    validation.not_in_future(noted_on, "input.date")
    if noted_on < pair.started_on:
        raise ValidationFailed("is before the pair started", field="input.date")
    if pair.ended_on is not None and noted_on > pair.ended_on:
        raise ValidationFailed("is after the pair ended", field="input.date")
    entry = MentoringNote(
        pair_id=key,
        child_id=pair.child_id,
        noted_on=noted_on,
        note=validation.required_text(note, "input.note", max_length=4000),
        recorded_by=caller.user_id,
    )
    session.add(entry)
    await session.flush()
    data = {"child_id": pair.child_id, "pair_id": key}
    await publish(session, DomainEvent(MENTORING_NOTE_ADDED, entry.id, caller.user_id, data))
    return entry


# --- home-school contact (家校联系) ------------------------------------------------------------


async def record_home_school_contact(
    session: AsyncSession,
    caller: Caller,
    *,
    child_id: ID,
    channel: HomeSchoolContactChannel,
    with_whom: HomeSchoolContactParty,
    guardian_id: ID | None,
    contacted_on: date,
    summary: str,
) -> HomeSchoolContact:
    child_key = decode_global_id(child_id, "Child", field="input.childId")
    guardian_key = (
        decode_global_id(guardian_id, "Guardian", field="input.guardianId")
        if guardian_id is not None
        else None
    )
    child = await validation.visible_child(session, child_key, "input.childId")
    if guardian_key is not None:
        guardianship = await session.scalar(
            select(models.Guardianship).where(
                models.Guardianship.child_id == child_key,
                models.Guardianship.guardian_id == guardian_key,
            )
        )
        if guardianship is None:
            if await session.get(models.Guardian, guardian_key) is None:
                raise not_found("Guardian", "input.guardianId")
            raise ValidationFailed(
                "this guardian is not linked to the child", field="input.guardianId"
            )
        if (
            with_whom is HomeSchoolContactParty.PARENT_AWAY
            and guardianship.relationship not in enums.PARENTS
        ):
            raise ValidationFailed(
                "withWhom is PARENT_AWAY but this guardian is not the child's parent",
                field="input.guardianId",
            )
    validation.not_in_future(contacted_on, "input.contactedOn")
    _not_before_birth(child, contacted_on, "input.contactedOn")
    contact = HomeSchoolContact(
        child_id=child_key,
        guardian_id=guardian_key,
        channel=channel,
        with_whom=with_whom,
        contacted_on=contacted_on,
        summary=validation.required_text(summary, "input.summary", max_length=2000),
        recorded_by=caller.user_id,
    )
    session.add(contact)
    await session.flush()
    data = {"child_id": child_key, "channel": channel.value, "with_whom": with_whom.value}
    await publish(
        session, DomainEvent(HOME_SCHOOL_CONTACT_RECORDED, contact.id, caller.user_id, data)
    )
    return contact


# --- children's homes (留守儿童之家) -----------------------------------------------------------


async def register_childrens_home(
    session: AsyncSession,
    caller: Caller,
    *,
    school_id: ID,
    name: str,
    facilities: list[str],
    opened_on: date,
) -> ChildrensHome:
    school_key = decode_global_id(school_id, "Organization", field="input.schoolId")
    school = await _school(session, school_key, "input.schoolId")
    await _in_reach(session, caller, school, "input.schoolId")
    home_name = validation.required_text(name, "input.name", max_length=100)
    listed: list[str] = []
    for facility in facilities:
        item = validation.required_text(facility, "input.facilities", max_length=100)
        if item not in listed:
            listed.append(item)
    if len(listed) > MAX_FACILITIES:
        raise ValidationFailed(
            f"at most {MAX_FACILITIES} facilities", field="input.facilities", maximum=MAX_FACILITIES
        )
    validation.not_in_future(opened_on, "input.openedOn")
    existing = await session.scalar(
        select(ChildrensHome.id).where(
            ChildrensHome.school_id == school_key, ChildrensHome.name == home_name
        )
    )
    if existing is not None:
        raise Conflict(
            "the school already has a children's home of this name",
            field="input.name",
            existingId=encode_global_id("ChildrensHome", existing),
        )
    home = ChildrensHome(
        school_id=school_key, name=home_name, facilities=listed, opened_on=opened_on
    )
    session.add(home)
    await session.flush()
    data = {"school_id": school_key}
    await publish(session, DomainEvent(CHILDRENS_HOME_REGISTERED, home.id, caller.user_id, data))
    return home


async def record_home_activity(
    session: AsyncSession,
    caller: Caller,
    visible_children: VisibleChildren,
    *,
    home_id: ID,
    held_on: date,
    title: str,
    description: str,
    attendee_ids: list[ID],
) -> HomeActivity:
    """`visible_children` is the request's row-scope condition on a column of child ids."""
    home_key = decode_global_id(home_id, "ChildrensHome", field="input.homeId")
    positions: dict[uuid.UUID, int] = {}  # each child once, at its first position
    for index, attendee in enumerate(attendee_ids):
        key = decode_global_id(attendee, "Child", field="input.attendeeIds")
        positions.setdefault(key, index)
    attendees = list(positions)
    if len(attendees) > MAX_ATTENDEES:
        raise ValidationFailed(
            f"at most {MAX_ATTENDEES} attendees", field="input.attendeeIds", maximum=MAX_ATTENDEES
        )
    home = await session.get(ChildrensHome, home_key)
    if home is None:
        raise not_found("ChildrensHome", "input.homeId")
    school = await session.get(models.Organization, home.school_id)
    assert school is not None  # a foreign key
    await _in_reach(session, caller, school, "input.homeId")
    validation.not_in_future(held_on, "input.date")
    if held_on < home.opened_on:
        raise ValidationFailed("is before the home opened", field="input.date")
    activity_title = validation.required_text(title, "input.title", max_length=200)
    text = validation.required_text(description, "input.description", max_length=4000)
    if attendees:
        found = set(
            await session.scalars(
                select(models.Child.id).where(
                    models.Child.id.in_(attendees), visible_children(models.Child.id)
                )
            )
        )
        for key in attendees:
            if key not in found:  # unknown and out of scope look the same
                raise NotFound(
                    "no Child with this ID", field="input.attendeeIds", index=positions[key]
                )
    activity = HomeActivity(
        home_id=home_key,
        held_on=held_on,
        title=activity_title,
        description=text,
        recorded_by=caller.user_id,
    )
    session.add(activity)
    await session.flush()
    session.add_all(
        HomeActivityAttendance(activity_id=activity.id, child_id=key) for key in attendees
    )
    await session.flush()
    data = {"home_id": home_key, "child_ids": attendees}
    await publish(session, DomainEvent(HOME_ACTIVITY_RECORDED, activity.id, caller.user_id, data))
    return activity
