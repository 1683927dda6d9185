"""The org feature as a plugin: LDAP sync job, CLI, /admin/org, API, health and ldap sign-in."""

from __future__ import annotations

from typing import Any

from pinconsole.org import auth
from pinconsole.org.cli import app as org_cli
from pinconsole.org.sync import sync_if_due, sync_interval_seconds
from pinconsole.plugins.base import (
    Authenticator,
    HealthCheck,
    Job,
    NavEntry,
    PageSpec,
    Plugin,
)


def _pages() -> list[PageSpec]:
    # Pages and states are imported when the app is assembled, not when the plugin is loaded.
    from pinconsole.pages.org_admin import org_admin_page
    from pinconsole.state.org_admin import OrgAdminState

    return [
        PageSpec(
            route="/admin/org",
            title="Organisation sync",
            component=org_admin_page,
            on_load=OrgAdminState.load,
            nav=NavEntry("Organisation", "users", section="Admin", order=20),
            admin_only=True,
        )
    ]


def _api_routers() -> list[Any]:
    # The REST API loads when the API is assembled, not for a CLI command.
    from pinconsole.org.api import router

    return [router]


def _org_health() -> dict[str, Any]:
    from pinconsole.org.api import org_health

    return org_health()


def plugin() -> Plugin:
    return Plugin(
        name="org",
        description="Users and groups from LDAP (Backstage ldapOrg config), ldap sign-in",
        pages=_pages,
        api_routers=_api_routers,
        jobs=[
            Job(
                name="org-sync",
                interval_seconds=sync_interval_seconds,
                run=sync_if_due,
                run_at_start=True,
            )
        ],
        cli={"org": org_cli},
        # Auth mode "ldap": the password check, and the presence check that ends the sessions
        # of people removed from the directory.
        authenticators=[
            Authenticator(
                "ldap", authenticate=auth.ldap_authenticator, still_present=auth.user_in_directory
            )
        ],
        health_checks=[HealthCheck("org_sync", _org_health)],
    )
