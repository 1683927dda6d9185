"""The Plugin API: what a feature contributes, and the registry that collects them."""

from pinconsole.plugins.base import (
    Authenticator,
    EntityTab,
    HealthCheck,
    Job,
    NavEntry,
    PageSpec,
    Plugin,
)
from pinconsole.plugins.registry import Registry, get_registry

__all__ = [
    "Authenticator",
    "EntityTab",
    "HealthCheck",
    "Job",
    "NavEntry",
    "PageSpec",
    "Plugin",
    "Registry",
    "get_registry",
]
