"""GraphQL enums, one per core vocabulary, with the Chinese term portal teams look for.

The core's Python enums are registered with Strawberry here, in place, so the names below are
the same classes the models use and valid as type annotations.
"""

import strawberry

from core.enums import (
    AssistanceKind,
    CaseEventKind,
    CaseKind,
    CaseStatus,
    ChildStatus,
    DifficultyCategory,
    DisabilityCategory,
    GuardianCapacity,
    GuardianshipKind,
    GuardianshipType,
    HealthStatus,
    IncomeSource,
    OrganizationKind,
    Relationship,
    RiskLevel,
    Schooling,
)
from core.region_codes import RegionLevel
from core.resident_id import Sex

strawberry.enum(Sex, name="Sex", description="Sex (性别).")
strawberry.enum(ChildStatus, description="Whether the child is still in the area (儿童状态).")
strawberry.enum(
    GuardianshipType, description="Guardianship type observed by the census (监护类型)."
)
strawberry.enum(Schooling, description="Schooling (就学情况).")
strawberry.enum(HealthStatus, description="Health (健康状况).")
strawberry.enum(DisabilityCategory, description="Disability category (残疾类别).")
strawberry.enum(DifficultyCategory, description="Child-in-difficulty category (困境儿童类别).")
strawberry.enum(IncomeSource, description="Family income source (家庭收入来源).")
strawberry.enum(
    AssistanceKind,
    description="Assistance received (享受救助情况): 低保, 特困供养, 临时救助…",
)
strawberry.enum(Relationship, description="The guardian's relationship to the child (与儿童关系).")
strawberry.enum(
    GuardianshipKind,
    description="Legal guardian (法定监护人) or entrusted caregiver (受委托照护人).",
)
strawberry.enum(GuardianCapacity, description="Capacity to act as guardian (监护能力).")
strawberry.enum(OrganizationKind, description="Kind of organisation (单位类型).")
strawberry.enum(CaseKind, description="What the protection case is about (个案类型).")
strawberry.enum(CaseStatus, description="Case status (个案状态).")
strawberry.enum(RiskLevel, description="Assessed risk level (风险等级).")
strawberry.enum(CaseEventKind, description="Kind of timeline entry (事件类型).")
strawberry.enum(RegionLevel, name="RegionLevel", description="Level (行政级别).")

__all__ = [
    "AssistanceKind",
    "CaseEventKind",
    "CaseKind",
    "CaseStatus",
    "ChildStatus",
    "DifficultyCategory",
    "DisabilityCategory",
    "GuardianCapacity",
    "GuardianshipKind",
    "GuardianshipType",
    "HealthStatus",
    "IncomeSource",
    "OrganizationKind",
    "RegionLevel",
    "Relationship",
    "RiskLevel",
    "Schooling",
    "Sex",
]
