"""Women's federation (妇联): keeping working-away parents in touch with their children, care
services of women's homes and children's homes, family-education guidance, surrogate mothers.

Adds `Child.familyContacts`, `Child.weeklyContact`, `Child.careServices`,
`Child.surrogateMothers` and `Guardian.guidanceSessionsAttended`; the `careHomes` and
`guidanceSessions` queries; the `recordFamilyContact` (亲情联系, Law on the Protection of Minors
art. 23), `registerCareHome`, `recordCareService`, `recordGuidanceSession`,
`pairSurrogateMother` and `endSurrogateMotherPairing` mutations. Homes, and the sessions they
hold, are seen in the caller's region.
"""

from pathlib import Path

from core.plugin_api import Plugin
from plugins.womens_federation.demo import load_demo
from plugins.womens_federation.models import (
    CareHome,
    CareService,
    CareServiceParticipant,
    FamilyContact,
    GuidanceSession,
    GuidanceSessionAttendee,
    SurrogateMother,
)
from plugins.womens_federation.rules import (
    NO_PARENT_CONTACT,
    left_behind_children_without_parent_contact,
)
from plugins.womens_federation.schema import WomensFederationMutation, WomensFederationQuery
from plugins.womens_federation.types import CareHome as CareHomeType
from plugins.womens_federation.types import CareService as CareServiceType
from plugins.womens_federation.types import (
    ChildWomensFederationFields,
    GuardianWomensFederationFields,
)
from plugins.womens_federation.types import FamilyContact as FamilyContactType
from plugins.womens_federation.types import GuidanceSession as GuidanceSessionType
from plugins.womens_federation.types import SurrogateMother as SurrogateMotherType

HERE = Path(__file__).parent

plugin = Plugin(
    name="womens_federation",
    department="womens_federation",
    version="0.1.0",
    description="Family contacts (亲情联系), women's and children's homes (妇女之家, 儿童之家) and "
    "their care services, family-education guidance (家庭教育指导), surrogate mothers (代理妈妈).",
    tables=(
        FamilyContact,
        CareHome,
        CareService,
        CareServiceParticipant,
        GuidanceSession,
        GuidanceSessionAttendee,
        SurrogateMother,
    ),
    migrations=HERE / "migrations" / "versions",
    query=WomensFederationQuery,
    mutation=WomensFederationMutation,
    types=(
        FamilyContactType,
        CareHomeType,
        CareServiceType,
        GuidanceSessionType,
        SurrogateMotherType,
    ),
    type_fields={"Child": ChildWomensFederationFields, "Guardian": GuardianWomensFederationFields},
    policy=HERE / "policy.csv",
    roles=("volunteer", "staff", "admin"),
    demo_data=load_demo,
    write_targets={
        "registerCareHome": "CareHome",
        "recordCareService": "CareService",
        "recordGuidanceSession": "GuidanceSession",
        "pairSurrogateMother": "SurrogateMother",
        "endSurrogateMotherPairing": "SurrogateMother",
    },
    # a volunteer's phone, and what a service did with the children, are personal information
    # (PIPL art. 28 for the children): every read is recorded
    sensitive_fields=(
        "SurrogateMother.phone",
        "CareService.description",
        "GuidanceSession.note",
    ),
    alert_rules={NO_PARENT_CONTACT: left_behind_children_without_parent_contact},
)
