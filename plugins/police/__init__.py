"""Police (公安): compulsory reports (强制报告) received about children and the police's part of
the protection workflow on them (受理, 应急处置, 转介评估, 监护干预), officers' home and school
visits (走访), and inspections of venues minors may not enter (网吧/游戏厅/录像厅巡查).

Adds `Child.compulsoryReports`, `Child.policeVisits`, `Case.compulsoryReport` and
`Case.guardianActions`; the `compulsoryReports` and `venues` queries; the `fileCompulsoryReport`,
`acceptCompulsoryReport`, `recordEmergencyMeasure`, `identifyReportedChild`,
`referCompulsoryReport`, `recordGuardianAction`, `recordPoliceVisit`, `registerVenue` and
`recordVenueInspection` mutations; and the `compulsoryReportFiled` subscription. A filed report
is routed to the station of the place's jurisdiction with an acceptance deadline
(`CAREGRAPH_POLICE_ACCEPTANCE_DEADLINE`). The `jurisdiction` row scope holds the children
reported in the officer's region and those visited by the officer's organisation; venues are
seen in the caller's region.
"""

from pathlib import Path

from core.plugin_api import Plugin
from plugins.police.demo import load_demo
from plugins.police.models import (
    CompulsoryReport,
    EmergencyMeasure,
    GuardianAction,
    PoliceVisit,
    Venue,
    VenueInspection,
)
from plugins.police.schema import PoliceMutation, PoliceQuery, PoliceSubscription
from plugins.police.scopes import children_in_jurisdiction
from plugins.police.types import CasePoliceFields, ChildPoliceFields
from plugins.police.types import CompulsoryReport as CompulsoryReportType
from plugins.police.types import EmergencyMeasure as EmergencyMeasureType
from plugins.police.types import GuardianAction as GuardianActionType
from plugins.police.types import PoliceVisit as PoliceVisitType
from plugins.police.types import Venue as VenueType
from plugins.police.types import VenueInspection as VenueInspectionType

HERE = Path(__file__).parent

plugin = Plugin(
    name="police",
    department="police",
    version="0.1.0",
    description="Compulsory reports (强制报告) and the police's part of the protection workflow "
    "(受理, 应急处置, 转介, 监护干预), officers' visits (走访) and venue inspections (网吧巡查).",
    tables=(
        CompulsoryReport,
        EmergencyMeasure,
        GuardianAction,
        PoliceVisit,
        Venue,
        VenueInspection,
    ),
    migrations=HERE / "migrations" / "versions",
    query=PoliceQuery,
    mutation=PoliceMutation,
    subscription=PoliceSubscription,
    types=(
        CompulsoryReportType,
        EmergencyMeasureType,
        GuardianActionType,
        PoliceVisitType,
        VenueType,
        VenueInspectionType,
    ),
    type_fields={"Child": ChildPoliceFields, "Case": CasePoliceFields},
    policy=HERE / "policy.csv",
    roles=("officer", "admin"),
    demo_data=load_demo,
    row_scopes={"jurisdiction": children_in_jurisdiction},
    # each input field the mutation sets that is a field of the type needs `write` on it:
    # measure/note/takenAt, action/takenOn/note, and the case's summary/riskLevel
    write_targets={
        "recordEmergencyMeasure": "EmergencyMeasure",
        "referCompulsoryReport": "Case",
        "recordGuardianAction": "GuardianAction",
        "recordPoliceVisit": "PoliceVisit",
        "registerVenue": "Venue",
        "recordVenueInspection": "VenueInspection",
    },
    # what an officer learned about a child's life, schooling and safety is sensitive personal
    # information (PIPL art. 28): every read is recorded
    sensitive_fields=(
        "PoliceVisit.lifeSituation",
        "PoliceVisit.schoolingSituation",
        "PoliceVisit.safetySituation",
        "PoliceVisit.concernLevel",
        # what was done for a child in danger, and about a guardian's violence or neglect
        "EmergencyMeasure.note",
        "GuardianAction.note",
    ),
)
