"""CareGraph as an Apollo Federation 2 subgraph (docs/federation.md).

Through a real server process with CAREGRAPH_FEDERATION on: `_entities` resolves Child,
Guardian, Case and Organization references under the caller's row scope (out of scope is null,
as a record that does not exist is) and field policy (withheld fields are null with FORBIDDEN at
their path, masked ones masked); bad references are null with VALIDATION_FAILED at their index;
`_service { sdl }` is the subgraph SDL, and in production only the platform administrators'.
The fast path gives both fields to graphql-core. Apollo's own composition library (Node, in
tests/federation/) composes the SDL with a health subgraph that adds `Child.vaccinations`, and
refuses one that disagrees about the key.
"""

import json
import re
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from graphql import ObjectTypeDefinitionNode, parse

from core.cli import export_sdl
from core.graphql import compiled_execution
from core.graphql.global_ids import encode_global_id
from core.graphql.schema import build_schema
from core.plugin_registry import DEFAULT_PLUGINS, enabled_plugins
from core.trusted_documents import document_hash
from tests.api import a_village, link, register_child, register_guardian
from tests.conftest import GraphQLClient, start_server, stop_server, token_for
from tests.test_authorization_matrix import OPEN_CASE, Place, post
from tests.test_trusted_documents import register

COMPOSITION = Path(__file__).resolve().parent / "federation"
ENTITY_TYPES = ("Case", "Child", "Guardian", "Organization")
# Lezhi county (乐至县): the family lives in one of its villages; the other child in 512021.
COUNTY = "512022"
HOME = Place("512022101201")
MASKED_NAME = re.compile(r"^.\*+$")

ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Child { id name }
    ... on Guardian { id name }
    ... on Case { id caseKind: kind summary child { id } }
    ... on Organization { id name organizationKind: kind }
  }
}
"""
SERVICE = "query Subgraph { _service { sdl } }"


def child_ref(child_id: str) -> dict[str, str]:
    return {"__typename": "Child", "id": child_id}


@dataclass(frozen=True)
class Family:
    child: dict[str, Any]  # in COUNTY
    elsewhere: dict[str, Any]  # a child in another county
    guardian: dict[str, Any]
    case: str
    organization: str


@pytest.fixture(scope="module")
def federation_server(database_url: str) -> Iterator[str]:
    process, base = start_server(database_url, extra_env={"CAREGRAPH_FEDERATION": "true"})
    yield base
    stop_server(process)


@pytest.fixture(scope="module")
async def http(federation_server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=federation_server, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def family(http: httpx.AsyncClient) -> Family:
    admin = GraphQLClient(http, token=token_for(user_id="federation-setup"))
    child = await register_child(admin, HOME.village)
    elsewhere = await register_child(admin, await a_village(admin, within="512021"))
    guardian = await register_guardian(admin)
    await link(admin, child["id"], guardian["id"])
    opened = await admin.data(
        OPEN_CASE,
        {
            "i": {
                "childId": child["id"],
                "kind": "LIVING_ALONE",
                "summary": "儿童独自在家，父母均在外务工",
                "riskLevel": "HIGH",
                "organizationId": HOME.government,
                "assignedOrganizationIds": [HOME.station],
            }
        },
    )
    return Family(child, elsewhere, guardian, opened["openCase"]["case"]["id"], HOME.government)


def caseworker() -> str:
    return token_for("civil_affairs", "caseworker", region_code=COUNTY, user_id="federation")


async def entities(
    http: httpx.AsyncClient, token: str, representations: list[Any], query: str = ENTITIES
) -> dict[str, Any]:
    return await post(http, token, query, {"representations": representations})


# --- references under the caller's scope and policy ---------------------------------------------


async def test_a_child_in_the_callers_scope_resolves_by_reference(
    http: httpx.AsyncClient, family: Family
) -> None:
    body = await entities(http, caseworker(), [child_ref(family.child["id"])])
    assert "errors" not in body, body
    assert body["data"]["_entities"] == [
        {"__typename": "Child", "id": family.child["id"], "name": family.child["name"]}
    ]


async def test_a_child_outside_the_scope_is_null_like_one_that_does_not_exist(
    http: httpx.AsyncClient, family: Family
) -> None:
    unknown = encode_global_id("Child", uuid.uuid4())
    refs = [child_ref(family.elsewhere["id"]), child_ref(unknown), child_ref(family.child["id"])]
    body = await entities(http, caseworker(), refs)
    # no error either: out of scope and unknown answer alike, so nothing tells them apart
    assert "errors" not in body, body
    found = body["data"]["_entities"]
    assert found[:2] == [None, None], body
    assert found[2]["id"] == family.child["id"], body
    assert family.elsewhere["name"] not in json.dumps(body, ensure_ascii=False)


async def test_fields_the_policy_withholds_or_masks_answer_as_for_any_record(
    http: httpx.AsyncClient, family: Family
) -> None:
    # A village child director reads a child but not its cases (core/policy.csv).
    director = token_for("civil_affairs", "child_director", region_code=COUNTY)
    query = """query($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Child { name cases { id } } } }"""
    body = await entities(http, director, [child_ref(family.child["id"])], query)
    assert body["data"]["_entities"] == [{"name": family.child["name"], "cases": None}], body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error
    assert error["path"] == ["_entities", 0, "cases"], error
    # A women's-federation volunteer reads the name masked and not the address.
    volunteer = token_for("womens_federation", "volunteer", region_code=COUNTY)
    query = """query($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Child { name address } } }"""
    body = await entities(http, volunteer, [child_ref(family.child["id"])], query)
    [answer] = body["data"]["_entities"]
    assert MASKED_NAME.match(answer["name"]) and answer["name"] != family.child["name"], body
    assert answer["address"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error
    assert error["path"] == ["_entities", 0, "address"], error


async def test_guardian_case_and_organization_resolve_in_one_call(
    http: httpx.AsyncClient, family: Family
) -> None:
    refs = [
        {"__typename": "Guardian", "id": family.guardian["id"]},
        {"__typename": "Case", "id": family.case},
        {"__typename": "Organization", "id": family.organization},
        child_ref(family.child["id"]),
    ]
    body = await entities(http, caseworker(), refs)
    assert "errors" not in body, body
    guardian, case, organization, child = body["data"]["_entities"]
    assert guardian == {
        "__typename": "Guardian",
        "id": family.guardian["id"],
        "name": family.guardian["name"],
    }
    assert case["__typename"] == "Case" and case["id"] == family.case, case
    assert case["caseKind"] == "LIVING_ALONE" and case["child"] == {"id": family.child["id"]}, case
    assert organization["__typename"] == "Organization", organization
    assert organization["id"] == family.organization and organization["organizationKind"], (
        organization
    )
    assert child["id"] == family.child["id"], child
    # The guardian and the case are about a child outside the other county's scope.
    other = token_for("civil_affairs", "caseworker", region_code="512021")
    body = await entities(http, other, refs)
    assert "errors" not in body, body
    assert body["data"]["_entities"][:2] == [None, None], body
    assert body["data"]["_entities"][3] is None, body
    assert body["data"]["_entities"][2]["id"] == family.organization, "reference data is public"


async def test_a_reference_no_caregraph_record_could_answer_is_null_with_validation_failed(
    http: httpx.AsyncClient, family: Family
) -> None:
    """Malformed IDs, IDs of another type and missing keys are refused before any lookup, each
    null with VALIDATION_FAILED at its index naming the representation's field; the good
    reference in the same call still resolves."""
    refs: list[Any] = [
        child_ref(family.guardian["id"]),  # a Guardian's ID sent as a Child
        child_ref("not-a-global-id"),
        {"__typename": "Child"},
        "Child",
        child_ref(family.child["id"]),
    ]
    body = await entities(http, caseworker(), refs)
    assert body["data"]["_entities"][:4] == [None] * 4, body
    assert body["data"]["_entities"][4]["id"] == family.child["id"], body
    refusals = {tuple(e["path"]): e for e in body["errors"]}
    assert sorted(refusals) == [("_entities", i) for i in range(4)], body["errors"]
    fields = ["representations.0.id", "representations.1.id", "representations.2.id"]
    for index, field in enumerate([*fields, "representations.3"]):
        error = refusals[("_entities", index)]
        assert error["extensions"] == {"code": "VALIDATION_FAILED", "field": field}, error
    assert refusals[("_entities", 0)]["message"] == "is not the ID of a Child"
    assert family.child["name"] not in json.dumps(body["errors"], ensure_ascii=False)


async def test_an_unknown_typename_is_null_with_validation_failed(
    http: httpx.AsyncClient, family: Family
) -> None:
    refs: list[Any] = [
        {"__typename": "Vaccination", "id": family.child["id"]},
        # a type of the schema, but not an entity: regions are keyed by code, not shared
        {"__typename": "Region", "id": encode_global_id("Region", COUNTY)},
    ]
    body = await entities(http, caseworker(), refs)
    assert body["data"]["_entities"] == [None, None], body
    for index, error in enumerate(body["errors"]):
        assert error["path"] == ["_entities", index], error
        assert error["extensions"] == {
            "code": "VALIDATION_FAILED",
            "field": f"representations.{index}.__typename",
        }, error
        assert error["message"] == (
            "is not an entity of this subgraph (Case, Child, Guardian, Organization)"
        )


# --- the SDL ------------------------------------------------------------------------------------


async def test_service_sdl_is_the_subgraph_sdl_with_the_four_entities(
    http: httpx.AsyncClient,
) -> None:
    body = await post(http, caseworker(), SERVICE)
    assert "errors" not in body, body
    sdl = body["data"]["_service"]["sdl"]
    for type_name in ENTITY_TYPES:
        assert f'type {type_name} implements Node @key(fields: "id") {{' in sdl, type_name
    assert sdl.count("@key(fields:") == len(ENTITY_TYPES), "only the four core types are keyed"
    assert sdl + "\n" == export_sdl(subgraph=True), "the served SDL is the exported one"


async def test_a_server_without_federation_has_no_entities_or_service(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        refs = [child_ref(encode_global_id("Child", uuid.uuid4()))]
        for query, field in ((ENTITIES, "_entities"), (SERVICE, "_service")):
            body = await post(client, caseworker(), query, {"representations": refs})
            codes = {e["extensions"]["code"] for e in body["errors"]}
            assert codes == {"GRAPHQL_VALIDATION_FAILED"}, body
            assert any(f"'{field}'" in e["message"] for e in body["errors"]), body


@pytest.fixture(scope="module")
def production_subgraph(database_url: str) -> Iterator[str]:
    process, base = start_server(
        database_url,
        extra_env={"CAREGRAPH_FEDERATION": "true", "CAREGRAPH_PRODUCTION": "true"},
    )
    yield base
    stop_server(process)


async def test_in_production_the_sdl_is_for_platform_administrators_only(
    production_subgraph: str, database_url: str, tmp_path: Path
) -> None:
    """As introspection is: a gateway in production composes the committed
    schema/subgraph.graphql, or fetches the SDL with an administrator's credentials."""
    path = tmp_path / "service.json"
    path.write_text(json.dumps({document_hash(SERVICE): SERVICE}), encoding="utf-8")
    registered = register(database_url, path)
    assert registered.returncode == 0, registered.stderr
    async with httpx.AsyncClient(base_url=production_subgraph, timeout=30) as client:
        refused = await post(client, caseworker(), SERVICE)
        admin = await post(client, token_for("platform", "admin", user_id="fed-admin"), SERVICE)
    assert refused["data"] is None, refused
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN" and error["path"] == ["_service"], error
    assert "errors" not in admin, admin
    assert '@key(fields: "id")' in admin["data"]["_service"]["sdl"]


async def test_the_fast_path_gives_both_fields_to_graphql_core() -> None:
    """`_entities` returns a union, `_service` is refused in production by the Authorize
    extension: the fast path must not answer either (it answers `__typename` to show it runs)."""
    schema = build_schema(enabled_plugins(), federation=True)._schema
    context = SimpleNamespace()

    async def fast(document: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        return await compiled_execution.answer(
            schema, parse(document), None, variables, context, None
        )

    refs = [child_ref(encode_global_id("Child", uuid.uuid4()))]
    assert await fast(ENTITIES, {"representations": refs}) is None
    assert await fast(SERVICE, {}) is None
    assert await fast("{ __typename }", {}) == {"__typename": "Query"}


# --- composition with Apollo's library ----------------------------------------------------------


def installed_lock(lock_file: Path) -> dict[str, str] | None:
    """`{package path: version}` of a lock file; None when there is none."""
    if not lock_file.is_file():
        return None
    packages = json.loads(lock_file.read_text(encoding="utf-8")).get("packages", {})
    return {
        name: entry.get("version", "")
        for name, entry in packages.items()
        if name.startswith("node_modules/")
    }


@pytest.fixture(scope="module")
def composer() -> list[str]:
    """The command that composes subgraphs; runs `npm ci` first when node_modules is missing
    or does not hold what package-lock.json pins (npm keeps its own record of it)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run Apollo's composition library")
    wanted = installed_lock(COMPOSITION / "package-lock.json")
    if installed_lock(COMPOSITION / "node_modules" / ".package-lock.json") != wanted:
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=COMPOSITION,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}{installed.stderr}"
    return [node, str(COMPOSITION / "compose.mjs")]


def compose(composer: list[str], tmp_path: Path, other: str) -> dict[str, Any]:
    caregraph = tmp_path / "caregraph.graphql"
    caregraph.write_text(export_sdl(",".join(DEFAULT_PLUGINS), subgraph=True), encoding="utf-8")
    run = subprocess.run(
        [*composer, f"caregraph={caregraph}", f"health={COMPOSITION / other}"],
        cwd=COMPOSITION,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def supergraph_type(supergraph: str, name: str) -> ObjectTypeDefinitionNode:
    for definition in parse(supergraph).definitions:
        if isinstance(definition, ObjectTypeDefinitionNode) and definition.name.value == name:
            return definition
    raise AssertionError(f"the supergraph has no type {name}")


def graphs_of(node: Any, directive: str) -> list[str]:
    """The `graph:` arguments of `directive` applications on a type or field."""
    return [
        argument.value.value
        for applied in node.directives
        if applied.name.value == directive
        for argument in applied.arguments
        if argument.name.value == "graph"
    ]


def test_caregraph_composes_with_a_health_subgraph(composer: list[str], tmp_path: Path) -> None:
    result = compose(composer, tmp_path, "health.graphql")
    assert result["ok"] and result["errors"] == [], result["errors"]
    supergraph = result["supergraphSdl"]
    child = supergraph_type(supergraph, "Child")
    assert sorted(graphs_of(child, "join__type")) == ["CAREGRAPH", "HEALTH"]
    fields = {field.name.value: field for field in child.fields or ()}
    assert graphs_of(fields["vaccinations"], "join__field") == ["HEALTH"]
    for name in ("name", "birthDate", "guardianships", "openCases"):
        assert graphs_of(fields[name], "join__field") == ["CAREGRAPH"], name
    for name in ENTITY_TYPES:
        assert "CAREGRAPH" in graphs_of(supergraph_type(supergraph, name), "join__type"), name


def test_a_subgraph_that_disagrees_about_the_child_key_fails_composition(
    composer: list[str], tmp_path: Path
) -> None:
    result = compose(composer, tmp_path, "conflicting-health.graphql")
    assert not result["ok"] and result["supergraphSdl"] is None, result
    mismatches = [e for e in result["errors"] if e["code"] == "FIELD_TYPE_MISMATCH"]
    assert mismatches and '"Child.id"' in mismatches[0]["message"], result["errors"]
