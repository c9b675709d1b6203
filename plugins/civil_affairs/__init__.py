"""Civil affairs (民政), the lead department.

- Census and home visits (摸底排查, 走访) by village child directors, each reviewed by a township
  supervisor who did not enter it: `Child.censusVisits`, `Child.latestReviewedCensusVisit`,
  `censusVisitsAwaitingReview`, `recordCensusVisit`, `reviewCensusVisit`. When a case is opened
  about a child who has been visited, the case timeline starts with what the latest visit found.
- Social assistance enrolments (社会救助: 低保, 特困供养, 临时救助, 事实无人抚养儿童基本生活补贴):
  `Child.assistanceEnrollments`, `enrollInAssistance`, `updateAssistanceEnrollment`.
- Care service projects (童伴计划, 童村同在, social-work projects) and the services they give:
  `serviceProjects`, `createServiceProject`, `recordProjectService`, `Child.projectServices`.
- Statistics for the joint meeting (联席会议) with small counts suppressed:
  `leftBehindStatistics`.
"""

from pathlib import Path

from core.plugin_api import Plugin, events
from plugins.civil_affairs.demo import load_demo
from plugins.civil_affairs.models import (
    AssistanceEnrollment,
    CensusVisit,
    ProjectService,
    ServiceProject,
    ServiceProjectVillage,
)
from plugins.civil_affairs.schema import CivilAffairsMutation, CivilAffairsQuery
from plugins.civil_affairs.services import note_latest_visit_on_case
from plugins.civil_affairs.types import AssistanceEnrollment as AssistanceEnrollmentType
from plugins.civil_affairs.types import CensusVisit as CensusVisitType
from plugins.civil_affairs.types import ChildCivilAffairsFields
from plugins.civil_affairs.types import ProjectService as ProjectServiceType
from plugins.civil_affairs.types import ServiceProject as ServiceProjectType

HERE = Path(__file__).parent

plugin = Plugin(
    name="civil_affairs",
    department="civil_affairs",
    version="0.2.0",
    description="Census visits (摸底排查走访) and their review, social assistance enrolments "
    "(社会救助), care service projects (童伴计划, 童村同在) and the joint meeting's statistics.",
    tables=(
        CensusVisit,
        AssistanceEnrollment,
        ServiceProject,
        ServiceProjectVillage,
        ProjectService,
    ),
    migrations=HERE / "migrations" / "versions",
    query=CivilAffairsQuery,
    mutation=CivilAffairsMutation,
    types=(CensusVisitType, AssistanceEnrollmentType, ServiceProjectType, ProjectServiceType),
    type_fields={"Child": ChildCivilAffairsFields},
    policy=HERE / "policy.csv",
    roles=("child_director", "supervisor", "caseworker", "admin"),
    demo_data=load_demo,
    event_handlers={events.CASE_OPENED: note_latest_visit_on_case},
    write_targets={
        "recordCensusVisit": "CensusVisit",
        "reviewCensusVisit": "CensusVisit",
        "enrollInAssistance": "AssistanceEnrollment",
        "updateAssistanceEnrollment": "AssistanceEnrollment",
        "createServiceProject": "ServiceProject",
        "recordProjectService": "ProjectService",
    },
    sensitive_fields=(
        "AssistanceEnrollment.kind",
        "AssistanceEnrollment.monthlyAmount",
        "AssistanceEnrollment.oneOffAmount",
        "ProjectService.note",
    ),
)
