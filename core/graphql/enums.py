"""GraphQL enums, one per core vocabulary, with the Chinese term portal teams look for."""

import strawberry

from core import enums
from core.region_codes import RegionLevel as RegionLevelEnum
from core.resident_id import Sex as SexEnum

Sex = strawberry.enum(SexEnum, name="Sex", description="Sex (性别).")
ChildStatus = strawberry.enum(
    enums.ChildStatus, description="Whether the child is still in the area (儿童状态)."
)
GuardianshipType = strawberry.enum(
    enums.GuardianshipType, description="Guardianship type observed by the census (监护类型)."
)
Schooling = strawberry.enum(enums.Schooling, description="Schooling (就学情况).")
HealthStatus = strawberry.enum(enums.HealthStatus, description="Health (健康状况).")
DisabilityCategory = strawberry.enum(
    enums.DisabilityCategory, description="Disability category (残疾类别)."
)
DifficultyCategory = strawberry.enum(
    enums.DifficultyCategory, description="Child-in-difficulty category (困境儿童类别)."
)
IncomeSource = strawberry.enum(
    enums.IncomeSource, description="Family income source (家庭收入来源)."
)
AssistanceKind = strawberry.enum(
    enums.AssistanceKind,
    description="Assistance received (享受救助情况): 低保, 特困供养, 临时救助…",
)
Relationship = strawberry.enum(
    enums.Relationship, description="The guardian's relationship to the child (与儿童关系)."
)
GuardianshipKind = strawberry.enum(
    enums.GuardianshipKind,
    description="Legal guardian (法定监护人) or entrusted caregiver (受委托照护人).",
)
GuardianCapacity = strawberry.enum(
    enums.GuardianCapacity, description="Capacity to act as guardian (监护能力)."
)
OrganizationKind = strawberry.enum(
    enums.OrganizationKind, description="Kind of organisation (单位类型)."
)
CaseKind = strawberry.enum(
    enums.CaseKind, description="What the protection case is about (个案类型)."
)
CaseStatus = strawberry.enum(enums.CaseStatus, description="Case status (个案状态).")
RiskLevel = strawberry.enum(enums.RiskLevel, description="Assessed risk level (风险等级).")
CaseEventKind = strawberry.enum(
    enums.CaseEventKind, description="Kind of timeline entry (事件类型)."
)
RegionLevel = strawberry.enum(RegionLevelEnum, name="RegionLevel", description="Level (行政级别).")
