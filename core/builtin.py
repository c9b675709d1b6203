"""The core's own records, registered through the same plugin contract as any department."""

from pathlib import Path

from strawberry.tools import merge_types

from core import models
from core.audit.model import AuditEntry
from core.graphql import enums as _graphql_enums  # noqa: F401  (registers the GraphQL enums)
from core.graphql.audit_queries import AuditQuery
from core.graphql.mutations import CoreMutation
from core.graphql.policy_admin import PolicyAdminMutation, PolicyAdminQuery
from core.graphql.queries import CoreQuery
from core.graphql.workflow import (
    Alert,
    DueItem,
    WorkflowMutation,
    WorkflowQuery,
    WorkflowSubscription,
)
from core.idempotency import IdempotencyKey
from core.limits.model import RateLimitUsage
from core.plugin_api import Plugin
from core.seed.demo import load_demo
from core.trusted_documents import TrustedDocument
from core.workflow.rules import CORE_RULES
from core.write_positions import WritePosition

CORE_PLUGIN = Plugin(
    name="core",
    department="platform",
    version="0.1.0",
    description="Children, guardians, guardianships, regions, organisations and cases.",
    tables=(
        models.Region,
        models.Organization,
        models.Child,
        models.Guardian,
        models.Guardianship,
        models.Case,
        models.CaseAssignment,
        models.CaseEvent,
        models.ApiKey,
        models.PolicyChange,
        AuditEntry,
        models.DueItem,
        models.Alert,
        models.Notification,
        RateLimitUsage,
        TrustedDocument,
        IdempotencyKey,
        WritePosition,
    ),
    migrations=Path(__file__).parent / "migrations" / "versions",
    query=merge_types("CoreQueries", (CoreQuery, WorkflowQuery, PolicyAdminQuery, AuditQuery)),
    mutation=merge_types("CoreMutations", (CoreMutation, WorkflowMutation, PolicyAdminMutation)),
    subscription=WorkflowSubscription,
    types=(Alert, DueItem),
    demo_data=load_demo,
    policy=Path(__file__).parent / "policy.csv",
    roles=("admin",),
    alert_rules=CORE_RULES,
    write_targets={
        "registerChild": "Child",
        "updateChild": "Child",
        "registerGuardian": "Guardian",
        "linkGuardian": "Guardianship",
        "updateGuardianship": "Guardianship",
        "openCase": "Case",
        "addCaseEvent": "CaseEvent",
    },
)
