"""The education plugin through the real server: enrolment updates (学籍变更), mentoring pairs
(结对帮扶), the home-school contact log (家校联系) and who needs a contact, children's homes
(留守儿童之家) and their activities, and the dropout watch (控辍保学).

Each capability: the happy path as a teacher (or education bureau), each refused input with its
code and field and nothing written, a child out of the caller's scope NOT_FOUND, and other
departments refused or shown only what the policy gives them. Each test uses a school of its own
township of Yanjiang district (512002), so that the lists it reads hold its own pupils.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry import relay

from core.database import create_engine
from core.plugin_registry import available_plugins, enabled_plugins
from core.seed.regions import synthetic_villages
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    POLICE_STATION,
    organization_id,
    seed_children,
)
from core.testing import plain_url, temporary_database
from tests.api import error_of, link, register_child, register_guardian
from tests.conftest import GraphQLClient, token_for

CITY = "512000"
TODAY = date.today()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
MISSING_CHILD = str(relay.GlobalID("Child", str(uuid.UUID(int=0))))


def days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def gid(type_name: str, key: object) -> str:
    return str(relay.GlobalID(type_name, str(key)))


def missing(type_name: str) -> str:
    return gid(type_name, uuid.uuid4())


@dataclass(frozen=True)
class School:
    """The central primary school of a township, and a village of that township."""

    township: str

    @property
    def key(self) -> str:
        return str(organization_id(self.township, CENTRAL_PRIMARY_SCHOOL))

    @property
    def id(self) -> str:
        return gid("Organization", self.key)

    @property
    def village(self) -> str:
        return next(v.code for v in synthetic_villages() if v.code.startswith(self.township))

    @property
    def police_station(self) -> str:
        return gid("Organization", organization_id(self.township, POLICE_STATION))

    def teacher(self, user_id: str = "teacher-1") -> str:
        return token_for(
            "education",
            "teacher",
            organization_id=self.key,
            region_code=self.township,
            user_id=user_id,
        )


ENROLMENTS = School("512002101")
MENTORING = School("512002102")
CONTACTS = School("512002103")
HOMES = School("512002201")
DROPOUTS = School("512002202")
ELSEWHERE = School("512021201")  # another county's school: its teacher sees none of the above


def civil_affairs_admin() -> str:
    return token_for("civil_affairs", "admin", region_code=CITY, user_id="ca-admin")


def education_admin(region: str = CITY) -> str:
    return token_for("education", "admin", region_code=region, user_id="edu-admin")


ENROLL = """
mutation Enroll($input: EnrollChildInput!) {
  enrollChild(input: $input) { enrollment { id status version } }
}
"""


async def a_pupil(
    client: GraphQLClient, school: School, *, status: str | None = None, **child: Any
) -> dict[str, Any]:
    """A child of the school's township, enrolled at the school (by the education bureau)."""
    client.token = civil_affairs_admin()
    registered = await register_child(client, school.village, **child)
    client.token = education_admin()
    data = await client.data(
        ENROLL,
        {
            "input": {
                "childId": registered["id"],
                "schoolId": school.id,
                "studentNumber": f"T{uuid.uuid4().hex[:14].upper()}",
                "grade": 3,
                "className": "2班",
                "enrolledOn": days_ago(400),
            }
        },
    )
    enrollment: dict[str, Any] = data["enrollChild"]["enrollment"]
    if status is not None:
        enrollment = await update_enrollment(
            client, {"id": enrollment["id"], "version": enrollment["version"], "status": status}
        )
    return {**enrollment, "child": registered["id"], "birthDate": registered["birthDate"]}


async def rows_in(db: asyncpg.Connection, table: str) -> int:
    count: int = await db.fetchval(f"SELECT count(*) FROM {table}")
    return count


def code_and_field(body: dict[str, Any]) -> tuple[str, str | None]:
    error = error_of(body)
    return error["extensions"]["code"], error["extensions"].get("field")


def forbidden_paths(body: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {
        tuple(error["path"])
        for error in body.get("errors", [])
        if error["extensions"]["code"] == "FORBIDDEN"
    }


# --- enrolment updates (学籍变更) ------------------------------------------------------------

UPDATE_ENROLLMENT = """
mutation Update($input: UpdateEnrollmentInput!) {
  updateEnrollment(input: $input) {
    enrollment { id grade className boarding status version child { id } }
  }
}
"""


async def update_enrollment(client: GraphQLClient, values: dict[str, Any]) -> dict[str, Any]:
    data = await client.data(UPDATE_ENROLLMENT, {"input": values})
    enrollment: dict[str, Any] = data["updateEnrollment"]["enrollment"]
    return enrollment


async def test_a_teacher_updates_a_pupils_enrolment(client: GraphQLClient) -> None:
    pupil = await a_pupil(client, ENROLMENTS)
    client.token = ENROLMENTS.teacher()
    changed = await update_enrollment(
        client,
        {
            "id": pupil["id"],
            "version": pupil["version"],
            "grade": 4,
            "className": " 3班 ",
            "boarding": True,
            "status": "SUSPENDED",
        },
    )
    assert changed == {
        "id": pupil["id"],
        "grade": 4,
        "className": "3班",
        "boarding": True,
        "status": "SUSPENDED",
        "version": pupil["version"] + 1,
        "child": {"id": pupil["child"]},
    }
    cleared = await update_enrollment(
        client,
        {"id": pupil["id"], "version": changed["version"], "className": None, "status": "ENROLLED"},
    )
    assert (cleared["className"], cleared["status"], cleared["grade"]) == (None, "ENROLLED", 4)
    assert cleared["version"] == changed["version"] + 1

    shown = await client.data(
        "query($id: ID!) { child(id: $id) { enrollment { grade status boarding } } }",
        {"id": pupil["child"]},
    )
    assert shown["child"]["enrollment"] == {"grade": 4, "status": "ENROLLED", "boarding": True}

    # transferred away, the pupil leaves the teacher's school scope
    moved = await update_enrollment(
        client, {"id": pupil["id"], "version": cleared["version"], "status": "TRANSFERRED"}
    )
    assert moved["status"] == "TRANSFERRED"
    assert moved["child"] is None, "a transferred pupil is no longer the teacher's to see"
    body = await client.execute(
        UPDATE_ENROLLMENT,
        {"input": {"id": pupil["id"], "version": moved["version"], "status": "ENROLLED"}},
    )
    assert code_and_field(body) == ("NOT_FOUND", "input.id")


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"grade": 0}, "VALIDATION_FAILED", "input.grade"),
        ({"grade": 13}, "VALIDATION_FAILED", "input.grade"),
        ({"grade": None}, "VALIDATION_FAILED", "input.grade"),
        ({"boarding": None}, "VALIDATION_FAILED", "input.boarding"),
        ({"status": None}, "VALIDATION_FAILED", "input.status"),
        ({"className": "班" * 31}, "VALIDATION_FAILED", "input.className"),
        ({"version": 99}, "CONFLICT", "input.version"),
        ({"id": MISSING_CHILD}, "VALIDATION_FAILED", "input.id"),
        ({"id": "missing"}, "NOT_FOUND", "input.id"),
    ],
)
async def test_a_bad_enrolment_update_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    pupil = await a_pupil(client, ENROLMENTS)
    values = {"id": pupil["id"], "version": pupil["version"], "grade": 5, **overrides}
    if values["id"] == "missing":
        values["id"] = missing("Enrollment")
    client.token = ENROLMENTS.teacher()
    body = await client.execute(UPDATE_ENROLLMENT, {"input": values})
    assert code_and_field(body) == (code, field)
    stored = await db.fetchrow(
        "SELECT grade, version FROM education_enrollments WHERE id = $1",
        uuid.UUID(relay.GlobalID.from_id(pupil["id"]).node_id),
    )
    assert stored is not None and (stored["grade"], stored["version"]) == (3, pupil["version"])


async def test_enrolment_updates_out_of_scope_or_by_other_departments_are_refused(
    client: GraphQLClient,
) -> None:
    pupil = await a_pupil(client, ENROLMENTS)
    values = {"id": pupil["id"], "version": pupil["version"], "status": "DROPPED_OUT"}
    client.token = ELSEWHERE.teacher()
    body = await client.execute(UPDATE_ENROLLMENT, {"input": values})
    assert code_and_field(body) == ("NOT_FOUND", "input.id"), "another school's teacher"
    client.token = education_admin(region="512022")
    body = await client.execute(UPDATE_ENROLLMENT, {"input": values})
    assert code_and_field(body) == ("NOT_FOUND", "input.id"), "another county's bureau"
    for department, role in (("police", "officer"), ("civil_affairs", "caseworker")):
        client.token = token_for(department, role, region_code=CITY)
        body = await client.execute(UPDATE_ENROLLMENT, {"input": values})
        assert code_and_field(body) == ("FORBIDDEN", None), department
    client.token = education_admin()
    unchanged = await client.data(
        "query($id: ID!) { node(id: $id) { ... on Enrollment { status version } } }",
        {"id": pupil["id"]},
    )
    assert unchanged["node"] == {"status": "ENROLLED", "version": pupil["version"]}


# --- mentoring pairs (结对帮扶) ----------------------------------------------------------------

START_PAIR = """
mutation Start($input: StartMentoringPairInput!) {
  startMentoringPair(input: $input) {
    pair { id teacherName teacherUserId startedOn endedOn helpAgreed version child { id } }
  }
}
"""
END_PAIR = """
mutation End($input: EndMentoringPairInput!) {
  endMentoringPair(input: $input) { pair { id startedOn endedOn version } }
}
"""
ADD_NOTE = """
mutation Note($input: AddMentoringNoteInput!) {
  addMentoringNote(input: $input) { note { id date note recordedBy pair { id } } }
}
"""
PAIRS_OF = """
query($id: ID!) {
  child(id: $id) {
    mentoringPairs { id teacherName startedOn endedOn helpAgreed notes { id date note } }
  }
}
"""


def pair_input(child_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "childId": child_id,
        "teacherName": "陈老师",
        "teacherUserId": "teacher-1",
        "startedOn": days_ago(120),
        "helpAgreed": "每周谈心一次，辅导数学作业。",
    }
    values.update(overrides)
    return values


async def start_pair(client: GraphQLClient, child_id: str, **overrides: Any) -> dict[str, Any]:
    data = await client.data(START_PAIR, {"input": pair_input(child_id, **overrides)})
    pair: dict[str, Any] = data["startMentoringPair"]["pair"]
    return pair


async def add_note(client: GraphQLClient, pair_id: str, days: int, text: str) -> dict[str, Any]:
    data = await client.data(
        ADD_NOTE, {"input": {"pairId": pair_id, "date": days_ago(days), "note": text}}
    )
    note: dict[str, Any] = data["addMentoringNote"]["note"]
    return note


async def test_a_teacher_mentors_a_pupil_with_notes_and_ends_the_pair(
    client: GraphQLClient,
) -> None:
    pupil = await a_pupil(client, MENTORING)
    client.token = MENTORING.teacher()
    pair = await start_pair(client, pupil["child"])
    assert pair["teacherName"] == "陈老师" and pair["teacherUserId"] == "teacher-1"
    assert (pair["startedOn"], pair["endedOn"], pair["version"]) == (days_ago(120), None, 1)
    assert pair["child"] == {"id": pupil["child"]}
    first = await add_note(client, pair["id"], 90, "谈心半小时，孩子想念妈妈。")
    second = await add_note(client, pair["id"], 30, " 数学测验有进步。 ")
    assert second["note"] == "数学测验有进步。"
    assert second["recordedBy"] == "teacher-1" and second["pair"] == {"id": pair["id"]}
    later = await start_pair(client, pupil["child"], teacherName="刘老师", startedOn=days_ago(10))

    shown = await client.data(PAIRS_OF, {"id": pupil["child"]})
    pairs = shown["child"]["mentoringPairs"]
    assert [p["id"] for p in pairs] == [later["id"], pair["id"]], "newest first"
    assert [n["id"] for n in pairs[1]["notes"]] == [first["id"], second["id"]], "oldest first"
    assert pairs[1]["helpAgreed"] == "每周谈心一次，辅导数学作业。"

    ended = await client.data(
        END_PAIR, {"input": {"id": pair["id"], "version": pair["version"], "endedOn": days_ago(5)}}
    )
    assert ended["endMentoringPair"]["pair"] == {
        "id": pair["id"],
        "startedOn": days_ago(120),
        "endedOn": days_ago(5),
        "version": 2,
    }
    again = await start_pair(client, pupil["child"], startedOn=days_ago(1))
    assert again["id"] != pair["id"], "the same teacher may pair again once the pair ended"
    node = await client.data(
        "query($id: ID!) { node(id: $id) { ... on MentoringNote { note pair { endedOn } } } }",
        {"id": first["id"]},
    )
    assert node["node"] == {"note": "谈心半小时，孩子想念妈妈。", "pair": {"endedOn": days_ago(5)}}


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"teacherName": "  "}, "VALIDATION_FAILED", "input.teacherName"),
        ({"teacherName": "师" * 101}, "VALIDATION_FAILED", "input.teacherName"),
        ({"teacherUserId": "u" * 101}, "VALIDATION_FAILED", "input.teacherUserId"),
        ({"startedOn": TOMORROW}, "VALIDATION_FAILED", "input.startedOn"),
        ({"startedOn": "2014-01-01"}, "VALIDATION_FAILED", "input.startedOn"),
        ({"helpAgreed": ""}, "VALIDATION_FAILED", "input.helpAgreed"),
        ({"childId": MISSING_CHILD}, "NOT_FOUND", "input.childId"),
        ({"childId": "not-an-id"}, "VALIDATION_FAILED", "input.childId"),
        ({"teacherName": "已结对老师"}, "CONFLICT", "input.teacherName"),
    ],
)
async def test_a_bad_mentoring_pair_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    pupil = await a_pupil(client, MENTORING)  # born 2015-06-01
    client.token = MENTORING.teacher()
    await start_pair(client, pupil["child"], teacherName="已结对老师")
    before = await rows_in(db, "education_mentoring_pairs")
    body = await client.execute(START_PAIR, {"input": pair_input(pupil["child"], **overrides)})
    assert code_and_field(body) == (code, field)
    assert await rows_in(db, "education_mentoring_pairs") == before


@pytest.mark.parametrize(
    ("mutation", "values", "code", "field"),
    [
        ("end", {"endedOn": days_ago(61)}, "VALIDATION_FAILED", "input.endedOn"),
        ("end", {"endedOn": TOMORROW}, "VALIDATION_FAILED", "input.endedOn"),
        ("end", {"endedOn": days_ago(25)}, "VALIDATION_FAILED", "input.endedOn"),  # a later note
        ("end", {"version": 7}, "CONFLICT", "input.version"),
        ("end", {"id": "missing"}, "NOT_FOUND", "input.id"),
        ("end", {"id": "ended"}, "VALIDATION_FAILED", "input.id"),
        ("note", {"date": days_ago(61)}, "VALIDATION_FAILED", "input.date"),
        ("note", {"date": TOMORROW}, "VALIDATION_FAILED", "input.date"),
        ("note", {"date": days_ago(1), "pairId": "ended"}, "VALIDATION_FAILED", "input.date"),
        ("note", {"note": " "}, "VALIDATION_FAILED", "input.note"),
        ("note", {"pairId": "missing"}, "NOT_FOUND", "input.pairId"),
        ("note", {"pairId": MISSING_CHILD}, "VALIDATION_FAILED", "input.pairId"),
    ],
)
async def test_bad_pair_ends_and_notes_are_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    mutation: str,
    values: dict[str, Any],
    code: str,
    field: str,
) -> None:
    pupil = await a_pupil(client, MENTORING)
    client.token = MENTORING.teacher()
    pair = await start_pair(client, pupil["child"], startedOn=days_ago(60))
    await add_note(client, pair["id"], 20, "孩子情绪平稳。")
    ended = await start_pair(client, pupil["child"], teacherName="杨老师", startedOn=days_ago(60))
    await client.data(
        END_PAIR,
        {"input": {"id": ended["id"], "version": ended["version"], "endedOn": days_ago(10)}},
    )
    ids = {"missing": missing("MentoringPair"), "ended": ended["id"]}
    if mutation == "end":
        document, key = END_PAIR, "id"
        data = {"id": pair["id"], "version": pair["version"], "endedOn": days_ago(5), **values}
    else:
        document, key = ADD_NOTE, "pairId"
        data = {"pairId": pair["id"], "date": days_ago(3), "note": "又一次谈心。", **values}
    if data[key] == "ended" and mutation == "end":
        data["version"] = 2
    data[key] = ids.get(data[key], data[key])
    notes = await rows_in(db, "education_mentoring_notes")
    body = await client.execute(document, {"input": data})
    assert code_and_field(body) == (code, field)
    assert await rows_in(db, "education_mentoring_notes") == notes
    still = await db.fetchrow(
        "SELECT ended_on, version FROM education_mentoring_pairs WHERE id = $1",
        uuid.UUID(relay.GlobalID.from_id(pair["id"]).node_id),
    )
    assert still is not None and (still["ended_on"], still["version"]) == (None, 1)


async def test_mentoring_out_of_scope_is_not_found(client: GraphQLClient) -> None:
    pupil = await a_pupil(client, MENTORING)
    client.token = MENTORING.teacher()
    pair = await start_pair(client, pupil["child"])
    note = await add_note(client, pair["id"], 3, "谈心。")
    client.token = ELSEWHERE.teacher()
    body = await client.execute(START_PAIR, {"input": pair_input(pupil["child"])})
    assert code_and_field(body) == ("NOT_FOUND", "input.childId")
    body = await client.execute(
        ADD_NOTE, {"input": {"pairId": pair["id"], "date": days_ago(1), "note": "越权"}}
    )
    assert code_and_field(body) == ("NOT_FOUND", "input.pairId")
    body = await client.execute(
        END_PAIR, {"input": {"id": pair["id"], "version": 1, "endedOn": days_ago(1)}}
    )
    assert code_and_field(body) == ("NOT_FOUND", "input.id")
    for node_id in (pair["id"], note["id"]):
        body = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
        assert error_of(body)["extensions"]["code"] == "NOT_FOUND"


async def test_caseworkers_see_that_a_pair_exists_and_its_dates_only(
    client: GraphQLClient,
) -> None:
    pupil = await a_pupil(client, MENTORING)
    client.token = MENTORING.teacher()
    pair = await start_pair(client, pupil["child"])
    await add_note(client, pair["id"], 3, "孩子说想念在外打工的爸爸。")

    client.token = token_for("civil_affairs", "caseworker", region_code="512002")
    dates = await client.data(
        "query($id: ID!) { child(id: $id) { mentoringPairs { id startedOn endedOn } } }",
        {"id": pupil["child"]},
    )
    assert dates["child"]["mentoringPairs"] == [
        {"id": pair["id"], "startedOn": days_ago(120), "endedOn": None}
    ]
    body = await client.execute(PAIRS_OF, {"id": pupil["child"]})
    shown = body["data"]["child"]["mentoringPairs"][0]
    assert (shown["teacherName"], shown["helpAgreed"], shown["notes"]) == (None, None, None)
    assert forbidden_paths(body) == {
        ("child", "mentoringPairs", 0, name) for name in ("teacherName", "helpAgreed", "notes")
    }
    body = await client.execute(
        "query($id: ID!) { node(id: $id) { ... on MentoringNote { note } } }",
        {"id": (await _note_ids(client, pair["id"]))[0]},
    )
    assert forbidden_paths(body) == {("node", "note")}
    body = await client.execute(START_PAIR, {"input": pair_input(pupil["child"])})
    assert code_and_field(body) == ("FORBIDDEN", None)

    # nothing for the women's federation nor the police (whose core `Child.*` line would
    # otherwise show bare pair IDs: the relation is refused as a whole)
    for department, role in (("police", "admin"), ("womens_federation", "staff")):
        client.token = token_for(department, role, region_code="512002")
        body = await client.execute(PAIRS_OF, {"id": pupil["child"]})
        assert forbidden_paths(body) == {("child", "mentoringPairs")}, department
        assert body["data"]["child"]["mentoringPairs"] is None
    client.token = token_for("police", "officer", region_code=CITY)
    body = await client.execute(
        ADD_NOTE, {"input": {"pairId": pair["id"], "date": days_ago(1), "note": "x"}}
    )
    assert code_and_field(body) == ("FORBIDDEN", None)


async def _note_ids(client: GraphQLClient, pair_id: str) -> list[str]:
    saved = client.token
    client.token = MENTORING.teacher()
    try:
        data = await client.data(
            "query($id: ID!) { node(id: $id) { ... on MentoringPair { notes { id } } } }",
            {"id": pair_id},
        )
    finally:
        client.token = saved
    return [note["id"] for note in data["node"]["notes"]]


# --- home-school contact (家校联系) ------------------------------------------------------------

RECORD_CONTACT = """
mutation Contact($input: RecordHomeSchoolContactInput!) {
  recordHomeSchoolContact(input: $input) {
    contact { id channel withWhom contactedOn summary recordedBy child { id } guardian { id } }
  }
}
"""
NEEDING_CONTACT = """
query Needing($school: ID, $days: Int, $first: Int, $after: String) {
  pupilsNeedingContact(schoolId: $school, days: $days, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id lastHomeSchoolContactOn child { id } } }
  }
}
"""


def contact_input(child_id: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "childId": child_id,
        "channel": "WECHAT",
        "withWhom": "PARENT_AWAY",
        "contactedOn": days_ago(2),
        "summary": "通报孩子期中考试成绩，约定每周通话。",
    }
    values.update(overrides)
    return values


async def record_contact(client: GraphQLClient, child_id: str, **overrides: Any) -> dict[str, Any]:
    data = await client.data(RECORD_CONTACT, {"input": contact_input(child_id, **overrides)})
    contact: dict[str, Any] = data["recordHomeSchoolContact"]["contact"]
    return contact


async def a_family(client: GraphQLClient, child_id: str) -> tuple[str, str]:
    """A father working away and a grandmother at home, linked to the child."""
    client.token = civil_affairs_admin()
    father = await register_guardian(client)
    grandmother = await register_guardian(client, name="王奶奶")
    await link(client, child_id, father["id"])
    await link(
        client,
        child_id,
        grandmother["id"],
        relationship="GRANDMOTHER",
        kind="ENTRUSTED_CAREGIVER",
        livesWithChild=True,
        worksAway=False,
        workDestination=None,
    )
    return father["id"], grandmother["id"]


async def test_a_teacher_logs_home_school_contacts(client: GraphQLClient) -> None:
    pupil = await a_pupil(client, CONTACTS)
    father, grandmother = await a_family(client, pupil["child"])
    client.token = CONTACTS.teacher()
    call = await record_contact(client, pupil["child"], guardianId=father, contactedOn=days_ago(9))
    assert call == {
        "id": call["id"],
        "channel": "WECHAT",
        "withWhom": "PARENT_AWAY",
        "contactedOn": days_ago(9),
        "summary": "通报孩子期中考试成绩，约定每周通话。",
        "recordedBy": "teacher-1",
        "child": {"id": pupil["child"]},
        "guardian": {"id": father},
    }
    visit = await record_contact(
        client,
        pupil["child"],
        channel="VISIT",
        withWhom="CAREGIVER",
        guardianId=grandmother,
        contactedOn=days_ago(1),
        summary="家访，提醒防溺水安全。",
    )
    letter = await record_contact(client, pupil["child"], channel="LETTER", withWhom="OTHER")
    assert letter["guardian"] is None
    shown = await client.data(
        "query($id: ID!) { child(id: $id) { homeSchoolContacts { id contactedOn } "
        "enrollment { lastHomeSchoolContactOn } } }",
        {"id": pupil["child"]},
    )
    assert [c["id"] for c in shown["child"]["homeSchoolContacts"]] == [
        visit["id"],
        letter["id"],
        call["id"],
    ], "newest first"
    assert shown["child"]["enrollment"] == {"lastHomeSchoolContactOn": days_ago(1)}


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"guardianId": "unlinked"}, "VALIDATION_FAILED", "input.guardianId"),
        ({"guardianId": "unknown"}, "NOT_FOUND", "input.guardianId"),
        ({"guardianId": "grandmother"}, "VALIDATION_FAILED", "input.guardianId"),
        ({"guardianId": MISSING_CHILD}, "VALIDATION_FAILED", "input.guardianId"),
        ({"contactedOn": TOMORROW}, "VALIDATION_FAILED", "input.contactedOn"),
        ({"contactedOn": "2015-05-31"}, "VALIDATION_FAILED", "input.contactedOn"),
        ({"summary": "  "}, "VALIDATION_FAILED", "input.summary"),
        ({"summary": "话" * 2001}, "VALIDATION_FAILED", "input.summary"),
        ({"childId": MISSING_CHILD}, "NOT_FOUND", "input.childId"),
    ],
)
async def test_a_bad_home_school_contact_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    pupil = await a_pupil(client, CONTACTS)
    father, grandmother = await a_family(client, pupil["child"])
    guardians = {
        "unlinked": (await register_guardian(client))["id"],
        "unknown": missing("Guardian"),
        "grandmother": grandmother,  # not a parent, yet withWhom is PARENT_AWAY
    }
    values = contact_input(pupil["child"], **{"guardianId": father, **overrides})
    values["guardianId"] = guardians.get(values["guardianId"], values["guardianId"])
    client.token = CONTACTS.teacher()
    before = await rows_in(db, "education_home_school_contacts")
    body = await client.execute(RECORD_CONTACT, {"input": values})
    assert code_and_field(body) == (code, field)
    assert await rows_in(db, "education_home_school_contacts") == before


async def test_home_school_contacts_out_of_scope_or_by_other_departments(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    pupil = await a_pupil(client, CONTACTS)
    client.token = CONTACTS.teacher()
    contact = await record_contact(client, pupil["child"])
    before = await rows_in(db, "education_home_school_contacts")
    client.token = ELSEWHERE.teacher()
    body = await client.execute(RECORD_CONTACT, {"input": contact_input(pupil["child"])})
    assert code_and_field(body) == ("NOT_FOUND", "input.childId")
    body = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": contact["id"]})
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
    client.token = token_for("police", "officer", region_code=CITY)
    body = await client.execute(RECORD_CONTACT, {"input": contact_input(pupil["child"])})
    assert code_and_field(body) == ("FORBIDDEN", None)
    body = await client.execute(NEEDING_CONTACT, {"school": CONTACTS.id, "first": 100})
    assert code_and_field(body) == ("FORBIDDEN", None)
    assert await rows_in(db, "education_home_school_contacts") == before
    for department, role in (
        ("police", "admin"),
        ("civil_affairs", "caseworker"),
        ("womens_federation", "staff"),
    ):
        client.token = token_for(department, role, region_code="512002")
        body = await client.execute(
            "query($id: ID!) { child(id: $id) { homeSchoolContacts { id summary } } }",
            {"id": pupil["child"]},
        )
        assert forbidden_paths(body) == {("child", "homeSchoolContacts")}, department
        assert body["data"]["child"]["homeSchoolContacts"] is None


async def test_pupils_needing_contact_oldest_contact_first(client: GraphQLClient) -> None:
    never = await a_pupil(client, CONTACTS)
    long_ago = await a_pupil(client, CONTACTS)
    a_while_ago = await a_pupil(client, CONTACTS)
    lately = await a_pupil(client, CONTACTS)
    suspended = await a_pupil(client, CONTACTS, status="SUSPENDED")
    client.token = CONTACTS.teacher()
    for pupil, days in ((long_ago, 90), (a_while_ago, 40), (lately, 10), (lately, 100)):
        await record_contact(client, pupil["child"], contactedOn=days_ago(days), withWhom="OTHER")
    mine = [never, long_ago, a_while_ago, lately, suspended]

    async def needing(**variables: Any) -> tuple[list[str], dict[str, Any]]:
        data = await client.data(NEEDING_CONTACT, variables)
        connection: dict[str, Any] = data["pupilsNeedingContact"]
        ids = [edge["node"]["id"] for edge in connection["edges"]]
        return ids, connection

    ids, connection = await needing(first=100)  # the teacher's school, 30 days
    assert connection["totalCount"] == len(ids)
    ours = [i for i in ids if i in {p["id"] for p in mine}]
    assert ours == [never["id"], long_ago["id"], a_while_ago["id"]]
    last = {e["node"]["id"]: e["node"]["lastHomeSchoolContactOn"] for e in connection["edges"]}
    assert (last[never["id"]], last[long_ago["id"]]) == (None, days_ago(90))
    dates = [last[i] or "" for i in ids]
    assert dates == sorted(dates), "never contacted first, then the oldest contact"

    ids, _ = await needing(days=5, first=100, school=CONTACTS.id)
    assert [i for i in ids if i in {p["id"] for p in mine}] == [
        never["id"],
        long_ago["id"],
        a_while_ago["id"],
        lately["id"],
    ]
    ids, _ = await needing(days=10, first=100)
    assert lately["id"] in ids, "a contact exactly `days` days ago is not in the last `days` days"
    ids, _ = await needing(days=11, first=100)
    assert lately["id"] not in ids

    page, connection = await needing(first=1)
    assert connection["pageInfo"]["hasNextPage"]
    rest, _ = await needing(first=100, after=connection["pageInfo"]["endCursor"])
    everyone, _ = await needing(first=100)
    assert page + rest == everyone

    client.token = education_admin(region="512002")
    ids, _ = await needing(first=100, school=CONTACTS.id)
    assert [i for i in ids if i in {p["id"] for p in mine}][:3] == ours
    client.token = ELSEWHERE.teacher()
    ids, connection = await needing(first=100, school=CONTACTS.id)
    assert (ids, connection["totalCount"]) == ([], 0), "another school's pupils are out of scope"


@pytest.mark.parametrize(
    ("variables", "token", "field", "code"),
    [
        ({"days": 0}, "teacher", "days", "VALIDATION_FAILED"),
        ({"days": 366}, "teacher", "days", "VALIDATION_FAILED"),
        ({}, "admin", "schoolId", "VALIDATION_FAILED"),
        ({"school": "police"}, "teacher", "schoolId", "VALIDATION_FAILED"),
        ({"school": "missing"}, "teacher", "schoolId", "NOT_FOUND"),
        ({"school": MISSING_CHILD}, "teacher", "schoolId", "VALIDATION_FAILED"),
    ],
)
async def test_bad_pupils_needing_contact_arguments_are_refused(
    client: GraphQLClient, variables: dict[str, Any], token: str, field: str, code: str
) -> None:
    schools = {"police": CONTACTS.police_station, "missing": missing("Organization")}
    if "school" in variables:
        variables["school"] = schools.get(variables["school"], variables["school"])
    client.token = CONTACTS.teacher() if token == "teacher" else education_admin()
    body = await client.execute(NEEDING_CONTACT, {"first": 100, **variables})
    assert code_and_field(body) == (code, field)


# --- children's homes (留守儿童之家) -----------------------------------------------------------

REGISTER_HOME = """
mutation Home($input: RegisterChildrensHomeInput!) {
  registerChildrensHome(input: $input) {
    home { id name facilities openedOn version school { id } }
  }
}
"""
RECORD_ACTIVITY = """
mutation Activity($input: RecordHomeActivityInput!) {
  recordHomeActivity(input: $input) {
    activity { id date title description recordedBy home { id } attendees { id } }
  }
}
"""
HOMES_OF = """
query Homes($school: ID) {
  childrensHomes(schoolId: $school, first: 100) {
    totalCount
    edges { node { id name activities { id title attendees { id } } } }
  }
}
"""


def home_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "schoolId": HOMES.id,
        "name": f"留守儿童之家{uuid.uuid4().hex[:6]}",
        "facilities": ["图书角", "亲情电话", " 图书角 "],
        "openedOn": days_ago(300),
    }
    values.update(overrides)
    return values


async def register_home(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    data = await client.data(REGISTER_HOME, {"input": home_input(**overrides)})
    home: dict[str, Any] = data["registerChildrensHome"]["home"]
    return home


def activity_input(home_id: str, attendees: list[str], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "homeId": home_id,
        "date": days_ago(7),
        "title": "亲情视频通话",
        "description": "组织孩子与外出务工的父母视频通话。",
        "attendeeIds": attendees,
    }
    values.update(overrides)
    return values


async def test_a_childrens_home_with_activities_and_attendance(client: GraphQLClient) -> None:
    first = await a_pupil(client, HOMES)
    second = await a_pupil(client, HOMES)
    client.token = HOMES.teacher()
    home = await register_home(client, name="阳光留守儿童之家")
    assert home == {
        "id": home["id"],
        "name": "阳光留守儿童之家",
        "facilities": ["图书角", "亲情电话"],
        "openedOn": days_ago(300),
        "version": 1,
        "school": {"id": HOMES.id},
    }
    data = await client.data(
        RECORD_ACTIVITY,
        {"input": activity_input(home["id"], [first["child"], second["child"], first["child"]])},
    )
    call = data["recordHomeActivity"]["activity"]
    assert call["date"] == days_ago(7) and call["recordedBy"] == "teacher-1"
    assert call["home"] == {"id": home["id"]}
    assert {a["id"] for a in call["attendees"]} == {first["child"], second["child"]}
    assert len(call["attendees"]) == 2, "duplicates are ignored"
    data = await client.data(
        RECORD_ACTIVITY,
        {"input": activity_input(home["id"], [second["child"]], date=days_ago(2), title="读书会")},
    )
    reading = data["recordHomeActivity"]["activity"]

    listed = await client.data(HOMES_OF, {"school": HOMES.id})
    homes = {edge["node"]["id"]: edge["node"] for edge in listed["childrensHomes"]["edges"]}
    assert listed["childrensHomes"]["totalCount"] == len(homes)
    assert [a["id"] for a in homes[home["id"]]["activities"]] == [reading["id"], call["id"]]
    attended = await client.data(
        "query($id: ID!) { child(id: $id) { homeActivitiesAttended { id title home { name } } } }",
        {"id": second["child"]},
    )
    assert attended["child"]["homeActivitiesAttended"] == [
        {"id": reading["id"], "title": "读书会", "home": {"name": "阳光留守儿童之家"}},
        {"id": call["id"], "title": "亲情视频通话", "home": {"name": "阳光留守儿童之家"}},
    ]
    # the education bureau of the county registers homes at any of its schools
    client.token = education_admin(region="512002")
    other = await register_home(client, name="阳光留守儿童之家", schoolId=DROPOUTS.id)
    assert other["school"] == {"id": DROPOUTS.id}
    # another school's teacher sees the home but not the pupils who attended
    client.token = ELSEWHERE.teacher()
    body = await client.data(
        "query($id: ID!) { node(id: $id) { ... on HomeActivity { title attendees { id } } } }",
        {"id": call["id"]},
    )
    assert body["node"] == {"title": "亲情视频通话", "attendees": []}


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"schoolId": "police"}, "VALIDATION_FAILED", "input.schoolId"),
        ({"schoolId": "missing"}, "NOT_FOUND", "input.schoolId"),
        ({"schoolId": "elsewhere"}, "FORBIDDEN", "input.schoolId"),
        ({"schoolId": MISSING_CHILD}, "VALIDATION_FAILED", "input.schoolId"),
        ({"name": " "}, "VALIDATION_FAILED", "input.name"),
        ({"name": "同名之家"}, "CONFLICT", "input.name"),
        ({"facilities": ["图书角", ""]}, "VALIDATION_FAILED", "input.facilities"),
        ({"facilities": [f"设施{i}" for i in range(31)]}, "VALIDATION_FAILED", "input.facilities"),
        ({"openedOn": TOMORROW}, "VALIDATION_FAILED", "input.openedOn"),
    ],
)
async def test_a_bad_childrens_home_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    client.token = HOMES.teacher()
    if overrides.get("name") == "同名之家":
        await client.execute(REGISTER_HOME, {"input": home_input(name="同名之家")})
    schools = {
        "police": HOMES.police_station,
        "missing": missing("Organization"),
        "elsewhere": ELSEWHERE.id,
    }
    values = home_input(**overrides)
    values["schoolId"] = schools.get(values["schoolId"], values["schoolId"])
    before = await rows_in(db, "education_childrens_homes")
    body = await client.execute(REGISTER_HOME, {"input": values})
    assert code_and_field(body) == (code, field)
    assert await rows_in(db, "education_childrens_homes") == before


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"homeId": "missing"}, "NOT_FOUND", "input.homeId"),
        ({"homeId": "elsewhere"}, "FORBIDDEN", "input.homeId"),
        ({"homeId": MISSING_CHILD}, "VALIDATION_FAILED", "input.homeId"),
        ({"date": TOMORROW}, "VALIDATION_FAILED", "input.date"),
        ({"date": days_ago(301)}, "VALIDATION_FAILED", "input.date"),
        ({"title": ""}, "VALIDATION_FAILED", "input.title"),
        ({"description": " "}, "VALIDATION_FAILED", "input.description"),
        ({"attendeeIds": ["pupil", MISSING_CHILD]}, "NOT_FOUND", "input.attendeeIds"),
        ({"attendeeIds": ["pupil", "out-of-scope"]}, "NOT_FOUND", "input.attendeeIds"),
        ({"attendeeIds": ["pupil", "x"]}, "VALIDATION_FAILED", "input.attendeeIds"),
    ],
)
async def test_a_bad_home_activity_is_refused_and_nothing_is_written(
    client: GraphQLClient,
    db: asyncpg.Connection,
    overrides: dict[str, Any],
    code: str,
    field: str,
) -> None:
    pupil = await a_pupil(client, HOMES)
    stranger = await a_pupil(client, ELSEWHERE)
    client.token = education_admin(region="512021")
    far_home = await register_home(client, schoolId=ELSEWHERE.id)
    client.token = HOMES.teacher()
    home = await register_home(client)
    homes = {"missing": missing("ChildrensHome"), "elsewhere": far_home["id"]}
    children = {"pupil": pupil["child"], "out-of-scope": stranger["child"]}
    values = activity_input(home["id"], [], **overrides)
    values["homeId"] = homes.get(values["homeId"], values["homeId"])
    values["attendeeIds"] = [children.get(a, a) for a in values["attendeeIds"]]
    activities = await rows_in(db, "education_home_activities")
    attendances = await rows_in(db, "education_home_activity_attendances")
    body = await client.execute(RECORD_ACTIVITY, {"input": values})
    assert code_and_field(body) == (code, field)
    if field == "input.attendeeIds" and code == "NOT_FOUND":
        assert error_of(body)["extensions"]["index"] == 1
    assert await rows_in(db, "education_home_activities") == activities
    assert await rows_in(db, "education_home_activity_attendances") == attendances


async def test_other_departments_have_no_use_of_childrens_homes(client: GraphQLClient) -> None:
    pupil = await a_pupil(client, HOMES)
    client.token = HOMES.teacher()
    home = await register_home(client)
    await client.data(RECORD_ACTIVITY, {"input": activity_input(home["id"], [pupil["child"]])})
    for department, role in (("police", "admin"), ("womens_federation", "staff")):
        client.token = token_for(department, role, region_code=CITY)
        for document, variables in (
            (HOMES_OF, {"school": HOMES.id}),
            (REGISTER_HOME, {"input": home_input()}),
            (RECORD_ACTIVITY, {"input": activity_input(home["id"], [])}),
        ):
            body = await client.execute(document, variables)
            assert code_and_field(body) == ("FORBIDDEN", None), (department, document)
        body = await client.execute(
            "query($id: ID!) { child(id: $id) { homeActivitiesAttended { id title } } }",
            {"id": pupil["child"]},
        )
        assert forbidden_paths(body) == {("child", "homeActivitiesAttended")}, department


# --- dropout watch (控辍保学) --------------------------------------------------------------------

DROPOUT_RISKS = """
query Risks($school: ID, $first: Int, $after: String) {
  dropoutRisks(schoolId: $school, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id reasons lastHomeSchoolContactOn enrollment { id status } child { id } } }
  }
}
"""


async def left_behind(client: GraphQLClient, child_id: str) -> None:
    """Both parents work away: a left-behind child (under 16)."""
    client.token = civil_affairs_admin()
    for relationship in ("FATHER", "MOTHER"):
        parent = await register_guardian(client)
        await link(client, child_id, parent["id"], relationship=relationship)


async def test_dropout_risks_list_pupils_at_risk_with_their_reasons(
    client: GraphQLClient,
) -> None:
    suspended = await a_pupil(client, DROPOUTS, status="SUSPENDED")
    dropped = await a_pupil(client, DROPOUTS, status="DROPPED_OUT")
    recorded = await a_pupil(client, DROPOUTS)  # the shared record says dropped out
    uncontacted = await a_pupil(client, DROPOUTS)  # left-behind, contacted 61 days ago
    contacted = await a_pupil(client, DROPOUTS)  # left-behind, contacted lately
    at_home = await a_pupil(client, DROPOUTS)  # not left-behind, never contacted
    moved = await a_pupil(client, DROPOUTS, status="TRANSFERRED")
    for pupil in (uncontacted, contacted, moved):
        await left_behind(client, pupil["child"])
    client.token = civil_affairs_admin()
    await client.data(
        "mutation($i: UpdateChildInput!) { updateChild(input: $i) { child { schooling } } }",
        {"i": {"id": recorded["child"], "version": 1, "schooling": "DROPPED_OUT"}},
    )
    client.token = DROPOUTS.teacher()
    shown = await client.data(
        "query($id: ID!) { child(id: $id) { enrollment { status version } } }",
        {"id": recorded["child"]},
    )
    marked = shown["child"]["enrollment"]
    assert marked["status"] == "DROPPED_OUT", "the enrolment follows the shared record"
    await update_enrollment(
        client, {"id": recorded["id"], "version": marked["version"], "status": "ENROLLED"}
    )
    await record_contact(client, uncontacted["child"], contactedOn=days_ago(60))
    await record_contact(client, contacted["child"], contactedOn=days_ago(59))

    data = await client.data(DROPOUT_RISKS, {"first": 100})
    connection = data["dropoutRisks"]
    assert connection["totalCount"] == len(connection["edges"])
    # keyed by the enrolment: a DropoutRisk has the ID of its enrolment, under its own type
    risks = {edge["node"]["enrollment"]["id"]: edge["node"] for edge in connection["edges"]}
    for key, risk in risks.items():
        assert risk["id"] == gid("DropoutRisk", relay.GlobalID.from_id(key).node_id)
    mine = {
        p["id"]: p for p in (suspended, dropped, recorded, uncontacted, contacted, at_home, moved)
    }
    assert {key: risks[key]["reasons"] for key in risks if key in mine} == {
        suspended["id"]: ["ENROLLMENT_SUSPENDED"],
        dropped["id"]: ["ENROLLMENT_DROPPED_OUT"],
        recorded["id"]: ["SCHOOLING_DROPPED_OUT"],
        uncontacted["id"]: ["LEFT_BEHIND_WITHOUT_CONTACT"],
    }
    risk = risks[uncontacted["id"]]
    assert risk["lastHomeSchoolContactOn"] == days_ago(60)
    assert risk["enrollment"] == {"id": uncontacted["id"], "status": "ENROLLED"}
    assert risk["child"] == {"id": uncontacted["child"]}
    assert risks[suspended["id"]]["lastHomeSchoolContactOn"] is None

    risk_id = gid("DropoutRisk", relay.GlobalID.from_id(dropped["id"]).node_id)
    node = await client.data(
        "query($id: ID!) { node(id: $id) { ... on DropoutRisk { reasons } } }", {"id": risk_id}
    )
    assert node["node"] == {"reasons": ["ENROLLMENT_DROPPED_OUT"]}

    page = await client.data(DROPOUT_RISKS, {"first": 2, "school": DROPOUTS.id})
    rest = await client.data(
        DROPOUT_RISKS, {"first": 100, "after": page["dropoutRisks"]["pageInfo"]["endCursor"]}
    )
    edges = page["dropoutRisks"]["edges"] + rest["dropoutRisks"]["edges"]
    paged = [e["node"]["enrollment"]["id"] for e in edges]
    assert paged == list(risks)

    # the county bureau sees the same pupils; another school's teacher none of them
    client.token = education_admin(region="512002")
    data = await client.data(DROPOUT_RISKS, {"first": 100, "school": DROPOUTS.id})
    assert [e["node"]["enrollment"]["id"] for e in data["dropoutRisks"]["edges"]] == list(risks)
    client.token = ELSEWHERE.teacher()
    data = await client.data(DROPOUT_RISKS, {"first": 100, "school": DROPOUTS.id})
    assert data["dropoutRisks"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }
    body = await client.execute("query($id: ID!) { node(id: $id) { id } }", {"id": risk_id})
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"
    for department, role in (("police", "admin"), ("civil_affairs", "caseworker")):
        client.token = token_for(department, role, region_code=CITY)
        body = await client.execute(DROPOUT_RISKS, {"first": 10})
        assert code_and_field(body) == ("FORBIDDEN", None), department


async def test_a_malformed_school_id_is_refused_by_the_lists(client: GraphQLClient) -> None:
    client.token = DROPOUTS.teacher()
    for document, page in ((DROPOUT_RISKS, {"first": 100}), (HOMES_OF, {})):
        body = await client.execute(document, {"school": MISSING_CHILD, **page})
        assert code_and_field(body) == ("VALIDATION_FAILED", "schoolId")


# --- demo data -------------------------------------------------------------------------------


async def test_demo_data_loads_once(server_url: str) -> None:
    async with temporary_database(server_url, enabled_plugins()) as url:
        engine: AsyncEngine = create_engine(url, pool_size=2)
        try:
            await seed_children(engine, 80, seed=2018)
            load = available_plugins()["education"].demo_data
            assert load is not None
            added = await load(engine)
            connection = await asyncpg.connect(plain_url(url))
            try:
                counts = {
                    table: await rows_in(connection, f"education_{table}")
                    for table in (
                        "enrollments",
                        "mentoring_pairs",
                        "mentoring_notes",
                        "home_school_contacts",
                        "childrens_homes",
                        "home_activities",
                        "home_activity_attendances",
                    )
                }
                assert all(counts.values()), counts
                assert added == sum(counts.values())
                assert await load(engine) == 0, "a second load adds nothing"
                again = {t: await rows_in(connection, f"education_{t}") for t in counts}
                assert again == counts
            finally:
                await connection.close()
        finally:
            await engine.dispose()
