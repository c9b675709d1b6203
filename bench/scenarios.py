"""The front-end operations the harness runs, each with its hand-written SQL floor.

A scenario is a GraphQL document and the variables to send, as one department's caller; its
floor answers the same request with SQL written by hand through asyncpg and builds the same
JSON `data`. Before any load is sent the harness checks that both answer identically, so the
floor does the same work and nothing less.
"""

import base64
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

Floor = Callable[[asyncpg.Pool, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    document: str
    department: str
    role: str
    region_code: str | None
    floor: Floor


def global_id(type_name: str, key: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def age(birth_date: date) -> int:
    today = date.today()
    return (
        today.year
        - birth_date.year
        - int((today.month, today.day) < (birth_date.month, birth_date.day))
    )


async def _guardianships(
    connection: "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]", child_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    rows = await connection.fetch(
        """
        SELECT g.child_id, g.relationship, g.works_away, d.name
        FROM guardianships g JOIN guardians d ON d.id = g.guardian_id
        WHERE g.child_id = ANY($1::uuid[])
        ORDER BY g.created_at, g.id
        """,
        child_ids,
    )
    found: dict[uuid.UUID, list[dict[str, Any]]] = {key: [] for key in child_ids}
    for row in rows:
        found[row["child_id"]].append(
            {
                "relationship": row["relationship"],
                "worksAway": row["works_away"],
                "guardian": {"name": row["name"]},
            }
        )
    return found


TEACHER_PAGE = """
query TeacherPage($school: ID!) {
  enrollments(schoolId: $school, first: 50) {
    edges { node {
      studentNumber grade className lastHomeSchoolContactOn
      child {
        id name sex age isLeftBehind
        residenceRegion { name }
        guardianships { relationship worksAway guardian { name } }
      }
    } }
  }
}
"""

# The left-behind test of core.left_behind, written out by hand for the floor.
LEFT_BEHIND_SQL = """
    c.birth_date + interval '16 years' > current_date AND (
      SELECT coalesce(bool_or(g.works_away), false)
             AND count(*) FILTER (WHERE g.works_away OR g.capacity <> 'FULL') >= 2
      FROM guardianships g
      WHERE g.child_id = c.id AND g.relationship IN ('FATHER', 'MOTHER'))
"""


async def teacher_page_floor(pool: asyncpg.Pool, variables: dict[str, Any]) -> dict[str, Any]:
    school = uuid.UUID(base64.b64decode(variables["school"]).decode().split(":", 1)[1])
    async with pool.acquire() as connection:
        pupils = await connection.fetch(
            f"""
            SELECT e.student_number, e.grade, e.class_name, c.id, c.name, c.sex, c.birth_date,
                   {LEFT_BEHIND_SQL} AS left_behind, r.name AS region_name,
                   (SELECT max(h.contacted_on) FROM education_home_school_contacts h
                    WHERE h.child_id = c.id) AS last_contact
            FROM education_enrollments e
            JOIN children c ON c.id = e.child_id
            JOIN regions r ON r.code = c.residence_region_code
            WHERE e.school_id = $1 AND e.status <> 'TRANSFERRED'
            ORDER BY e.student_number, e.id
            LIMIT 50
            """,
            school,
        )
        guardianships = await _guardianships(connection, [row["id"] for row in pupils])
    return {
        "enrollments": {
            "edges": [
                {
                    "node": {
                        "studentNumber": row["student_number"],
                        "grade": row["grade"],
                        "className": row["class_name"],
                        "lastHomeSchoolContactOn": (
                            row["last_contact"].isoformat() if row["last_contact"] else None
                        ),
                        "child": {
                            "id": global_id("Child", row["id"]),
                            "name": row["name"],
                            "sex": row["sex"],
                            "age": age(row["birth_date"]),
                            "isLeftBehind": row["left_behind"],
                            "residenceRegion": {"name": row["region_name"]},
                            "guardianships": guardianships[row["id"]],
                        },
                    }
                }
                for row in pupils
            ]
        }
    }


TOWNSHIP_LIST = """
query TownshipList($region: String!, $types: [GuardianshipType!]) {
  children(first: 100, filter: {regionCode: $region, guardianshipTypes: $types}) {
    edges { node {
      id name sex age guardianshipType
      residenceRegion { code name }
      guardianships { relationship worksAway guardian { name } }
      openCases { id kind status riskLevel }
    } }
  }
}
"""


async def township_list_floor(pool: asyncpg.Pool, variables: dict[str, Any]) -> dict[str, Any]:
    async with pool.acquire() as connection:
        children = await connection.fetch(
            """
            SELECT c.id, c.name, c.sex, c.birth_date, c.guardianship_type,
                   c.residence_region_code, r.name AS region_name
            FROM children c JOIN regions r ON r.code = c.residence_region_code
            WHERE c.residence_region_code LIKE $1 || '%'
              AND c.residence_region_code LIKE $2 || '%'
              AND c.guardianship_type = ANY($3::text[])
            ORDER BY c.name, c.id
            LIMIT 100
            """,
            variables["scope"],
            variables["region"],
            variables["types"],
        )
        ids = [row["id"] for row in children]
        guardianships = await _guardianships(connection, ids)
        cases = await connection.fetch(
            """
            SELECT id, child_id, kind, status, risk_level FROM cases
            WHERE child_id = ANY($1::uuid[]) AND status <> 'CLOSED'
            ORDER BY opened_at, id
            """,
            ids,
        )
    open_cases: dict[uuid.UUID, list[dict[str, Any]]] = {key: [] for key in ids}
    for case in cases:
        open_cases[case["child_id"]].append(
            {
                "id": global_id("Case", case["id"]),
                "kind": case["kind"],
                "status": case["status"],
                "riskLevel": case["risk_level"],
            }
        )
    return {
        "children": {
            "edges": [
                {
                    "node": {
                        "id": global_id("Child", row["id"]),
                        "name": row["name"],
                        "sex": row["sex"],
                        "age": age(row["birth_date"]),
                        "guardianshipType": row["guardianship_type"],
                        "residenceRegion": {
                            "code": row["residence_region_code"],
                            "name": row["region_name"],
                        },
                        "guardianships": guardianships[row["id"]],
                        "openCases": open_cases[row["id"]],
                    }
                }
                for row in children
            ]
        }
    }


CHILD_PROFILE = """
query ChildProfile($id: ID!) {
  child(id: $id) {
    id name sex birthDate age schooling boarding health guardianshipType
    residenceRegion { name parent { name } }
    guardianships { relationship worksAway guardian { name } }
    cases { id kind status riskLevel events { kind note occurredAt } }
  }
}
"""


async def child_profile_floor(pool: asyncpg.Pool, variables: dict[str, Any]) -> dict[str, Any]:
    key = uuid.UUID(base64.b64decode(variables["id"]).decode().split(":", 1)[1])
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            """
            SELECT c.id, c.name, c.sex, c.birth_date, c.schooling, c.boarding, c.health,
                   c.guardianship_type, r.name AS region_name, p.name AS parent_name
            FROM children c
            JOIN regions r ON r.code = c.residence_region_code
            LEFT JOIN regions p ON p.code = r.parent_code
            WHERE c.id = $1 AND c.residence_region_code LIKE $2 || '%'
            """,
            key,
            variables["scope"],
        )
        if row is None:
            return {"child": None}
        guardianships = await _guardianships(connection, [key])
        cases = await connection.fetch(
            "SELECT id, kind, status, risk_level FROM cases WHERE child_id = $1 "
            "ORDER BY opened_at, id",
            key,
        )
        events = await connection.fetch(
            "SELECT case_id, kind, note, occurred_at FROM case_events "
            "WHERE case_id = ANY($1::uuid[]) ORDER BY occurred_at, id",
            [case["id"] for case in cases],
        )
    timeline: dict[uuid.UUID, list[dict[str, Any]]] = {case["id"]: [] for case in cases}
    for event in events:
        timeline[event["case_id"]].append(
            {
                "kind": event["kind"],
                "note": event["note"],
                "occurredAt": event["occurred_at"].isoformat(),
            }
        )
    return {
        "child": {
            "id": global_id("Child", key),
            "name": row["name"],
            "sex": row["sex"],
            "birthDate": row["birth_date"].isoformat(),
            "age": age(row["birth_date"]),
            "schooling": row["schooling"],
            "boarding": row["boarding"],
            "health": row["health"],
            "guardianshipType": row["guardianship_type"],
            "residenceRegion": {
                "name": row["region_name"],
                "parent": {"name": row["parent_name"]} if row["parent_name"] else None,
            },
            "guardianships": guardianships[key],
            "cases": [
                {
                    "id": global_id("Case", case["id"]),
                    "kind": case["kind"],
                    "status": case["status"],
                    "riskLevel": case["risk_level"],
                    "events": timeline[case["id"]],
                }
                for case in cases
            ],
        }
    }


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            name="teacher_page",
            description="a teacher's page: 50 pupils of their school with region, guardians, "
            "left-behind status and last home-school contact",
            document=TEACHER_PAGE,
            department="education",
            role="teacher",
            region_code=None,
            floor=teacher_page_floor,
        ),
        Scenario(
            name="township_list",
            description="a township caseworker's list: 100 children of a township with one "
            "guardianship type, with region, guardians and open cases",
            document=TOWNSHIP_LIST,
            department="civil_affairs",
            role="caseworker",
            region_code=None,  # set to the county of the township at run time
            floor=township_list_floor,
        ),
        Scenario(
            name="child_profile",
            description="one child's profile with guardians, cases and their timelines",
            document=CHILD_PROFILE,
            department="civil_affairs",
            role="caseworker",
            region_code=None,
            floor=child_profile_floor,
        ),
    )
}
