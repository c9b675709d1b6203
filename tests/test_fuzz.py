"""Property-based fuzzing of every root Query and Mutation field through the real server.

The operations are generated from the schema itself (graphql-core's view of `schema_for()`), so
a field a plugin adds is fuzzed without anyone writing a test for it. For each field, Hypothesis
draws values for every argument from strategies derived from the argument's input type: hostile
text (SQL, LIKE wildcards, NUL, lone surrogates, right-to-left marks, kilobytes of CJK), global
IDs that are garbage, of another type, of nothing, or of this module's own records, 32-bit
extremes, dates of any year; and now and then one argument of the wrong type or shape (integers
beyond 32 bits, dates that do not exist, input objects with a field missing, unknown or wrong).
The caller is mostly a role the policy files let use the field, sometimes any of eight others.

Whatever the request, the platform's error contract must hold: an HTTP status a client can act
on (never a 500), a JSON body, an `extensions.code` on every error, never INTERNAL_SERVER_ERROR,
never a traceback or SQL text. A second property sends, for a declared variable, a JSON value of
the wrong type, which must be VALIDATION_FAILED and nothing else.

The runs are derandomized (`derandomize=True`, no example database) so CI sees the same
examples every time; a failure prints the example, shrunk, to reproduce with curl.
"""

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    ast_from_value,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_required_argument,
    print_ast,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.authorization.policy import ACTIONS, file_lines
from core.graphql.global_ids import encode_global_id
from core.graphql.schema import schema_for
from core.plugin_registry import enabled_plugins
from core.resident_id import Sex, make_resident_id
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    POLICE_STATION,
    TOWNSHIP_GOVERNMENT,
    VILLAGE_COMMITTEE,
    WOMENS_HOME,
    organization_id,
)
from tests.conftest import token_for

SCHEMA: GraphQLSchema = schema_for()._schema

# A village and township no other test registers anything in: what the fuzzer manages to write
# (a child with a strange but valid name, say) stays out of the other tests' counts.
FUZZ_VILLAGE = "512022202203"
FUZZ_TOWNSHIP = FUZZ_VILLAGE[:9]
FUZZ_COUNTY = FUZZ_VILLAGE[:6]

# What every response must be, whatever was sent (the platform's error contract).
ALLOWED_STATUSES = (200, 400, 401, 403, 404, 409, 413, 422, 429)
LEAK_MARKERS = (
    "Traceback",
    'File "/',
    "SELECT",
    "INSERT",
    "asyncpg",
    "sqlalchemy",
    "psycopg",
    'relation "',
)


def seeded(region_code: str, role: str) -> str:
    """The raw key of a seeded synthetic organisation (what a token's `org` claim holds)."""
    return str(organization_id(region_code, role))


# The callers the fuzzer signs in as: the lead department's city bureau (every child), region-
# and school-scoped roles, the police, the platform administrator (policies, no child data) and
# the auditor.
TOKENS: dict[str, str] = {
    "civil_affairs:admin": token_for("civil_affairs", "admin", user_id="fuzz-ca"),
    "civil_affairs:caseworker": token_for(
        "civil_affairs", "caseworker", region_code=FUZZ_COUNTY, user_id="fuzz-cw"
    ),
    "education:teacher": token_for(
        "education",
        "teacher",
        region_code=FUZZ_VILLAGE,
        organization_id=seeded(FUZZ_TOWNSHIP, CENTRAL_PRIMARY_SCHOOL),
        user_id="fuzz-teacher",
    ),
    "education:admin": token_for("education", "admin", region_code=FUZZ_COUNTY, user_id="fuzz-ed"),
    "police:officer": token_for(
        "police",
        "officer",
        region_code=FUZZ_TOWNSHIP,
        organization_id=seeded(FUZZ_TOWNSHIP, POLICE_STATION),
        user_id="fuzz-police",
    ),
    "womens_federation:staff": token_for(
        "womens_federation",
        "staff",
        region_code=FUZZ_TOWNSHIP,
        organization_id=seeded(FUZZ_TOWNSHIP, WOMENS_HOME),
        user_id="fuzz-wf",
    ),
    "platform:admin": token_for("platform", "admin", user_id="fuzz-platform"),
    "audit:auditor": token_for("audit", "auditor", user_id="fuzz-auditor"),
}
ROLES = sorted(TOKENS)
EXECUTE = {
    (line.subject, line.object)
    for line in file_lines(enabled_plugins())
    if line.action == "execute"
}


def token_of(subject: str) -> str:
    """A token for `subject`; roles other than the ones above get the fuzz county."""
    if subject not in TOKENS:
        department, role = subject.split(":")
        TOKENS[subject] = token_for(
            department, role, region_code=FUZZ_COUNTY, user_id=f"fuzz-{department}-{role}"
        )
    return TOKENS[subject]


def callers(field: "RootField") -> st.SearchStrategy[str]:
    """Mostly a role the policy files let use the field (else most requests would stop at
    FORBIDDEN), sometimes any of the roles above."""
    root = "Query" if field.operation == "query" else "Mutation"
    allowed = sorted(
        subject for subject, obj in EXECUTE if obj == f"{root}.{field.name}" and subject != "*"
    )
    if ("*", f"{root}.{field.name}") in EXECUTE or not allowed:
        return st.sampled_from(ROLES)
    return weighted((3, st.sampled_from(allowed)), (1, st.sampled_from(ROLES)))


FUZZ_SETTINGS = settings(
    max_examples=16,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
WRONG_TYPE_SETTINGS = settings(FUZZ_SETTINGS, max_examples=6)


# --- the contract ----------------------------------------------------------------------------


def assert_contract(response: httpx.Response, sent: str) -> dict[str, Any]:
    """The response honours the error contract; returns its JSON body. `sent` is the request
    body, so that a marker the caller itself sent (and that is echoed back) does not count."""
    where = f"request {sent[:3000]}\nanswered {response.status_code}: {response.text[:3000]}"
    assert response.status_code in ALLOWED_STATUSES, f"unexpected HTTP status\n{where}"
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"the body is not JSON\n{where}") from None
    assert isinstance(body, dict), f"the body is not a JSON object\n{where}"
    assert "data" in body or "errors" in body, f"neither data nor errors\n{where}"
    errors = body.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        assert isinstance(code, str) and code, f"an error without extensions.code\n{where}"
        assert code != "INTERNAL_SERVER_ERROR", f"an internal error\n{where}"
    # Errors only: data may rightly hold text an earlier request stored ("' UNION SELECT …").
    said = "\n".join(str(error.get("message")) for error in errors) + json.dumps(errors)
    leaked = [m for m in LEAK_MARKERS if m in said and m not in sent]
    assert not leaked, f"an error leaks {leaked}\n{where}"
    return body


def post(http: httpx.Client, token: str, query: str, variables: dict[str, Any]) -> httpx.Response:
    """POST as a front end would, but encoded by hand: `json.dumps` escapes non-ASCII, so lone
    surrogates travel as valid JSON (httpx's own encoder would refuse them)."""
    sent = json.dumps({"query": query, "variables": variables})
    return http.post(
        "/graphql",
        content=sent.encode("ascii"),
        headers={
            "authorization": f"Bearer {token}",
            "accept": "application/graphql-response+json",
            "content-type": "application/json",
            # A stated purpose, so that fields the policy marks `require_purpose` answer too.
            "x-access-purpose": "fuzzing the error contract",
        },
    )


# --- operations generated from the schema -----------------------------------------------------


@dataclass(frozen=True)
class RootField:
    operation: str  # "query" or "mutation"
    name: str
    definition: GraphQLField

    def __str__(self) -> str:
        return f"{self.operation}.{self.name}"


def root_fields() -> list[RootField]:
    fields = []
    for operation, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        assert root is not None
        fields += [RootField(operation, name, field) for name, field in root.fields.items()]
    return fields


ROOT_FIELDS = root_fields()


def is_connection(named: GraphQLNamedType) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and "edges" in named.fields
        and "pageInfo" in named.fields
    )


def selection(output: GraphQLOutputType, *, lists: bool = True) -> str:
    """A small valid selection: `__typename`, every leaf field and `{ __typename id }` of each
    related object (of lists of them too, unless `lists` is false). Connections select a page of
    nodes (without their lists, which would multiply by the page size), the page info and
    totalCount."""
    named = get_named_type(output)
    if is_leaf_type(named):
        return ""
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType), named
    if is_connection(named):
        assert isinstance(named, GraphQLObjectType)
        edge = get_named_type(named.fields["edges"].type)
        assert isinstance(edge, GraphQLObjectType)
        node = edge.fields["node"].type
        parts = [
            f"edges {{ cursor node {{ {selection(node, lists=False)} }} }}",
            "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }",
        ]
        if "totalCount" in named.fields:
            parts.append("totalCount")
        return " ".join(parts)
    parts = ["__typename"]
    for name, field in named.fields.items():
        if field.args:
            continue
        field_type = get_named_type(field.type)
        if is_leaf_type(field_type):
            parts.append(name)
            continue
        if is_connection(field_type) or (not lists and is_list_type(unwrap(field.type))):
            continue
        has_id = isinstance(field_type, GraphQLObjectType | GraphQLInterfaceType) and (
            "id" in field_type.fields
        )
        parts.append(f"{name} {{ __typename{' id' if has_id else ''} }}")
    return " ".join(parts)


def unwrap(output: GraphQLOutputType) -> GraphQLOutputType:
    return output.of_type if isinstance(output, GraphQLNonNull) else output


def variable_definition(name: str, argument_type: GraphQLInputType, default: Any) -> str:
    """`$name: Type`, with the argument's default so that leaving the variable out means what
    leaving the argument out means."""
    text = f"${name}: {argument_type}"
    if default is not Undefined:
        literal = ast_from_value(default, argument_type)
        if literal is not None:
            text += f" = {print_ast(literal)}"
    return text


def document(field: RootField, variables: list[str], literals: dict[str, str] | None = None) -> str:
    """An operation calling `field` with the named arguments as variables and `literals` as
    inline arguments."""
    arguments = field.definition.args
    definitions = [
        variable_definition(name, arguments[name].type, arguments[name].default_value)
        for name in variables
    ]
    passed = [f"{name}: ${name}" for name in variables]
    passed += [f"{name}: {value}" for name, value in (literals or {}).items()]
    head = f"{field.operation} Fuzz" + (f"({', '.join(definitions)})" if definitions else "")
    call = field.name + (f"({', '.join(passed)})" if passed else "")
    sub = selection(field.definition.type)
    return f"{head} {{ {call}{f' {{ {sub} }}' if sub else ''} }}"


# --- values -----------------------------------------------------------------------------------

OMIT = object()  # a variable left out of the request

SQL_TEXT = (
    "' OR 1=1 --",
    "'; DROP TABLE children; --",
    '" OR ""="',
    "1) OR (1=1",
    "admin'--",
    "' UNION SELECT NULL, NULL --",
    "$1",
    "E'\\x00'",
    "'); SELECT pg_sleep(3); --",
)
WILDCARDS = ("%", "_", "%%", "\\", "\\%", "%_%", "[a-z]", ".*", "*")
ODD_TEXT = (
    "",
    " ",
    "\t\n\r",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ufeff",
    "\u202eevil",
    "\u200b",
    "null",
    "undefined",
    "NaN",
    "{}",
    "[]",
    "<script>alert(1)</script>",
    "${jndi:ldap://127.0.0.1/a}",
    "../../../../etc/passwd",
    "%s%s%s%n",
    "{{7*7}}",
    "🧒👨‍👩‍👧" * 40,
    "留守儿童" * 800,
    "x" * 5000,
    "é" * 3000,
)
REGION_CODES = (
    FUZZ_VILLAGE,
    FUZZ_TOWNSHIP,
    FUZZ_COUNTY,
    "512000",
    "512022202201",
    "5120",
    "512022202299",
    "999999999999",
    "51202220220a",
    "0" * 12,
)
DEPARTMENTS = ("civil_affairs", "education", "police", "womens_federation", "platform", "audit")
GARBAGE_DATES = ("2021-02-30", "2021-13-01", "0000-00-00", "yesterday", "2021/01/01", "")
GARBAGE_DATETIMES = ("2021-02-30T00:00:00Z", "2021-01-01T25:00:00", "now", "1e309", "T", "")
INT32 = (-(2**31), 2**31 - 1)


def node_type_names() -> list[str]:
    node = SCHEMA.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    return sorted(t.name for t in SCHEMA.get_implementations(node).objects)


NODE_TYPES = node_type_names()
# Words in ID field names that do not name their type (schoolId is an Organization's).
ID_WORDS = {
    "school": ["Organization"],
    "attendee": ["Child", "Guardian"],
    "pairing": ["SurrogateMother"],
    "record": NODE_TYPES,
}


def id_types(name: str) -> list[str]:
    """The Node types an ID argument or input field named `name` probably refers to
    (`designatedGuardianId`: Guardian); every type when the name does not say."""
    base = re.sub(r"Ids?$", "", name)
    words = re.findall(r"[a-z]+|[A-Z][a-z]*", base)
    for start in range(len(words)):
        suffix = "".join(words[start:]).lower()
        if suffix in ID_WORDS:
            return ID_WORDS[suffix]
        types = [t for t in NODE_TYPES if t.lower().endswith(suffix)]
        if types:
            return types
    return NODE_TYPES


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of `choices`, each drawn in proportion to its weight (and shrunk towards the
    first)."""
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda index: table[index])


def hostile_text() -> st.SearchStrategy[str]:
    return weighted(
        (3, st.text(max_size=40)),
        (2, st.sampled_from(SQL_TEXT + WILDCARDS + ODD_TEXT)),
        (1, st.text(min_size=1, max_size=8).map(lambda s: s * 300)),
        (1, st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Mn"]))),
    )


@dataclass(frozen=True)
class Known:
    """Records that exist (this module's child, guardian and case, the seeded organisations and
    regions of the fuzz township), so that some IDs get past "no such record"."""

    ids: dict[str, tuple[str, ...]]  # by type name
    id_numbers: tuple[str, ...]


def ids(name: str, known: Known) -> st.SearchStrategy[str]:
    types = id_types(name)
    real = [i for type_name in types for i in known.ids.get(type_name, ())]
    of_the_type = st.builds(encode_global_id, st.sampled_from(types), st.uuids())
    of_any_type = st.builds(encode_global_id, st.sampled_from(NODE_TYPES), st.uuids())
    malformed = st.one_of(
        hostile_text().map(b64),
        st.builds(lambda t, s: b64(f"{t}:{s}"), st.sampled_from(types), hostile_text()),
        st.uuids().map(str),
        st.sampled_from(("", "=", "====", "Q2hpbGQ6", "Og==", b64("Child:"), b64(":"))),
    )
    choices: list[tuple[int, st.SearchStrategy[Any]]] = []
    if real:
        choices.append((4, st.sampled_from(real)))
    choices += [(2, of_the_type), (1, of_any_type), (2, malformed), (1, hostile_text())]
    return weighted(*choices)


def strings(name: str, known: Known) -> st.SearchStrategy[str]:
    """Text for a String argument or input field, with plausible values for names that the
    resolvers look up (region codes, ID numbers), so that the fuzzer gets past the first check."""
    lowered = name.lower()
    if lowered.endswith("regioncode") or lowered in ("within", "code"):
        return weighted((3, st.sampled_from(REGION_CODES)), (2, hostile_text()))
    if lowered == "idnumber":
        resident_ids = st.builds(
            lambda born, n, sex: make_resident_id(FUZZ_COUNTY, born, n, sex),
            st.dates(date(2006, 1, 1), date(2024, 12, 31)),
            st.integers(0, 499),
            st.sampled_from(list(Sex)),
        )
        pool = [(3, resident_ids), (2, hostile_text())]
        if known.id_numbers:
            pool.append((1, st.sampled_from(known.id_numbers)))
        return weighted(*pool)
    if lowered == "department":
        return weighted((2, st.sampled_from(DEPARTMENTS)), (1, hostile_text()))
    if lowered == "phone":
        return weighted((1, st.just("13800001234")), (2, hostile_text()))
    if lowered == "action":
        # A policy line's action: never a valid one, so that fuzzing grantPolicy as the
        # platform administrator cannot change the policy the rest of the suite runs under.
        return hostile_text().filter(lambda text: text.strip() not in ACTIONS)
    return hostile_text()


def ints(name: str) -> st.SearchStrategy[int]:
    """32-bit integers (larger ones are a wrong type, see `wrong`)."""
    if name in ("first", "last"):
        return weighted((6, st.integers(1, 5)), (3, st.integers(1, 100)), (1, st.integers(*INT32)))
    return weighted(
        (4, st.integers(-5, 400)),
        (1, st.sampled_from((0, -1, INT32[0], INT32[1]))),
        (1, st.integers(*INT32)),
    )


def scalars(scalar: GraphQLScalarType, name: str, known: Known) -> st.SearchStrategy[Any]:
    if scalar.name == "String":
        return strings(name, known)
    if scalar.name == "ID":
        return ids(name, known)
    if scalar.name == "Int":
        return ints(name)
    if scalar.name == "Boolean":
        return st.booleans()
    if scalar.name == "Float":
        return st.floats(allow_nan=False, allow_infinity=False)
    if scalar.name == "Date":
        return weighted(
            (4, st.dates(date(2000, 1, 1), date(2030, 12, 31)).map(date.isoformat)),
            (1, st.dates().map(date.isoformat)),
        )
    if scalar.name == "DateTime":
        moments = st.datetimes(datetime(2000, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC))
        return weighted(
            (4, moments.map(datetime.isoformat)),
            (1, st.datetimes().map(datetime.isoformat)),
        )
    raise AssertionError(f"no strategy for the scalar {scalar.name}: teach the fuzzer")


def values(input_type: GraphQLInputType, name: str, known: Known) -> st.SearchStrategy[Any]:
    """Values that coerce to `input_type` (dates aside), with hostile content: the text, IDs
    and numbers a resolver must cope with. Null now and then where the type allows it."""
    if isinstance(input_type, GraphQLNonNull):
        return non_null_values(input_type.of_type, name, known)
    return weighted((6, non_null_values(input_type, name, known)), (1, st.none()))


def non_null_values(
    input_type: GraphQLInputType, name: str, known: Known
) -> st.SearchStrategy[Any]:
    if isinstance(input_type, GraphQLList):
        return st.lists(values(input_type.of_type, name, known), max_size=4)
    if isinstance(input_type, GraphQLEnumType):
        return st.sampled_from(sorted(input_type.values))
    if isinstance(input_type, GraphQLScalarType):
        return scalars(input_type, name, known)
    assert isinstance(input_type, GraphQLInputObjectType), input_type
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field_name, field in input_type.fields.items():
        # `id` of UpdateChildInput is a Child's, `ids` of ChildFilter too: named after the
        # input for `ids` to guess.
        owner = input_type.name.removesuffix("Input").removesuffix("Filter")
        named = owner + "Id" if field_name in ("id", "ids") else field_name
        strategy = values(field.type, named, known)
        if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined:
            required[field_name] = strategy
        else:
            optional[field_name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def arguments(field: RootField, known: Known) -> st.SearchStrategy[dict[str, Any]]:
    """Values for the arguments of `field`: mostly all coercible (optional ones sometimes left
    out, `last`, `before` and `after` mostly), sometimes with one argument of the wrong type
    or shape somewhere inside."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    returned = get_named_type(field.definition.type).name
    for name, argument in field.definition.args.items():
        # `id` of child(id:) is a Child's
        value = values(argument.type, returned + "Id" if name == "id" else name, known)
        if name in ("last", "before", "after"):
            parts[name] = weighted((6, st.just(OMIT)), (1, value))
        elif is_required_argument(argument) or name == "first":
            parts[name] = value
        else:
            parts[name] = weighted((1, st.just(OMIT)), (1, value))
    coercible = st.fixed_dictionaries(parts).map(
        lambda drawn: {name: value for name, value in drawn.items() if value is not OMIT}
    )
    if not parts:
        return coercible
    names = sorted(parts)

    def damage(drawn: dict[str, Any], spoiled: tuple[str, Any]) -> dict[str, Any]:
        name, value = spoiled
        return {**drawn, name: value}

    spoiled = st.sampled_from(names).flatmap(
        lambda name: st.tuples(st.just(name), wrong(field.definition.args[name].type))
    )
    return weighted((5, coercible), (1, st.builds(damage, coercible, spoiled)))


# --- wrong JSON types -------------------------------------------------------------------------


def plausible(input_type: GraphQLInputType) -> Any:
    """A value that coerces to `input_type` (whether or not the resolver then accepts it)."""
    if isinstance(input_type, GraphQLNonNull):
        return plausible(input_type.of_type)
    if isinstance(input_type, GraphQLList):
        return []
    if isinstance(input_type, GraphQLEnumType):
        return sorted(input_type.values)[0]
    if isinstance(input_type, GraphQLInputObjectType):
        return {
            name: plausible(field.type)
            for name, field in input_type.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        }
    assert isinstance(input_type, GraphQLScalarType)
    return {
        "String": "x",
        "ID": "x",
        "Int": 1,
        "Float": 1.5,
        "Boolean": False,
        "Date": "2020-01-01",
        "DateTime": "2020-01-01T00:00:00+00:00",
    }[input_type.name]


def literal(input_type: GraphQLInputType) -> str:
    ast = ast_from_value(plausible(input_type), input_type)
    assert ast is not None
    return print_ast(ast)


NOT_AN_OBJECT = st.one_of(
    st.integers(), st.booleans(), st.text(max_size=10), st.lists(st.integers(), max_size=3)
)
OBJECTS = st.dictionaries(st.sampled_from(("a", "id", "value")), st.integers(), max_size=2)


def wrong_scalar(scalar: GraphQLScalarType) -> st.SearchStrategy[Any]:
    """JSON values the scalar never accepts."""
    non_integral = st.floats(allow_nan=False, allow_infinity=False).filter(
        lambda f: not f.is_integer()
    )
    lists = st.lists(st.integers(), min_size=1, max_size=3)
    return {
        "String": st.one_of(st.integers(), st.booleans(), non_integral, OBJECTS, lists),
        "ID": st.one_of(st.booleans(), non_integral, OBJECTS, lists),
        "Int": st.one_of(
            st.text(max_size=10),
            st.booleans(),
            non_integral,
            OBJECTS,
            st.integers(min_value=INT32[1] + 1),
            st.integers(max_value=INT32[0] - 1),
        ),
        "Float": st.one_of(st.text(max_size=10), st.booleans(), OBJECTS),
        "Boolean": st.one_of(st.integers(), st.text(max_size=10), OBJECTS, non_integral),
        "Date": st.one_of(st.integers(), st.booleans(), OBJECTS, st.sampled_from(GARBAGE_DATES)),
        "DateTime": st.one_of(
            st.integers(), st.booleans(), OBJECTS, st.sampled_from(GARBAGE_DATETIMES)
        ),
    }[scalar.name]


def wrong(input_type: GraphQLInputType) -> st.SearchStrategy[Any]:
    """A JSON value that cannot be coerced to `input_type`: null for a non-null, a value of
    another JSON type, an unknown enum member, an input object with a required field missing,
    an unknown field, or a field (however deep) that is itself wrong."""
    if isinstance(input_type, GraphQLNonNull):
        return st.one_of(st.none(), wrong(input_type.of_type))
    if isinstance(input_type, GraphQLList):
        inner = input_type.of_type
        return st.one_of(
            wrong(inner).map(lambda value: [value]),
            st.builds(lambda v: [plausible(inner), v], wrong(inner)),
        )
    if isinstance(input_type, GraphQLEnumType):
        members = set(input_type.values)
        return st.one_of(
            st.integers(),
            st.booleans(),
            OBJECTS,
            st.text(max_size=12).filter(lambda text: text not in members),
        )
    if isinstance(input_type, GraphQLScalarType):
        return wrong_scalar(input_type)
    assert isinstance(input_type, GraphQLInputObjectType)
    base = plausible(input_type)
    field_names = sorted(input_type.fields)

    def with_field(name: str, value: Any) -> dict[str, Any]:
        return {**base, name: value}

    nested = st.sampled_from(field_names).flatmap(
        lambda name: wrong(input_type.fields[name].type).map(lambda v: with_field(name, v))
    )
    unknown = st.builds(lambda v: {**base, "noSuchField": v}, st.integers())
    missing = [{k: v for k, v in base.items() if k != name} for name in sorted(base)]
    choices = [NOT_AN_OBJECT, nested, unknown]
    if missing:  # base holds exactly the required fields
        choices.append(st.sampled_from(missing))
    return st.one_of(*choices)


def wrongly_typed_call(field: RootField) -> st.SearchStrategy[tuple[str, str, Any]]:
    """(document, argument, value): one argument passed as a variable of the wrong JSON type;
    the others as valid literals (required ones) or left out, with a page size for a
    connection."""
    names = sorted(field.definition.args)
    assert names, field

    def build(target: str) -> st.SearchStrategy[tuple[str, str, Any]]:
        literals = {}
        for name, argument in field.definition.args.items():
            if name != target and is_required_argument(argument):
                literals[name] = literal(argument.type)
        if is_connection(get_named_type(field.definition.type)) and target not in (
            "first",
            "last",
        ):
            literals["first"] = "1"
        text = document(field, [target], literals)
        return wrong(field.definition.args[target].type).map(lambda value: (text, target, value))

    return st.sampled_from(names).flatmap(build)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


def created(http: httpx.Client, query: str, values: dict[str, Any], *path: str) -> str:
    body = post(http, TOKENS["civil_affairs:admin"], query, {"i": values}).json()
    assert "errors" not in body, body
    found: Any = body["data"]
    for key in path:
        found = found[key]
    assert isinstance(found, str)
    return found


@pytest.fixture(scope="module")
def known(http: httpx.Client) -> Known:
    """A child of the fuzz village with a guardian and an open case, and the organisations
    seeded there: some generated IDs are real, so the fuzzer gets past "no such record"."""
    id_number = make_resident_id(FUZZ_COUNTY, date(2014, 4, 4), uuid.uuid4().int % 500, Sex.MALE)
    child = created(
        http,
        "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
        {
            "name": f"模糊{uuid.uuid4().hex[:6]}",
            "idNumber": id_number,
            "householdRegionCode": FUZZ_VILLAGE,
            "residenceRegionCode": FUZZ_VILLAGE,
            "schooling": "PRIMARY",
        },
        "registerChild",
        "child",
        "id",
    )
    guardian = created(
        http,
        "mutation($i: RegisterGuardianInput!) { registerGuardian(input: $i) { guardian { id } } }",
        {"name": f"模糊家长{uuid.uuid4().hex[:4]}", "phone": "13800001234"},
        "registerGuardian",
        "guardian",
        "id",
    )
    guardianship = created(
        http,
        "mutation($i: LinkGuardianInput!) { linkGuardian(input: $i) { guardianship { id } } }",
        {
            "childId": child,
            "guardianId": guardian,
            "relationship": "FATHER",
            "kind": "LEGAL_GUARDIAN",
            "livesWithChild": False,
            "worksAway": True,
            "workDestination": "广东东莞",
            "capacity": "FULL",
        },
        "linkGuardian",
        "guardianship",
        "id",
    )
    government = encode_global_id("Organization", seeded(FUZZ_TOWNSHIP, TOWNSHIP_GOVERNMENT))
    case = created(
        http,
        "mutation($i: OpenCaseInput!) { openCase(input: $i) { case { id } } }",
        {
            "childId": child,
            "kind": "LIVING_ALONE",
            "summary": "模糊测试",
            "organizationId": government,
        },
        "openCase",
        "case",
        "id",
    )
    organizations = [
        encode_global_id("Organization", seeded(region, role))
        for region, role in (
            (FUZZ_TOWNSHIP, TOWNSHIP_GOVERNMENT),
            (FUZZ_TOWNSHIP, CENTRAL_PRIMARY_SCHOOL),
            (FUZZ_TOWNSHIP, POLICE_STATION),
            (FUZZ_TOWNSHIP, WOMENS_HOME),
            (FUZZ_VILLAGE, VILLAGE_COMMITTEE),
        )
    ]
    return Known(
        ids={
            "Child": (child,),
            "Guardian": (guardian,),
            "Guardianship": (guardianship,),
            "Case": (case,),
            "Organization": tuple(organizations),
            "Region": tuple(encode_global_id("Region", code) for code in REGION_CODES[:4]),
        },
        id_numbers=(id_number,),
    )


# --- the properties ---------------------------------------------------------------------------


def test_every_root_field_is_fuzzed() -> None:
    """The parametrization below covers the whole schema (a plugin's new field included)."""
    names = {str(field) for field in ROOT_FIELDS}
    assert "query.children" in names and "mutation.registerChild" in names, names
    assert len(names) == len(ROOT_FIELDS)
    for field in ROOT_FIELDS:
        assert document(field, sorted(field.definition.args)), field


@pytest.mark.parametrize("field", ROOT_FIELDS, ids=str)
@FUZZ_SETTINGS
@given(data=st.data())
def test_any_arguments_get_an_answer_within_the_error_contract(
    http: httpx.Client, known: Known, field: RootField, data: st.DataObject
) -> None:
    role = data.draw(callers(field), label="role")
    variables = data.draw(arguments(field, known), label="variables")
    query = document(field, sorted(field.definition.args))
    response = post(http, token_of(role), query, variables)
    assert_contract(response, json.dumps({"query": query, "variables": variables}))


FIELDS_WITH_ARGUMENTS = [field for field in ROOT_FIELDS if field.definition.args]


@pytest.mark.parametrize("field", FIELDS_WITH_ARGUMENTS, ids=str)
@WRONG_TYPE_SETTINGS
@given(data=st.data())
def test_a_variable_of_the_wrong_json_type_is_validation_failed(
    http: httpx.Client, field: RootField, data: st.DataObject
) -> None:
    query, argument, value = data.draw(wrongly_typed_call(field), label="call")
    role = data.draw(callers(field), label="role")
    variables = {argument: value}
    response = post(http, token_of(role), query, variables)
    body = assert_contract(response, json.dumps({"query": query, "variables": variables}))
    where = f"{query}\nvariables {json.dumps(variables)[:500]}\nanswered {response.text[:1500]}"
    assert response.status_code == 400, f"a variable that does not coerce is a 400\n{where}"
    assert "data" not in body, f"nothing ran, so there is no data entry\n{where}"
    codes = {error["extensions"]["code"] for error in body["errors"]}
    assert codes == {"VALIDATION_FAILED"}, f"a wrongly typed variable is VALIDATION_FAILED\n{where}"
