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
- Its steps of the protection workflow (see `workflow.py`): assessment (评估) of every opened
  case's child within a deadline, assistance plans (帮扶计划) whose services the named
  organisations deliver by a date, follow-ups (跟踪回访), closure refused while work is open, and
  applications to the court to revoke a guardian's status with the court's decision (监护干预):
  `Case.assessments`, `Case.assistancePlans`, `Case.courtApplications`, `recordAssessment`,
  `adoptAssistancePlan`, `recordFollowUp`, `fileGuardianshipRevocation`, `recordCourtDecision`.
"""

from pathlib import Path

from core.plugin_api import Plugin, events
from plugins.civil_affairs.demo import load_demo
from plugins.civil_affairs.models import (
    Assessment,
    AssessmentParticipant,
    AssistanceEnrollment,
    AssistancePlan,
    CensusVisit,
    CourtApplication,
    FollowUp,
    PlanItem,
    ProjectService,
    ServiceProject,
    ServiceProjectVillage,
)
from plugins.civil_affairs.schema import CivilAffairsMutation, CivilAffairsQuery
from plugins.civil_affairs.types import Assessment as AssessmentType
from plugins.civil_affairs.types import AssistanceEnrollment as AssistanceEnrollmentType
from plugins.civil_affairs.types import AssistancePlan as AssistancePlanType
from plugins.civil_affairs.types import CaseCivilAffairsFields, ChildCivilAffairsFields
from plugins.civil_affairs.types import CensusVisit as CensusVisitType
from plugins.civil_affairs.types import CourtApplication as CourtApplicationType
from plugins.civil_affairs.types import FollowUp as FollowUpType
from plugins.civil_affairs.types import PlanItem as PlanItemType
from plugins.civil_affairs.types import ProjectService as ProjectServiceType
from plugins.civil_affairs.types import ServiceProject as ServiceProjectType
from plugins.civil_affairs.workflow import on_case_opened, refuse_closure_while_work_is_open

HERE = Path(__file__).parent

plugin = Plugin(
    name="civil_affairs",
    department="civil_affairs",
    version="0.3.0",
    description="Census visits (摸底排查走访) and their review, social assistance enrolments "
    "(社会救助), care service projects (童伴计划, 童村同在), the joint meeting's statistics, "
    "and assessment, assistance (评估帮扶) and the court side of guardianship intervention "
    "(监护干预) in the protection workflow.",
    tables=(
        CensusVisit,
        AssistanceEnrollment,
        ServiceProject,
        ServiceProjectVillage,
        ProjectService,
        Assessment,
        AssessmentParticipant,
        AssistancePlan,
        PlanItem,
        FollowUp,
        CourtApplication,
    ),
    migrations=HERE / "migrations" / "versions",
    query=CivilAffairsQuery,
    mutation=CivilAffairsMutation,
    types=(
        CensusVisitType,
        AssistanceEnrollmentType,
        ServiceProjectType,
        ProjectServiceType,
        AssessmentType,
        AssistancePlanType,
        PlanItemType,
        FollowUpType,
        CourtApplicationType,
    ),
    type_fields={"Child": ChildCivilAffairsFields, "Case": CaseCivilAffairsFields},
    policy=HERE / "policy.csv",
    roles=("child_director", "supervisor", "caseworker", "admin"),
    demo_data=load_demo,
    event_handlers={
        events.CASE_OPENED: on_case_opened,
        # published before the step changes anything: raising refuses the closure
        "case.request_closure": refuse_closure_while_work_is_open,
        "case.approve_closure": refuse_closure_while_work_is_open,
    },
    write_targets={
        "recordCensusVisit": "CensusVisit",
        "reviewCensusVisit": "CensusVisit",
        "enrollInAssistance": "AssistanceEnrollment",
        "updateAssistanceEnrollment": "AssistanceEnrollment",
        "createServiceProject": "ServiceProject",
        "recordProjectService": "ProjectService",
        "recordAssessment": "Assessment",
        "adoptAssistancePlan": "AssistancePlan",
        "recordFollowUp": "FollowUp",
        "fileGuardianshipRevocation": "CourtApplication",
        "recordCourtDecision": "CourtApplication",
    },
    sensitive_fields=(
        "AssistanceEnrollment.kind",
        "AssistanceEnrollment.monthlyAmount",
        "AssistanceEnrollment.oneOffAmount",
        "ProjectService.note",
        # what an assessment found about a child's safety, family and health, and why a
        # guardian's status is challenged (PIPL art. 28): every read is recorded
        "Assessment.safety",
        "Assessment.guardianship",
        "Assessment.health",
        "CourtApplication.grounds",
        "CourtApplication.note",
        "CourtApplication.decisionNote",
    ),
)
