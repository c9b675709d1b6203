"""Mutation inputs. Update inputs are patches: a field left out is unchanged, an explicit null
clears it, and `version` must be the version the caller read."""

from datetime import date

import strawberry

from core.graphql import enums
from core.resident_id import Sex


@strawberry.input(description="Register a child (儿童登记).")
class RegisterChildInput:
    name: str
    id_number: str | None = strawberry.field(
        default=None,
        description="Resident ID number (身份证号). Leave out for a child with no registered "
        "household (未登记户口); then birthDate and sex are required.",
    )
    sex: Sex | None = strawberry.field(default=None, description="Derived from idNumber if absent.")
    birth_date: date | None = strawberry.field(
        default=None, description="Derived from idNumber if absent."
    )
    household_region_code: str = strawberry.field(description="户籍地 region code.")
    residence_region_code: str = strawberry.field(description="居住地 region code.")
    address: str | None = None
    schooling: enums.Schooling
    boarding: bool = False
    health: enums.HealthStatus = enums.HealthStatus.HEALTHY
    disability_category: enums.DisabilityCategory | None = None
    disability_grade: int | None = None
    illness: str | None = None
    difficulty_categories: list[enums.DifficultyCategory] = strawberry.field(default_factory=list)
    guardianship_type: enums.GuardianshipType | None = None
    family_income_sources: list[enums.IncomeSource] = strawberry.field(default_factory=list)
    assistance_received: list[enums.AssistanceKind] = strawberry.field(default_factory=list)


@strawberry.input(description="Change a child's record. Fields left out stay as they are.")
class UpdateChildInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read.")
    name: str | None = strawberry.UNSET
    id_number: str | None = strawberry.UNSET
    sex: Sex | None = strawberry.UNSET
    birth_date: date | None = strawberry.UNSET
    household_region_code: str | None = strawberry.UNSET
    residence_region_code: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    schooling: enums.Schooling | None = strawberry.UNSET
    boarding: bool | None = strawberry.UNSET
    health: enums.HealthStatus | None = strawberry.UNSET
    disability_category: enums.DisabilityCategory | None = strawberry.UNSET
    disability_grade: int | None = strawberry.UNSET
    illness: str | None = strawberry.UNSET
    difficulty_categories: list[enums.DifficultyCategory] | None = strawberry.UNSET
    guardianship_type: enums.GuardianshipType | None = strawberry.UNSET
    family_income_sources: list[enums.IncomeSource] | None = strawberry.UNSET
    assistance_received: list[enums.AssistanceKind] | None = strawberry.UNSET
    status: enums.ChildStatus | None = strawberry.UNSET


@strawberry.input(description="Register a guardian or caregiver (监护人登记).")
class RegisterGuardianInput:
    name: str
    id_number: str | None = None
    sex: Sex | None = strawberry.field(default=None, description="Derived from idNumber if absent.")
    phone: str | None = None


@strawberry.input(description="Link a guardian to a child (建立监护关系).")
class LinkGuardianInput:
    child_id: strawberry.ID
    guardian_id: strawberry.ID
    relationship: enums.Relationship
    kind: enums.GuardianshipKind
    lives_with_child: bool
    works_away: bool = False
    work_destination: str | None = None
    works_away_since: date | None = None
    capacity: enums.GuardianCapacity = enums.GuardianCapacity.FULL


@strawberry.input(description="Change a guardianship: a parent leaves or comes home, capacity…")
class UpdateGuardianshipInput:
    id: strawberry.ID
    version: int
    relationship: enums.Relationship | None = strawberry.UNSET
    kind: enums.GuardianshipKind | None = strawberry.UNSET
    lives_with_child: bool | None = strawberry.UNSET
    works_away: bool | None = strawberry.UNSET
    work_destination: str | None = strawberry.UNSET
    works_away_since: date | None = strawberry.UNSET
    capacity: enums.GuardianCapacity | None = strawberry.UNSET


@strawberry.input(description="Open a protection case about a child (立案).")
class OpenCaseInput:
    child_id: strawberry.ID
    kind: enums.CaseKind
    summary: str
    risk_level: enums.RiskLevel | None = None
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="The opening organisation; defaults to the caller's."
    )
    assigned_organization_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="Add an entry to a case's timeline (记录个案事件).")
class AddCaseEventInput:
    case_id: strawberry.ID
    kind: enums.CaseEventKind = strawberry.field(
        description="NOTE or VISIT; the other kinds are recorded by the platform itself."
    )
    note: str
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="On whose behalf; defaults to the caller's organisation."
    )
