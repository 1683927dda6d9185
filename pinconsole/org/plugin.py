"""The org feature as a plugin: LDAP sync job, CLI, /admin/org, API, health and ldap sign-in."""

from __future__ import annotations

from typing import Any

from pinconsole.api.health import register_health_check
from pinconsole.org import auth
from pinconsole.org.api import org_health, router
from pinconsole.org.cli import app as org_cli
from pinconsole.org.sync import sync_if_due, sync_interval_seconds
from pinconsole.plugins.base import Job, NavEntry, PageSpec, Plugin


def _page() -> Any:
    from pinconsole.pages.org_admin import org_admin_page

    return org_admin_page()


def _pages() -> list[PageSpec]:
    from pinconsole.state.org_admin import OrgAdminState

    return [
        PageSpec(
            route="/admin/org",
            title="Organisation sync",
            component=_page,
            on_load=OrgAdminState.load,
            nav=NavEntry("Organisation", "users", section="Admin", order=20),
            admin_only=True,
        )
    ]


auth.register()  # auth mode "ldap" in the access core's registry
register_health_check("org_sync", org_health)

plugin = Plugin(
    name="org",
    description="Users and groups from LDAP (Backstage ldapOrg config), ldap sign-in",
    pages=_pages(),
    api_routers=[router],
    jobs=[
        Job(
            name="org-sync",
            interval_seconds=sync_interval_seconds,
            run=sync_if_due,
            run_at_start=True,
        )
    ],
    cli={"org": org_cli},
)
