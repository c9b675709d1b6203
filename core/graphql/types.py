"""The core GraphQL object types. Each is a Relay `Node` with an opaque global ID.

Types are built from database rows by `from_row`; relations resolve through the request's
DataLoaders, never row by row.
"""

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Self, TypeVar

import strawberry
from strawberry import relay

from core import models
from core.graphql import enums
from core.graphql.batching import batched
from core.graphql.context import Info
from core.region_codes import RegionLevel
from core.resident_id import Sex

T = TypeVar("T")


def _uuids(node_ids: Iterable[str]) -> list[uuid.UUID | None]:
    parsed: list[uuid.UUID | None] = []
    for node_id in node_ids:
        try:
            parsed.append(uuid.UUID(node_id))
        except ValueError:
            parsed.append(None)
    return parsed


async def _load_many(loader: Any, keys: list[Any]) -> list[Any]:
    present = [key for key in keys if key is not None]
    found = dict(zip(present, await loader.load_many(present), strict=True))
    return [found.get(key) if key is not None else None for key in keys]


def or_none(build: Callable[[Any], T], row: Any) -> T | None:
    """`build(row)`, or None for a row the request cannot see (or that does not exist)."""
    return build(row) if row is not None else None


async def load_nodes(loader: Any, node_ids: Iterable[str]) -> list[Any]:
    """Rows for the UUID keys inside `node_ids`, None where a key is malformed or unknown."""
    return await _load_many(loader, _uuids(node_ids))


async def _one_each(loader: Any, keys: list[Any], build: Callable[[Any], T]) -> list[T | None]:
    """`build(row)` for each key's row (None for no key, or a row the request cannot see)."""
    rows = await _load_many(loader, keys)
    return [or_none(build, row) for row in rows]


async def _many_each(loader: Any, keys: list[Any], build: Callable[[Any], T]) -> list[list[T]]:
    groups = await loader.load_many(keys)
    return [[build(row) for row in group] for group in groups]


# The relations of the core types, each for many parents at once (see core.graphql.batching);
# the fields' own resolvers call them with one parent.


async def parents_of_regions(regions: Sequence["Region"], info: Info) -> list["Region | None"]:
    loader = info.context.loaders.region
    return await _one_each(loader, [r.parent_code for r in regions], Region.from_row)


async def subregions_of(regions: Sequence["Region"], info: Info) -> list[list["Region"]]:
    loader = info.context.loaders.subregions
    return await _many_each(loader, [r.code for r in regions], Region.from_row)


async def regions_of_organizations(
    organizations: Sequence["Organization"], info: Info
) -> list["Region"]:
    rows = await info.context.loaders.region.load_many([o.region_code for o in organizations])
    return [Region.from_row(row) for row in rows]


async def guardianships_of_guardians(
    guardians: Sequence["Guardian"], info: Info
) -> list[list["Guardianship"]]:
    loader = info.context.loaders.guardianships_of_guardian
    return await _many_each(loader, [uuid.UUID(g.id) for g in guardians], Guardianship.from_row)


async def guardians_of(
    guardianships: Sequence["Guardianship"], info: Info
) -> list["Guardian | None"]:
    loader = info.context.loaders.guardian_of_guardianship
    return await _one_each(loader, [g.guardian_id for g in guardianships], Guardian.from_row)


async def children_of(records: Sequence[Any], info: Info) -> list["Child | None"]:
    """The child each record (a guardianship, a case) is about."""
    loader = info.context.loaders.child
    return await _one_each(loader, [r.child_id for r in records], Child.from_row)


async def household_regions_of(children: Sequence["Child"], info: Info) -> list["Region | None"]:
    loader = info.context.loaders.region
    return await _one_each(loader, [c.household_region_code for c in children], Region.from_row)


async def residence_regions_of(children: Sequence["Child"], info: Info) -> list["Region | None"]:
    loader = info.context.loaders.region
    return await _one_each(loader, [c.residence_region_code for c in children], Region.from_row)


async def guardianships_of_children(
    children: Sequence["Child"], info: Info
) -> list[list["Guardianship"]]:
    loader = info.context.loaders.guardianships_of_child
    return await _many_each(loader, [uuid.UUID(c.id) for c in children], Guardianship.from_row)


async def cases_of_children(children: Sequence["Child"], info: Info) -> list[list["Case"]]:
    loader = info.context.loaders.cases_of_child
    return await _many_each(loader, [uuid.UUID(c.id) for c in children], Case.from_row)


async def open_cases_of(children: Sequence["Child"], info: Info) -> list[list["Case"]]:
    loader = info.context.loaders.open_cases_of_child
    return await _many_each(loader, [uuid.UUID(c.id) for c in children], Case.from_row)


async def organizations_of_events(
    events: Sequence["CaseEvent"], info: Info
) -> list["Organization | None"]:
    loader = info.context.loaders.organization
    keys = [e.organization_id for e in events]
    return await _one_each(loader, keys, Organization.from_row)


async def openers_of(cases: Sequence["Case"], info: Info) -> list["Organization"]:
    keys = [c.opened_by_organization_id for c in cases]
    rows = await info.context.loaders.organization.load_many(keys)
    return [Organization.from_row(row) for row in rows]


async def events_of(cases: Sequence["Case"], info: Info) -> list[list["CaseEvent"]]:
    loader = info.context.loaders.events_of_case
    return await _many_each(loader, [uuid.UUID(c.id) for c in cases], CaseEvent.from_row)


class RecordNode(relay.Node):
    """A Node loaded by UUID through one of the request's loaders (`loader_name`)."""

    loader_name: ClassVar[str]

    @classmethod
    def from_row(cls, row: Any) -> Self:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await load_nodes(getattr(info.context.loaders, cls.loader_name), node_ids)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type(
    description="An administrative region (行政区划): city, county, township or village."
)
class Region(relay.Node):
    node_key: relay.NodeID[str]
    code: str = strawberry.field(
        description="GB/T 2260 code, extended to 9-digit townships and 12-digit villages."
    )
    name: str
    level: RegionLevel
    parent_code: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: models.Region) -> Self:
        return cls(
            node_key=row.code,
            code=row.code,
            name=row.name,
            level=RegionLevel(row.level),
            parent_code=row.parent_code,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await _load_many(info.context.loaders.region, list(node_ids))
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(
        description="The enclosing region (上级行政区划).", metadata=batched(parents_of_regions)
    )
    async def parent(self, info: Info) -> "Region | None":
        return (await parents_of_regions([self], info))[0]

    @strawberry.field(
        description="The regions directly inside this one (下级行政区划).",
        metadata=batched(subregions_of),
    )
    async def subregions(self, info: Info) -> list["Region"]:
        return (await subregions_of([self], info))[0]


@strawberry.type(
    description="An organisation (单位): school, police station, township government, village "
    "committee, hospital, women's home, social-work agency or bureau."
)
class Organization(RecordNode):
    loader_name: ClassVar[str] = "organization"
    id: relay.NodeID[str]
    name: str
    department: str = strawberry.field(
        description="Department code (部门), e.g. civil_affairs, education, police."
    )
    kind: enums.OrganizationKind
    region_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: models.Organization) -> Self:
        return cls(
            id=str(row.id),
            name=row.name,
            department=row.department,
            kind=row.kind,
            region_code=row.region_code,
        )

    @strawberry.field(metadata=batched(regions_of_organizations))
    async def region(self, info: Info) -> Region:
        return (await regions_of_organizations([self], info))[0]


@strawberry.type(
    description="A guardian (监护人): a parent, grandparent, relative or other caregiver."
)
class Guardian(RecordNode):
    loader_name: ClassVar[str] = "guardian"
    # which of the caller's roles see the child it is about (None: all); see Child
    visible_through: strawberry.Private[frozenset[str] | None] = None
    id: relay.NodeID[str]
    name: str
    id_number: str | None = strawberry.field(description="Resident ID number (身份证号).")
    sex: Sex | None
    phone: str | None = strawberry.field(description="Contact phone (联系电话).")
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")

    @classmethod
    def from_row(cls, row: models.Guardian) -> Self:
        return cls(
            id=str(row.id),
            name=row.name,
            id_number=row.id_number,
            sex=row.sex,
            phone=row.phone,
            version=row.version,
            visible_through=getattr(row, "visible_through", None),
        )

    @strawberry.field(
        description="The children this person is guardian or caregiver of.",
        metadata=batched(guardianships_of_guardians),
    )
    async def guardianships(self, info: Info) -> list["Guardianship"]:
        return (await guardianships_of_guardians([self], info))[0]


@strawberry.type(
    description="Guardianship (监护关系): links a child to a guardian, as legal guardian "
    "(法定监护人) or entrusted caregiver (受委托照护人)."
)
class Guardianship(RecordNode):
    loader_name: ClassVar[str] = "guardianship"
    # which of the caller's roles see the child it is about (None: all); see Child
    visible_through: strawberry.Private[frozenset[str] | None] = None
    id: relay.NodeID[str]
    relationship: enums.Relationship
    kind: enums.GuardianshipKind
    lives_with_child: bool = strawberry.field(description="Lives with the child (是否与儿童同住).")
    works_away: bool = strawberry.field(description="Works away from home (外出务工).")
    work_destination: str | None = strawberry.field(description="Where they work (务工地点).")
    works_away_since: date | None
    capacity: enums.GuardianCapacity
    revoked_on: date | None = strawberry.field(
        description="When a court revoked this guardian's status (撤销监护人资格)."
    )
    version: int
    child_id: strawberry.Private[uuid.UUID]
    guardian_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: models.Guardianship) -> Self:
        return cls(
            id=str(row.id),
            relationship=row.relationship,
            kind=row.kind,
            lives_with_child=row.lives_with_child,
            works_away=row.works_away,
            work_destination=row.work_destination,
            works_away_since=row.works_away_since,
            capacity=row.capacity,
            revoked_on=row.revoked_on,
            version=row.version,
            child_id=row.child_id,
            guardian_id=row.guardian_id,
            visible_through=getattr(row, "visible_through", None),
        )

    @strawberry.field(metadata=batched(guardians_of))
    async def guardian(self, info: Info) -> Guardian | None:
        return (await guardians_of([self], info))[0]

    @strawberry.field(metadata=batched(children_of))
    async def child(self, info: Info) -> "Child | None":
        return (await children_of([self], info))[0]


@strawberry.type(description="A child (儿童) in the shared records.")
class Child(RecordNode):
    loader_name: ClassVar[str] = "child"
    id: relay.NodeID[str]
    id_number: str | None = strawberry.field(
        description="Resident ID number (身份证号, GB 11643). Null for a child with no "
        "registered household (未登记户口)."
    )
    name: str = strawberry.field(description="Name (姓名).")
    sex: Sex
    birth_date: date = strawberry.field(description="Birth date (出生日期).")
    address: str | None = strawberry.field(description="Residence address (现居住地址).")
    schooling: enums.Schooling
    boarding: bool = strawberry.field(description="Boards at school (是否寄宿).")
    health: enums.HealthStatus
    disability_category: enums.DisabilityCategory | None
    disability_grade: int | None = strawberry.field(description="Disability grade 1-4 (残疾等级).")
    illness: str | None = strawberry.field(description="Kind of illness (患病类型).")
    difficulty_categories: list[enums.DifficultyCategory] = strawberry.field(
        description="Child-in-difficulty categories (困境儿童类别)."
    )
    guardianship_type: enums.GuardianshipType | None
    family_income_sources: list[enums.IncomeSource]
    assistance_received: list[enums.AssistanceKind]
    status: enums.ChildStatus
    registered_at: datetime = strawberry.field(description="When registered (登记时间).")
    is_left_behind: bool = strawberry.field(
        description="Left-behind child (留守儿童), derived by the 2016 State Council definition: "
        "under 16, both parents working away, or one away and the other without capacity."
    )
    version: int = strawberry.field(description="Send it back with an update (optimistic locking).")
    household_region_code: strawberry.Private[str]
    residence_region_code: strawberry.Private[str]
    # Which of the caller's roles see this child (None: all of them); field decisions count
    # only those roles.
    visible_through: strawberry.Private[frozenset[str] | None] = None

    @classmethod
    def from_row(cls, row: models.Child) -> Self:
        return cls(
            id=str(row.id),
            id_number=row.id_number,
            name=row.name,
            sex=row.sex,
            birth_date=row.birth_date,
            address=row.address,
            schooling=row.schooling,
            boarding=row.boarding,
            health=row.health,
            disability_category=row.disability_category,
            disability_grade=row.disability_grade,
            illness=row.illness,
            difficulty_categories=[enums.DifficultyCategory(v) for v in row.difficulty_categories],
            guardianship_type=row.guardianship_type,
            family_income_sources=[enums.IncomeSource(v) for v in row.family_income_sources],
            assistance_received=[enums.AssistanceKind(v) for v in row.assistance_received],
            status=row.status,
            registered_at=row.registered_at,
            is_left_behind=row.is_left_behind,
            version=row.version,
            household_region_code=row.household_region_code,
            residence_region_code=row.residence_region_code,
            visible_through=getattr(row, "visible_through", None),
        )

    @strawberry.field(description="Age in whole years today (年龄).")
    def age(self) -> int:
        today = date.today()
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - int(before_birthday)

    @strawberry.field(
        description="Household-registration region (户籍地).",
        metadata=batched(household_regions_of),
    )
    async def household_region(self, info: Info) -> Region | None:
        return (await household_regions_of([self], info))[0]

    @strawberry.field(
        description="Region the child lives in (居住地).", metadata=batched(residence_regions_of)
    )
    async def residence_region(self, info: Info) -> Region | None:
        return (await residence_regions_of([self], info))[0]

    @strawberry.field(
        description="Guardians and caregivers (监护人及照护人).",
        metadata=batched(guardianships_of_children),
    )
    async def guardianships(self, info: Info) -> list[Guardianship]:
        return (await guardianships_of_children([self], info))[0]

    @strawberry.field(
        description="Protection cases about this child, oldest first (个案).",
        metadata=batched(cases_of_children),
    )
    async def cases(self, info: Info) -> list["Case"]:
        return (await cases_of_children([self], info))[0]

    @strawberry.field(
        description="Cases not yet closed (未结个案).", metadata=batched(open_cases_of)
    )
    async def open_cases(self, info: Info) -> list["Case"]:
        return (await open_cases_of([self], info))[0]


@strawberry.type(description="One entry of a case's timeline (个案事件). Never rewritten.")
class CaseEvent(RecordNode):
    loader_name: ClassVar[str] = "case_event"
    # which of the caller's roles see the child it is about (None: all); see Child
    visible_through: strawberry.Private[frozenset[str] | None] = None
    id: relay.NodeID[str]
    occurred_at: datetime
    kind: enums.CaseEventKind
    actor_user_id: str = strawberry.field(description="Who recorded it.")
    actor_department: str | None
    note: str
    organization_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: models.CaseEvent) -> Self:
        return cls(
            id=str(row.id),
            occurred_at=row.occurred_at,
            kind=row.kind,
            actor_user_id=row.actor_user_id,
            actor_department=row.actor_department,
            note=row.note,
            organization_id=row.organization_id,
            visible_through=getattr(row, "visible_through", None),
        )

    @strawberry.field(
        description="The organisation on whose behalf it was recorded.",
        metadata=batched(organizations_of_events),
    )
    async def organization(self, info: Info) -> Organization | None:
        return (await organizations_of_events([self], info))[0]


@strawberry.type(description="A protection case (个案) about one child.")
class Case(RecordNode):
    loader_name: ClassVar[str] = "case"
    # which of the caller's roles see the child it is about (None: all); see Child
    visible_through: strawberry.Private[frozenset[str] | None] = None
    id: relay.NodeID[str]
    kind: enums.CaseKind
    status: enums.CaseStatus
    risk_level: enums.RiskLevel | None
    summary: str
    opened_at: datetime
    version: int
    child_id: strawberry.Private[uuid.UUID]
    opened_by_organization_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: models.Case) -> Self:
        return cls(
            id=str(row.id),
            kind=row.kind,
            status=row.status,
            risk_level=row.risk_level,
            summary=row.summary,
            opened_at=row.opened_at,
            version=row.version,
            child_id=row.child_id,
            opened_by_organization_id=row.opened_by_organization_id,
            visible_through=getattr(row, "visible_through", None),
        )

    @strawberry.field(metadata=batched(children_of))
    async def child(self, info: Info) -> Child | None:
        return (await children_of([self], info))[0]

    @strawberry.field(
        description="The organisation that opened the case (立案单位).",
        metadata=batched(openers_of),
    )
    async def opened_by(self, info: Info) -> Organization:
        return (await openers_of([self], info))[0]

    @strawberry.field(description="Organisations the case is assigned to (承办单位).")
    async def assigned_organizations(self, info: Info) -> list[Organization]:
        assignments = await info.context.loaders.assignments_of_case.load(uuid.UUID(self.id))
        rows = await info.context.loaders.organization.load_many(
            [a.organization_id for a in assignments]
        )
        return [Organization.from_row(row) for row in rows]

    @strawberry.field(
        description="The timeline, oldest first (个案时间线).", metadata=batched(events_of)
    )
    async def events(self, info: Info) -> list[CaseEvent]:
        return (await events_of([self], info))[0]


@strawberry.type(description="The caller, as the request's credentials name them (当前用户).")
class Me:
    user_id: str
    roles: list[str] = strawberry.field(
        description="Every department:role the caller acts as, the primary one first."
    )
    department: str | None
    role: str | None
    region_code: str | None
    organization_id: strawberry.Private[str | None]

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        if self.organization_id is None:
            return None
        try:
            key = uuid.UUID(self.organization_id)
        except ValueError:
            return None
        row = await info.context.loaders.organization.load(key)
        return Organization.from_row(row) if row else None
