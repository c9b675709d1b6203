"""The authorization matrix, generated from the schema and the policy in force so that it cannot
drift: for every subject of the policy and every field of `Child`, `Guardian`, `Guardianship`
and `Case`, the real server answers exactly as the compiled decision says (FULL: the real value;
MASKED: the masked value; NONE: null with FORBIDDEN at the field's path), and every root field
needs `execute` before anything else is checked. A relation to records of which the role may
read nothing is checked separately (test_relations_to_records_the_role_may_not_read_are_refused).

The real values come from an in-process app on the same database with authorization switched
off (`create_app(authorization=False)`), so the oracle does not depend on any role's policy.
"""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_composite_type,
    is_list_type,
    is_non_null_type,
    is_required_argument,
    is_required_input_field,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from core.app import create_app
from core.authentication import sign_token
from core.authorization.access import CompiledPolicy, FieldAccess
from core.authorization.control import AccessControl
from core.authorization.policy import file_lines
from core.database import create_session_factory
from core.graphql.global_ids import encode_global_id
from core.graphql.schema import build_schema
from core.identity import Caller
from core.plugin_registry import enabled_plugins
from core.resident_id import Sex
from core.seed.regions import synthetic_villages
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    CIVIL_AFFAIRS_BUREAU,
    POLICE_STATION,
    TOWNSHIP_GOVERNMENT,
    VILLAGE_COMMITTEE,
    WOMENS_HOME,
    organization_id,
)
from core.testing import TEST_JWT_SECRET
from tests.api import error_of
from tests.conftest import GraphQLClient, new_id_number, settings_for, token_for

RECORD_TYPES = ("Child", "Guardian", "Guardianship", "Case")
PURPOSE = "authorization matrix test"
ROOTS = ("Query", "Mutation")
CITY = "512000"
# The subjects of the default policies, known at collection so each gets its own test id; the
# policy in force (files + run-time changes) is checked against them below.
FILE_SUBJECTS = sorted({line.subject for line in file_lines(enabled_plugins())} - {"*"})

# Masked forms, as core/authorization/masking.py documents them.
MASKED_ID_NUMBER = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")
MASKED_NAME = re.compile(r"^.\*+$")
RECORDS_REFUSAL = re.compile(r"^your role may not read (\w+) records$")


# --- helpers shared with test_row_scopes -------------------------------------------------------


def multi_role_token(
    department: str,
    role: str,
    *,
    also: Iterable[str] = (),
    region_code: str | None = None,
    organization_id: str | None = None,
    user_id: str = "tester",
) -> str:
    """A token with extra `department:role` subjects in its `roles` claim (core.testing's
    token_for has no parameter for them)."""
    caller = Caller(
        user_id=user_id,
        department=department,
        role=role,
        organization_id=organization_id,
        region_code=region_code,
        extra_roles=tuple(also),
    )
    return sign_token(caller, TEST_JWT_SECRET)


def org_gid(region_code: str, role: str) -> str:
    """Global ID of a seeded synthetic organisation."""
    return encode_global_id("Organization", organization_id(region_code, role))


def object_type(schema: GraphQLSchema, type_name: str) -> GraphQLObjectType:
    graphql_type = schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType), f"{type_name} is not an object type"
    return graphql_type


def selection_of(schema: GraphQLSchema, type_name: str) -> str:
    """Every field of `type_name`, objects and lists of objects with their `id`."""
    graphql_type = object_type(schema, type_name)
    parts = []
    for name, definition in graphql_type.fields.items():
        required = [a for a, arg in definition.args.items() if is_required_argument(arg)]
        assert not required, f"{type_name}.{name} needs arguments {required}: teach the matrix"
        named = get_named_type(definition.type)
        if is_composite_type(named):
            has_id = isinstance(named, GraphQLObjectType) and "id" in named.fields
            parts.append(f"{name} {{ {'id' if has_id else '__typename'} }}")
        else:
            parts.append(name)
    return " ".join(parts)


def node_query(schema: GraphQLSchema, type_name: str) -> str:
    return (
        f"query Node($id: ID!) {{ node(id: $id) {{ __typename "
        f"... on {type_name} {{ {selection_of(schema, type_name)} }} }} }}"
    )


def masked_form(name: str, definition: GraphQLField, value: Any) -> Any:
    """What a `read_masked` field must answer for the real `value`: strings keep what
    recognises a record, relations are traversed (their own fields decide), other values
    (dates, numbers, enums) have no safe partial form and are null."""
    if value is None:
        return None
    named = get_named_type(definition.type)
    if is_list_type(_nullable(definition.type)) or is_composite_type(named):
        return value
    if named.name not in ("String", "ID") or not isinstance(value, str):
        return None
    lowered = name.lower()
    if "idnumber" in lowered:
        return (
            value[:6] + "*" * (len(value) - 10) + value[-4:]
            if len(value) > 10
            else "*" * len(value)
        )
    if "phone" in lowered:
        return (
            value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) >= 7 else "*" * len(value)
        )
    if lowered.endswith("name"):
        return value[:1] + "*" * (len(value) - 1)
    return value[:2] + "…"


def _nullable(graphql_type: Any) -> Any:
    return graphql_type.of_type if is_non_null_type(graphql_type) else graphql_type


def check_masked_pattern(where: str, name: str, value: Any) -> None:
    """The masked forms the API promises: 512099********1234, 张*, 138****5678."""
    if not isinstance(value, str):
        return
    if "idnumber" in name.lower():
        assert MASKED_ID_NUMBER.match(value), f"{where}: masked ID number looks wrong: {value!r}"
    elif "phone" in name.lower():
        assert MASKED_PHONE.match(value), f"{where}: masked phone looks wrong: {value!r}"
    elif name.lower().endswith("name"):
        assert MASKED_NAME.match(value), f"{where}: masked name looks wrong: {value!r}"


def assert_fields_as_decided(
    where: str,
    schema: GraphQLSchema,
    type_name: str,
    decisions: dict[str, FieldAccess | None],
    answer: dict[str, Any] | None,
    errors: list[dict[str, Any]],
    real: dict[str, Any],
    path: list[Any],
    unreadable: Callable[[str], bool] = lambda type_name: False,
) -> None:
    """Each field of one record answers as its decision says; FORBIDDEN errors are exactly
    those of the NONE fields, each at its own path. A None decision is left unchecked.

    A readable field may yet be refused as a whole with 'your role may not read X records'
    when it shows X records (e.g. a summary of them) and `unreadable(X)`: the caller's roles
    may read no field of X, so even the field's shape would betray that such records exist."""
    assert answer is not None, f"{where}: the record itself is missing; errors: {errors}"
    definitions = object_type(schema, type_name).fields
    forbidden_paths = {
        tuple(e.get("path") or ()): e
        for e in errors
        if e.get("extensions", {}).get("code") == "FORBIDDEN"
    }
    for name, definition in definitions.items():
        decision = FieldAccess.FULL if name == "id" else decisions.get(name, FieldAccess.NONE)
        if decision is None:
            continue
        got, want = answer.get(name), real.get(name)
        field_path = (*path, name)
        label = f"{where}: {type_name}.{name} ({decision.name})"
        refusal = forbidden_paths.get(field_path)
        if decision is not FieldAccess.NONE and refusal is not None:
            whole = RECORDS_REFUSAL.match(refusal["message"])
            if whole and unreadable(whole.group(1)):
                assert got is None, f"{label}: refused, yet answered {got!r}"
                continue
        if decision is FieldAccess.FULL:
            assert field_path not in forbidden_paths, f"{label} answered FORBIDDEN: {refusal}"
            assert got == want, f"{label}: expected the real value {want!r}, got {got!r}"
        elif decision is FieldAccess.MASKED:
            assert field_path not in forbidden_paths, f"{label} answered FORBIDDEN: {refusal}"
            expected = masked_form(name, definition, want)
            assert got == expected, f"{label}: expected masked {expected!r}, got {got!r}"
            check_masked_pattern(label, name, got)
        else:
            assert got is None, f"{label}: expected null, got {got!r} (real value {want!r})"
            assert field_path in forbidden_paths, (
                f"{label}: expected FORBIDDEN at {list(field_path)}, errors: {errors}"
            )
    expected_paths = {
        (*path, name)
        for name in definitions
        if name != "id" and decisions.get(name, FieldAccess.NONE) is FieldAccess.NONE
    }
    unexpected = [e for p, e in forbidden_paths.items() if p[: len(path)] == tuple(path)]
    unchecked = {(*path, name) for name, decision in decisions.items() if decision is None}
    unchecked |= {
        p
        for p, e in forbidden_paths.items()
        if (whole := RECORDS_REFUSAL.match(e["message"])) and unreadable(whole.group(1))
    }
    unexpected = [
        e
        for e in unexpected
        if tuple(e["path"]) not in expected_paths
        and tuple(e["path"][: len(path) + 1]) not in unchecked
    ]
    assert not unexpected, f"{where}: FORBIDDEN where the policy allows: {unexpected}"


@asynccontextmanager
async def unenforced_client(database_url: str) -> AsyncIterator[GraphQLClient]:
    """An in-process app on the same database with authorization off: the oracle of real
    values, independent of every role's policy."""
    app = create_app(
        settings=settings_for(database_url),
        plugins=enabled_plugins(),
        database_url=database_url,
        authorization=False,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield GraphQLClient(http, token=token_for())


@dataclass
class PolicyInForce:
    control: AccessControl
    compiled: CompiledPolicy
    schema: GraphQLSchema  # the graphql-core schema the control's type fields come from

    def best(self, subjects: Iterable[str], type_name: str) -> dict[str, FieldAccess]:
        """Per field, the best decision any of `subjects` gets from the policy."""
        merged = dict.fromkeys(self.control.type_fields.get(type_name, ()), FieldAccess.NONE)
        for subject in subjects:
            for name, access in self.compiled.field_access(subject, type_name).items():
                merged[name] = max(merged[name], access)
        return merged

    def unreadable(self, subjects: Iterable[str]) -> Callable[[str], bool]:
        """Whether `subjects` may read no field of a record type."""
        subjects = list(subjects)
        return lambda type_name: not any(self.best(subjects, type_name).values())

    def expected(self, subjects: Iterable[str], type_name: str) -> dict[str, FieldAccess | None]:
        """What each field of a `type_name` row must answer when `subjects` are the caller's
        roles that see the row: the best policy decision among them. A relation to records of
        which those roles may read no field at all is left unchecked (None): some plugin
        resolvers refuse it as a whole, others answer bare IDs (see
        test_relations_to_records_the_role_may_not_read_are_refused)."""
        subjects = list(subjects)
        decisions: dict[str, FieldAccess | None] = dict(self.best(subjects, type_name))
        fields = object_type(self.schema, type_name).fields
        for name, decision in list(decisions.items()):
            target = get_named_type(fields[name].type).name
            if decision is FieldAccess.NONE or target not in self.control.record_types:
                continue
            if not any(self.best(subjects, target).values()):
                decisions[name] = None
        return decisions

    def bare_id_relations(self, subject: str) -> list[tuple[str, str]]:
        """The relations on the matrix's record types that `subject` may follow to records of
        which it may read no field."""
        found = []
        for type_name in RECORD_TYPES:
            for name, decision in self.expected([subject], type_name).items():
                if decision is None:
                    found.append((type_name, name))
        return found


async def policy_in_force(engine: AsyncEngine) -> PolicyInForce:
    """The policy as the server builds it: enabled plugins' files + the stored changes."""
    plugins = enabled_plugins()
    schema = build_schema(plugins)
    control = AccessControl(plugins, schema)
    await control.reload(create_session_factory(engine))
    assert control.compiled is not None
    return PolicyInForce(control, control.compiled, schema._schema)


# --- the record the matrix reads ---------------------------------------------------------------

REGISTER_CHILD = "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }"
REGISTER_GUARDIAN = (
    "mutation($i: RegisterGuardianInput!) { registerGuardian(input: $i) { guardian { id } } }"
)
LINK = "mutation($i: LinkGuardianInput!) { linkGuardian(input: $i) { guardianship { id } } }"
OPEN_CASE = "mutation($i: OpenCaseInput!) { openCase(input: $i) { case { id } } }"
ENROLL = "mutation($i: EnrollChildInput!) { enrollChild(input: $i) { enrollment { id } } }"
FILE_REPORT = (
    "mutation($i: FileCompulsoryReportInput!) { fileCompulsoryReport(input: $i) { report { id } } }"
)
RECORD_VISIT = (
    "mutation($i: RecordCensusVisitInput!) { recordCensusVisit(input: $i) { visit { id } } }"
)
RECORD_CONTACT = (
    "mutation($i: RecordFamilyContactInput!) { recordFamilyContact(input: $i) { contact { id } } }"
)


@dataclass
class Place:
    """A village, its township, and the seeded organisations there."""

    village: str

    @property
    def township(self) -> str:
        return self.village[:9]

    @property
    def school(self) -> str:
        return org_gid(self.township, CENTRAL_PRIMARY_SCHOOL)

    @property
    def station(self) -> str:
        return org_gid(self.township, POLICE_STATION)

    @property
    def government(self) -> str:
        return org_gid(self.township, TOWNSHIP_GOVERNMENT)

    @property
    def committee(self) -> str:
        return org_gid(self.village, VILLAGE_COMMITTEE)

    @property
    def womens_home(self) -> str:
        return org_gid(self.township, WOMENS_HOME)


def raw_key(global_id: str) -> str:
    """The UUID inside a global ID (the form token `org` claims use)."""
    from strawberry import relay

    return relay.GlobalID.from_id(global_id).node_id


async def as_role(
    client: GraphQLClient, department: str, role: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    saved = client.token
    client.token = token_for(department, role, region_code=CITY, user_id=f"setup-{role}")
    try:
        return await client.data(query, variables)
    finally:
        client.token = saved


@dataclass
class Family:
    child: str
    guardian: str
    guardianship: str
    case: str
    place: Place


UPDATE_ENROLLMENT = (
    "mutation($i: UpdateEnrollmentInput!) { updateEnrollment(input: $i) "
    "{ enrollment { id status } } }"
)


async def enroll(client: GraphQLClient, child: str, school: str, status: str = "ENROLLED") -> str:
    """Enrol the child at the school through the education plugin (as the city's education
    bureau), then set another status if asked (e.g. TRANSFERRED)."""
    enrolled = await as_role(
        client,
        "education",
        "admin",
        ENROLL,
        {
            "i": {
                "childId": child,
                "schoolId": school,
                "studentNumber": f"G{uuid.uuid4().hex[:12].upper()}",
                "grade": 3,
                "enrolledOn": (date.today() - timedelta(days=400)).isoformat(),
            }
        },
    )
    enrollment: str = enrolled["enrollChild"]["enrollment"]["id"]
    if status != "ENROLLED":
        await as_role(
            client,
            "education",
            "admin",
            UPDATE_ENROLLMENT,
            {"i": {"id": enrollment, "version": 1, "status": status}},
        )
    return enrollment


async def a_family(client: GraphQLClient, place: Place, name: str = "张") -> Family:
    """A child with two guardians, an open case assigned to the police station, an enrolment
    at the central primary school, a compulsory report, a census visit and a family contact:
    every relation of `Child` has something to show."""
    tag = uuid.uuid4().hex[:6]
    child_input = {
        "name": f"{name}{tag}",
        "idNumber": new_id_number(date(2015, 6, 1), Sex.FEMALE),
        "householdRegionCode": place.village,
        "residenceRegionCode": place.village,
        "address": "三组12号",
        "schooling": "PRIMARY",
        "boarding": True,
        "health": "DISABLED",
        "disabilityCategory": "PHYSICAL",
        "disabilityGrade": 3,
        "illness": "哮喘",
        "difficultyCategories": ["FAMILY_POVERTY", "INADEQUATE_GUARDIANSHIP"],
        "guardianshipType": "ENTRUSTED_CAREGIVER_INSUFFICIENT",
        "familyIncomeSources": ["WAGES_FROM_WORK_AWAY", "FARMING"],
        "assistanceReceived": ["MINIMUM_LIVING_ALLOWANCE"],
    }
    child = (await client.data(REGISTER_CHILD, {"i": child_input}))["registerChild"]["child"]
    guardians = []
    for relationship, sex, phone in (
        ("FATHER", Sex.MALE, "13812345678"),
        ("MOTHER", Sex.FEMALE, "13987654321"),
    ):
        guardian = await client.data(
            REGISTER_GUARDIAN,
            {
                "i": {
                    "name": f"李{tag}{relationship[0]}",
                    "idNumber": new_id_number(date(1988, 3, 4), sex),
                    "phone": phone,
                }
            },
        )
        guardian_id = guardian["registerGuardian"]["guardian"]["id"]
        linked = await client.data(
            LINK,
            {
                "i": {
                    "childId": child["id"],
                    "guardianId": guardian_id,
                    "relationship": relationship,
                    "kind": "LEGAL_GUARDIAN",
                    "livesWithChild": False,
                    "worksAway": True,
                    "workDestination": "广东东莞",
                    "worksAwaySince": "2020-02-01",
                    "capacity": "FULL",
                }
            },
        )
        guardians.append((guardian_id, linked["linkGuardian"]["guardianship"]["id"]))
    case = await client.data(
        OPEN_CASE,
        {
            "i": {
                "childId": child["id"],
                "kind": "LIVING_ALONE",
                "summary": "儿童独自在家，父母均在外务工",
                "riskLevel": "HIGH",
                "organizationId": place.government,
                "assignedOrganizationIds": [place.station],
            }
        },
    )
    await enroll(client, child["id"], place.school)
    await as_role(
        client,
        "police",
        "officer",
        FILE_REPORT,
        {
            "i": {
                "childId": child["id"],
                "placeRegionCode": place.village,
                "reporterOrganizationId": place.committee,
                "trigger": "LIVING_ALONE",
                "summary": "儿童独自在家已三天",
            }
        },
    )
    await as_role(
        client,
        "civil_affairs",
        "child_director",
        RECORD_VISIT,
        {
            "i": {
                "childId": child["id"],
                "visitedOn": date.today().isoformat(),
                "visitorName": "王秀英",
                "metWith": "儿童本人、祖母",
                "guardianshipTypeObserved": "FAIR",
            }
        },
    )
    await as_role(
        client,
        "womens_federation",
        "staff",
        RECORD_CONTACT,
        {
            "i": {
                "childId": child["id"],
                "guardianId": guardians[0][0],
                "contactOn": date.today().isoformat(),
                "channel": "VIDEO_CALL",
                "minutes": 20,
                "note": "妈妈答应春节回家",
                "arrangedByOrganizationId": place.womens_home,
            }
        },
    )
    return Family(
        child=child["id"],
        guardian=guardians[0][0],
        guardianship=guardians[0][1],
        case=case["openCase"]["case"]["id"],
        place=place,
    )


# --- claims that bring the family's child into a subject's row scope ---------------------------

# Scopes the family above falls in with the claims `claims_for` gives (region 512000 plus the
# organisation the subject's scopes need). A scope not listed here fails the matrix: teach it.
SCOPES_THE_FAMILY_IS_IN = {"all", "region", "school", "cases", "jurisdiction"}


def claims_for(scopes: frozenset[str], place: Place) -> dict[str, str]:
    unknown = scopes - SCOPES_THE_FAMILY_IS_IN
    assert not unknown, f"row scope(s) {sorted(unknown)} are new: teach the matrix their claims"
    if "school" in scopes:
        organization = place.school
    elif "cases" in scopes:
        organization = place.station
    else:
        organization = org_gid(place.village[:6], CIVIL_AFFAIRS_BUREAU)
    return {"region_code": CITY, "organization_id": raw_key(organization)}


@dataclass
class Matrix:
    policy: PolicyInForce
    family: Family
    real: dict[str, dict[str, Any]]
    http: httpx.AsyncClient

    @property
    def schema(self) -> GraphQLSchema:
        return self.policy.schema

    @property
    def control(self) -> AccessControl:
        return self.policy.control

    @property
    def compiled(self) -> CompiledPolicy:
        return self.policy.compiled

    def record_id(self, type_name: str) -> str:
        return record_ids(self.family)[type_name]

    def token(self, subject: str) -> str:
        department, role = subject.split(":")
        claims = claims_for(self.compiled.scopes(subject), self.family.place)
        return token_for(department, role, user_id=f"matrix-{role}", **claims)


def record_ids(family: Family) -> dict[str, str]:
    return {
        "Child": family.child,
        "Guardian": family.guardian,
        "Guardianship": family.guardianship,
        "Case": family.case,
    }


@pytest.fixture(scope="module")
async def matrix(server: str, database_url: str, engine: AsyncEngine) -> AsyncIterator[Matrix]:
    village = next(v.code for v in synthetic_villages() if v.code.startswith("512021"))
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        setup = GraphQLClient(http, token=token_for(region_code=CITY, user_id="matrix-setup"))
        family = await a_family(setup, Place(village))
        policy = await policy_in_force(engine)
        real: dict[str, dict[str, Any]] = {}
        async with unenforced_client(database_url) as oracle:
            for type_name, record_id in record_ids(family).items():
                body = await oracle.execute(node_query(policy.schema, type_name), {"id": record_id})
                assert "errors" not in body, f"the unenforced oracle failed: {body}"
                real[type_name] = body["data"]["node"]
        yield Matrix(policy, family, real, http)


async def post(
    http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={
            "authorization": f"Bearer {token}",
            "accept": "application/graphql-response+json",
            # A stated purpose, so fields the policy marks `require_purpose` answer as decided.
            "x-access-purpose": PURPOSE,
        },
    )
    assert response.status_code in (200, 400), f"{response.status_code}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


# --- the tests ---------------------------------------------------------------------------------


async def test_the_matrix_covers_every_subject_and_field_in_force(matrix: Matrix) -> None:
    in_force = sorted(matrix.compiled.policy.subjects)
    assert in_force == FILE_SUBJECTS, (
        "the policy in force has other subjects than the policy files; the parametrisation "
        f"misses {sorted(set(in_force) - set(FILE_SUBJECTS))}"
    )
    for type_name in RECORD_TYPES:
        schema_fields = list(object_type(matrix.schema, type_name).fields)
        assert schema_fields == matrix.control.type_fields[type_name], type_name
        assert type_name in matrix.control.record_types, f"{type_name} is not a record type"
    # The family really has something behind every relation, so the matrix is not vacuous.
    child = matrix.real["Child"]
    for relation in (
        "guardianships",
        "cases",
        "openCases",
        "censusVisits",
        "compulsoryReports",
        "familyContacts",
    ):
        assert child[relation], f"the family's child has no {relation}: the setup is incomplete"
    assert child["enrollment"], "the family's child is not enrolled"


@pytest.mark.parametrize("subject", FILE_SUBJECTS)
async def test_record_fields_answer_as_the_policy_decides(matrix: Matrix, subject: str) -> None:
    scopes = matrix.compiled.scopes(subject)
    token = matrix.token(subject)
    visible = bool(scopes & SCOPES_THE_FAMILY_IS_IN)
    bodies = await asyncio.gather(
        *(
            post(
                matrix.http,
                token,
                node_query(matrix.schema, type_name),
                {"id": matrix.record_id(type_name)},
            )
            for type_name in RECORD_TYPES
        )
    )
    for type_name, body in zip(RECORD_TYPES, bodies, strict=True):
        where = f"{subject} (scopes {sorted(scopes)}) reading {type_name}"
        if not visible:
            error = error_of(body)
            assert error["extensions"]["code"] == "NOT_FOUND", f"{where}: {error}"
            assert error["path"] == ["node"], f"{where}: {error}"
            assert body["data"]["node"] is None, f"{where}: {body}"
            continue
        decisions = matrix.policy.expected([subject], type_name)
        assert_fields_as_decided(
            where,
            matrix.schema,
            type_name,
            decisions,
            body["data"]["node"],
            body.get("errors", []),
            matrix.real[type_name],
            ["node"],
            matrix.policy.unreadable([subject]),
        )


# --- root fields: `execute` first ----------------------------------------------------------------

DUMMY_SCALARS = {
    "ID": '"not-a-global-id"',
    "String": '""',
    "Int": "0",
    "Float": "0",
    "Boolean": "false",
    "Date": '"2000-01-01"',
    "DateTime": '"2000-01-01T00:00:00+00:00"',
}


def dummy_literal(graphql_type: Any, where: str) -> str:
    """A literal of the right GraphQL type that the resolver refuses (a malformed global ID,
    an empty text), so that a call that is let through writes nothing."""
    graphql_type = _nullable(graphql_type)
    if is_list_type(graphql_type):
        return "[]"
    if isinstance(graphql_type, GraphQLEnumType):
        return str(next(iter(graphql_type.values)))
    if isinstance(graphql_type, GraphQLInputObjectType):
        parts = [
            f"{name}: {dummy_literal(f.type, f'{where}.{name}')}"
            for name, f in graphql_type.fields.items()
            if is_required_input_field(f)
        ]
        return "{" + ", ".join(parts) + "}"
    assert graphql_type.name in DUMMY_SCALARS, f"{where}: no dummy for {graphql_type.name}"
    return DUMMY_SCALARS[graphql_type.name]


def is_connection(graphql_type: Any) -> bool:
    named = get_named_type(graphql_type)
    return isinstance(named, GraphQLObjectType) and {"edges", "pageInfo"} <= named.fields.keys()


def root_call(schema: GraphQLSchema, root: str, name: str) -> str:
    definition = object_type(schema, root).fields[name]
    parts = [
        f"{arg}: {dummy_literal(a.type, f'{root}.{name}({arg})')}"
        for arg, a in definition.args.items()
        if is_required_argument(a)
    ]
    if is_connection(definition.type):
        # Every connection must say how many nodes it wants, or the request is refused (with
        # VALIDATION_FAILED on `first`) before authorization is even asked.
        parts.append("first: 1")
    arguments = ", ".join(parts)
    call = f"{name}({arguments})" if arguments else name
    if is_composite_type(get_named_type(definition.type)):
        call += " { __typename }"
    keyword = "query" if root == "Query" else "mutation"
    return f"{keyword} {{ {call} }}"


async def table_counts(db: asyncpg.Connection) -> dict[str, int]:
    tables = [
        "children",
        "guardians",
        "guardianships",
        "cases",
        "case_events",
        "policy_changes",
        "education_enrollments",
        "police_compulsory_reports",
        "civil_affairs_census_visits",
        "womens_federation_family_contacts",
    ]
    return {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


@pytest.mark.parametrize("subject", FILE_SUBJECTS)
async def test_root_fields_need_execute_before_anything_else(
    matrix: Matrix, subject: str, db: asyncpg.Connection
) -> None:
    token = matrix.token(subject)
    calls = [
        (root, name)
        for root in ROOTS
        for name in matrix.control.type_fields[root]
        if not name.startswith("__")
    ]
    before = await table_counts(db)
    limit = asyncio.Semaphore(16)

    async def call(root: str, name: str) -> dict[str, Any]:
        async with limit:
            return await post(matrix.http, token, root_call(matrix.schema, root, name))

    bodies = await asyncio.gather(*(call(root, name) for root, name in calls))
    problems = []
    for (root, name), body in zip(calls, bodies, strict=True):
        allowed = name in matrix.compiled.executable(subject, root)
        refusals = [
            e
            for e in body.get("errors", [])
            if e.get("extensions", {}).get("code") == "FORBIDDEN"
            and f"may not use {root}.{name}" in e["message"]
        ]
        if allowed and refusals:
            problems.append(f"{root}.{name}: allowed by the policy, answered {refusals}")
        if not allowed:
            errors = body.get("errors", [])
            if [e.get("extensions", {}).get("code") for e in errors] != ["FORBIDDEN"]:
                problems.append(f"{root}.{name}: expected only FORBIDDEN, got {errors}")
            elif not refusals or refusals[0].get("path") != [name]:
                problems.append(f"{root}.{name}: FORBIDDEN not at path [{name}]: {errors}")
    assert not problems, f"{subject}:\n" + "\n".join(problems)
    assert await table_counts(db) == before, "a refused or invalid root call wrote something"


# --- writes ------------------------------------------------------------------------------------


async def test_a_teacher_may_update_a_pupils_schooling(matrix: Matrix) -> None:
    """The identifying id and version of an update input are not writes: a teacher, who may
    write Child.schooling and Child.boarding only, updates a pupil's schooling."""
    token = matrix.token("education:teacher")
    read = await post(
        matrix.http,
        token,
        "query($id: ID!) { child(id: $id) { version } }",
        {"id": matrix.family.child},
    )
    version = read["data"]["child"]["version"]
    body = await post(
        matrix.http,
        token,
        "mutation($i: UpdateChildInput!) { updateChild(input: $i) { child { schooling } } }",
        {"i": {"id": matrix.family.child, "version": version, "schooling": "PRIMARY"}},
    )
    assert "errors" not in body, f"the teacher may write schooling: {body}"


BARE_IDS_REASON = (
    "core/graphql/types.py Child.cases and Child.openCases answer the cases of a child to any "
    "role that may read those Child fields, even one that may read no field of Case, while the "
    "plugins refuse such relations as a whole ('your role may not read X records', e.g. "
    "readable() in plugins/education/types.py) because bare IDs betray that such records "
    "exist. core/policy.csv grants civil_affairs:child_director `Child.cases, read` and "
    "`Child.openCases, read` (lines 126-127) but no Case line, so a village child director "
    "learns which of its children have protection cases, "
    "and how many. Reproduce: child_director token (region = the child's village), "
    "child(id:) { cases { id } openCases { id } }."
)


async def test_relations_to_records_the_role_may_not_read_are_refused(matrix: Matrix) -> None:
    problems = []
    for subject in FILE_SUBJECTS:
        if not matrix.compiled.scopes(subject) & SCOPES_THE_FAMILY_IS_IN:
            continue
        token = matrix.token(subject)
        for type_name, name in matrix.policy.bare_id_relations(subject):
            query = (
                f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} "
                f"{{ {name} {{ __typename }} }} }} }}"
            )
            body = await post(matrix.http, token, query, {"id": matrix.record_id(type_name)})
            value = (body.get("data") or {}).get("node", {}).get(name)
            if value is not None:
                problems.append(f"{subject}: {type_name}.{name} answered {value!r}")
    assert not problems, "relations to records the role may not read:\n" + "\n".join(problems)
