"""Disabled persons' federation (残联): rehabilitation services for disabled left-behind children.

An out-of-tree CareGraph plugin, installed as its own distribution and found through the
`caregraph.plugins` entry point. Adds the `disabled_persons_rehabilitation_services` table,
`Child.rehabilitationServices`, the `rehabilitationServices` query and the
`addRehabilitationService` mutation, which accepts only children recorded as disabled.
"""

from pathlib import Path

from caregraph_disabled_persons.demo import load_demo
from caregraph_disabled_persons.models import RehabilitationService
from caregraph_disabled_persons.schema import DisabledPersonsMutation, DisabledPersonsQuery
from caregraph_disabled_persons.types import ChildDisabledPersonsFields
from caregraph_disabled_persons.types import RehabilitationService as RehabilitationServiceType
from core.plugin_api import Plugin

HERE = Path(__file__).parent

plugin = Plugin(
    name="disabled_persons",
    department="disabled_persons_federation",
    version="0.1.0",
    description="Rehabilitation services (康复服务) for disabled children.",
    tables=(RehabilitationService,),
    migrations=HERE / "migrations" / "versions",
    query=DisabledPersonsQuery,
    mutation=DisabledPersonsMutation,
    types=(RehabilitationServiceType,),
    type_fields={"Child": ChildDisabledPersonsFields},
    policy=HERE / "policy.csv",
    roles=("staff", "admin"),
    demo_data=load_demo,
)
