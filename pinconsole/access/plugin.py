"""The access core as a plugin: the sign-in page, the audit log page, the token and session
routes, and the job that drains the audit outbox."""

from __future__ import annotations

from typing import Any

from pinconsole.access.audit import DRAIN_INTERVAL_SECONDS, drain_outbox
from pinconsole.plugins.base import Job, NavEntry, PageSpec, Plugin


def _pages() -> list[PageSpec]:
    # Pages and states are imported when the app is assembled, not when the plugin is loaded.
    from pinconsole.pages.audit import audit_page
    from pinconsole.pages.signin import signin_page
    from pinconsole.pages.tokens import tokens_page
    from pinconsole.state.audit import AuditState
    from pinconsole.state.signin import SignInState
    from pinconsole.state.tokens import TokensState

    return [
        PageSpec(route="/signin", title="Sign in", component=signin_page, on_load=SignInState.load),
        PageSpec(
            route="/settings/tokens",
            title="API tokens",
            component=tokens_page,
            on_load=TokensState.load,
            nav=NavEntry("API tokens", "key-round", section="Developer", order=20),
        ),
        PageSpec(
            route="/admin/audit",
            title="Audit log",
            component=audit_page,
            on_load=AuditState.load,  # the app adds the ensure_admin guard
            nav=NavEntry("Audit log", "scroll-text", section="Admin", order=900),
            admin_only=True,
        ),
    ]


def _api_routers() -> list[Any]:
    # The REST API loads when the API is assembled, not for a CLI command.
    from pinconsole.access.api import router

    return [router]


def _public_api_routers() -> list[Any]:
    from pinconsole.access.api import export_router
    from pinconsole.access.session_api import session_router

    return [export_router, session_router]


def plugin() -> Plugin:
    return Plugin(
        name="access",
        description="Sign-in, the audit log, API tokens and sessions",
        api_routers=_api_routers,
        public_api_routers=_public_api_routers,  # its own sign-in check: a link's cookie
        pages=_pages,
        jobs=[
            # Rows kept while the database was down, and intents whose process stopped mid-action.
            Job(
                name="audit-outbox",
                interval_seconds=DRAIN_INTERVAL_SECONDS,
                run=drain_outbox,
                run_at_start=True,
                every_host=True,  # each host keeps its own outbox file
            )
        ],
    )
