"""The audit trail through the real server: what is recorded, that the database keeps it
append-only, that the hash chain exposes tampering, and that only auditors read it."""

import os
import subprocess
import sys
from typing import Any

import asyncpg
import pytest

from core.testing import plain_url
from tests.api import UPDATE_CHILD, a_village, error_of, register_child
from tests.conftest import REPO_ROOT, GraphQLClient, token_for

ID_NUMBER = "query($id: ID!) { child(id: $id) { idNumber } }"
AUDIT = """
query Audit($child: ID, $action: String, $user: String) {
  auditEntries(first: 50, childId: $child, action: $action, userId: $user) {
    totalCount
    edges { node { action outcome operation fields recordIds purpose userId department
                   roles clientAddress detail entryHash } }
  }
}
"""


async def audit_entries(client: GraphQLClient, **filters: Any) -> list[dict[str, Any]]:
    saved = client.token
    client.token = token_for("audit", "auditor", user_id="auditor-1")
    try:
        data = await client.data(AUDIT, filters)
    finally:
        client.token = saved
    return [edge["node"] for edge in data["auditEntries"]["edges"]]


def caregraph(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": plain_url(database_url)}
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_mutation_and_its_sensitive_reads_are_recorded(client: GraphQLClient) -> None:
    village = await a_village(client)
    child = await register_child(client, village)  # the payload reads idNumber and address
    entries = await audit_entries(client, child=child["id"])
    kinds = {(e["action"], e["outcome"]) for e in entries}
    assert ("MUTATION", "SUCCESS") in kinds
    assert ("SENSITIVE_READ", "SUCCESS") in kinds
    mutation = next(e for e in entries if e["action"] == "MUTATION")
    assert mutation["operation"] == "Register:registerChild"
    assert any(record.startswith("Child:") for record in mutation["recordIds"])
    assert "idNumber" in mutation["fields"] and "name" in mutation["fields"]
    assert mutation["userId"] == "tester" and mutation["department"] == "civil_affairs"
    assert mutation["clientAddress"] == "127.0.0.1"
    read = next(e for e in entries if e["action"] == "SENSITIVE_READ")
    assert {"Child.idNumber", "Child.address"} <= set(read["fields"])


async def test_a_failed_mutation_is_recorded_and_wrote_nothing_else(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    body = await client.execute(
        UPDATE_CHILD, {"input": {"id": child["id"], "version": 7, "boarding": True}}
    )
    assert error_of(body)["extensions"]["code"] == "CONFLICT"
    failed = await audit_entries(client, action="MUTATION", user="tester")
    assert any(
        e["outcome"] == "FAILED"
        and e["detail"] == "CONFLICT"
        and e["operation"] == "Update:updateChild"
        for e in failed
    )


async def test_denied_and_unauthenticated_attempts_are_recorded(client: GraphQLClient) -> None:
    client.token = token_for("education", "teacher", user_id="teacher-audit")
    body = await client.execute("query Peek { cases(first: 1) { totalCount } }")
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    client.token = "not-a-token"
    response = await client.post("{ me { userId } }")
    assert response.status_code == 401
    client.token = token_for()
    denied = await audit_entries(client, user="teacher-audit")
    assert any(e["action"] == "DENIED" and "Query.cases" in " ".join(e["fields"]) for e in denied)
    refused = await audit_entries(client, action="UNAUTHENTICATED")
    assert refused and refused[0]["userId"] is None and "not valid" in refused[0]["detail"]


async def test_a_stated_purpose_is_stored_and_can_be_required(client: GraphQLClient) -> None:
    village = await a_village(client)
    child = await register_child(client, village)
    admin = token_for("platform", "admin")
    line = {"subject": "police:admin", "object": "Child.idNumber", "action": "require_purpose"}
    grant = "mutation($i: PolicyLineInput!) { grantPolicy(input: $i) { version } }"
    revoke = "mutation($i: PolicyLineInput!) { revokePolicy(input: $i) { version } }"
    client.token = admin
    await client.data(grant, {"i": line})
    try:
        client.token = token_for("police", "admin", region_code="512000", user_id="police-7")
        body = await client.execute(ID_NUMBER, {"id": child["id"]})
        assert body["data"]["child"]["idNumber"] is None
        assert "X-Access-Purpose" in error_of(body)["message"]
        response = await client.post(
            ID_NUMBER, {"id": child["id"]}, x_access_purpose="case 2026-118 investigation"
        )
        assert response.json()["data"]["child"]["idNumber"] == child["idNumber"]
        client.token = token_for()
        reads = await audit_entries(client, user="police-7", action="SENSITIVE_READ")
        assert any(e["purpose"] == "case 2026-118 investigation" for e in reads)
    finally:
        client.token = admin
        await client.data(revoke, {"i": line})
        client.token = token_for()


async def test_policy_changes_are_recorded(client: GraphQLClient) -> None:
    client.token = token_for("platform", "admin", user_id="platform-admin-9")
    line = {"subject": "education:teacher", "object": "Child.illness", "action": "read"}
    await client.data(
        "mutation($i: PolicyLineInput!) { grantPolicy(input: $i) { version } }", {"i": line}
    )
    await client.data(
        "mutation($i: PolicyLineInput!) { revokePolicy(input: $i) { version } }", {"i": line}
    )
    client.token = token_for()
    changes = await audit_entries(client, action="POLICY_CHANGE", user="platform-admin-9")
    details = [e["detail"] for e in changes]
    assert "add p, education:teacher, Child.illness, read" in details
    assert "remove p, education:teacher, Child.illness, read" in details


async def test_only_auditors_read_the_trail(client: GraphQLClient) -> None:
    for department, role in (
        ("civil_affairs", "admin"),
        ("platform", "admin"),
        ("police", "officer"),
    ):
        client.token = token_for(department, role, region_code="512000")
        body = await client.execute("{ auditEntries(first: 1) { totalCount } }")
        assert error_of(body)["extensions"]["code"] == "FORBIDDEN", (department, role)


async def test_the_database_refuses_to_rewrite_the_trail(db: asyncpg.Connection) -> None:
    for statement in (
        "UPDATE audit_entries SET detail = 'rewritten'",
        "DELETE FROM audit_entries",
        "TRUNCATE audit_entries",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await db.execute(statement)


async def test_api_keys_created_and_revoked_are_recorded(
    client: GraphQLClient, database_url: str
) -> None:
    created = caregraph(
        database_url, "apikey", "create", "--name", "audit-key", "--dept", "police",
        "--role", "officer",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    revoked = caregraph(database_url, "apikey", "revoke", "audit-key")
    assert revoked.returncode == 0, revoked.stderr
    created_entries = await audit_entries(client, action="API_KEY_CREATED")
    revoked_entries = await audit_entries(client, action="API_KEY_REVOKED")
    assert any(e["detail"] == "audit-key for police:officer" for e in created_entries)
    assert any(e["detail"] == "audit-key" for e in revoked_entries)
    key = created.stdout.strip().splitlines()[-1]
    assert all(key not in str(e) for e in created_entries), "the key itself is never recorded"


async def test_verify_finds_the_chain_intact_then_names_a_tampered_entry(
    client: GraphQLClient, database_url: str, db: asyncpg.Connection
) -> None:
    village = await a_village(client)
    await register_child(client, village)
    intact = caregraph(database_url, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert "intact" in intact.stdout
    victim = await db.fetchval("SELECT id FROM audit_entries ORDER BY id DESC OFFSET 1 LIMIT 1")
    original = await db.fetchval("SELECT user_id FROM audit_entries WHERE id = $1", victim)

    async def set_user(user_id: str | None) -> None:
        # Someone with superuser rights edits history behind the triggers' back.
        await db.execute("ALTER TABLE audit_entries DISABLE TRIGGER USER")
        try:
            await db.execute("UPDATE audit_entries SET user_id = $2 WHERE id = $1", victim, user_id)
        finally:
            await db.execute("ALTER TABLE audit_entries ENABLE TRIGGER USER")

    await set_user("nobody")
    try:
        broken = caregraph(database_url, "audit", "verify")
        assert broken.returncode == 1
        assert f"BROKEN at entry {victim}" in broken.stderr
    finally:
        await set_user(original)
    assert caregraph(database_url, "audit", "verify").returncode == 0


async def test_the_enabled_plugins_are_recorded_when_a_server_starts(
    client: GraphQLClient,
) -> None:
    changes = await audit_entries(client, action="PLUGIN_CHANGE")
    assert changes, "the server's start recorded the plugin set"
    assert changes[0]["detail"] == "civil_affairs,core,education,police,womens_federation"


async def test_platform_roles_cannot_grant_themselves_data(client: GraphQLClient) -> None:
    client.token = token_for("platform", "admin")
    grant = "mutation($i: PolicyLineInput!) { grantPolicy(input: $i) { version } }"
    for subject in ("platform:admin", "*"):
        line = {"subject": subject, "object": "Child.name", "action": "read"}
        error = error_of(await client.execute(grant, {"i": line}))
        assert error["extensions"] == {"code": "FORBIDDEN", "field": "input.subject"}, subject


def test_api_keys_are_only_created_for_known_roles(database_url: str) -> None:
    refused = caregraph(
        database_url, "apikey", "create", "--name", "typo-key", "--dept", "polise",
        "--role", "officer",
    )  # fmt: skip
    assert refused.returncode == 2
    assert "unknown role polise:officer" in refused.stderr


async def test_a_query_whose_reads_cannot_be_recorded_is_not_answered(
    client: GraphQLClient, db: asyncpg.Connection
) -> None:
    """Sensitive data is never served unrecorded: when the entry cannot be written, the
    caller gets an error instead of the data."""
    village = await a_village(client)
    child = await register_child(client, village)
    user = "unrecordable-reader"
    await db.execute(
        f"""
        CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'no room in the audit trail'; END $$;
        CREATE TRIGGER refuse_entry BEFORE INSERT ON audit_entries FOR EACH ROW
        WHEN (NEW.user_id = '{user}') EXECUTE FUNCTION refuse_entry();
        """
    )
    try:
        reader = GraphQLClient(client.http, token_for("civil_affairs", "admin", user_id=user))
        response = await reader.post(ID_NUMBER, {"id": child["id"]})
    finally:
        await db.execute(
            "DROP TRIGGER refuse_entry ON audit_entries; DROP FUNCTION refuse_entry();"
        )
    body = response.json()
    assert body.get("data") is None
    assert error_of(body)["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert child["idNumber"] not in response.text
    assert "audit" not in response.text  # the database's message stays in the server
