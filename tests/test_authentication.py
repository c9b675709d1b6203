"""Authentication through the real server: every way of failing to sign in is a 401
UNAUTHENTICATED that says what is wrong; only the probes (and the static GraphiQL shell) answer
without identity; RS256 tokens against a public-key file and ES256 tokens against a JWKS file;
API keys created, listed and revoked with the `caregraph apikey` command and stored hashed."""

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from websockets.asyncio.client import connect as websocket_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from core.settings import Settings
from core.testing import TEST_JWT_SECRET, plain_url
from tests.conftest import REPO_ROOT, free_port, start_server, stop_server

ME = "{ me { userId department role regionCode roles } }"
DEFAULT_SECRET = Settings.model_fields["jwt_secret"].default


def claims(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sub": "auth-tester",
        "dept": "police",
        "role": "officer",
        "region": "512021",
        "exp": int(time.time()) + 3600,
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def hs256(secret: str = TEST_JWT_SECRET, **overrides: Any) -> str:
    return jwt.encode(claims(**overrides), secret, "HS256")


def unsigned(**overrides: Any) -> str:
    """`alg: none`: a header and claims with an empty signature."""

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims(**overrides))}."


async def post(http: httpx.AsyncClient, headers: dict[str, str], query: str = ME) -> httpx.Response:
    sent = {"accept": "application/graphql-response+json, application/json", **headers}
    return await http.post("/graphql", json={"query": query}, headers=sent)


def assert_unauthenticated(response: httpx.Response, says: str) -> None:
    assert response.status_code == 401, f"expected 401, got {response.status_code}: {response.text}"
    body = response.json()
    assert "data" not in body, f"an unauthenticated request gets no data: {body}"
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED", error
    assert says in error["message"], f"the message should say {says!r}: {error['message']!r}"


def assert_signed_in(response: httpx.Response, user_id: str = "auth-tester") -> dict[str, Any]:
    assert response.status_code == 200, f"{response.status_code}: {response.text}"
    body = response.json()
    assert "errors" not in body, body
    me: dict[str, Any] = body["data"]["me"]
    assert me["userId"] == user_id, me
    return me


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield client


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({}, "sign in: send 'Authorization: Bearer <token>' or 'X-API-Key: <key>'"),
        ({"authorization": "Basic dXNlcjpwYXNzd29yZA=="}, "must be 'Bearer <token>' or 'ApiKey"),
        ({"authorization": "Bearer"}, "must be 'Bearer <token>' or 'ApiKey <key>'"),
        ({"authorization": "ApiKey"}, "must be 'Bearer <token>' or 'ApiKey <key>'"),
        ({"authorization": hs256()}, "must be 'Bearer <token>' or 'ApiKey <key>'"),
        ({"authorization": "Bearer not-a-jwt"}, "the token is not valid"),
        ({"authorization": "Bearer a.b.c"}, "the token is not valid"),
        ({"authorization": f"Bearer {hs256(exp=int(time.time()) - 60)}"}, "the token has expired"),
        (
            {"authorization": f"Bearer {hs256('another-secret-that-is-long-enough-for-hs256')}"},
            "the token is not valid: Signature verification failed",
        ),
        ({"authorization": f"Bearer {unsigned()}"}, "tokens signed with 'none' are not accepted"),
        ({"authorization": f"Bearer {hs256(exp=None)}"}, "the token is not valid"),
        ({"authorization": f"Bearer {hs256(sub=None)}"}, "the token is not valid"),
        ({"authorization": f"Bearer {hs256(dept=None)}"}, "the token has no 'dept' claim"),
        ({"authorization": f"Bearer {hs256(role='')}"}, "the token has no 'role' claim"),
        ({"authorization": f"Bearer {hs256(role='chief')}"}, "unknown role(s): police:chief"),
        (
            {"authorization": f"Bearer {hs256(roles=['womens_federation:volunteer', 'x:y'])}"},
            "unknown role(s): x:y",
        ),
        (
            {"authorization": f"Bearer {hs256(roles=['womens_federation'])}"},
            "the roles claim must be a list of 'department:role' strings",
        ),
        (
            {"authorization": f"Bearer {hs256(roles='education:teacher')}"},
            "the roles claim must be a list of 'department:role' strings",
        ),
        ({"x-api-key": "cg_not-a-key"}, "the API key is not valid or has been revoked"),
        ({"authorization": "ApiKey cg_not-a-key"}, "the API key is not valid or has been revoked"),
    ],
    ids=[
        "no-credentials",
        "basic-scheme",
        "bearer-without-token",
        "apikey-without-key",
        "token-without-scheme",
        "not-a-jwt",
        "garbage-jwt",
        "expired",
        "bad-signature",
        "alg-none",
        "no-exp",
        "no-sub",
        "no-dept",
        "empty-role",
        "unknown-role",
        "unknown-role-in-roles-claim",
        "roles-claim-not-department-role",
        "roles-claim-not-a-list",
        "unknown-api-key",
        "unknown-api-key-in-authorization",
    ],
)
async def test_failing_to_sign_in_is_401_unauthenticated_with_a_reason(
    http: httpx.AsyncClient, headers: dict[str, str], says: str
) -> None:
    assert_unauthenticated(await post(http, headers), says)


async def test_a_valid_token_with_extra_roles_signs_in(http: httpx.AsyncClient) -> None:
    token = hs256(roles=["womens_federation:volunteer"])
    me = assert_signed_in(await post(http, {"authorization": f"Bearer {token}"}))
    assert me["roles"] == ["police:officer", "womens_federation:volunteer"], me


async def test_the_token_command_signs_a_token_with_further_roles(
    http: httpx.AsyncClient, database_url: str
) -> None:
    output = caregraph(
        database_url,
        "token",
        "--dept",
        "education",
        "--role",
        "teacher",
        "--sub",
        "cli-teacher",
        "--region",
        "512021",
        "--also",
        "womens_federation:volunteer",
        extra_env={"CAREGRAPH_JWT_SECRET": TEST_JWT_SECRET},
    )
    token = output.stdout.strip().splitlines()[-1]
    me = assert_signed_in(await post(http, {"authorization": f"Bearer {token}"}), "cli-teacher")
    assert me["roles"] == ["education:teacher", "womens_federation:volunteer"], me
    assert me["regionCode"] == "512021"


# --- what answers without identity ---------------------------------------------------------------


async def test_only_the_probes_and_static_assets_answer_without_identity(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.get("/readyz")).status_code == 200

    # The GraphiQL page is static code with no data (it signs in with the token the user gives
    # it), so a browser opening a demo link gets it; the queries it sends need identity.
    page = await http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "GraphiQL" in page.text, page.text
    # …while its vendored scripts are public files that carry no data.
    asset = await http.get("/static/graphiql/graphiql.min.js")
    assert asset.status_code == 200 and len(asset.content) > 1000

    by_get = await http.get(
        "/graphql", params={"query": ME}, headers={"accept": "application/json"}
    )
    assert_unauthenticated(by_get, "sign in")
    introspection = await post(http, {}, "{ __schema { queryType { name } } }")
    assert_unauthenticated(introspection, "sign in")
    typename = await post(http, {}, "{ __typename }")
    assert_unauthenticated(typename, "sign in")
    assert (await http.get("/nothing-here")).status_code == 404


@pytest.mark.parametrize(
    "payload",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}],
    ids=["no credentials", "forged token", "wrong scheme"],
)
async def test_a_websocket_without_identity_is_closed_as_forbidden(
    server: str, payload: dict[str, str]
) -> None:
    """graphql-transport-ws: a rejected connection_init closes the socket with 4403."""
    url = server.replace("http://", "ws://") + "/graphql"
    try:
        async with websocket_connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
            await socket.recv()
            pytest.fail("a websocket without identity must not be served")
    except ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4403, closed
    except InvalidStatus as refused:
        assert refused.response.status_code in (401, 403), refused


# --- asymmetric tokens ---------------------------------------------------------------------------


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def signed(key: Any, algorithm: str, kid: str | None = None, **overrides: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**overrides), key, algorithm, headers=headers)


@pytest.fixture(scope="module")
def rsa_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, Path]:
    key = rsa_key()
    path = tmp_path_factory.mktemp("rs256") / "public.pem"
    path.write_text(public_pem(key), encoding="utf-8")
    return key, path


@pytest.fixture(scope="module")
def rs256_server(database_url: str, rsa_keys: tuple[Any, Path]) -> Iterator[str]:
    process, base = start_server(
        database_url, extra_env={"CAREGRAPH_JWT_PUBLIC_KEY_FILE": str(rsa_keys[1])}
    )
    yield base
    stop_server(process)


async def test_rs256_tokens_verify_against_the_public_key_file(
    rs256_server: str, rsa_keys: tuple[Any, Path]
) -> None:
    key, _ = rsa_keys
    async with httpx.AsyncClient(base_url=rs256_server, timeout=30) as http:
        me = assert_signed_in(await post(http, {"authorization": f"Bearer {signed(key, 'RS256')}"}))
        assert (me["department"], me["role"], me["regionCode"]) == ("police", "officer", "512021")
        intruder = signed(rsa_key(), "RS256")
        assert_unauthenticated(
            await post(http, {"authorization": f"Bearer {intruder}"}),
            "the token is not valid: Signature verification failed",
        )
        expired = signed(key, "RS256", exp=int(time.time()) - 5)
        assert_unauthenticated(
            await post(http, {"authorization": f"Bearer {expired}"}), "the token has expired"
        )
        unknown_role = signed(key, "RS256", role="chief")
        assert_unauthenticated(
            await post(http, {"authorization": f"Bearer {unknown_role}"}), "unknown role(s)"
        )


async def test_a_token_whose_algorithm_does_not_fit_the_key_is_401(rs256_server: str) -> None:
    token = signed(ec.generate_private_key(ec.SECP256R1()), "ES256")
    async with httpx.AsyncClient(base_url=rs256_server, timeout=30) as http:
        response = await post(http, {"authorization": f"Bearer {token}"})
    assert_unauthenticated(response, "the token is not valid")


@pytest.fixture(scope="module")
def ec_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[ec.EllipticCurvePrivateKey, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "caregraph-2026", "use": "sig", "alg": "ES256"})
    path = tmp_path_factory.mktemp("es256") / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}), encoding="utf-8")
    return key, path


@pytest.fixture(scope="module")
def es256_server(database_url: str, ec_keys: tuple[Any, Path]) -> Iterator[str]:
    process, base = start_server(database_url, extra_env={"CAREGRAPH_JWKS_FILE": str(ec_keys[1])})
    yield base
    stop_server(process)


async def test_es256_tokens_verify_against_the_jwks_file(
    es256_server: str, ec_keys: tuple[Any, Path]
) -> None:
    key, _ = ec_keys
    async with httpx.AsyncClient(base_url=es256_server, timeout=30) as http:
        for kid in ("caregraph-2026", None):
            token = signed(key, "ES256", kid=kid)
            me = assert_signed_in(await post(http, {"authorization": f"Bearer {token}"}))
            assert me["roles"] == ["police:officer"], me
        intruder = signed(ec.generate_private_key(ec.SECP256R1()), "ES256", kid="caregraph-2026")
        assert_unauthenticated(
            await post(http, {"authorization": f"Bearer {intruder}"}),
            "the token is not valid: Signature verification failed",
        )
        stranger = signed(key, "ES256", kid="another-key")
        assert_unauthenticated(
            await post(http, {"authorization": f"Bearer {stranger}"}),
            "the token's key id is not in the configured key set",
        )
        rs384 = signed(rsa_key(), "RS384", kid="caregraph-2026")
        assert_unauthenticated(
            await post(http, {"authorization": f"Bearer {rs384}"}),
            "tokens signed with 'RS384' are not accepted here",
        )


def start_production_server(database_url: str, jwks: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`caregraph serve` configured for production: CAREGRAPH_PRODUCTION, a JWKS file and no
    CAREGRAPH_JWT_SECRET (conftest's start_server always sets the test secret)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("CAREGRAPH_")}
    env.update(
        {
            "DATABASE_URL": plain_url(database_url),
            "CAREGRAPH_JWKS_FILE": str(jwks),
            "CAREGRAPH_PRODUCTION": "true",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "core", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the production-like server exited early"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start within 30 s")


async def test_a_production_server_refuses_tokens_signed_with_the_built_in_secret(
    database_url: str, ec_keys: tuple[Any, Path]
) -> None:
    process, base = start_production_server(database_url, ec_keys[1])
    try:
        forged = hs256(DEFAULT_SECRET, dept="civil_affairs", role="admin", region="512000")
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            response = await post(http, {"authorization": f"Bearer {forged}"})
        assert_unauthenticated(response, "not")
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- API keys ------------------------------------------------------------------------------------


def caregraph(
    database_url: str, *args: str, check: bool = True, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m core …` against the test database."""
    env = {**os.environ, "DATABASE_URL": plain_url(database_url), **(extra_env or {})}
    result = subprocess.run(
        [sys.executable, "-m", "core", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check:
        assert result.returncode == 0, f"caregraph {args} failed: {result.stdout}{result.stderr}"
    return result


async def test_api_keys_are_created_listed_used_and_revoked(
    http: httpx.AsyncClient, database_url: str, db: asyncpg.Connection
) -> None:
    name = f"school-registry-{uuid.uuid4().hex[:6]}"
    created = caregraph(
        database_url,
        "apikey",
        "create",
        "--name",
        name,
        "--dept",
        "police",
        "--role",
        "officer",
        "--region",
        "512021",
    )
    lines = created.stdout.strip().splitlines()
    assert name in lines[0] and "police:officer" in lines[0], created.stdout
    key = lines[-1].strip()
    assert key.startswith("cg_") and len(key) > 40, f"a long random key is printed: {key!r}"

    expected = {
        "userId": f"apikey:{name}",
        "department": "police",
        "role": "officer",
        "regionCode": "512021",
        "roles": ["police:officer"],
    }
    for headers in ({"x-api-key": key}, {"authorization": f"ApiKey {key}"}):
        response = await post(http, headers)
        assert response.status_code == 200, response.text
        assert response.json()["data"] == {"me": expected}, f"{headers}: {response.text}"

    # Its role applies: a police officer may not administer the policy.
    refused = await post(http, {"x-api-key": key}, "{ policyLines { subject } }")
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused.text

    listed = caregraph(database_url, "apikey", "list").stdout
    [row] = [line for line in listed.splitlines() if line.startswith(f"{name}\t")]
    assert "police:officer" in row and "region=512021" in row and row.endswith("active"), row
    assert key not in listed, "the list never shows a key"
    assert key[:10] in row, "the list shows the key's prefix, to recognise it"

    stored = await db.fetchrow("SELECT * FROM api_keys WHERE name = $1", name)
    assert stored is not None
    assert stored["key_hash"] == hashlib.sha256(key.encode()).hexdigest(), "stored as SHA-256"
    everything = " ".join(str(value) for value in stored.values())
    assert key not in everything, "the api_keys row holds no plaintext key"
    table = await db.fetch("SELECT * FROM api_keys")
    assert not [r for r in table if key in " ".join(str(v) for v in r.values())]

    revoked = caregraph(database_url, "apikey", "revoke", name)
    assert f"revoked {name!r}" in revoked.stdout, revoked.stdout
    for headers in ({"x-api-key": key}, {"authorization": f"ApiKey {key}"}):
        assert_unauthenticated(
            await post(http, headers), "the API key is not valid or has been revoked"
        )


async def test_an_api_key_takes_precedence_over_a_bearer_token(http: httpx.AsyncClient) -> None:
    """A request carrying both is judged by its key: a bad key is not rescued by a token."""
    response = await post(http, {"x-api-key": "cg_not-a-key", "authorization": f"Bearer {hs256()}"})
    assert_unauthenticated(response, "the API key is not valid")
