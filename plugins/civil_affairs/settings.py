"""The civil affairs plugin's settings, from the environment."""

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.plugin_api import Duration


class CivilAffairsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    assessment_deadline: Duration = Field(
        default=timedelta(days=3),
        validation_alias="CAREGRAPH_CIVIL_AFFAIRS_ASSESSMENT_DEADLINE",
        description="How long civil affairs has to assess the child of a newly opened case "
        "(评估时限) before it is overdue and alerted (seconds or ISO 8601, e.g. P3D).",
    )


@lru_cache
def get_settings() -> CivilAffairsSettings:
    return CivilAffairsSettings()
