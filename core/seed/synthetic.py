"""Synthetic organisations, children, guardians and cases, for trials and benchmarks.

Everything is drawn from `random.Random(seed)` in one pass, family by family, so the same seed
gives the same rows (ids included) whatever the batch size, and a larger `count` extends a
smaller one instead of contradicting it. Rows are written with COPY, a batch per transaction.
"""

import asyncio
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from itertools import accumulate
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.enums import (
    AssistanceKind,
    CaseEventKind,
    CaseKind,
    CaseStatus,
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
from core.models import Organization
from core.region_codes import RegionLevel
from core.resident_id import Sex, make_resident_id
from core.seed.regions import (
    COUNTIES,
    SyntheticRegion,
    seed_synthetic_regions,
    synthetic_regions,
    synthetic_villages,
)

CHINA_STANDARD_TIME = timezone(timedelta(hours=8))
# Ages and school stages are as of the start of the 2026 school year, not "today", so the
# data set does not change with the date it is generated on.
REFERENCE_DATE = date(2026, 9, 1)
EARLIEST_RECORD = datetime(2019, 1, 1, 9, 0, tzinfo=CHINA_STANDARD_TIME)
LATEST_RECORD = datetime(2026, 8, 31, 18, 0, tzinfo=CHINA_STANDARD_TIME)
ORGANIZATIONS_CREATED_AT = datetime(2018, 12, 1, 9, 0, tzinfo=CHINA_STANDARD_TIME)

BATCH_SIZE = 5000
SEED_ACTOR = "seed"
SEED_ACTOR_DEPARTMENT = "civil_affairs"

# ---------------------------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------------------------

ORGANIZATION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "caregraph:seed:organizations")

# Roles, one organisation each per region: the key of the deterministic id.
CIVIL_AFFAIRS_BUREAU = "civil_affairs_bureau"
EDUCATION_BUREAU = "education_bureau"
PUBLIC_SECURITY_BUREAU = "public_security_bureau"
WOMENS_FEDERATION = "womens_federation"
TOWNSHIP_GOVERNMENT = "township_government"
POLICE_STATION = "police_station"
CENTRAL_PRIMARY_SCHOOL = "central_primary_school"
JUNIOR_SECONDARY_SCHOOL = "junior_secondary_school"
WOMENS_HOME = "womens_home"
VILLAGE_COMMITTEE = "village_committee"


def organization_id(region_code: str, role: str) -> uuid.UUID:
    """The fixed id of the synthetic organisation playing `role` in `region_code`."""
    return uuid.uuid5(ORGANIZATION_NAMESPACE, f"{region_code}/{role}")


@dataclass(frozen=True)
class SyntheticOrganization:
    id: uuid.UUID
    name: str
    department: str
    kind: OrganizationKind
    region_code: str


def _organization(
    region_code: str, role: str, name: str, department: str, kind: OrganizationKind
) -> SyntheticOrganization:
    return SyntheticOrganization(
        organization_id(region_code, role), name, department, kind, region_code
    )


def _village_committee(village: SyntheticRegion, township_name: str) -> SyntheticOrganization:
    committee = "居民委员会" if village.is_community else "村民委员会"
    return _organization(
        village.code,
        VILLAGE_COMMITTEE,
        f"{township_name}{village.name}{committee}",
        "civil_affairs",
        OrganizationKind.VILLAGE_COMMITTEE,
    )


@cache
def synthetic_organizations() -> tuple[SyntheticOrganization, ...]:
    """Bureaus per county, five organisations per township, a committee per village."""
    organizations: list[SyntheticOrganization] = []
    bureau = OrganizationKind.BUREAU
    for county_code, county_name, _ in COUNTIES:
        organizations += [
            _organization(
                county_code, CIVIL_AFFAIRS_BUREAU, f"{county_name}民政局", "civil_affairs", bureau
            ),
            _organization(
                county_code, EDUCATION_BUREAU, f"{county_name}教育局", "education", bureau
            ),
            _organization(
                county_code, PUBLIC_SECURITY_BUREAU, f"{county_name}公安局", "police", bureau
            ),
            _organization(
                county_code,
                WOMENS_FEDERATION,
                f"{county_name}妇女联合会",
                "womens_federation",
                bureau,
            ),
        ]
    township_names: dict[str, str] = {}
    for region in synthetic_regions():
        if region.level is RegionLevel.TOWNSHIP:
            code, name = region.code, region.name
            township_names[code] = name
            # Sub-districts (街道) have an office (办事处), towns and townships a government.
            government = f"{name}办事处" if name.endswith("街道") else f"{name}人民政府"
            organizations += [
                _organization(
                    code,
                    TOWNSHIP_GOVERNMENT,
                    government,
                    "civil_affairs",
                    OrganizationKind.TOWNSHIP_GOVERNMENT,
                ),
                _organization(
                    code, POLICE_STATION, f"{name}派出所", "police", OrganizationKind.POLICE_STATION
                ),
                _organization(
                    code,
                    CENTRAL_PRIMARY_SCHOOL,
                    f"{name}中心小学",
                    "education",
                    OrganizationKind.SCHOOL,
                ),
                _organization(
                    code,
                    JUNIOR_SECONDARY_SCHOOL,
                    f"{name}初级中学",
                    "education",
                    OrganizationKind.SCHOOL,
                ),
                _organization(
                    code,
                    WOMENS_HOME,
                    f"{name}妇女之家",
                    "womens_federation",
                    OrganizationKind.WOMENS_HOME,
                ),
            ]
        else:
            organizations.append(_village_committee(region, township_names[region.parent_code]))
    return tuple(organizations)


async def seed_organizations(engine: AsyncEngine) -> int:
    """Insert the synthetic organisations (and the regions they sit in) unless already there.

    Returns how many of the synthetic organisations exist afterwards.
    """
    await seed_synthetic_regions(engine)
    organizations = synthetic_organizations()
    rows = [
        {
            "id": o.id,
            "name": o.name,
            "department": o.department,
            "kind": o.kind,
            "region_code": o.region_code,
            "created_at": ORGANIZATIONS_CREATED_AT,
        }
        for o in organizations
    ]
    async with engine.begin() as connection:
        await connection.execute(
            insert(Organization).on_conflict_do_nothing(index_elements=[Organization.id]), rows
        )
        count = await connection.scalar(
            select(func.count())
            .select_from(Organization)
            .where(Organization.id.in_([o.id for o in organizations]))
        )
    return int(count or 0)


# ---------------------------------------------------------------------------------------------
# Children, guardians, guardianships, cases
# ---------------------------------------------------------------------------------------------


@dataclass
class SeedSummary:
    """Rows inserted by one call (rows already present from an earlier run are not counted)."""

    children: int
    guardians: int
    guardianships: int
    cases: int
    case_events: int

    def __str__(self) -> str:
        return (
            f"{self.children} children, {self.guardians} guardians, "
            f"{self.guardianships} guardianships, {self.cases} cases, "
            f"{self.case_events} case events"
        )


# COPY column lists, in the order of the row tuples built below.
CHILD_COLUMNS = [
    "id", "id_number", "name", "sex", "birth_date", "household_region_code",
    "residence_region_code", "address", "schooling", "boarding", "health", "disability_category",
    "disability_grade", "illness", "difficulty_categories", "guardianship_type",
    "family_income_sources", "assistance_received", "status", "registered_at", "version",
]  # fmt: skip
GUARDIAN_COLUMNS = ["id", "name", "id_number", "sex", "phone", "created_at", "version"]
GUARDIANSHIP_COLUMNS = [
    "id", "child_id", "guardian_id", "relationship", "kind", "lives_with_child", "works_away",
    "work_destination", "works_away_since", "capacity", "created_at", "version",
]  # fmt: skip
CASE_COLUMNS = [
    "id", "child_id", "kind", "status", "risk_level", "summary", "opened_by_organization_id",
    "opened_at", "version",
]  # fmt: skip
CASE_EVENT_COLUMNS = [
    "id", "case_id", "occurred_at", "kind", "actor_user_id", "actor_department",
    "organization_id", "note",
]  # fmt: skip

Row = tuple[Any, ...]


class _Weighted:
    """A weighted choice with the cumulative weights computed once (it runs per row)."""

    def __init__(self, weights: Sequence[tuple[Any, float]]) -> None:
        self.values = [value for value, _ in weights]
        self.cumulative = list(accumulate(weight for _, weight in weights))

    def pick(self, rng: random.Random) -> Any:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


SURNAMES = _Weighted(
    [
        ("李", 7.9), ("王", 7.4), ("张", 7.1), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1),
        ("黄", 2.3), ("赵", 2.3), ("吴", 2.0), ("周", 2.0), ("徐", 1.3), ("孙", 1.3),
        ("马", 1.2), ("朱", 1.2), ("胡", 1.1), ("郭", 1.1), ("何", 1.1), ("罗", 1.0),
        ("高", 1.0), ("林", 1.0), ("郑", 0.8), ("梁", 0.7), ("谢", 0.8), ("唐", 0.8),
        ("曾", 0.8), ("邓", 0.8), ("彭", 0.8), ("冯", 0.6), ("宋", 0.6), ("蒋", 0.6),
        ("熊", 0.5), ("袁", 0.5), ("钟", 0.5), ("廖", 0.4), ("杜", 0.4), ("付", 0.4),
        ("龙", 0.3), ("向", 0.3), ("文", 0.3), ("雷", 0.3), ("姚", 0.3), ("税", 0.1),
    ]
)  # fmt: skip
CHILD_GIVEN = {
    Sex.MALE: "浩宇轩杰俊涛明强伟鹏磊博文豪然睿泽辰阳航晨铭锐嘉翔宁凯峰勇志成龙",
    Sex.FEMALE: "欣怡婷雨萱佳琪涵诗雅静思悦妍彤馨琳月婉雪梦瑶蕾丹娟霞燕芳",
}
ADULT_GIVEN = {
    Sex.MALE: "建军伟强勇明华平涛斌波刚辉超峰亮磊鹏杰林洪兵德海",
    Sex.FEMALE: "丽娟敏静燕艳芳霞红梅玲琴英萍丹慧莉秀琼蓉",
}
ELDER_GIVEN = {
    Sex.MALE: ("德华", "国强", "建国", "志明", "富贵", "长生", "国富", "德明", "绍华", "万福",
               "光荣", "正清", "永贵", "树林"),
    Sex.FEMALE: ("秀英", "桂兰", "玉珍", "淑芬", "秀珍", "桂芳", "玉兰", "素华", "凤英", "秀兰",
                 "翠华", "桂英", "素芬", "淑华"),
}  # fmt: skip
PHONE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "182",
                  "187", "188", "133", "153", "180", "189", "130", "131", "132", "155", "186",
                  "199", "177")  # fmt: skip
DESTINATIONS = _Weighted(
    [
        ("成都", 30), ("广东东莞", 10), ("广东深圳", 8), ("广东广州", 6), ("浙江宁波", 7),
        ("浙江杭州", 5), ("江苏苏州", 6), ("福建泉州", 4), ("重庆", 8), ("上海", 5),
        ("北京", 3), ("新疆乌鲁木齐", 3), ("资阳城区", 5),
    ]
)  # fmt: skip
ILLNESSES = ("先天性心脏病", "白血病", "哮喘", "癫痫", "肾病综合征", "1型糖尿病", "地中海贫血")

# Family situations and their shares; the first two make a child under 16 left-behind.
BOTH_AWAY = "both_away"
ONE_AWAY_OTHER_INCAPABLE = "one_away_other_incapable"
ONE_AWAY = "one_away"
AT_HOME = "at_home"
NO_DE_FACTO_CAREGIVER = "no_de_facto_caregiver"  # 事实无人抚养: both parents unable
SITUATIONS = _Weighted(
    [
        (BOTH_AWAY, 0.48),
        (ONE_AWAY_OTHER_INCAPABLE, 0.16),
        (ONE_AWAY, 0.10),
        (AT_HOME, 0.25),
        (NO_DE_FACTO_CAREGIVER, 0.01),
    ]
)
SIBLING_FAMILY_SHARE = 0.11  # two children in 11% of families: ~20% of children have a sibling

CASE_KINDS = _Weighted(
    [
        (CaseKind.OUT_OF_GUARDIANSHIP, 20),
        (CaseKind.UNLAWFUL_HARM, 12),
        (CaseKind.LIVING_ALONE, 10),
        (CaseKind.MISSING, 5),
        (CaseKind.DIFFICULTY_ASSISTANCE, 33),
        (CaseKind.GUARDIANSHIP_FAILURE, 20),
    ]
)
CASE_STATUSES = _Weighted(
    [(CaseStatus.OPEN, 0.38), (CaseStatus.IN_PROGRESS, 0.34), (CaseStatus.CLOSED, 0.28)]
)
RISK_LEVELS = _Weighted(
    [
        (RiskLevel.LOW, 0.30),
        (RiskLevel.MEDIUM, 0.40),
        (RiskLevel.HIGH, 0.22),
        (RiskLevel.CRITICAL, 0.05),
        (None, 0.03),
    ]
)
CASE_SUMMARIES = {
    CaseKind.OUT_OF_GUARDIANSHIP: "村儿童主任走访发现儿童脱离监护，受委托照护人长期不在家。",
    CaseKind.UNLAWFUL_HARM: "学校报告儿童身上有不明伤痕，疑似遭受不法侵害。",
    CaseKind.LIVING_ALONE: "邻居反映儿童独自居住，父母均在外务工，无人照护。",
    CaseKind.MISSING: "照护人报告儿童离家未归，已联系派出所协查。",
    CaseKind.DIFFICULTY_ASSISTANCE: "家庭经济困难，拟纳入社会救助并开展评估帮扶。",
    CaseKind.GUARDIANSHIP_FAILURE: "监护人长期不履行监护职责，需开展监护干预。",
}
VISIT_NOTES = (
    "村儿童主任入户走访，了解儿童生活和学习情况。",
    "乡镇儿童督导员与村儿童主任共同走访，评估儿童安全处境。",
    "会同学校班主任家访，与照护人沟通儿童在校表现。",
)
FOLLOW_UP_NOTES = (
    "已电话联系在外务工的父母，要求每周与孩子联系。",
    "已协调学校加强关注，安排结对帮扶老师。",
    "已转介社工开展心理疏导。",
    "已指导照护人落实安全监护责任。",
)
FAMILY_ASSISTANCE_SHARES = (
    (AssistanceKind.MINIMUM_LIVING_ALLOWANCE, 0.7),
    (AssistanceKind.EXTREME_POVERTY_SUPPORT, 0.08),
    (AssistanceKind.TEMPORARY_ASSISTANCE, 0.2),
    (AssistanceKind.HOUSING_ASSISTANCE, 0.04),
)
DISABILITY_CATEGORIES = list(DisabilityCategory)
INADEQUATE_TYPES = {
    GuardianshipType.NO_GUARDIAN,
    GuardianshipType.ENTRUSTED_CAREGIVER_INSUFFICIENT,
    GuardianshipType.PARENT_AT_HOME_LACKS_CAPACITY,
}

NOON = time(12, 0, tzinfo=CHINA_STANDARD_TIME)
WORK_AWAY_UNTIL = date(2026, 6, 30)
# Aged 0-17 on REFERENCE_DATE; the youngest at least a month old when first registered.
_OLDEST_BIRTH = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - 18) + timedelta(days=1)
_YOUNGEST_BIRTH = REFERENCE_DATE - timedelta(days=30)
_BIRTH_SPAN_DAYS = (_YOUNGEST_BIRTH - _OLDEST_BIRTH).days


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _with(values: list[str], item: Any) -> None:
    if item.value not in values:
        values.append(item.value)


@dataclass
class _Batch:
    children: list[Row] = field(default_factory=list)
    guardians: list[Row] = field(default_factory=list)
    guardianships: list[Row] = field(default_factory=list)
    cases: list[Row] = field(default_factory=list)
    case_events: list[Row] = field(default_factory=list)


@dataclass
class _Link:
    """One guardian's facts towards the family's children (a guardianship row per child)."""

    guardian_id: uuid.UUID
    relationship: Relationship
    kind: GuardianshipKind = GuardianshipKind.LEGAL_GUARDIAN
    capacity: GuardianCapacity = GuardianCapacity.FULL
    lives_with_child: bool = True
    works_away: bool = False
    destination: str | None = None
    since: date | None = None


@dataclass
class _Family:
    village: SyntheticRegion
    household_code: str
    address: str
    situation: str
    surname: str
    births: list[date]
    registered: list[datetime]
    links: list[_Link] = field(default_factory=list)
    guardianship_type: GuardianshipType | None = None
    poor: bool = False
    income: list[str] = field(default_factory=list)
    assistance: list[str] = field(default_factory=list)

    @property
    def left_behind(self) -> bool:
        return self.situation in (BOTH_AWAY, ONE_AWAY_OTHER_INCAPABLE)


class _Generator:
    """Draws families one after another from a single random stream."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        # Resident ID order codes: a counter per (address, birth date, sex) keeps numbers unique
        # within the set; the seed-derived offset keeps different seeds mostly apart.
        self.sequence_offset = (seed * 131 + 17) % 500
        self.sequence_counts: dict[int, int] = {}
        self.villages = synthetic_villages()
        self.villages_by_county: dict[str, list[SyntheticRegion]] = {}
        for village in self.villages:
            self.villages_by_county.setdefault(village.code[:6], []).append(village)

    # -- small draws ---------------------------------------------------------------------------

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def moment(self, earliest: datetime, latest: datetime) -> datetime:
        seconds = max(int((latest - earliest).total_seconds()), 1)
        return earliest + timedelta(seconds=self.rng.randrange(seconds))

    def resident_id(self, address_code: str, birth: date, sex: Sex) -> str | None:
        key = ((int(address_code) * 1_000_000 + birth.toordinal()) << 1) | (sex is Sex.MALE)
        used = self.sequence_counts.get(key, 0)
        self.sequence_counts[key] = used + 1
        if used >= 500:  # the order code space of one day is full: leave the number out
            return None
        return make_resident_id(address_code, birth, (self.sequence_offset + used) % 500, sex)

    def phone(self) -> str:
        return f"{self.rng.choice(PHONE_PREFIXES)}{self.rng.randrange(100_000_000):08d}"

    def given_name(self, pool: str) -> str:
        count = 1 if self.chance(0.15) else 2
        return "".join(self.rng.choice(pool) for _ in range(count))

    def years_before(self, day: date, low: int, high: int) -> date:
        return day - timedelta(days=self.rng.randint(low * 365, high * 365))

    # -- a family ------------------------------------------------------------------------------

    def family(self, batch: _Batch, room: int) -> int:
        """Draw one family; append at most `room` of its children (and their rows) to `batch`.

        The whole family is always drawn, so the random stream does not depend on `room`.
        """
        rng = self.rng
        village = rng.choice(self.villages)
        household = village
        if self.chance(0.08):  # registered elsewhere in the county (户籍地 ≠ 居住地)
            household = rng.choice(self.villages_by_county[village.code[:6]])
        if village.is_community:
            address = f"{village.name}{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元"
        else:
            address = f"{village.name}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
        births = self.birth_dates()
        registered = [
            self.moment(
                max(EARLIEST_RECORD, datetime.combine(birth, NOON) + timedelta(days=30)),
                LATEST_RECORD,
            )
            for birth in births
        ]
        family = _Family(
            village=village,
            household_code=household.code,
            address=address,
            situation=SITUATIONS.pick(rng),
            surname=SURNAMES.pick(rng),
            births=births,
            registered=registered,
        )
        self.guardians(batch, family)
        self.economy(family)
        for index in range(len(births)):
            self.child(batch, family, index, emit=index < room)
        return min(len(births), room)

    def birth_dates(self) -> list[date]:
        """One child, or (in SIBLING_FAMILY_SHARE of families) two, eldest first."""
        births = [_OLDEST_BIRTH + timedelta(days=self.rng.randrange(_BIRTH_SPAN_DAYS))]
        if self.chance(SIBLING_FAMILY_SHARE):
            gap = timedelta(days=self.rng.randint(400, 2500))
            # The gap is under half the 18-year span, so one of the two always fits.
            if births[0] + gap <= _YOUNGEST_BIRTH:
                births.append(births[0] + gap)
            else:
                births.insert(0, births[0] - gap)
        return births

    def guardian(
        self,
        batch: _Batch,
        family: _Family,
        name: str,
        sex: Sex,
        birth: date,
        *,
        numbered: float,
        with_phone: float,
    ) -> uuid.UUID:
        guardian_id = self.new_id()
        county = family.household_code[:6]
        id_number = self.resident_id(county, birth, sex) if self.chance(numbered) else None
        phone = self.phone() if self.chance(with_phone) else None
        created_at = min(family.registered)  # the family's first registration
        batch.guardians.append((guardian_id, name, id_number, sex.value, phone, created_at, 1))
        return guardian_id

    def guardians(self, batch: _Batch, family: _Family) -> None:
        """Both parents, who works away, and the entrusted caregivers who stay with the child."""
        rng = self.rng
        eldest = family.births[0]
        mother_surname: str = SURNAMES.pick(rng)
        father_birth = self.years_before(eldest, 22, 40)
        mother_birth = self.years_before(eldest, 20, 36)
        father_name = family.surname + self.given_name(ADULT_GIVEN[Sex.MALE])
        mother_name = mother_surname + self.given_name(ADULT_GIVEN[Sex.FEMALE])
        father = _Link(
            self.guardian(
                batch, family, father_name, Sex.MALE, father_birth, numbered=0.98, with_phone=0.95
            ),
            Relationship.FATHER,
        )
        mother = _Link(
            self.guardian(
                batch, family, mother_name, Sex.FEMALE, mother_birth, numbered=0.98, with_phone=0.95
            ),
            Relationship.MOTHER,
        )
        away_one, other = (father, mother) if self.chance(0.78) else (mother, father)

        def send_away(parent: _Link, destination: str | None = None) -> None:
            parent.lives_with_child = False
            parent.works_away = True
            parent.destination = destination or DESTINATIONS.pick(rng)
            earliest = max(date(2010, 1, 1), eldest - timedelta(days=730))
            parent.since = earliest + timedelta(
                days=rng.randrange((WORK_AWAY_UNTIL - earliest).days)
            )

        situation = family.situation
        needs_caregiver = 0.0
        if situation == BOTH_AWAY:
            send_away(father)
            send_away(mother, father.destination if self.chance(0.6) else None)  # same city
            needs_caregiver = 0.92
        elif situation == ONE_AWAY_OTHER_INCAPABLE:
            send_away(away_one)
            other.capacity = GuardianCapacity.LIMITED if self.chance(0.7) else GuardianCapacity.NONE
            needs_caregiver = 0.6
        elif situation == ONE_AWAY:
            send_away(away_one)
        elif situation == NO_DE_FACTO_CAREGIVER:
            for parent in (father, mother):  # e.g. one imprisoned or gravely ill, one missing
                parent.capacity = GuardianCapacity.NONE
                parent.lives_with_child = False
            needs_caregiver = 1.0
        elif self.chance(0.03):  # both at home, but separated
            mother.lives_with_child = False
        family.links = [father, mother]

        if not self.chance(needs_caregiver):
            return
        entrusted = GuardianshipKind.ENTRUSTED_CAREGIVER
        if self.chance(0.85):  # grandparents, mostly the father's
            paternal = self.chance(0.75)
            parent_birth = father_birth if paternal else mother_birth
            elders = [(Relationship.GRANDMOTHER, Sex.FEMALE)]
            if self.chance(0.4):
                elders.append((Relationship.GRANDFATHER, Sex.MALE))
            for relationship, sex in elders:
                birth = self.years_before(parent_birth, 20, 32)
                # The grandfather passed his surname on; grandmothers keep their own.
                if sex is Sex.MALE:
                    surname = family.surname if paternal else mother_surname
                else:
                    surname = SURNAMES.pick(rng)
                name = surname + rng.choice(ELDER_GIVEN[sex])
                guardian_id = self.guardian(
                    batch, family, name, sex, birth, numbered=0.9, with_phone=0.6
                )
                limited = 0.5 if _age_on(birth, REFERENCE_DATE) >= 75 else 0.12
                capacity = (
                    GuardianCapacity.LIMITED if self.chance(limited) else GuardianCapacity.FULL
                )
                family.links.append(_Link(guardian_id, relationship, entrusted, capacity))
        else:  # an aunt or uncle
            sex = Sex.MALE if self.chance(0.5) else Sex.FEMALE
            birth = father_birth + timedelta(days=rng.randint(-3650, 3650))
            name = SURNAMES.pick(rng) + self.given_name(ADULT_GIVEN[sex])
            guardian_id = self.guardian(
                batch, family, name, sex, birth, numbered=0.95, with_phone=0.9
            )
            family.links.append(_Link(guardian_id, Relationship.OTHER_RELATIVE, entrusted))

    def economy(self, family: _Family) -> None:
        """The census's view of the guardianship, the family's income and its assistance."""
        situation = family.situation
        caregivers = [
            link for link in family.links if link.kind is not GuardianshipKind.LEGAL_GUARDIAN
        ]
        if situation == ONE_AWAY_OTHER_INCAPABLE:
            family.guardianship_type = GuardianshipType.PARENT_AT_HOME_LACKS_CAPACITY
        elif situation in (BOTH_AWAY, NO_DE_FACTO_CAREGIVER) and not caregivers:
            family.guardianship_type = GuardianshipType.NO_GUARDIAN
        elif caregivers and all(c.capacity is not GuardianCapacity.FULL for c in caregivers):
            family.guardianship_type = GuardianshipType.ENTRUSTED_CAREGIVER_INSUFFICIENT
        else:
            good = 0.6 if situation == AT_HOME else 0.35
            family.guardianship_type = (
                GuardianshipType.GOOD if self.chance(good) else GuardianshipType.FAIR
            )
        if self.chance(0.04):
            family.guardianship_type = None  # not assessed yet

        poverty_chance = {ONE_AWAY_OTHER_INCAPABLE: 0.35, NO_DE_FACTO_CAREGIVER: 1.0}
        family.poor = self.chance(poverty_chance.get(situation, 0.06))
        income = family.income
        if any(link.works_away for link in family.links):
            _with(income, IncomeSource.WAGES_FROM_WORK_AWAY)
            if self.chance(0.5):
                _with(income, IncomeSource.FARMING)
        elif situation == NO_DE_FACTO_CAREGIVER:
            _with(income, IncomeSource.FARMING if self.chance(0.5) else IncomeSource.OTHER)
        else:
            local = [IncomeSource.FARMING, IncomeSource.LOCAL_WORK, IncomeSource.BUSINESS]
            for source in self.rng.sample(local, self.rng.randint(1, 2)):
                _with(income, source)
        assistance = family.assistance
        if family.poor:
            for kind, share in FAMILY_ASSISTANCE_SHARES:
                if self.chance(share):
                    _with(assistance, kind)
        if situation == NO_DE_FACTO_CAREGIVER:
            _with(assistance, AssistanceKind.NO_DE_FACTO_CAREGIVER_ALLOWANCE)
        if assistance:
            _with(income, IncomeSource.SOCIAL_ASSISTANCE)

    def child(self, batch: _Batch, family: _Family, index: int, *, emit: bool) -> None:
        """Draw the family's `index`th child; `emit` False draws it without keeping the rows."""
        rng = self.rng
        birth, registered_at = family.births[index], family.registered[index]
        child_id = self.new_id()
        sex = Sex.MALE if self.chance(0.52) else Sex.FEMALE
        name = family.surname + self.given_name(CHILD_GIVEN[sex])
        unregistered = self.chance(0.10)  # 未登记户口: no number yet
        id_number = (
            None if unregistered else self.resident_id(family.household_code[:6], birth, sex)
        )

        health = HealthStatus.HEALTHY
        disability: DisabilityCategory | None = None
        grade: int | None = None
        illness: str | None = None
        draw = rng.random()
        if draw < 0.02:
            health = HealthStatus.DISABLED
            disability = rng.choice(DISABILITY_CATEGORIES)
            grade = rng.choices((1, 2, 3, 4), weights=(1, 2, 3, 4))[0]
        elif draw < 0.045:
            health = HealthStatus.ILL
            illness = rng.choice(ILLNESSES)
        schooling, boarding = self.schooling(
            _age_on(birth, REFERENCE_DATE), grade, family.left_behind
        )

        difficulties: list[str] = []
        if family.poor:
            _with(difficulties, DifficultyCategory.FAMILY_POVERTY)
        if health is not HealthStatus.HEALTHY:
            _with(difficulties, DifficultyCategory.DISABILITY_OR_ILLNESS)
        if family.guardianship_type in INADEQUATE_TYPES and self.chance(0.7):
            _with(difficulties, DifficultyCategory.INADEQUATE_GUARDIANSHIP)
        if family.situation == NO_DE_FACTO_CAREGIVER:
            _with(difficulties, DifficultyCategory.NO_DE_FACTO_CAREGIVER)
        assistance = list(family.assistance)
        if health is not HealthStatus.HEALTHY and self.chance(0.5):
            _with(assistance, AssistanceKind.MEDICAL_ASSISTANCE)
        status = "MOVED_AWAY" if self.chance(0.015) else "ACTIVE"

        guardianships = [
            (
                self.new_id(),
                child_id,
                link.guardian_id,
                link.relationship.value,
                link.kind.value,
                link.lives_with_child,
                link.works_away,
                link.destination,
                link.since,
                link.capacity.value,
                registered_at,
                1,
            )
            for link in family.links
        ]
        cases, events = self.cases(child_id, registered_at, family, bool(difficulties))
        if not emit:
            return  # drawn to keep the stream stable, but beyond the requested count
        batch.children.append(
            (
                child_id,
                id_number,
                name,
                sex.value,
                birth,
                family.household_code,
                family.village.code,
                family.address,
                schooling.value,
                boarding,
                health.value,
                disability.value if disability else None,
                grade,
                illness,
                difficulties,
                family.guardianship_type.value if family.guardianship_type else None,
                family.income,
                assistance,
                status,
                registered_at,
                1,
            )
        )
        batch.guardianships += guardianships
        batch.cases += cases
        batch.case_events += events

    def schooling(
        self, age: int, disability_grade: int | None, left_behind: bool
    ) -> tuple[Schooling, bool]:
        """School stage by age at the start of the school year (entry at 6 by 31 August)."""
        rng = self.rng
        severe = disability_grade is not None and disability_grade <= 2
        if severe and age >= 6 and self.chance(0.5):
            return Schooling.NOT_IN_SCHOOL, False
        if age < 3:
            return Schooling.NOT_IN_KINDERGARTEN, False
        if age < 6:
            stage = Schooling.KINDERGARTEN if self.chance(0.85) else Schooling.NOT_IN_KINDERGARTEN
            return stage, False
        if age < 12:
            return Schooling.PRIMARY, self.chance(0.15 if left_behind else 0.06)
        if age < 15:
            if self.chance(0.015):
                return Schooling.DROPPED_OUT, False
            return Schooling.JUNIOR_SECONDARY, self.chance(0.55)
        stage = rng.choices(
            (
                Schooling.SENIOR_SECONDARY,
                Schooling.VOCATIONAL,
                Schooling.DROPPED_OUT,
                Schooling.NOT_IN_SCHOOL,
            ),
            weights=(55, 30, 7, 8),
        )[0]
        boarding_share = {Schooling.SENIOR_SECONDARY: 0.8, Schooling.VOCATIONAL: 0.7}
        return stage, self.chance(boarding_share.get(stage, 0.0))

    def cases(
        self,
        child_id: uuid.UUID,
        registered_at: datetime,
        family: _Family,
        in_difficulty: bool,
    ) -> tuple[list[Row], list[Row]]:
        """About 3% of children have a case, more often those without effective guardianship.

        The township government opens it; village committee visits follow."""
        rng = self.rng
        guardianship_type = family.guardianship_type
        if guardianship_type is GuardianshipType.NO_GUARDIAN:
            probability = 0.2
        elif guardianship_type in INADEQUATE_TYPES:
            probability = 0.04
        else:
            probability = 0.018
        if not self.chance(probability):
            return [], []
        kind: CaseKind
        if guardianship_type is GuardianshipType.NO_GUARDIAN and self.chance(0.6):
            kind = CaseKind.LIVING_ALONE if self.chance(0.6) else CaseKind.OUT_OF_GUARDIANSHIP
        elif in_difficulty and self.chance(0.5):
            kind = CaseKind.DIFFICULTY_ASSISTANCE
        else:
            kind = CASE_KINDS.pick(rng)
        status: CaseStatus = CASE_STATUSES.pick(rng)
        risk: RiskLevel | None = RISK_LEVELS.pick(rng)
        if kind in (CaseKind.UNLAWFUL_HARM, CaseKind.MISSING) and risk in (RiskLevel.LOW, None):
            risk = RiskLevel.HIGH
        case_id = self.new_id()
        township_government = organization_id(family.village.parent_code, TOWNSHIP_GOVERNMENT)
        village_committee = organization_id(family.village.code, VILLAGE_COMMITTEE)
        summary = CASE_SUMMARIES[kind]
        opened_at = self.moment(
            min(registered_at + timedelta(days=7), LATEST_RECORD - timedelta(days=1)),
            LATEST_RECORD,
        )
        case = (
            case_id,
            child_id,
            kind.value,
            status.value,
            risk.value if risk else None,
            summary,
            township_government,
            opened_at,
            1,
        )

        def event(
            at: datetime, event_kind: CaseEventKind, organization: uuid.UUID, note: str
        ) -> Row:
            return (
                self.new_id(),
                case_id,
                at,
                event_kind.value,
                SEED_ACTOR,
                SEED_ACTOR_DEPARTMENT,
                organization,
                note,
            )

        # The timeline: OPENED, follow-ups, and a status change when the case has moved on.
        total = rng.randint(1, 4)
        if status is not CaseStatus.OPEN:
            total = max(total, 2)
        events = [event(opened_at, CaseEventKind.OPENED, township_government, summary)]
        at = opened_at
        for position in range(1, total):
            # Strictly later than the previous entry, so OPENED is always first.
            at += timedelta(days=rng.randint(1, 25), seconds=rng.randint(1, 36_000))
            if position == total - 1 and status is not CaseStatus.OPEN:
                note = f"status changed from OPEN to {status.value}"
                events.append(event(at, CaseEventKind.STATUS_CHANGED, township_government, note))
            elif self.chance(0.5):
                note = rng.choice(VISIT_NOTES)
                events.append(event(at, CaseEventKind.VISIT, village_committee, note))
            else:
                note = rng.choice(FOLLOW_UP_NOTES)
                events.append(event(at, CaseEventKind.NOTE, township_government, note))
        return [case], events


async def _drop_rows_already_present(apg: asyncpg.Connection, batch: _Batch) -> _Batch:
    """Leave out what an earlier run already wrote, and anything whose ID number another row
    holds (a different seed may have drawn it); the rows that depend on those go too."""
    child_ids = [row[0] for row in batch.children]
    child_numbers = [row[1] for row in batch.children if row[1] is not None]
    existing = await apg.fetch(
        "SELECT id, id_number FROM children WHERE id = ANY($1::uuid[]) OR id_number = ANY($2)",
        child_ids,
        child_numbers,
    )
    guardian_ids = [row[0] for row in batch.guardians]
    guardian_numbers = [row[2] for row in batch.guardians if row[2] is not None]
    existing_guardians = await apg.fetch(
        "SELECT id, id_number FROM guardians WHERE id = ANY($1::uuid[]) OR id_number = ANY($2)",
        guardian_ids,
        guardian_numbers,
    )
    if not existing and not existing_guardians:
        return batch

    present_children = {r["id"] for r in existing}
    child_number_holders = {r["id_number"]: r["id"] for r in existing if r["id_number"]}
    skipped_children = {
        row[0]
        for row in batch.children
        if row[0] in present_children
        or (row[1] is not None and child_number_holders.get(row[1], row[0]) != row[0])
    }
    present_guardians = {r["id"] for r in existing_guardians}
    guardian_number_holders = {
        r["id_number"]: r["id"] for r in existing_guardians if r["id_number"]
    }
    unusable_guardians = {
        row[0]
        for row in batch.guardians
        if row[2] is not None and guardian_number_holders.get(row[2], row[0]) != row[0]
    }
    kept_cases = [row for row in batch.cases if row[1] not in skipped_children]
    kept_case_ids = {row[0] for row in kept_cases}
    return _Batch(
        children=[row for row in batch.children if row[0] not in skipped_children],
        guardians=[
            row
            for row in batch.guardians
            if row[0] not in present_guardians and row[0] not in unusable_guardians
        ],
        guardianships=[
            row
            for row in batch.guardianships
            if row[1] not in skipped_children and row[2] not in unusable_guardians
        ],
        cases=kept_cases,
        case_events=[row for row in batch.case_events if row[1] in kept_case_ids],
    )


async def _write(apg: asyncpg.Connection, batch: _Batch) -> None:
    # Parents of foreign keys first.
    for table, columns, records in (
        ("guardians", GUARDIAN_COLUMNS, batch.guardians),
        ("children", CHILD_COLUMNS, batch.children),
        ("guardianships", GUARDIANSHIP_COLUMNS, batch.guardianships),
        ("cases", CASE_COLUMNS, batch.cases),
        ("case_events", CASE_EVENT_COLUMNS, batch.case_events),
    ):
        if records:
            await apg.copy_records_to_table(table, records=records, columns=columns)


async def seed_children(
    engine: AsyncEngine,
    count: int,
    *,
    seed: int = 2018,
    progress: Callable[[int], None] | None = None,
) -> SeedSummary:
    """Generate `count` children in the synthetic villages, with their guardians, guardianships,
    and about 3% of them a protection case. Deterministic in (`count`, `seed`); running it again
    inserts nothing new, and a larger `count` with the same seed adds only the extra children.
    """
    await seed_organizations(engine)
    generator = _Generator(seed)
    summary = SeedSummary(0, 0, 0, 0, 0)
    done = 0

    def draw(remaining: int) -> tuple[_Batch, int]:
        batch, drawn = _Batch(), 0
        # Families are never split across batches (only the very last one may be cut short),
        # so the rows do not depend on BATCH_SIZE.
        while drawn < BATCH_SIZE and drawn < remaining:
            drawn += generator.family(batch, remaining - drawn)
        return batch, drawn

    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        apg = raw.driver_connection
        assert isinstance(apg, asyncpg.Connection)
        # Draw the next batch in a thread while the server indexes the current one: the
        # generator is only ever used by one thread at a time, so the stream stays the same.
        upcoming = asyncio.ensure_future(asyncio.to_thread(draw, count)) if count > 0 else None
        try:
            while upcoming is not None:
                batch, drawn = await upcoming
                remaining = count - done - drawn
                upcoming = (
                    asyncio.ensure_future(asyncio.to_thread(draw, remaining))
                    if remaining > 0
                    else None
                )
                async with apg.transaction():  # a batch is written whole or not at all
                    batch = await _drop_rows_already_present(apg, batch)
                    await _write(apg, batch)
                done += drawn
                summary.children += len(batch.children)
                summary.guardians += len(batch.guardians)
                summary.guardianships += len(batch.guardianships)
                summary.cases += len(batch.cases)
                summary.case_events += len(batch.case_events)
                if progress is not None:
                    progress(done)
        finally:
            if upcoming is not None:  # a write failed: let the drawing thread finish
                await asyncio.gather(upcoming, return_exceptions=True)
        if summary.children:
            # Fresh statistics for the planner: autovacuum would get there, but a page asked
            # for right after a bulk load would otherwise be planned as if the tables were empty.
            await apg.execute("ANALYZE children, guardians, guardianships, cases, case_events")
    return summary
