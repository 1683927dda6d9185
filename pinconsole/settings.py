"""One typed settings object, read from ``PINCONSOLE_*`` variables and an optional TOML file.

Precedence (highest first): environment, ``pinconsole.toml`` (path in ``PINCONSOLE_CONFIG``),
defaults. Every key is documented in the README's configuration table.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DATA_DIR = Path(os.environ.get("PINCONSOLE_DATA_DIR", Path.cwd() / "data"))


class ClusterSettings(BaseSettings):
    """One Kubernetes cluster PinCompute watches."""

    name: str
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False


class Settings(BaseSettings):
    """Every knob of PinConsole. Field names map to ``PINCONSOLE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="PINCONSOLE_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = Field(
        default=f"sqlite:///{DATA_DIR / 'pinconsole.db'}",
        description="SQLAlchemy URL; production uses postgresql+psycopg://...",
    )
    redis_url: str | None = Field(
        default=None, description="Redis for the second-level cache and Reflex state"
    )
    auth_mode: Literal["demo", "header", "ldap"] = Field(
        default="demo", description="demo (embedded default only), header or ldap"
    )
    auth_header: str = Field(
        default="X-Forwarded-User", description="Trusted proxy header in header mode"
    )
    admins: list[str] = Field(
        default_factory=list, description="User names that are administrators"
    )
    admin_group: str | None = Field(
        default=None, description="Group whose members are administrators"
    )
    session_secret: str = Field(
        default="change-me", description="Secret for signing session cookies"
    )
    session_max_age_hours: int = Field(
        default=168, description="A UI sign-in (demo, ldap) lasts this long"
    )
    signout_url: str | None = Field(
        default=None, description="Header mode: where Sign out sends the browser (the proxy's)"
    )
    catalog_locations: list[str] = Field(
        default_factory=list, description="Catalog files/URLs refreshed on a schedule"
    )
    catalog_refresh_minutes: int = Field(default=30, description="Location refresh period")
    catalog_orphan_grace_hours: int = Field(
        default=72, description="Orphaned entities are removed after this long"
    )
    org_config: str | None = Field(
        default=None, description="YAML file with catalog.providers.ldapOrg blocks"
    )
    org_sync_minutes: int = Field(default=60, description="LDAP sync period")
    org_max_removal_share: float = Field(
        default=0.2, description="A sync removing more than this share needs --force"
    )
    clusters: list[ClusterSettings] = Field(
        default_factory=list, description="Kubernetes clusters for PinCompute"
    )
    sandbox_cluster: bool = Field(
        default=True, description="Run the seeded emulator cluster (embedded default only)"
    )
    namespace_owners: dict[str, str] = Field(
        default_factory=dict, description="Kubernetes namespace -> owning group"
    )
    scorecard_checks: dict[str, float] = Field(
        default_factory=dict,
        description="Scorecard check id -> weight (0 turns a check off); unset keeps defaults",
    )
    cache_ttl_seconds: int = Field(default=30, description="In-process cache TTL")
    jobs_enabled: bool = Field(default=True, description="Run background jobs in this process")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = os.environ.get("PINCONSOLE_CONFIG", "pinconsole.toml")
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_path)
        return (init_settings, env_settings, toml)

    @property
    def is_embedded(self) -> bool:
        """True on the embedded default (SQLite); demo sign-in is allowed only here."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
