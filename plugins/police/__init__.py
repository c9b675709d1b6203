"""Police (公安): compulsory reports (强制报告) received about children, officers' home and school
visits (走访), and inspections of venues minors may not enter (网吧/游戏厅/录像厅巡查).

Adds `Child.compulsoryReports` and `Child.policeVisits`, the `compulsoryReports` and `venues`
queries and the `fileCompulsoryReport`, `recordPoliceVisit`, `registerVenue` and
`recordVenueInspection` mutations. The `jurisdiction` row scope holds the children reported in
the officer's region and those visited by the officer's organisation; venues are seen in the
caller's region.
"""

from pathlib import Path

from core.plugin_api import Plugin
from plugins.police.demo import load_demo
from plugins.police.models import CompulsoryReport, PoliceVisit, Venue, VenueInspection
from plugins.police.schema import PoliceMutation, PoliceQuery
from plugins.police.scopes import children_in_jurisdiction
from plugins.police.types import ChildPoliceFields
from plugins.police.types import CompulsoryReport as CompulsoryReportType
from plugins.police.types import PoliceVisit as PoliceVisitType
from plugins.police.types import Venue as VenueType
from plugins.police.types import VenueInspection as VenueInspectionType

HERE = Path(__file__).parent

plugin = Plugin(
    name="police",
    department="police",
    version="0.1.0",
    description="Compulsory reports (强制报告), officers' visits (走访) and venue inspections "
    "(网吧巡查) by the police.",
    tables=(CompulsoryReport, PoliceVisit, Venue, VenueInspection),
    migrations=HERE / "migrations" / "versions",
    query=PoliceQuery,
    mutation=PoliceMutation,
    types=(CompulsoryReportType, PoliceVisitType, VenueType, VenueInspectionType),
    type_fields={"Child": ChildPoliceFields},
    policy=HERE / "policy.csv",
    roles=("officer", "admin"),
    demo_data=load_demo,
    row_scopes={"jurisdiction": children_in_jurisdiction},
    write_targets={
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
    ),
)
