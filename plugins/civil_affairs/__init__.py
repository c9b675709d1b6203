"""Civil affairs (民政): census and home visits (摸底排查, 走访) by village child directors.

Adds `Child.censusVisits` and the `recordCensusVisit` and `reviewCensusVisit` mutations. When a
case is opened about a child who has been visited, the case timeline starts with a note of what
the latest visit found.
"""

from pathlib import Path

from core.plugin_api import Plugin, events
from plugins.civil_affairs.demo import load_demo
from plugins.civil_affairs.models import CensusVisit
from plugins.civil_affairs.schema import CivilAffairsMutation
from plugins.civil_affairs.services import note_latest_visit_on_case
from plugins.civil_affairs.types import CensusVisit as CensusVisitType
from plugins.civil_affairs.types import ChildCivilAffairsFields

HERE = Path(__file__).parent

plugin = Plugin(
    name="civil_affairs",
    department="civil_affairs",
    version="0.1.0",
    description="Census and home visits (摸底排查走访) by village child directors.",
    tables=(CensusVisit,),
    migrations=HERE / "migrations" / "versions",
    mutation=CivilAffairsMutation,
    types=(CensusVisitType,),
    type_fields={"Child": ChildCivilAffairsFields},
    policy=HERE / "policy.csv",
    roles=("child_director", "supervisor", "caseworker", "admin"),
    demo_data=load_demo,
    event_handlers={events.CASE_OPENED: note_latest_visit_on_case},
)
