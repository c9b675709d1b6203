"""Education (教育): pupils' enrolment in the electronic student-registration system (学籍).

Adds `Child.enrollment`, the `enrollments` query and the `enrollChild` mutation, and follows the
core's schooling changes so a child recorded as dropped out is marked so in their enrolment.
"""

from pathlib import Path

from core.plugin_api import Plugin, events
from plugins.education.demo import load_demo
from plugins.education.models import Enrollment
from plugins.education.schema import EducationMutation, EducationQuery
from plugins.education.scopes import pupils_of_callers_school
from plugins.education.services import follow_schooling_change
from plugins.education.types import ChildEducationFields
from plugins.education.types import Enrollment as EnrollmentType

HERE = Path(__file__).parent

plugin = Plugin(
    name="education",
    department="education",
    version="0.1.0",
    description="Enrolment (学籍) of pupils at schools.",
    tables=(Enrollment,),
    migrations=HERE / "migrations" / "versions",
    query=EducationQuery,
    mutation=EducationMutation,
    types=(EnrollmentType,),
    type_fields={"Child": ChildEducationFields},
    policy=HERE / "policy.csv",
    roles=("teacher", "admin"),
    demo_data=load_demo,
    event_handlers={events.CHILD_UPDATED: follow_schooling_change},
    row_scopes={"school": pupils_of_callers_school},
    write_targets={"enrollChild": "Enrollment"},
)
