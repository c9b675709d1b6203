"""Idempotency keys: a retried mutation answers as the first time and writes nothing new."""

import uuid
from typing import Any

import asyncpg
import httpx

from core.graphql.global_ids import decode_global_id
from tests.api import REGISTER_CHILD, a_village, child_input, error_of
from tests.conftest import GraphQLClient, token_for


async def send(
    client: GraphQLClient, key: str | None, variables: dict[str, Any], query: str = REGISTER_CHILD
) -> httpx.Response:
    headers = {"Idempotency_Key": key} if key is not None else {}
    return await client.post(query, variables, **headers)


async def children_numbered(db: asyncpg.Connection, id_number: str) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM children WHERE id_number = $1", id_number)
    return count


async def test_a_retry_with_the_same_key_replays_the_first_answer(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    key = str(uuid.uuid4())
    variables = {"input": child_input(await a_village(client))}
    first = await send(client, key, variables)
    assert first.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    retry = await send(client, key, variables)
    assert retry.status_code == 200
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert await children_numbered(db, variables["input"]["idNumber"]) == 1
    child_id = decode_global_id(
        first.json()["data"]["registerChild"]["child"]["id"], "Child", field="id"
    )
    entries = await db.fetchval(
        "SELECT count(*) FROM audit_entries WHERE action = 'MUTATION' AND outcome = 'SUCCESS' "
        "AND operation = 'Register:registerChild' AND $1 = ANY(record_ids)",
        f"Child:{child_id}",
    )
    assert entries == 1


async def test_the_same_key_with_another_request_is_refused(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    key = str(uuid.uuid4())
    village = await a_village(client)
    await send(client, key, {"input": child_input(village)})
    other = {"input": child_input(village)}
    response = await send(client, key, other)
    assert response.status_code == 422
    assert error_of(response.json())["extensions"] == {
        "code": "IDEMPOTENCY_KEY_REUSED",
        "field": "Idempotency-Key",
    }
    assert await children_numbered(db, other["input"]["idNumber"]) == 0


async def test_a_refusal_is_replayed_too_and_still_writes_nothing(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    key = str(uuid.uuid4())
    variables = {"input": child_input(await a_village(client), idNumber="not-an-id-number")}
    first = await send(client, key, variables)
    assert error_of(first.json())["extensions"]["code"] == "VALIDATION_FAILED"
    retry = await send(client, key, variables)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()


async def test_the_key_may_travel_in_the_request_extensions(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    variables = {"input": child_input(await a_village(client))}
    body = {
        "query": REGISTER_CHILD,
        "variables": variables,
        "extensions": {"idempotencyKey": str(uuid.uuid4())},
    }
    headers = {"authorization": f"Bearer {client.token}"}
    first = await client.http.post("/graphql", json=body, headers=headers)
    retry = await client.http.post("/graphql", json=body, headers=headers)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert await children_numbered(db, variables["input"]["idNumber"]) == 1


async def test_keys_belong_to_their_caller(client: GraphQLClient, db: asyncpg.Connection) -> None:
    key = str(uuid.uuid4())
    village = await a_village(client)
    mine = await send(client, key, {"input": child_input(village)})
    colleague = GraphQLClient(client.http, token_for("civil_affairs", "admin", user_id="colleague"))
    theirs_input = {"input": child_input(village)}
    theirs = await send(colleague, key, theirs_input)
    assert "Idempotent-Replayed" not in theirs.headers
    assert (
        theirs.json()["data"]["registerChild"]["child"]["id"]
        != (mine.json()["data"]["registerChild"]["child"]["id"])
    )
    assert await children_numbered(db, theirs_input["input"]["idNumber"]) == 1


async def test_queries_ignore_the_key_and_a_malformed_key_is_refused(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    key = str(uuid.uuid4())
    query = "{ me { userId } }"
    await send(client, key, {}, query)
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 0
    too_long = await send(client, "k" * 201, {"input": child_input(await a_village(client))})
    assert error_of(too_long.json())["extensions"] == {
        "code": "VALIDATION_FAILED",
        "field": "Idempotency-Key",
    }


async def test_a_replay_is_for_the_roles_that_were_answered(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    """The same user signing in with other roles does not get the first answer back: those
    roles may not be allowed it."""
    key = str(uuid.uuid4())
    variables = {"input": child_input(await a_village(client))}
    admin = GraphQLClient(client.http, token_for("civil_affairs", "admin", user_id="two-hats"))
    auditor = GraphQLClient(client.http, token_for("audit", "auditor", user_id="two-hats"))
    first = await send(admin, key, variables)
    assert "errors" not in first.json()
    other_roles = await send(auditor, key, variables)
    assert "Idempotent-Replayed" not in other_roles.headers
    assert error_of(other_roles.json())["extensions"]["code"] == "FORBIDDEN"
    assert variables["input"]["idNumber"] not in other_roles.text
