"""Education (教育): pupils' enrolment in the electronic student-registration system (学籍),
mentoring pairs (结对帮扶, 德育导师制), the home-school contact log (家校联系), children's homes at
schools (留守儿童之家) and the dropout watch (控辍保学).

Adds `Child.enrollment`, `Child.mentoringPairs`, `Child.homeSchoolContacts` and
`Child.homeActivitiesAttended`; the `enrollments`, `pupilsNeedingContact`, `dropoutRisks` and
`childrensHomes` queries; and the mutations that write them. Follows the core's schooling changes
so a child recorded as dropped out is marked so in their enrolment.
"""

from pathlib import Path

from core.plugin_api import Plugin, events
from plugins.education import types
from plugins.education.demo import load_demo
from plugins.education.models import (
    ChildrensHome,
    Enrollment,
    HomeActivity,
    HomeActivityAttendance,
    HomeSchoolContact,
    MentoringNote,
    MentoringPair,
)
from plugins.education.schema import EducationMutation, EducationQuery
from plugins.education.scopes import pupils_of_callers_school
from plugins.education.services import follow_schooling_change

HERE = Path(__file__).parent

plugin = Plugin(
    name="education",
    department="education",
    version="0.2.0",
    description="Enrolment (学籍), mentoring pairs (结对帮扶), home-school contact (家校联系), "
    "children's homes at schools (留守儿童之家) and the dropout watch (控辍保学).",
    tables=(
        Enrollment,
        MentoringPair,
        MentoringNote,
        HomeSchoolContact,
        ChildrensHome,
        HomeActivity,
        HomeActivityAttendance,
    ),
    migrations=HERE / "migrations" / "versions",
    query=EducationQuery,
    mutation=EducationMutation,
    types=(
        types.Enrollment,
        types.MentoringPair,
        types.MentoringNote,
        types.HomeSchoolContact,
        types.ChildrensHome,
        types.HomeActivity,
        types.DropoutRisk,
    ),
    type_fields={"Child": types.ChildEducationFields},
    policy=HERE / "policy.csv",
    roles=("teacher", "admin"),
    demo_data=load_demo,
    event_handlers={events.CHILD_UPDATED: follow_schooling_change},
    row_scopes={"school": pupils_of_callers_school},
    write_targets={
        "enrollChild": "Enrollment",
        "updateEnrollment": "Enrollment",
        "startMentoringPair": "MentoringPair",
        "endMentoringPair": "MentoringPair",
        "addMentoringNote": "MentoringNote",
        "recordHomeSchoolContact": "HomeSchoolContact",
        "registerChildrensHome": "ChildrensHome",
        "recordHomeActivity": "HomeActivity",
    },
    # notes about a child under 14 are sensitive personal information (PIPL art. 28)
    sensitive_fields=(
        "MentoringPair.helpAgreed",
        "MentoringNote.note",
        "HomeSchoolContact.summary",
    ),
)
