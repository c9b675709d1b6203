"""The police plugin's settings, from the environment."""

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.plugin_api import Duration


class PoliceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    acceptance_deadline: Duration = Field(
        default=timedelta(hours=1),
        validation_alias="CAREGRAPH_POLICE_ACCEPTANCE_DEADLINE",
        description="How long the police station has to accept (受理) a compulsory report from "
        "the time it was filed before it is overdue and the station is alerted (seconds or "
        "ISO 8601, e.g. PT1H). Mandated reporters report at once (art. 11); so must the police "
        "take the report up.",
    )


@lru_cache
def get_settings() -> PoliceSettings:
    return PoliceSettings()
