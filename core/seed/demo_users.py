"""One demo user per department and role, placed in the synthetic Anyue county (512021), so
that `caregraph serve --demo` can hand a newcomer a ready token for each."""

from dataclasses import dataclass

from core.identity import Caller
from core.seed.regions import synthetic_townships, synthetic_villages
from core.seed.synthetic import (
    CENTRAL_PRIMARY_SCHOOL,
    CIVIL_AFFAIRS_BUREAU,
    EDUCATION_BUREAU,
    POLICE_STATION,
    PUBLIC_SECURITY_BUREAU,
    TOWNSHIP_GOVERNMENT,
    VILLAGE_COMMITTEE,
    WOMENS_FEDERATION,
    organization_id,
)

COUNTY = "512021"


@dataclass(frozen=True)
class DemoUser:
    caller: Caller
    description: str


def demo_users() -> list[DemoUser]:
    township = next(t.code for t in synthetic_townships() if t.code.startswith(COUNTY))
    village = next(v.code for v in synthetic_villages() if v.code.startswith(township))

    def user(
        department: str, role: str, region: str, org_region: str, org_role: str, text: str
    ) -> DemoUser:
        caller = Caller(
            user_id=f"demo-{department}-{role}",
            department=department,
            role=role,
            organization_id=str(organization_id(org_region, org_role)),
            region_code=region,
        )
        return DemoUser(caller, text)

    return [
        user("civil_affairs", "admin", "512000", COUNTY, CIVIL_AFFAIRS_BUREAU, "city-wide lead"),
        user("civil_affairs", "caseworker", COUNTY, COUNTY, CIVIL_AFFAIRS_BUREAU, "county"),
        user("civil_affairs", "supervisor", township, township, TOWNSHIP_GOVERNMENT, "township"),
        user("civil_affairs", "child_director", village, village, VILLAGE_COMMITTEE, "village"),
        user("education", "teacher", township, township, CENTRAL_PRIMARY_SCHOOL, "school"),
        user("education", "admin", COUNTY, COUNTY, EDUCATION_BUREAU, "county bureau"),
        user("police", "officer", township, township, POLICE_STATION, "police station"),
        user("police", "admin", COUNTY, COUNTY, PUBLIC_SECURITY_BUREAU, "county bureau"),
        user("womens_federation", "staff", COUNTY, COUNTY, WOMENS_FEDERATION, "county"),
        user("womens_federation", "volunteer", township, COUNTY, WOMENS_FEDERATION, "township"),
        DemoUser(
            Caller(user_id="demo-platform-admin", department="platform", role="admin"),
            "manages policies, reads no child's data",
        ),
    ]
