"""Women's federation (妇联): keeping working-away parents in touch with their children.

Adds `Child.familyContacts` and the `recordFamilyContact` mutation, which records a contact
(亲情联系) between a child and a linked guardian (Law on the Protection of Minors art. 23).
"""

from pathlib import Path

from core.plugin_api import Plugin
from plugins.womens_federation.demo import load_demo
from plugins.womens_federation.models import FamilyContact
from plugins.womens_federation.schema import WomensFederationMutation
from plugins.womens_federation.types import ChildWomensFederationFields
from plugins.womens_federation.types import FamilyContact as FamilyContactType

HERE = Path(__file__).parent

plugin = Plugin(
    name="womens_federation",
    department="womens_federation",
    version="0.1.0",
    description="Family contacts (亲情联系) between working-away parents and their children.",
    tables=(FamilyContact,),
    migrations=HERE / "migrations" / "versions",
    mutation=WomensFederationMutation,
    types=(FamilyContactType,),
    type_fields={"Child": ChildWomensFederationFields},
    policy=HERE / "policy.csv",
    roles=("volunteer", "staff", "admin"),
    demo_data=load_demo,
)
