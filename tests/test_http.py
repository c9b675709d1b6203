"""GraphQL over HTTP through the real server process, as a front end sees it: media types and
status codes (the GraphQL-over-HTTP specification), GET, GraphiQL served from local assets,
the health probes, bearer-token authentication and UTF-8 text."""

import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import jwt
import pytest

from core.testing import TEST_JWT_SECRET
from tests.conftest import free_port, start_server, stop_server, token_for

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    signed_in = {"authorization": f"Bearer {token_for()}"}
    async with httpx.AsyncClient(base_url=server, timeout=30, headers=signed_in) as client:
        yield client


def media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";")[0].strip().lower()


async def post(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    accept: str | None = GRAPHQL_RESPONSE_JSON,
    token: str | None = None,
) -> httpx.Response:
    """POST a document; `accept=None` sends no Accept header at all."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    request = http.build_request(
        "POST", "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    if token == "":  # no credentials at all
        del request.headers["authorization"]
    if accept is None:
        del request.headers["accept"]
    else:
        request.headers["accept"] = accept
    return await http.send(request)


def error_codes(body: dict[str, Any]) -> list[str | None]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


# --- media types and status codes -------------------------------------------------------------


async def test_graphql_response_json_is_answered_in_kind(http: httpx.AsyncClient) -> None:
    response = await post(http, "{ me { userId } }")
    assert response.status_code == 200, response.text
    assert media_type(response) == GRAPHQL_RESPONSE_JSON, response.headers
    body = response.json()
    assert "errors" not in body, body
    assert body["data"] == {"me": {"userId": "tester"}}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ me { userId }", "GRAPHQL_PARSE_FAILED"),
        ("{ me { noSuchField } }", "GRAPHQL_VALIDATION_FAILED"),
    ],
    ids=["syntax-error", "unknown-field"],
)
async def test_request_errors_are_400_without_data(
    http: httpx.AsyncClient, query: str, code: str
) -> None:
    response = await post(http, query)
    assert response.status_code == 400, f"a request error must be a 400: {response.text}"
    assert media_type(response) == GRAPHQL_RESPONSE_JSON, response.headers
    body = response.json()
    assert "data" not in body, f"a request error has no data entry: {body}"
    assert error_codes(body) == [code], body


async def test_variable_coercion_error_is_400_validation_failed(http: httpx.AsyncClient) -> None:
    response = await post(
        http,
        "query($n: Int) { regions(first: $n) { totalCount } }",
        {"n": "three"},
    )
    assert response.status_code == 400, f"bad variables must be a 400: {response.text}"
    body = response.json()
    assert "data" not in body, body
    assert error_codes(body) == ["VALIDATION_FAILED"], body


@pytest.mark.parametrize("accept", [JSON, None], ids=["accept-json", "no-accept"])
async def test_legacy_json_clients_get_200_even_for_request_errors(
    http: httpx.AsyncClient, accept: str | None
) -> None:
    ok = await post(http, "{ me { userId } }", accept=accept)
    assert ok.status_code == 200, ok.text
    assert media_type(ok) == JSON, ok.headers

    invalid = await post(http, "{ me { noSuchField } }", accept=accept)
    assert invalid.status_code == 200, f"application/json keeps the legacy 200: {invalid.text}"
    assert media_type(invalid) == JSON, invalid.headers
    assert error_codes(invalid.json()) == ["GRAPHQL_VALIDATION_FAILED"], invalid.text


async def test_post_accepting_only_text_plain_is_406(http: httpx.AsyncClient) -> None:
    response = await post(http, "{ me { userId } }", accept="text/plain")
    assert response.status_code == 406, response.text


async def test_field_error_in_an_executed_operation_is_200_with_data(
    http: httpx.AsyncClient,
) -> None:
    response = await post(http, '{ me { userId } child(id: "not-an-id") { name } }')
    assert response.status_code == 200, f"an executed operation is a 200: {response.text}"
    assert media_type(response) == GRAPHQL_RESPONSE_JSON
    body = response.json()
    assert "data" in body, f"an executed operation keeps its data entry: {body}"
    assert body["data"] == {"me": {"userId": "tester"}, "child": None}, body
    [error] = body["errors"]
    assert error["path"] == ["child"], error
    assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": "id"}, error


# --- GET ----------------------------------------------------------------------------------------


async def test_get_runs_a_query(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql", params={"query": "{me{userId}}"}, headers={"accept": GRAPHQL_RESPONSE_JSON}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"me": {"userId": "tester"}}


def register_by_literal(name: str, village: str) -> str:
    return (
        "mutation M { registerChild(input: {"
        f' name: "{name}", birthDate: "2015-06-01", sex: FEMALE,'
        f' householdRegionCode: "{village}", residenceRegionCode: "{village}",'
        " schooling: PRIMARY }) { child { id } } }"
    )


@pytest.mark.parametrize(
    ("prefix", "operation_name"),
    [("", None), ("query Q { me { userId } } ", "M")],
    ids=["mutation", "mutation-chosen-by-operationName"],
)
async def test_get_refuses_a_mutation_and_writes_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection, prefix: str, operation_name: str | None
) -> None:
    village = await db.fetchval("SELECT code FROM regions WHERE level = 'VILLAGE' LIMIT 1")
    name = f"经GET{uuid.uuid4().hex[:8]}"
    params = {"query": prefix + register_by_literal(name, village)}
    if operation_name:
        params["operationName"] = operation_name
    response = await http.get(
        "/graphql",
        params=params,
        headers={
            "accept": GRAPHQL_RESPONSE_JSON,
            "authorization": f"Bearer {token_for(role='admin')}",
        },
    )
    assert 400 <= response.status_code < 500, (
        f"a mutation over GET must be refused: {response.status_code} {response.text}"
    )
    written = await db.fetchval("SELECT count(*) FROM children WHERE name = $1", name)
    assert written == 0, "a refused GET mutation must not write"


async def test_non_json_body_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        content=b"{ me { userId } ",
        headers={"content-type": JSON, "accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 400, response.text


async def test_json_body_that_is_not_an_object_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        content=b'"{ me { userId } }"',
        headers={"content-type": JSON, "accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 400, f"{response.status_code} {response.text}"


# --- GraphiQL ------------------------------------------------------------------------------------


async def test_graphiql_is_served_from_local_assets(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200, page.text
    assert media_type(page) == "text/html"
    assert "GraphiQL" in page.text
    referenced = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page.text)
    assert referenced, "the page references its scripts and styles"
    remote = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page.text)
    assert not remote, f"no script or style may come from another host: {remote}"
    for url in referenced:
        assert url.startswith("/static/graphiql/"), f"{url} is not a local asset"
        asset = await http.get(url)
        assert asset.status_code == 200, f"{url}: {asset.status_code}"
        assert len(asset.content) > 1000, f"{url} is suspiciously small ({len(asset.content)} B)"


# --- probes --------------------------------------------------------------------------------------


async def test_healthz_and_readyz(http: httpx.AsyncClient) -> None:
    alive = await http.get("/healthz")
    assert alive.status_code == 200
    assert alive.json()["status"] == "alive"

    ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "database": "reachable", "migrations": "current"}


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nothing"
    process, base = start_server(unreachable)
    try:
        alive = httpx.get(f"{base}/healthz", timeout=10)
        assert alive.status_code == 200, "the process is alive without its database"
        ready = httpx.get(f"{base}/readyz", timeout=30)
        assert ready.status_code == 503, ready.text
        body = ready.json()
        assert body["status"] == "unready", body
        assert body["database"] == "unreachable", body
    finally:
        stop_server(process)


# --- authentication ---------------------------------------------------------------------------


def signed(secret: str = TEST_JWT_SECRET, *, expires_in: int = 3600) -> str:
    claims = {
        "sub": "u1",
        "dept": "police",
        "role": "officer",
        "exp": int(time.time()) + expires_in,
    }
    return jwt.encode(claims, secret, "HS256")


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        (signed(expires_in=-60), "expired"),
        (signed("another-secret-that-is-long-enough-for-hs256"), "not valid"),
    ],
    ids=["expired", "bad-signature"],
)
async def test_invalid_token_is_401_unauthenticated(
    http: httpx.AsyncClient, token: str, problem: str
) -> None:
    response = await post(http, "{ me { userId } }", token=token)
    assert response.status_code == 401, response.text
    body = response.json()
    assert "data" not in body, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED", error
    assert problem in error["message"], f"the message should say the token is {problem}: {error}"


async def test_me_returns_the_token_claims(http: httpx.AsyncClient) -> None:
    token = token_for("education", "teacher", region_code="512021", user_id="teacher-7")
    response = await post(http, "{ me { userId department role regionCode roles } }", token=token)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["me"] == {
        "userId": "teacher-7",
        "department": "education",
        "role": "teacher",
        "regionCode": "512021",
        "roles": ["education:teacher"],
    }


async def test_no_credentials_is_401_unauthenticated(http: httpx.AsyncClient) -> None:
    response = await post(http, "{ me { userId } }", token="")
    assert response.status_code == 401, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Authorization" in error["message"], "the message says how to sign in"


# --- text ----------------------------------------------------------------------------------------


async def test_chinese_text_is_utf8(http: httpx.AsyncClient) -> None:
    response = await post(http, '{ region(code: "512000") { name level } }')
    assert response.status_code == 200, response.text
    assert "charset=utf-8" in response.headers["content-type"].lower().replace(" ", "")
    raw = response.content.decode("utf-8")
    assert "资阳市" in raw, f"the name should be UTF-8 text, not escaped: {raw}"
    assert response.json()["data"]["region"] == {"name": "资阳市", "level": "CITY"}
