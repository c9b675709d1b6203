"""GraphQL documents and helpers shared by the API tests."""

import uuid
from datetime import date
from typing import Any

from core.resident_id import Sex
from tests.conftest import GraphQLClient, new_id_number

CHILD_FIELDS = """
  id idNumber name sex birthDate age address schooling boarding health
  disabilityCategory disabilityGrade difficultyCategories guardianshipType
  familyIncomeSources assistanceReceived status isLeftBehind version
  residenceRegion { code name } householdRegion { code }
"""

REGISTER_CHILD = f"""
mutation Register($input: RegisterChildInput!) {{
  registerChild(input: $input) {{ child {{ {CHILD_FIELDS} }} }}
}}
"""

UPDATE_CHILD = f"""
mutation Update($input: UpdateChildInput!) {{
  updateChild(input: $input) {{ child {{ {CHILD_FIELDS} }} }}
}}
"""

REGISTER_GUARDIAN = """
mutation RegisterGuardian($input: RegisterGuardianInput!) {
  registerGuardian(input: $input) { guardian { id name idNumber sex phone version } }
}
"""

LINK_GUARDIAN = """
mutation Link($input: LinkGuardianInput!) {
  linkGuardian(input: $input) {
    guardianship { id relationship kind worksAway workDestination capacity version
                   child { id isLeftBehind } guardian { id name } }
  }
}
"""

UPDATE_GUARDIANSHIP = """
mutation UpdateGuardianship($input: UpdateGuardianshipInput!) {
  updateGuardianship(input: $input) {
    guardianship { id worksAway workDestination worksAwaySince version child { id isLeftBehind } }
  }
}
"""

CHILD = f"query Child($id: ID!) {{ child(id: $id) {{ {CHILD_FIELDS} }} }}"


def unique_name(prefix: str = "测试") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def a_village(client: GraphQLClient, within: str = "512021") -> str:
    data = await client.data(
        "query($w: String) { regions(level: VILLAGE, within: $w, first: 1) "
        "{ edges { node { code } } } }",
        {"w": within},
    )
    code: str = data["regions"]["edges"][0]["node"]["code"]
    return code


def child_input(village: str, **overrides: Any) -> dict[str, Any]:
    birth_date = overrides.pop("birth_date", date(2015, 6, 1))
    sex = overrides.pop("sex_enum", Sex.FEMALE)
    values: dict[str, Any] = {
        "name": unique_name(),
        "idNumber": new_id_number(birth_date, sex),
        "householdRegionCode": village,
        "residenceRegionCode": village,
        "address": "三组12号",
        "schooling": "PRIMARY",
    }
    values.update(overrides)
    return values


async def register_child(client: GraphQLClient, village: str, **overrides: Any) -> dict[str, Any]:
    data = await client.data(REGISTER_CHILD, {"input": child_input(village, **overrides)})
    child: dict[str, Any] = data["registerChild"]["child"]
    return child


async def register_guardian(client: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"name": unique_name("家长"), "phone": "13800001234"}
    values.update(overrides)
    data = await client.data(REGISTER_GUARDIAN, {"input": values})
    guardian: dict[str, Any] = data["registerGuardian"]["guardian"]
    return guardian


async def link(
    client: GraphQLClient, child_id: str, guardian_id: str, **overrides: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "childId": child_id,
        "guardianId": guardian_id,
        "relationship": "FATHER",
        "kind": "LEGAL_GUARDIAN",
        "livesWithChild": False,
        "worksAway": True,
        "workDestination": "广东东莞",
        "capacity": "FULL",
    }
    values.update(overrides)
    data = await client.data(LINK_GUARDIAN, {"input": values})
    guardianship: dict[str, Any] = data["linkGuardian"]["guardianship"]
    return guardianship


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    """The single error of a response, with its extensions."""
    assert "errors" in body, f"expected an error, got {body}"
    assert len(body["errors"]) == 1, body["errors"]
    error: dict[str, Any] = body["errors"][0]
    return error
