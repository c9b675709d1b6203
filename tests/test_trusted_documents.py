"""Production mode: only registered documents from callers the policy requires them of, no
introspection or GraphiQL for anyone but the platform administrators."""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from core.testing import plain_url
from core.trusted_documents import document_hash
from tests.api import error_of
from tests.conftest import REPO_ROOT, GraphQLClient, start_server, stop_server, token_for
from tests.subscriptions import subscribe

PORTAL_DOCUMENTS = """
query MyRegions($first: Int!) {
  regions(first: $first) { edges { node { ...RegionParts } } }
}

query Me { me { userId department } }

fragment RegionParts on Region { code name }
"""
AD_HOC = "{ me { userId role } }"
TEACHER = token_for("education", "teacher", user_id="portal-teacher", region_code="512021")
ADMIN = token_for("platform", "admin", user_id="platform-admin")
GRANT = """mutation($i: PolicyLineInput!) { grantPolicy(input: $i) { version } }"""
REVOKE = """mutation($i: PolicyLineInput!) { revokePolicy(input: $i) { version } }"""


def register(database_url: str, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": plain_url(database_url)}
    return subprocess.run(
        [sys.executable, "-m", "core", "documents", "register", str(path), *extra],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def production_server(database_url: str) -> Iterator[str]:
    process, base = start_server(database_url, extra_env={"CAREGRAPH_PRODUCTION": "true"})
    yield base
    stop_server(process)


@pytest.fixture
async def teacher(production_server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=production_server, timeout=30) as http:
        yield GraphQLClient(http, token=TEACHER)


@pytest.fixture(scope="module")
def registered(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The portal's documents, registered by the command an administrator runs."""
    path = tmp_path_factory.mktemp("portal") / "operations.graphql"
    path.write_text(PORTAL_DOCUMENTS, encoding="utf-8")
    first = register(database_url, path, "--client", "education-portal")
    assert first.returncode == 0, first.stderr
    assert "registered 2 new of 2 documents" in first.stdout
    again = register(database_url, path)
    assert "registered 0 new of 2 documents" in again.stdout
    return [line.split()[0].removeprefix("sha256:") for line in first.stdout.splitlines()[:2]]


async def test_a_registered_document_runs_by_its_text_or_its_id(
    teacher: GraphQLClient, registered: list[str]
) -> None:
    by_name = dict(zip(["MyRegions", "Me"], registered, strict=True))
    response = await teacher.http.post(
        "/graphql",
        json={"documentId": f"sha256:{by_name['Me']}"},
        headers={"authorization": f"Bearer {TEACHER}"},
    )
    assert response.json()["data"]["me"] == {"userId": "portal-teacher", "department": "education"}
    apollo = await teacher.http.post(
        "/graphql",
        json={
            "variables": {"first": 1},
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": by_name["MyRegions"]}},
        },
        headers={"authorization": f"Bearer {TEACHER}"},
    )
    assert len(apollo.json()["data"]["regions"]["edges"]) == 1
    me_text = "query Me {\n  me {\n    userId\n    department\n  }\n}"
    assert document_hash(me_text) == by_name["Me"]
    assert (await teacher.data(me_text))["me"]["userId"] == "portal-teacher"


async def test_an_unregistered_document_is_refused_before_it_runs(
    teacher: GraphQLClient, registered: list[str]
) -> None:
    response = await teacher.post(AD_HOC)
    assert response.status_code == 400
    error = error_of(response.json())
    assert error["extensions"] == {"code": "DOCUMENT_NOT_TRUSTED", "field": "query"}
    unknown = await teacher.http.post(
        "/graphql",
        json={"documentId": "sha256:" + "0" * 64},
        headers={"authorization": f"Bearer {TEACHER}"},
    )
    assert error_of(unknown.json())["extensions"] == {
        "code": "DOCUMENT_NOT_TRUSTED",
        "field": "documentId",
    }


async def test_the_policy_may_let_a_role_send_any_document(
    teacher: GraphQLClient, production_server: str
) -> None:
    line = {"subject": "education:teacher", "object": "Document.unregistered", "action": "execute"}
    async with httpx.AsyncClient(base_url=production_server, timeout=30) as http:
        admin = GraphQLClient(http, token=ADMIN)
        # the platform administrator may send any document: the default policy grants it
        await admin.data(GRANT, {"i": line})
        try:
            assert (await teacher.data(AD_HOC))["me"]["role"] == "teacher"
        finally:
            await admin.data(REVOKE, {"i": line})
    assert error_of(await teacher.execute(AD_HOC))["extensions"]["code"] == "DOCUMENT_NOT_TRUSTED"


@pytest.fixture(scope="module")
def api_key(database_url: str) -> tuple[str, str]:
    """An integrating system's API key, created the way an administrator does: (name, key)."""
    name = f"exchange-{uuid.uuid4().hex[:6]}"
    created = subprocess.run(
        [
            *(sys.executable, "-m", "core", "apikey", "create", "--name", name),
            *("--dept", "civil_affairs", "--role", "caseworker", "--region", "512021"),
        ],
        env={**os.environ, "DATABASE_URL": plain_url(database_url)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return name, created.stdout.split()[-1]


async def test_an_api_key_may_be_granted_unregistered_documents_by_its_name(
    production_server: str, api_key: tuple[str, str]
) -> None:
    name, key = api_key
    line = {"subject": f"apikey:{name}", "object": "Document.unregistered", "action": "execute"}
    async with httpx.AsyncClient(base_url=production_server, timeout=30) as http:
        before = await http.post("/graphql", json={"query": AD_HOC}, headers={"x-api-key": key})
        assert error_of(before.json())["extensions"]["code"] == "DOCUMENT_NOT_TRUSTED"
        await GraphQLClient(http, token=ADMIN).data(GRANT, {"i": line})
        after = await http.post("/graphql", json={"query": AD_HOC}, headers={"x-api-key": key})
        assert after.json()["data"]["me"]["userId"] == f"apikey:{name}"


async def test_introspection_and_graphiql_are_for_administrators_only(
    teacher: GraphQLClient, production_server: str, database_url: str, tmp_path: Path
) -> None:
    introspection = "query Types { __schema { queryType { name } } }"
    path = tmp_path / "introspection.json"
    path.write_text(json.dumps({document_hash(introspection): introspection}), encoding="utf-8")
    assert register(database_url, path).returncode == 0
    refused = await teacher.execute(introspection)
    assert error_of(refused)["extensions"]["code"] == "FORBIDDEN"
    async with httpx.AsyncClient(base_url=production_server, timeout=30) as http:
        admin = await GraphQLClient(http, token=ADMIN).data(introspection)
        assert admin["__schema"]["queryType"]["name"] == "Query"
        anonymous = await http.get("/graphql", headers={"accept": "text/html"})
        page = await http.get(
            "/graphql", headers={"accept": "text/html", "authorization": f"Bearer {TEACHER}"}
        )
    assert anonymous.status_code == 401
    assert page.status_code == 404
    assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_registering_refuses_a_manifest_whose_ids_are_not_the_hashes(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": "abc", "name": "Me", "type": "query", "body": "query Me { me { userId } }"}
        ],
    }
    path.write_text(json.dumps(manifest), encoding="utf-8")
    result = register("postgresql://postgres@127.0.0.1:1/none", path)
    assert result.returncode == 2
    assert "the id abc is not the SHA-256 of its document" in result.stderr


async def test_an_unregistered_document_over_websocket_is_refused_with_its_reason(
    production_server: str, registered: list[str]
) -> None:
    async with subscribe(production_server, TEACHER, AD_HOC) as operation:
        answer = await operation.next()
    assert answer["errors"][0]["extensions"] == {"code": "DOCUMENT_NOT_TRUSTED", "field": "query"}
    me_text = "query Me {\n  me {\n    userId\n    department\n  }\n}"
    async with subscribe(production_server, TEACHER, me_text) as operation:
        registered_answer = await operation.next()
    assert registered_answer["data"]["me"]["userId"] == "portal-teacher"
