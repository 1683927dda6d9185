"""One typed settings object, read from ``PINCONSOLE_*`` variables and an optional TOML file.

Precedence (highest first): environment, ``pinconsole.toml`` (path in ``PINCONSOLE_CONFIG``),
defaults. Every key is documented in the README's configuration table.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DATA_DIR = Path(os.environ.get("PINCONSOLE_DATA_DIR", Path.cwd() / "data"))

# Byte limits are decimal megabytes, in defaults and in every message that names one.
MB = 1_000_000


def size_text(size: int) -> str:
    """A byte count as messages show it: ``20 MB``, ``1.1 MB``, ``0.262 MB``; small in bytes."""
    if size < 100_000:
        return f"{size:,} bytes"
    return f"{size / MB:.3f}".rstrip("0").rstrip(".") + " MB"


class ClusterSettings(BaseSettings):
    """One Kubernetes cluster PinCompute watches."""

    name: str
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False


class TierSettings(BaseModel):
    """How the pods of a PinApp tier are scheduled (copied into its Deployment's pod template)."""

    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[dict[str, Any]] = Field(default_factory=list)
    priority_class_name: str | None = None


class CatalogRule(BaseModel):
    """Which kinds a location registered by a non-administrator may bring in (Backstage's
    ``catalog.rules``): ``allow`` kinds (``"*"`` for any) from targets matching a glob."""

    allow: list[str]
    targets: list[str] = Field(default_factory=lambda: ["*"])


# Backstage's safe set: nothing that names people, teams or membership.
DEFAULT_CATALOG_RULES = [
    {"allow": ["Component", "API", "Resource", "System", "Domain", "Location"], "targets": ["*"]}
]


class ReadingAllowRule(BaseModel):
    """One ``catalog_reading_allow`` entry, as Backstage's ``backend.reading.allow``."""

    host: str = Field(
        description="example.com, *.example.com (subdomains), git.internal:8443, 10.0.0.5:8080"
    )
    paths: list[str] = Field(
        default_factory=list, description="Path prefixes (/org/repo/); empty allows every path"
    )

    @model_validator(mode="after")
    def _parses(self) -> ReadingAllowRule:
        from pinconsole.outbound.allowlist import parse_rule

        parse_rule(self.host, self.paths)  # a malformed entry fails at start, with its text
        return self


class MonitoringInstance(BaseModel):
    """One Prometheus or Alertmanager server (one per region or cluster); ``name`` is what
    messages and the ``prometheus.io/service-name`` annotation call it."""

    name: str = Field(min_length=1)
    url: str = Field(description="Base URL, e.g. http://prometheus.eu-1:9090")
    bearer_token: str | None = None
    basic_auth_user: str | None = None
    basic_auth_password: str | None = None
    connect_timeout_seconds: float = Field(default=3.0, gt=0)
    read_timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _one_auth(self) -> MonitoringInstance:
        if self.bearer_token and self.basic_auth_user:
            raise ValueError(f"{self.name}: set a bearer token or basic auth, not both")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"{self.name}: url must start with http:// or https://")
        return self


# A Component's metrics when it carries no pinconsole.io/prometheus-selector annotation.
DEFAULT_SELECTOR_TEMPLATES = {"Component": 'service="{name}"'}


class RegistrySettings(BaseModel):
    """One OCI registry (admin-configured, so its host is trusted for outbound requests).

    Credentials: ``username``/``password`` (sent to the token realm, or as Basic auth when the
    registry asks for it), or a ready ``token`` sent as a bearer token.
    """

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    url: str = Field(description="https://registry.example.com (the /v2/ API lives under it)")
    username: str | None = None
    password: str | None = None
    token: str | None = None
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    read_timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _url(self) -> RegistrySettings:
        import httpx

        parsed = httpx.URL(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"registry {self.name!r}: url {self.url!r} is not an http(s) URL")
        if parsed.userinfo:
            raise ValueError(f"registry {self.name!r}: put credentials in username/password")
        if self.token and (self.username or self.password):
            raise ValueError(f"registry {self.name!r}: give a token or username/password")
        return self


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
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses/CIDRs of the reverse proxies whose X-Forwarded-For and auth "
        "header are believed (header mode needs at least one)",
    )
    admins: list[str] = Field(
        default_factory=list, description="User names that are administrators"
    )
    admin_group: str | None = Field(
        default=None, description="Group whose members are administrators"
    )
    public_url: str | None = Field(
        default=None,
        description="URL people open the console at; the websocket refuses other Origins "
        "(default: PINCONSOLE_API_URL)",
    )
    session_secret: str = Field(
        default="change-me", description="Secret for signing session cookies"
    )
    session_max_age_hours: int = Field(
        default=168, description="A UI sign-in (demo, ldap) lasts this long"
    )
    token_expiry_days: int = Field(
        default=90,
        ge=1,
        le=366,
        description="A new API token expires after this many days unless created with another",
    )
    signout_url: str | None = Field(
        default=None, description="Header mode: where Sign out sends the browser (the proxy's)"
    )
    chat_url: str | None = Field(
        default=None,
        description="Where a chat channel named in a team's annotations opens: the channel "
        "name is appended (https://chat.example.com/channels/)",
    )
    catalog_locations: list[str] = Field(
        default_factory=list, description="Catalog files/URLs refreshed on a schedule"
    )
    catalog_rules: list[CatalogRule] = Field(
        default_factory=lambda: [dict(rule) for rule in DEFAULT_CATALOG_RULES],
        validate_default=True,
        description="Kinds a location registered by a non-admin may bring in, per target glob "
        "(admins' and configured locations, and the org sync, bring any kind)",
    )
    catalog_refresh_minutes: int = Field(default=30, description="Location refresh period")
    catalog_orphan_grace_hours: int = Field(
        default=72, description="Orphaned entities are removed after this long"
    )
    catalog_reading_allow: list[ReadingAllowRule] = Field(
        default_factory=list,
        description=(
            "Hosts URL locations and substitutions may read: [{host, paths}]; "
            "anything else is refused (docs/catalog-ingest.md)"
        ),
    )
    catalog_reading_max_bytes: int = Field(
        default=20 * MB,
        gt=0,
        description="A URL read stops past this many bytes (at most catalog_max_file_bytes)",
    )
    catalog_reading_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time limit of one URL read, redirects included"
    )
    catalog_reading_max_redirects: int = Field(
        default=5, ge=0, description="Redirects a URL read follows (each checked again)"
    )
    catalog_max_file_bytes: int = Field(
        default=20 * MB,
        gt=0,
        description="A descriptor file (or URL body) larger than this is refused",
    )
    catalog_max_document_bytes: int = Field(
        default=1 * MB,
        gt=0,
        description="A YAML document larger than this, or expanding beyond it, is refused",
    )
    catalog_max_yaml_nodes: int = Field(
        default=100_000,
        gt=0,
        description="A document building more YAML nodes than this (aliases expanded) is refused",
    )
    catalog_max_depth: int = Field(
        default=64, gt=0, le=500, description="A descriptor nested deeper than this is refused"
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
    kubernetes_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Every Kubernetes request gives up connecting after this"
    )
    kubernetes_read_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        description="Reads and writes (not lists or watches) wait this long for an answer; a "
        "write without one is reported as unknown",
    )
    kubernetes_list_timeout_seconds: float = Field(
        default=120.0, gt=0, description="A cluster cache's full list waits this long"
    )
    pinapp_tiers: dict[str, TierSettings] = Field(
        default_factory=dict,
        description="PinApp tier -> {node_selector, tolerations, priority_class_name} its pods get "
        "(a tier not listed gets none)",
    )
    controller_namespace: str = Field(
        default="pinconsole",
        description="Namespace of the controller's leader-election Lease on every cluster",
    )
    controller_lease_seconds: float = Field(
        default=15.0,
        gt=0,
        description="A controller instance that stops renewing its Lease loses it after this, "
        "and another takes the cluster over",
    )
    controller_workers: int = Field(
        default=4, ge=1, description="Reconciles the controller runs at once, per cluster"
    )
    controller_resync_seconds: float = Field(
        default=300.0,
        gt=0,
        description="Every PinApp and PinScaler is reconciled again this often, changed or not",
    )
    audit_outbox: str = Field(
        default=str(DATA_DIR / "audit-outbox.jsonl"),
        description="Append-only file holding audit intents and rows the database could not "
        "take yet (drained into the audit log every 15 s)",
    )
    registries: list[RegistrySettings] = Field(
        default_factory=list,
        description="OCI registries: [{name, url, username, password | token, "
        "connect_timeout_seconds, read_timeout_seconds}]; a component names its repository "
        "with the annotation pinconsole.io/image-repository (docs/delivery.md)",
    )
    namespace_owners: dict[str, str] = Field(
        default_factory=dict, description="Kubernetes namespace -> owning group"
    )
    scorecard_checks: dict[str, float] = Field(
        default_factory=dict,
        description="Scorecard check id -> weight (0 turns a check off); unset keeps defaults",
    )
    prometheus_instances: list[MonitoringInstance] = Field(
        default_factory=list,
        description="Prometheus servers: [{name, url, bearer_token | basic_auth_user and "
        "basic_auth_password, connect_timeout_seconds (3), read_timeout_seconds (30)}]; the "
        "first is the default (docs/observability.md)",
    )
    alertmanager_instances: list[MonitoringInstance] = Field(
        default_factory=list,
        description="Alertmanager servers (v2 API), same keys as prometheus_instances",
    )
    prometheus_scrape_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        description="Scrape interval of the Prometheus servers: the smallest query step and "
        "the base of rate() windows",
    )
    prometheus_selector_templates: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_SELECTOR_TEMPLATES),
        description="Entity kind -> label matchers for entities without a "
        "pinconsole.io/prometheus-selector annotation ({name}, {namespace}, {kind} filled in)",
    )
    cache_ttl_seconds: int = Field(default=30, description="In-process cache TTL")
    jobs_enabled: bool = Field(
        default=True,
        description="false: never run the shared background jobs here (by default one process "
        "of all hosts, elected through a lease in the database, runs them; host-local ones "
        "always run)",
    )

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
