"""The women's federation plugin's settings, from the environment."""

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.plugin_api import Duration


class WomensFederationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    contact_span: Duration = Field(
        default=timedelta(days=30),
        validation_alias="CAREGRAPH_WOMENS_FEDERATION_CONTACT_SPAN",
        description="A left-behind child whose parents recorded no contact for longer than this "
        "raises an alert (seconds or ISO 8601, e.g. P30D). The law asks for weekly contact "
        "(art. 23); the alert is for a silence that has lasted, not one missed week.",
    )


@lru_cache
def get_settings() -> WomensFederationSettings:
    return WomensFederationSettings()
