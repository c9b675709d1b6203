"""Police (公安): compulsory reports (强制报告) received about children.

Adds `Child.compulsoryReports`, the `compulsoryReports` query and the `fileCompulsoryReport`
mutation, which publishes `police.report_filed` for other departments to follow.
"""

from pathlib import Path

from core.plugin_api import Plugin
from plugins.police.demo import load_demo
from plugins.police.models import CompulsoryReport
from plugins.police.schema import PoliceMutation, PoliceQuery
from plugins.police.scopes import children_reported_in_jurisdiction
from plugins.police.types import ChildPoliceFields
from plugins.police.types import CompulsoryReport as CompulsoryReportType

HERE = Path(__file__).parent

plugin = Plugin(
    name="police",
    department="police",
    version="0.1.0",
    description="Compulsory reports (强制报告) received by the police.",
    tables=(CompulsoryReport,),
    migrations=HERE / "migrations" / "versions",
    query=PoliceQuery,
    mutation=PoliceMutation,
    types=(CompulsoryReportType,),
    type_fields={"Child": ChildPoliceFields},
    policy=HERE / "policy.csv",
    roles=("officer", "admin"),
    demo_data=load_demo,
    row_scopes={"jurisdiction": children_reported_in_jurisdiction},
)
