"""Configuration, read from the environment (and an optional `.env` file)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_JWT_SECRET = "caregraph-demo-secret-change-me-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL. Unset: an embedded PostgreSQL is started in `data_dir`.",
    )
    data_dir: Path = Field(
        default=Path(".caregraph"),
        validation_alias="CAREGRAPH_DATA_DIR",
        description="Where the embedded PostgreSQL keeps its files.",
    )
    jwt_secret: str = Field(
        default=DEMO_JWT_SECRET,
        validation_alias="CAREGRAPH_JWT_SECRET",
    )
    jwt_public_key_file: Path | None = Field(
        default=None,
        validation_alias="CAREGRAPH_JWT_PUBLIC_KEY_FILE",
        description="PEM public key verifying RS256/ES256 tokens (production).",
    )
    jwks_file: Path | None = Field(
        default=None,
        validation_alias="CAREGRAPH_JWKS_FILE",
        description="JWKS file verifying RS256/ES256 tokens by key id (production).",
    )
    production: bool = Field(
        default=False,
        validation_alias="CAREGRAPH_PRODUCTION",
        description="Production mode: introspection only for platform administrators.",
    )
    max_page_size: int = Field(default=100, validation_alias="CAREGRAPH_MAX_PAGE_SIZE")
    default_page_size: int = Field(default=20, validation_alias="CAREGRAPH_DEFAULT_PAGE_SIZE")


@lru_cache
def get_settings() -> Settings:
    return Settings()
