"""The mutation mix (scenario 4): a caseworker registers a child, updates the record with the
version it read, and records a follow-up on an open case of their county.

Each client of the load generator runs the three steps in turn, each step's request built from
the previous answers (the new child's id and version). The floor makes the same row changes
with hand-written SQL through asyncpg, one transaction per step; it does none of what
CareGraph adds to a write (input validation, field authorization, the audit trail's entry, the
domain event in the outbox), which is what the ratio measures.
"""

import base64
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

REGISTER = """
mutation Register($input: RegisterChildInput!) {
  registerChild(input: $input) { child { id version } }
}
"""
UPDATE = """
mutation Update($input: UpdateChildInput!) {
  updateChild(input: $input) { child { id version } }
}
"""
FOLLOW_UP = """
mutation FollowUp($input: AddCaseEventInput!) {
  addCaseEvent(input: $input) { event { id kind } }
}
"""
STEPS = ("register", "update", "follow_up")
_names = itertools.count()


@dataclass
class FlowState:
    """What one client carries from step to step."""

    village: str
    case_id: str  # a global ID
    organization_id: str | None = None  # the caller's organisation, acting in the follow-up
    child_id: str | None = None  # a global ID
    version: int | None = None


def graphql_request(step: str, state: FlowState) -> dict[str, Any]:
    """The GraphQL request body of `step`."""
    if step == "register":
        number = next(_names)
        return {
            "query": REGISTER,
            "variables": {
                "input": {
                    "name": f"压测{uuid.uuid4().hex[:6]}{number}",
                    "sex": "FEMALE" if number % 2 else "MALE",
                    "birthDate": "2016-05-01",
                    "householdRegionCode": state.village,
                    "residenceRegionCode": state.village,
                    "schooling": "PRIMARY",
                }
            },
        }
    if step == "update":
        return {
            "query": UPDATE,
            "variables": {
                "input": {"id": state.child_id, "version": state.version, "boarding": True}
            },
        }
    return {
        "query": FOLLOW_UP,
        "variables": {
            "input": {"caseId": state.case_id, "kind": "VISIT", "note": "家访，情况稳定"}
        },
    }


def read_graphql_answer(step: str, state: FlowState, body: dict[str, Any]) -> None:
    if step == "register":
        child = body["data"]["registerChild"]["child"]
        state.child_id, state.version = child["id"], child["version"]
    elif step == "update":
        state.version = body["data"]["updateChild"]["child"]["version"]


def floor_request(step: str, state: FlowState) -> dict[str, Any]:
    """The floor's request body of `step` (the same values, without GraphQL)."""
    graphql = graphql_request(step, state)["variables"]["input"]
    return {"step": step, **graphql, "organizationId": state.organization_id}


def read_floor_answer(step: str, state: FlowState, body: dict[str, Any]) -> None:
    if step == "register":
        state.child_id, state.version = body["id"], body["version"]
    elif step == "update":
        state.version = body["version"]


def _key(global_id: str) -> uuid.UUID:
    return uuid.UUID(base64.b64decode(global_id).decode().split(":", 1)[1])


async def _register(connection: Any, values: dict[str, Any]) -> dict[str, Any]:
    key = uuid.uuid4()
    await connection.execute(
        """
        INSERT INTO children (id, name, sex, birth_date, household_region_code,
                              residence_region_code, schooling, boarding, health,
                              difficulty_categories, family_income_sources,
                              assistance_received, status, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, false, 'HEALTHY', '{}', '{}', '{}', 'ACTIVE', 1)
        """,
        key,
        values["name"],
        values["sex"],
        date.fromisoformat(values["birthDate"]),
        values["householdRegionCode"],
        values["residenceRegionCode"],
        values["schooling"],
    )
    return {"id": base64.b64encode(f"Child:{key}".encode()).decode(), "version": 1}


async def _update(connection: Any, values: dict[str, Any]) -> dict[str, Any]:
    version = await connection.fetchval(
        "UPDATE children SET boarding = $1, version = version + 1 "
        "WHERE id = $2 AND version = $3 RETURNING version",
        values["boarding"],
        _key(values["id"]),
        values["version"],
    )
    return {"version": version}


async def _follow_up(connection: Any, values: dict[str, Any]) -> dict[str, Any]:
    key = uuid.uuid4()
    await connection.execute(
        "INSERT INTO case_events (id, case_id, kind, actor_user_id, actor_department, "
        "organization_id, note) VALUES ($1, $2, $3, 'floor', 'civil_affairs', $4, $5)",
        key,
        _key(values["caseId"]),
        values["kind"],
        uuid.UUID(values["organizationId"]) if values.get("organizationId") else None,
        values["note"],
    )
    return {"id": str(key)}


FLOOR_STEPS: dict[str, Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "register": _register,
    "update": _update,
    "follow_up": _follow_up,
}


async def floor_step(pool: asyncpg.Pool, values: dict[str, Any]) -> dict[str, Any]:
    async with pool.acquire() as connection, connection.transaction():
        return await FLOOR_STEPS[values["step"]](connection, values)
