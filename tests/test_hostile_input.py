"""Hostile input through the real server, one readable case at a time: documents built to
exhaust it (depth, aliases, page sizes, node counts, fragment cycles and bombs, tokens, body
size), malformed HTTP bodies, SQL and LIKE injection and text PostgreSQL cannot store, malformed
global IDs and cursors, forged tokens, and records outside the caller's scope.

Each case names the exact code a caller gets (and the limit, its maximum and the actual value
where the platform reports them), and, for the mutations among them, that nothing was written.
Whatever the input, the answer is never an HTTP 500 and never INTERNAL_SERVER_ERROR.
"""

import base64
import json
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)

from core.authorization.policy import file_lines
from core.graphql.global_ids import encode_global_id
from core.graphql.schema import schema_for
from core.plugin_registry import enabled_plugins
from core.seed.synthetic import CENTRAL_PRIMARY_SCHOOL, organization_id
from core.testing import TEST_JWT_SECRET
from tests.api import REGISTER_CHILD, child_input, unique_name
from tests.conftest import GraphQLClient, token_for

SCHEMA = schema_for()._schema
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
# A village no other test registers children in; and a county other than its own.
VILLAGE = "512022202202"
OTHER_COUNTY = "512002"
OTHER_COUNTY_TOWNSHIP = "512002101"
OTHER_COUNTY_VILLAGE = "512002101201"
MAX_DEPTH = 15
MAX_ALIASES = 30
MAX_PAGE_SIZE = 100
MAX_NODES = 50_000
MAX_TOKENS = 5_000
MAX_BODY_BYTES = 100_000


# --- helpers ---------------------------------------------------------------------------------


async def send(
    http: httpx.AsyncClient,
    body: Any,
    *,
    token: str | None = None,
    content_type: str = "application/json",
    **headers: str,
) -> httpx.Response:
    """POST `body` as JSON encoded by hand: `json.dumps` escapes non-ASCII, so text that is not
    valid UTF-8 (a lone surrogate) still travels as valid JSON. Bytes are sent as they are."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode("ascii")
    sent = {
        "accept": GRAPHQL_RESPONSE_JSON,
        "content-type": content_type,
        "authorization": f"Bearer {token or token_for()}",
    }
    sent.update({k.replace("_", "-"): v for k, v in headers.items()})
    return await http.post("/graphql", content=content, headers=sent)


async def graphql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> httpx.Response:
    return await send(http, {"query": query, "variables": variables or {}}, token=token)


def body_of(response: httpx.Response) -> dict[str, Any]:
    """The JSON body, after checking what every answer must be: not a 500, JSON, every error
    with a code, none of them INTERNAL_SERVER_ERROR."""
    where = f"{response.status_code}: {response.text[:2000]}"
    assert response.status_code < 500, f"a hostile request is the caller's problem: {where}"
    assert response.headers.get("content-type", "").startswith(
        ("application/json", GRAPHQL_RESPONSE_JSON)
    ), f"the answer is JSON: {response.headers.get('content-type')} {where}"
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code, f"every error has extensions.code: {where}"
        assert code != "INTERNAL_SERVER_ERROR", f"not an internal error: {where}"
    assert "Traceback" not in response.text, where
    return body


def the_error(response: httpx.Response) -> dict[str, Any]:
    """The single error of a response (checked as in `body_of`)."""
    body = body_of(response)
    errors = body.get("errors") or []
    assert len(errors) == 1, f"expected exactly one error: {response.status_code} {body}"
    error: dict[str, Any] = errors[0]
    return error


def refused_before_running(response: httpx.Response) -> dict[str, Any]:
    """A request error: HTTP 400, no `data` entry, one error."""
    error = the_error(response)
    assert response.status_code == 400, f"refused before running is a 400: {response.text}"
    assert "data" not in response.json(), f"nothing ran, so no data entry: {response.text}"
    return error


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def children_named(db: asyncpg.Connection, name: str) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM children WHERE name = $1", name)
    return count


async def all_children(db: asyncpg.Connection) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM children")
    return count


def nested(fields: list[str], leaf: str) -> str:
    """`a { b { c { leaf } } }` for fields a, b, c."""
    text = leaf
    for field in reversed(fields):
        text = f"{field} {{ {text} }}"
    return text


def register_literal(name: str, selection: str = "child { id }") -> str:
    """registerChild with its input written inline (no variables), for documents built big."""
    return (
        f'registerChild(input: {{ name: "{name}", birthDate: "2015-06-01", sex: FEMALE, '
        f'householdRegionCode: "{VILLAGE}", residenceRegionCode: "{VILLAGE}", '
        f"schooling: PRIMARY }}) {{ {selection} }}"
    )


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture
async def child(client: GraphQLClient) -> dict[str, Any]:
    """A child of VILLAGE (county 512022), registered by the city bureau."""
    data = await client.data(
        REGISTER_CHILD, {"input": child_input(VILLAGE, name=unique_name("敌意"))}
    )
    registered: dict[str, Any] = data["registerChild"]["child"]
    return registered


# --- depth ---------------------------------------------------------------------------------------


def region_chain(depth: int) -> list[str]:
    """child → residenceRegion → parent → parent …: `depth` fields down to `code`, none a list,
    so only the depth limit is at stake (a chain through guardianships, lists of ten, passes
    the node limit long before: see the nodes case below)."""
    return ["child(id: $id)", "residenceRegion"] + ["parent"] * (depth - 3)


@pytest.mark.parametrize("through", ["child", "node"])
async def test_nesting_deeper_than_the_limit_is_refused_with_its_depth(
    http: httpx.AsyncClient, child: dict[str, Any], through: str
) -> None:
    fields = region_chain(MAX_DEPTH + 1)
    if through == "node":  # an inline fragment adds no depth of its own
        fields[0] = "node(id: $id) { ... on Child"
    query = "query($id: ID!) { " + nested(fields, "code") + (" }" if through == "node" else "")
    query += " }"
    error = refused_before_running(await graphql(http, query, {"id": child["id"]}))
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "depth",
        "maximum": MAX_DEPTH,
        "actual": MAX_DEPTH + 1,
    }, error


async def test_nesting_exactly_at_the_limit_runs(
    http: httpx.AsyncClient, child: dict[str, Any]
) -> None:
    query = "query($id: ID!) { " + nested(region_chain(MAX_DEPTH), "code") + " }"
    response = await graphql(http, query, {"id": child["id"]})
    body = body_of(response)
    assert response.status_code == 200 and "errors" not in body, body
    assert body["data"]["child"]["residenceRegion"]["parent"] is not None


async def test_a_mutation_selecting_too_deep_writes_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    name = unique_name("深")
    selection = nested(["child", "residenceRegion"] + ["parent"] * (MAX_DEPTH - 2), "code")
    response = await graphql(http, "mutation { " + register_literal(name, selection) + " }")
    error = refused_before_running(response)
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    assert error["extensions"]["limit"] == "depth", error
    assert error["extensions"]["maximum"] == MAX_DEPTH, error
    assert await children_named(db, name) == 0, "a refused mutation must not write"


# --- aliases -------------------------------------------------------------------------------------


async def test_alias_bomb_is_refused_with_the_count_that_passed_the_limit(
    http: httpx.AsyncClient,
) -> None:
    query = "{ " + " ".join(f"a{i}: me {{ userId }}" for i in range(40)) + " }"
    error = refused_before_running(await graphql(http, query))
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "aliases",
        "maximum": MAX_ALIASES,
        "actual": MAX_ALIASES + 1,  # the count stops where the limit is passed
    }, error


async def test_as_many_aliases_as_the_limit_run(http: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: me {{ userId }}" for i in range(MAX_ALIASES)) + " }"
    body = body_of(await graphql(http, query))
    assert "errors" not in body, body
    assert len(body["data"]) == MAX_ALIASES


async def test_alias_bomb_of_mutations_writes_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    tag = unique_name("别名")
    names = [f"{tag}{i}" for i in range(MAX_ALIASES + 1)]
    query = "mutation { " + " ".join(f"m{i}: {register_literal(n)}" for i, n in enumerate(names))
    error = refused_before_running(await graphql(http, query + " }"))
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    assert error["extensions"]["limit"] == "aliases", error
    written = await db.fetchval("SELECT count(*) FROM children WHERE name LIKE $1", tag + "%")
    assert written == 0, f"{written} of the aliased registrations were written"


# --- page sizes and nodes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ("first: 1000", "first"),
        ("first: 101", "first"),
        ("first: 0", "first"),
        ("first: -1", "first"),
        ("last: 1000", "last"),
        ("last: 0", "last"),
        ("", "first"),  # every connection must say how many
        ("after: null", "first"),
    ],
    ids=[
        "first-1000",
        "first-101",
        "first-0",
        "first-negative",
        "last-1000",
        "last-0",
        "none",
        "cursor-only",
    ],
)
async def test_page_sizes_outside_1_to_100_are_validation_failed(
    http: httpx.AsyncClient, arguments: str, field: str
) -> None:
    query = f"{{ children{f'({arguments})' if arguments else ''} {{ edges {{ node {{ id }} }} }} }}"
    error = refused_before_running(await graphql(http, query))
    assert error["extensions"] == {
        "code": "VALIDATION_FAILED",
        "field": field,
        "maximum": MAX_PAGE_SIZE,
    }, error


@pytest.mark.parametrize("size", [1000, 2**31, -(2**31)])
async def test_a_page_size_in_a_variable_is_checked_too(http: httpx.AsyncClient, size: int) -> None:
    query = "query($n: Int) { children(first: $n) { totalCount } }"
    error = refused_before_running(await graphql(http, query, {"n": size}))
    assert error["extensions"]["code"] == "VALIDATION_FAILED", error
    assert error["extensions"]["field"] == "first", error


async def test_nested_lists_multiplying_past_the_node_limit_are_refused(
    http: httpx.AsyncClient,
) -> None:
    # 100 children × 10 guardianships × 10 × 10 × 10 … as the list estimate counts them
    inner = nested(["guardianships", "guardian", "guardianships", "child", "guardianships"], "id")
    query = f"{{ children(first: 100) {{ edges {{ node {{ {inner} }} }} }} }}"
    error = refused_before_running(await graphql(http, query))
    extensions = error["extensions"]
    assert extensions["code"] == "LIMIT_EXCEEDED", error
    assert extensions["limit"] == "nodes", error
    assert extensions["maximum"] == MAX_NODES, error
    assert extensions["actual"] > MAX_NODES, error


async def test_a_large_but_allowed_nest_runs(http: httpx.AsyncClient) -> None:
    # 100 + 100 × 10 + 100 × 10 = 2,100 nodes
    query = "{ children(first: 100) { edges { node { guardianships { guardian { id } } } } } }"
    response = await graphql(http, query)
    body = body_of(response)
    assert response.status_code == 200 and "errors" not in body, body


# --- fragments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fragments",
    [
        "fragment A on Child { id ...B } fragment B on Child { name ...A }",
        "fragment A on Child { id ...A }",
        "fragment A on Child { id guardianships { child { ...B } } } "
        "fragment B on Child { name guardianships { child { ...A } } }",
    ],
    ids=["two-fragments", "self", "through-fields"],
)
async def test_circular_fragments_are_graphql_validation_failed(
    http: httpx.AsyncClient, child: dict[str, Any], fragments: str
) -> None:
    query = f"query($id: ID!) {{ child(id: $id) {{ ...A }} }} {fragments}"
    response = await graphql(http, query, {"id": child["id"]})
    body = body_of(response)
    assert response.status_code == 400, body
    assert "data" not in body, body
    codes = {error["extensions"]["code"] for error in body["errors"]}
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}, body


def fragment_bomb(levels: int, spread: str) -> str:
    """F0 … F{levels-1} on Region, each spreading the previous one twice: `spread` says how,
    with PREV standing for the previous fragment. Expanded, the last one has 2**levels leaves."""
    definitions = ["fragment F0 on Region { code name }"]
    for level in range(1, levels):
        definitions.append(
            f"fragment F{level} on Region {{ {spread.replace('PREV', f'F{level - 1}')} }}"
        )
    return f'{{ region(code: "{VILLAGE}") {{ ...F{levels - 1} }} }} ' + " ".join(definitions)


@pytest.mark.parametrize(
    "spread",
    [
        "subregions { ...PREV } parent { ...PREV }",
        "parent { ...PREV } subregions { ...PREV }",
        "up: parent { ...PREV } again: parent { ...PREV }",
    ],
    ids=["lists-first", "objects-first", "under-two-aliases"],
)
async def test_exponential_fragment_spreads_are_refused_quickly(
    http: httpx.AsyncClient, spread: str
) -> None:
    query = fragment_bomb(40, spread)  # 2**40 fields once expanded
    started = time.monotonic()
    response = await graphql(http, query)
    elapsed = time.monotonic() - started
    error = refused_before_running(response)
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    # whichever limit the walk passes first: it stops there, without expanding the rest
    assert error["extensions"]["limit"] in ("depth", "nodes", "aliases"), error
    assert elapsed < 2, f"refusing a fragment bomb took {elapsed:.1f} s"

    # and the server is still there for everybody else
    after = await graphql(http, "{ me { userId } }")
    assert after.status_code == 200, after.text
    assert body_of(after)["data"] == {"me": {"userId": "tester"}}


# --- tokens ------------------------------------------------------------------------------------


async def test_a_document_of_more_than_5000_tokens_is_refused(http: httpx.AsyncClient) -> None:
    query = "{ me { " + "userId " * (MAX_TOKENS + 100) + "} }"
    error = refused_before_running(await graphql(http, query))
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "tokens",
        "maximum": MAX_TOKENS,
    }, error


async def test_a_mutation_of_more_than_5000_tokens_writes_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    name = unique_name("令牌")
    padding = "__typename " * MAX_TOKENS
    query = "mutation { " + register_literal(name, f"child {{ id }} {padding}") + " }"
    error = refused_before_running(await graphql(http, query))
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
    assert error["extensions"]["limit"] == "tokens", error
    assert await children_named(db, name) == 0


# --- body size -----------------------------------------------------------------------------------


def oversized_registration(name: str) -> dict[str, Any]:
    values = child_input(VILLAGE, name=name, address="长" * MAX_BODY_BYTES)
    return {"query": REGISTER_CHILD, "variables": {"input": values}}


def assert_body_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, f"{response.status_code}: {response.text[:500]}"
    assert response.headers["content-type"].startswith("application/json"), response.headers
    [error] = response.json()["errors"]
    assert error["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "bodyBytes",
        "maximum": MAX_BODY_BYTES,
    }, error


async def test_a_body_over_the_limit_is_413_and_writes_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    name = unique_name("巨")
    response = await send(http, oversized_registration(name))
    assert int(response.request.headers["content-length"]) > MAX_BODY_BYTES
    assert_body_too_large(response)
    assert await children_named(db, name) == 0


async def test_a_chunked_body_over_the_limit_is_413_and_writes_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    name = unique_name("块")
    content = json.dumps(oversized_registration(name)).encode("ascii")

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 8192):
            yield content[start : start + 8192]

    response = await http.post(
        "/graphql",
        content=chunks(),
        headers={
            "accept": GRAPHQL_RESPONSE_JSON,
            "content-type": "application/json",
            "authorization": f"Bearer {token_for()}",
        },
    )
    assert "content-length" not in response.request.headers, "sent without a Content-Length"
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert_body_too_large(response)
    assert await children_named(db, name) == 0


async def test_a_body_just_under_the_limit_is_read(http: httpx.AsyncClient) -> None:
    query = "query($s: String) { guardians(first: 1, search: $s) { totalCount } }"
    padding = MAX_BODY_BYTES - 200 - len(query)
    response = await send(http, {"query": query, "variables": {"s": "x" * padding}})
    assert len(response.request.content) <= MAX_BODY_BYTES
    body = body_of(response)
    assert response.status_code == 200, body
    assert body["data"]["guardians"]["totalCount"] == 0, body


# --- malformed HTTP requests ---------------------------------------------------------------------


async def test_a_batch_is_400_bad_request_and_writes_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    names = [unique_name("批"), unique_name("批")]
    batch = [
        {"query": REGISTER_CHILD, "variables": {"input": child_input(VILLAGE, name=name)}}
        for name in names
    ]
    response = await send(http, batch)
    error = the_error(response)
    assert response.status_code == 400, response.text
    assert error["extensions"]["code"] == "BAD_REQUEST", error
    for name in names:
        assert await children_named(db, name) == 0, "no operation of a refused batch runs"


@pytest.mark.parametrize(
    "content",
    [
        b'"{ me { userId } }"',
        b"42",
        b"null",
        b"true",
        b"[]",
        b"{ me { userId } }",
        b'{"query": "{ me { userId } }"',
        b"",
        b"\xff\xfe{}",
        b'{"query": 42}',
        b'{"query": "{ me { userId } }", "variables": [1]}',
        b'{"query": "{ me { userId } }", "variables": "{}"}',
        b'{"query": "{ me { userId } }", "extensions": "x"}',
    ],
    ids=[
        "json-string",
        "json-number",
        "json-null",
        "json-true",
        "empty-batch",
        "graphql-not-json",
        "truncated-json",
        "empty",
        "not-utf8",
        "query-a-number",
        "variables-a-list",
        "variables-a-string",
        "extensions-a-string",
    ],
)
async def test_a_malformed_body_is_400_bad_request_in_json(
    http: httpx.AsyncClient, content: bytes
) -> None:
    response = await send(http, content)
    error = the_error(response)
    assert response.status_code == 400, response.text
    assert error["extensions"]["code"] == "BAD_REQUEST", error


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"query": "{ me { userId } }", "variables": {"v": ' + b"[" * 5000 + b"]" * 5000 + b"}}",
    ],
    ids=["array", "in-a-variable"],
)
async def test_json_nested_thousands_deep_is_400_bad_request(
    http: httpx.AsyncClient, content: bytes
) -> None:
    """Python's JSON parser gives up on deep nesting (RecursionError): the body is then one the
    server cannot read, a malformed request, not a fault of the server."""
    response = await send(http, content)
    error = the_error(response)
    assert response.status_code == 400, response.text
    assert error["extensions"]["code"] == "BAD_REQUEST", error


async def test_an_integer_of_thousands_of_digits_is_a_400(http: httpx.AsyncClient) -> None:
    """Python refuses to convert integers of more than 4,300 digits (ValueError): a client
    error, like any other number the server cannot take."""
    content = b'{"query": "query($n: Int) { regions(first: $n) { totalCount } }", '
    content += b'"variables": {"n": 1' + b"0" * 5000 + b"}}"
    response = await send(http, content)
    error = the_error(response)
    assert response.status_code == 400, response.text
    assert error["extensions"]["code"] in ("BAD_REQUEST", "VALIDATION_FAILED"), error


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded", "application/graphql"],
)
async def test_a_wrong_content_type_is_refused_in_json(
    http: httpx.AsyncClient, content_type: str
) -> None:
    response = await send(http, {"query": "{ me { userId } }"}, content_type=content_type)
    error = the_error(response)
    assert response.status_code in (400, 415), response.text
    assert error["extensions"]["code"] in ("BAD_REQUEST", "UNSUPPORTED_MEDIA_TYPE"), error


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_a_wrong_method_is_405_in_json(http: httpx.AsyncClient, method: str) -> None:
    """docs/operations.md: malformed HTTP requests (… wrong content type or method) get a JSON
    body with a code, never plain text."""
    response = await http.request(
        method,
        "/graphql",
        json={"query": "{ me { userId } }"},
        headers={"accept": GRAPHQL_RESPONSE_JSON, "authorization": f"Bearer {token_for()}"},
    )
    assert response.status_code == 405, response.text
    assert response.headers["content-type"].startswith("application/json"), (
        f"a 405 must be JSON with a code, got {response.headers['content-type']}: {response.text!r}"
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_an_operation_name_that_is_not_valid_utf8_is_a_400(
    http: httpx.AsyncClient,
) -> None:
    """A lone surrogate (valid JSON, "\\ud800") as operationName: the server echoes the name in
    its error, which cannot be encoded as UTF-8."""
    response = await send(http, {"query": "{ me { userId } }", "operationName": "a\ud800"})
    error = the_error(response)
    assert response.status_code == 400, response.text
    assert error["extensions"]["code"] in ("BAD_REQUEST", "GRAPHQL_VALIDATION_FAILED"), error


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($s: String) { me { userId } }", {}),
        ("query { region(code: $s) { code } }", {}),
        ("query($s: String) { region(code: $s) { code } }", {"s": "512000"}),
        ("query($s: Int) { region(code: $s) { code } }", {"s": 512000}),
    ],
    ids=["never-used", "not-defined", "nullable-where-required", "wrong-type"],
)
async def test_a_document_misusing_variables_is_graphql_validation_failed(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    """These documents are invalid whatever the variables' values (GraphQL's validation rules
    NoUnusedVariables, NoUndefinedVariables, VariablesInAllowedPosition), so they are document
    errors, GRAPHQL_VALIDATION_FAILED, like "There can be only one variable named '$s'"; not an
    input value to fix (VALIDATION_FAILED, which names a `field`)."""
    error = refused_before_running(await graphql(http, query, variables))
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error


async def test_a_variable_value_that_does_not_coerce_names_its_field(
    http: httpx.AsyncClient,
) -> None:
    """VALIDATION_FAILED means an input is wrong and `field` names it (docs/operations.md)."""
    query = (
        "mutation($input: AcknowledgeAlertInput!) "
        "{ acknowledgeAlert(input: $input) { alert { id } } }"
    )
    error = refused_before_running(await graphql(http, query, {"input": {"alertId": {"a": 1}}}))
    assert error["extensions"]["code"] == "VALIDATION_FAILED", error
    assert error["extensions"].get("field"), (
        f"the error should name the input, e.g. field 'input.alertId': {error}"
    )


# --- injection: text fields of registerChild ----------------------------------------------------

SQL_AND_LIKE = [
    "'; DROP TABLE children; --",
    "' OR 1=1 --",
    "Robert'); DELETE FROM children; --",
    "%",
    "_",
    "\\",
    "%_\\%",
    "$1 ::text",
    "留守儿童" * 2000,  # 8,000 characters, 24,000 bytes
]
# Text PostgreSQL cannot store: NUL, and lone surrogates (valid JSON escapes, not valid UTF-8).
UNSTORABLE = ["\x00", "a\x00b", "\ud800", "x\udfffy"]


def string_fields(type_name: str) -> list[str]:
    input_type = SCHEMA.type_map[type_name]
    assert isinstance(input_type, GraphQLInputObjectType)
    return [
        name
        for name, field in input_type.fields.items()
        if isinstance(get_named_type(field.type), GraphQLScalarType)
        and get_named_type(field.type).name == "String"
        and not str(field.type).startswith("[")
    ]


REGISTER_CHILD_TEXT = string_fields("RegisterChildInput")
ECHOED = {"name", "address", "illness"}  # stored and answered as given
REGISTER = "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id %s } } }"


async def register_with(
    http: httpx.AsyncClient, field: str, value: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(child, error) of registering a child of VILLAGE with `value` in `field`."""
    values = child_input(VILLAGE, **{field: value})
    echoed = field if field in ECHOED else ""
    response = await graphql(http, REGISTER % echoed, {"i": values})
    body = body_of(response)
    if "errors" in body:
        return None, the_error(response)
    registered: dict[str, Any] = body["data"]["registerChild"]["child"]
    return registered, None


@pytest.mark.parametrize("field", REGISTER_CHILD_TEXT)
async def test_sql_and_like_text_in_register_child_is_data(
    http: httpx.AsyncClient, db: asyncpg.Connection, field: str
) -> None:
    """Either stored as given (and answered back unchanged) or refused with VALIDATION_FAILED on
    that field (a region code or ID number of the wrong form, a name too long); the children
    table is still there, and holds exactly the children that were accepted."""
    before = await all_children(db)
    accepted = 0
    problems = []
    for value in SQL_AND_LIKE:
        registered, error = await register_with(http, field, value)
        if registered is not None:
            accepted += 1
            if field in ECHOED and registered[field] != value:
                problems.append(f"{value[:30]!r} came back as {registered[field][:30]!r}")
        elif error is not None and error["extensions"] != {
            "code": "VALIDATION_FAILED",
            "field": f"input.{field}",
        }:
            problems.append(f"{value[:30]!r}: {error}")
    assert not problems, "\n".join(problems)
    assert await db.fetchval("SELECT to_regclass('public.children') IS NOT NULL")
    assert await all_children(db) == before + accepted


@pytest.mark.parametrize("field", REGISTER_CHILD_TEXT)
async def test_nul_and_lone_surrogates_in_register_child_are_validation_failed(
    http: httpx.AsyncClient, db: asyncpg.Connection, field: str
) -> None:
    """PostgreSQL text cannot hold NUL, and a lone surrogate is not UTF-8: such a value is a
    wrong input (VALIDATION_FAILED on the field), not an internal error, and nothing is
    written."""
    before = await all_children(db)
    problems = []
    for value in UNSTORABLE:
        values = child_input(VILLAGE, **{field: value})
        response = await graphql(http, REGISTER % "", {"i": values})
        errors = response.json().get("errors") or [{}]
        extensions = errors[0].get("extensions")
        if response.status_code >= 500 or extensions != {
            "code": "VALIDATION_FAILED",
            "field": f"input.{field}",
        }:
            problems.append(f"{value!r}: HTTP {response.status_code} {response.text[:300]}")
    assert not problems, (
        f"registerChild(input: {{{field}: …}}) should be VALIDATION_FAILED field "
        f"input.{field}:\n" + "\n".join(problems)
    )
    assert await all_children(db) == before


# --- injection: text arguments of queries -----------------------------------------------------

EXECUTE = {(line.subject, line.object) for line in file_lines(enabled_plugins())}
SCHOOL = str(organization_id(VILLAGE[:9], CENTRAL_PRIMARY_SCHOOL))


def caller_for(field_name: str) -> str:
    """A token for a role the policy files let run Query.<field_name>: the city bureau where
    it may, else the first such role, with the city as region (and a school for education)."""
    allowed = sorted(
        subject for subject, obj in EXECUTE if obj == f"Query.{field_name}" and subject != "*"
    )
    if ("*", f"Query.{field_name}") in EXECUTE or "civil_affairs:admin" in allowed:
        return token_for()
    department, role = allowed[0].split(":")
    school = SCHOOL if department == "education" else None
    return token_for(department, role, region_code="512000", organization_id=school)


@dataclass(frozen=True)
class TextArgument:
    field: str  # the Query field
    path: str  # argument, or argument.field of an input object

    def __str__(self) -> str:
        return f"{self.field}({self.path})"


def text_arguments() -> list[TextArgument]:
    """Every String argument of a Query field, and every String field of an input-object
    argument; cursors aside (see the cursor tests)."""
    found = []
    assert SCHEMA.query_type is not None
    for name, field in SCHEMA.query_type.fields.items():
        for argument_name, argument in field.args.items():
            named = get_named_type(argument.type)
            if argument_name in ("after", "before"):
                continue
            if isinstance(named, GraphQLScalarType) and named.name == "String":
                found.append(TextArgument(name, argument_name))
            elif isinstance(named, GraphQLInputObjectType):
                found += [
                    TextArgument(name, f"{argument_name}.{sub}")
                    for sub in string_fields(named.name)
                ]
    return found


TEXT_ARGUMENTS = text_arguments()


def query_with_text(argument: TextArgument) -> str:
    """The field called with $v at the argument's path; other required arguments as literals;
    a page of one for a connection."""
    field = SCHEMA.query_type.fields[argument.field] if SCHEMA.query_type else None
    assert field is not None
    head, _, sub = argument.path.partition(".")
    required = isinstance(field.args[head].type, GraphQLNonNull) and not sub
    passed = [f"{head}: {{{sub}: $v}}" if sub else f"{head}: $v"]
    for name, other in field.args.items():
        if name == head or not isinstance(other.type, GraphQLNonNull):
            continue
        if other.default_value is not Undefined:
            continue
        named = get_named_type(other.type)
        if isinstance(named, GraphQLEnumType):
            passed.append(f"{name}: {sorted(named.values)[0]}")
        else:
            passed.append(f'{name}: "512000"')
    returned = get_named_type(field.type)
    if isinstance(returned, GraphQLObjectType) and "edges" in returned.fields:
        passed.append("first: 1")
        selection = "{ totalCount }"
    elif isinstance(returned, GraphQLObjectType):
        selection = "{ __typename }"
    else:
        selection = ""
    variable = "String!" if required else "String"
    return f"query($v: {variable}) {{ {argument.field}({', '.join(passed)}) {selection} }}"


async def answers_for(
    http: httpx.AsyncClient, argument: TextArgument, values: list[str]
) -> list[str]:
    """What went wrong, for each value: anything but a normal answer or VALIDATION_FAILED
    naming the argument."""
    query = query_with_text(argument)
    token = caller_for(argument.field)
    problems = []
    for value in values:
        response = await graphql(http, query, {"v": value}, token=token)
        try:
            body = body_of(response)
        except AssertionError as failure:
            problems.append(f"{value[:30]!r}: {failure}")
            continue
        for error in body.get("errors") or []:
            if error["extensions"] != {"code": "VALIDATION_FAILED", "field": argument.path}:
                problems.append(f"{value[:30]!r}: {error}")
    return problems


@pytest.mark.parametrize("argument", TEXT_ARGUMENTS, ids=str)
async def test_sql_and_like_text_in_query_arguments_is_data(
    http: httpx.AsyncClient, db: asyncpg.Connection, argument: TextArgument
) -> None:
    before = await all_children(db)
    problems = await answers_for(http, argument, SQL_AND_LIKE)
    assert not problems, f"{argument}:\n" + "\n".join(problems)
    assert await db.fetchval("SELECT to_regclass('public.children') IS NOT NULL")
    assert await all_children(db) == before


@pytest.mark.parametrize("argument", TEXT_ARGUMENTS, ids=str)
async def test_nul_and_lone_surrogates_in_query_arguments_are_not_internal_errors(
    http: httpx.AsyncClient, argument: TextArgument
) -> None:
    """No stored text holds NUL or a lone surrogate: the answer is "nothing matches" or
    VALIDATION_FAILED on the argument, never an internal error."""
    problems = await answers_for(http, argument, UNSTORABLE)
    assert not problems, f"{argument}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+05:00",
        "0001-01-01T00:00:00.000001",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59:59.999999-12:00",
    ],
)
@pytest.mark.parametrize("argument", ["since", "until"])
async def test_datetimes_at_the_ends_of_the_calendar_are_not_internal_errors(
    http: httpx.AsyncClient, argument: str, moment: str
) -> None:
    """Valid ISO 8601 moments that fall outside PostgreSQL's range once moved to UTC: an answer
    (nothing that old) or VALIDATION_FAILED naming the argument, never an internal error."""
    response = await graphql(
        http,
        f"query($t: DateTime) {{ auditEntries(first: 1, {argument}: $t) {{ totalCount }} }}",
        {"t": moment},
        token=token_for("audit", "auditor"),
    )
    body = body_of(response)
    for error in body.get("errors") or []:
        assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": argument}, error


@pytest.mark.parametrize("wildcard", ["%", "_"])
async def test_like_wildcards_in_a_search_match_only_themselves(
    http: httpx.AsyncClient, client: GraphQLClient, db: asyncpg.Connection, wildcard: str
) -> None:
    await client.data(
        REGISTER_CHILD, {"input": child_input(VILLAGE, name=unique_name(f"通配{wildcard}"))}
    )
    children = await graphql(
        http,
        "query($s: String) { children(first: 1, filter: {search: $s}) { totalCount } }",
        {"s": wildcard},
    )
    guardians = await graphql(
        http,
        "query($s: String) { guardians(first: 1, search: $s) { totalCount } }",
        {"s": wildcard},
    )
    names_with = "SELECT count(*) FROM {} WHERE strpos(name, $1) > 0"
    assert body_of(children)["data"]["children"]["totalCount"] == await db.fetchval(
        names_with.format("children"), wildcard
    ), f"search {wildcard!r} must match the names containing {wildcard!r}, not every name"
    assert body_of(guardians)["data"]["guardians"]["totalCount"] == await db.fetchval(
        names_with.format("guardians"), wildcard
    )


# --- malformed IDs -------------------------------------------------------------------------------

RANDOM = uuid.uuid4()


@pytest.mark.parametrize(
    ("global_id", "node_code", "child_code"),
    [
        ("garbage", "VALIDATION_FAILED", "VALIDATION_FAILED"),
        ("", "VALIDATION_FAILED", "VALIDATION_FAILED"),
        ("====", "VALIDATION_FAILED", "VALIDATION_FAILED"),
        ("x" * 5000, "VALIDATION_FAILED", "VALIDATION_FAILED"),
        (b64("garbage"), "VALIDATION_FAILED", "VALIDATION_FAILED"),
        (b64("Child:not-a-uuid"), "NOT_FOUND", "VALIDATION_FAILED"),
        (b64("Child:"), "NOT_FOUND", "VALIDATION_FAILED"),
        (b64(f"NoSuchType:{RANDOM}"), "NOT_FOUND", "VALIDATION_FAILED"),
        (b64("'; DROP TABLE children; --:1"), "NOT_FOUND", "VALIDATION_FAILED"),
        (str(RANDOM), "VALIDATION_FAILED", "VALIDATION_FAILED"),
        (encode_global_id("Guardian", RANDOM), "NOT_FOUND", "VALIDATION_FAILED"),
        (encode_global_id("Child", RANDOM), "NOT_FOUND", "NOT_FOUND"),
    ],
    ids=[
        "not-base64",
        "empty",
        "padding-only",
        "5000-characters",
        "base64-of-garbage",
        "child-with-a-bad-key",
        "child-with-no-key",
        "unknown-type",
        "sql-as-type",
        "raw-uuid",
        "a-guardians-id",
        "unknown-child",
    ],
)
async def test_malformed_and_unknown_ids(
    http: httpx.AsyncClient, global_id: str, node_code: str, child_code: str
) -> None:
    """`node` refuses what is not a global ID and answers NOT_FOUND for a global ID of nothing
    it may show; `child` also refuses the ID of anything but a child. Either way the field is
    null and the error names `id`."""
    for field, code in (("node", node_code), ("child", child_code)):
        response = await graphql(
            http, f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}", {"id": global_id}
        )
        error = the_error(response)
        assert response.status_code == 200, response.text
        assert response.json()["data"] == {field: None}, response.text
        assert error["extensions"] == {"code": code, "field": "id"}, (field, error)


async def test_a_valid_id_of_another_type(http: httpx.AsyncClient) -> None:
    region = encode_global_id("Region", VILLAGE)
    node = body_of(
        await graphql(http, "query($id: ID!) { node(id: $id) { __typename } }", {"id": region})
    )
    assert node["data"] == {"node": {"__typename": "Region"}}, node
    response = await graphql(http, "query($id: ID!) { child(id: $id) { id } }", {"id": region})
    assert the_error(response)["extensions"] == {"code": "VALIDATION_FAILED", "field": "id"}


@pytest.mark.parametrize(
    ("mutation", "values", "field"),
    [
        ("updateChild", {"id": "garbage", "version": 1, "address": "x"}, "input.id"),
        ("updateChild", {"id": encode_global_id("Region", VILLAGE), "version": 1}, "input.id"),
        ("linkGuardian", "child-as-guardian", "input.guardianId"),
        (
            "openCase",
            {"childId": b64("Child:1"), "kind": "MISSING", "summary": "x"},
            "input.childId",
        ),
    ],
    ids=["garbage", "another-type", "child-as-guardian", "bad-key"],
)
async def test_mutations_with_malformed_ids_write_nothing(
    http: httpx.AsyncClient,
    db: asyncpg.Connection,
    child: dict[str, Any],
    mutation: str,
    values: dict[str, Any] | str,
    field: str,
) -> None:
    if values == "child-as-guardian":
        values = {
            "childId": child["id"],
            "guardianId": child["id"],
            "relationship": "FATHER",
            "kind": "LEGAL_GUARDIAN",
            "livesWithChild": True,
            "worksAway": False,
            "capacity": "FULL",
        }
    input_type = mutation[0].upper() + mutation[1:] + "Input"
    query = f"mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ __typename }} }}"
    counts = "SELECT (SELECT count(*) FROM children), (SELECT count(*) FROM guardianships), "
    counts += "(SELECT count(*) FROM cases)"
    before = await db.fetchrow(counts)
    error = the_error(await graphql(http, query, {"i": values}))
    assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": field}, error
    assert await db.fetchrow(counts) == before, "nothing was written"


def connection_fields() -> list[str]:
    assert SCHEMA.query_type is not None
    found = []
    for name, field in SCHEMA.query_type.fields.items():
        returned = get_named_type(field.type)
        if isinstance(returned, GraphQLObjectType) and "edges" in returned.fields:
            found.append(name)
    return found


def cursor(content: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(content).encode()).decode()


BAD_CURSORS = [
    "garbage",
    "",
    "=",
    b64("not json"),
    cursor(["a name", 42]),
    cursor({"o": "nope", "v": [1]}),
    cursor({"o": "name+,id+", "v": ["a", "not-a-uuid"]}),
    cursor({"o": "name+,id+", "v": [1, 2, 3]}),
    cursor({"v": None}),
    cursor("'; DROP TABLE children; --"),
]


@pytest.mark.parametrize("field", connection_fields())
async def test_malformed_cursors_are_validation_failed_on_every_connection(
    http: httpx.AsyncClient, field: str
) -> None:
    token = caller_for(field)
    school = encode_global_id("Organization", SCHOOL)
    extra = ", schoolId: $school" if field == "pupilsNeedingContact" else ""
    declared = ", $school: ID" if extra else ""
    problems = []
    for argument, size in (("after", "first"), ("before", "last")):
        query = (
            f"query($c: String{declared}) {{ {field}({size}: 2, {argument}: $c{extra}) "
            "{ totalCount } }"
        )
        for value in BAD_CURSORS:
            response = await graphql(http, query, {"c": value, "school": school}, token=token)
            errors = response.json().get("errors") or [{}]
            expected = {"code": "VALIDATION_FAILED", "field": argument}
            if response.status_code != 200 or [e.get("extensions") for e in errors] != [expected]:
                problems.append(f"{argument}: {value!r}: {response.text[:300]}")
    assert not problems, "\n".join(problems)


async def test_a_cursor_of_another_connection_is_refused(http: httpx.AsyncClient) -> None:
    regions = body_of(await graphql(http, "{ regions(first: 1) { pageInfo { endCursor } } }"))
    foreign = regions["data"]["regions"]["pageInfo"]["endCursor"]
    response = await graphql(
        http, "query($c: String) { children(first: 1, after: $c) { totalCount } }", {"c": foreign}
    )
    assert the_error(response)["extensions"] == {"code": "VALIDATION_FAILED", "field": "after"}


# --- tokens --------------------------------------------------------------------------------------


def claims(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sub": "intruder",
        "dept": "civil_affairs",
        "role": "admin",
        "exp": int(time.time()) + 600,
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def signed(secret: str = TEST_JWT_SECRET, algorithm: str = "HS256", **overrides: Any) -> str:
    with warnings.catch_warnings():  # HS512 with the (short) test secret: refused anyway
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims(**overrides), secret, algorithm)


def segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def unsigned(**overrides: Any) -> str:
    """alg "none": a header and claims with an empty signature."""
    return f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims(**overrides))}."


def with_claims_of(token: str, **overrides: Any) -> str:
    """A real token whose claims were edited afterwards, keeping its signature."""
    header, _, signature = token.split(".")
    return f"{header}.{segment(claims(**overrides))}.{signature}"


FORGED = {
    "another-secret": f"Bearer {signed('a-secret-someone-else-chose-long-enough-for-hs256')}",
    "alg-none": f"Bearer {unsigned()}",
    "alg-none-platform-admin": f"Bearer {unsigned(dept='platform', role='admin')}",
    "hs512": f"Bearer {signed(algorithm='HS512')}",
    "edited-claims": f"Bearer {with_claims_of(token_for('education', 'teacher'), role='admin')}",
    "expired": f"Bearer {signed(exp=int(time.time()) - 60)}",
    "not-yet-valid": f"Bearer {signed(nbf=int(time.time()) + 600)}",
    "no-sub": f"Bearer {signed(sub=None)}",
    "no-exp": f"Bearer {signed(exp=None)}",
    "no-dept": f"Bearer {signed(dept=None)}",
    "no-role": f"Bearer {signed(role=None)}",
    "unknown-role": f"Bearer {signed(role='superuser')}",
    "roles-not-a-list": f"Bearer {signed(roles='platform:admin')}",
    "garbage": "Bearer garbage",
    "three-dots": "Bearer a.b.c",
    "scheme-only": "Bearer",
    "basic": "Basic dXNlcjpwYXNz",
    "sql": "Bearer ' OR 1=1 --",
}


@pytest.mark.parametrize("authorization", FORGED.values(), ids=FORGED.keys())
async def test_forged_and_broken_tokens_are_401_unauthenticated(
    http: httpx.AsyncClient, db: asyncpg.Connection, authorization: str
) -> None:
    name = unique_name("伪造")
    values = child_input(VILLAGE, name=name)
    response = await send(
        http, {"query": REGISTER_CHILD, "variables": {"input": values}}, authorization=authorization
    )
    error = the_error(response)
    assert response.status_code == 401, response.text
    assert "data" not in response.json(), response.text
    assert error["extensions"]["code"] == "UNAUTHENTICATED", error
    assert await children_named(db, name) == 0


SIGNED_BUT_MALFORMED = {
    "sub-a-number": {"sub": 42},
    "dept-a-list": {"dept": ["civil_affairs"]},
    "region-a-number": {"role": "caseworker", "region": 512000},
    "region-a-list": {"role": "caseworker", "region": ["512000"]},
    "org-a-list": {"dept": "education", "role": "teacher", "org": ["x"]},
    "org-an-object": {"dept": "education", "role": "teacher", "org": {"id": "x"}},
    "roles-of-numbers": {"roles": [1, 2]},
}


@pytest.mark.parametrize(
    "overrides", SIGNED_BUT_MALFORMED.values(), ids=SIGNED_BUT_MALFORMED.keys()
)
async def test_correctly_signed_tokens_with_malformed_claims_are_401(
    http: httpx.AsyncClient, overrides: dict[str, Any]
) -> None:
    """A claim of the wrong JSON type is a bad token (as a `roles` claim that is not a list of
    strings already is), not a server fault."""
    response = await send(
        http,
        {"query": "{ me { userId } children(first: 1) { totalCount } }"},
        authorization=f"Bearer {signed(**overrides)}",
    )
    error = the_error(response)
    assert response.status_code == 401, response.text
    assert error["extensions"]["code"] == "UNAUTHENTICATED", error


@pytest.mark.parametrize(
    ("subject", "operation", "field"),
    [
        ("platform:admin", "{ children(first: 1) { totalCount } }", "children"),
        ("police:officer", '{ policyLines(subject: "police:officer") { subject } }', "policyLines"),
        ("education:teacher", "{ auditEntries(first: 1) { totalCount } }", "auditEntries"),
        (
            "police:officer",
            'mutation { grantPolicy(input: {subject: "police:officer", object: "Query.*", '
            'action: "execute"}) { __typename } }',
            "grantPolicy",
        ),
    ],
    ids=[
        "platform-admin-reads-children",
        "officer-reads-policy",
        "teacher-reads-audit",
        "officer-grants-itself",
    ],
)
async def test_a_valid_token_of_a_role_without_the_field_is_forbidden(
    http: httpx.AsyncClient, subject: str, operation: str, field: str
) -> None:
    department, role = subject.split(":")
    response = await graphql(http, operation, token=token_for(department, role))
    error = the_error(response)
    assert response.status_code == 200, response.text
    assert error["extensions"] == {"code": "FORBIDDEN"}, error
    assert error["path"] == [field], error
    assert response.json()["data"] is None, response.text


async def test_a_forbidden_registration_writes_nothing(
    http: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    name = unique_name("越权")
    token = token_for("education", "teacher", region_code=VILLAGE, organization_id=SCHOOL)
    response = await graphql(
        http, REGISTER_CHILD, {"input": child_input(VILLAGE, name=name)}, token=token
    )
    assert the_error(response)["extensions"] == {"code": "FORBIDDEN"}
    assert await children_named(db, name) == 0


# --- records outside the caller's scope --------------------------------------------------------

OUTSIDERS = {
    # a teacher of a school in another county, with that county as region claim
    "education:teacher": token_for(
        "education",
        "teacher",
        region_code=OTHER_COUNTY,
        organization_id=str(organization_id(OTHER_COUNTY_TOWNSHIP, CENTRAL_PRIMARY_SCHOOL)),
        user_id="outsider-teacher",
    ),
    "civil_affairs:caseworker": token_for(
        "civil_affairs", "caseworker", region_code=OTHER_COUNTY, user_id="outsider-caseworker"
    ),
    "civil_affairs:child_director": token_for(
        "civil_affairs",
        "child_director",
        region_code=OTHER_COUNTY_VILLAGE,
        user_id="outsider-director",
    ),
    "police:officer": token_for(
        "police", "officer", region_code=OTHER_COUNTY, user_id="outsider-officer"
    ),
}
# What each may write on a child it can see, so a refusal can only be about scope.
WRITABLE = {
    "education:teacher": {"schooling": "JUNIOR_SECONDARY"},
    "civil_affairs:caseworker": {"address": "被改了"},
    "civil_affairs:child_director": {"address": "被改了"},
    "police:officer": {"address": "被改了"},
}


@pytest.mark.parametrize("subject", OUTSIDERS.keys())
async def test_a_child_outside_the_callers_scope_is_indistinguishable_from_none(
    http: httpx.AsyncClient, db: asyncpg.Connection, child: dict[str, Any], subject: str
) -> None:
    token = OUTSIDERS[subject]
    for field in ("child", "node"):
        response = await graphql(
            http,
            f"query($id: ID!) {{ {field}(id: $id) {{ id ... on Child {{ name idNumber }} }} }}",
            {"id": child["id"]},
            token=token,
        )
        error = the_error(response)
        assert error["extensions"] == {"code": "NOT_FOUND", "field": "id"}, (field, error)
        assert response.json()["data"] == {field: None}, response.text
        assert child["name"] not in response.text and child["idNumber"] not in response.text

    listed = body_of(
        await graphql(
            http,
            "query($ids: [ID!], $s: String) { byId: children(first: 5, filter: {ids: $ids}) "
            "{ totalCount edges { node { id } } } "
            "byName: children(first: 5, filter: {search: $s}) { totalCount } }",
            {"ids": [child["id"]], "s": child["name"]},
            token=token,
        )
    )
    if "errors" in listed:  # a role that may not list children at all
        assert {e["extensions"]["code"] for e in listed["errors"]} == {"FORBIDDEN"}, listed
    else:
        assert listed["data"]["byId"] == {"totalCount": 0, "edges": []}, listed
        assert listed["data"]["byName"] == {"totalCount": 0}, listed

    row = "SELECT version, address, schooling FROM children WHERE name = $1"
    before = await db.fetchrow(row, child["name"])
    update = {"id": child["id"], "version": child["version"], **WRITABLE[subject]}
    response = await graphql(
        http,
        "mutation($i: UpdateChildInput!) { updateChild(input: $i) { child { id } } }",
        {"i": update},
        token=token,
    )
    error = the_error(response)
    assert error["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN"), error
    assert await db.fetchrow(row, child["name"]) == before, "the child was changed"

    cases = "SELECT count(*) FROM cases c JOIN children ch ON ch.id = c.child_id WHERE ch.name = $1"
    response = await graphql(
        http,
        "mutation($i: OpenCaseInput!) { openCase(input: $i) { case { id } } }",
        {"i": {"childId": child["id"], "kind": "LIVING_ALONE", "summary": "越界"}},
        token=token,
    )
    error = the_error(response)
    assert error["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN"), error
    assert await db.fetchval(cases, child["name"]) == 0, "a case was opened"
