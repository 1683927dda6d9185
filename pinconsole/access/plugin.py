"""The access core as a plugin: the sign-in page and the audit log page."""

from __future__ import annotations

from pinconsole.plugins.base import NavEntry, PageSpec, Plugin


def _signin_page():  # type: ignore[no-untyped-def]
    from pinconsole.pages.signin import signin_page

    return signin_page()


def _audit_page():  # type: ignore[no-untyped-def]
    from pinconsole.pages.audit import audit_page

    return audit_page()


def _build() -> Plugin:
    # States are imported here, not at module top: the CLI loads plugins without needing them.
    from pinconsole.state.audit import AuditState
    from pinconsole.state.signin import SignInState

    return Plugin(
        name="access",
        description="Sign-in and the audit log",
        pages=[
            PageSpec(
                route="/signin",
                title="Sign in",
                component=_signin_page,
                on_load=SignInState.load,
            ),
            PageSpec(
                route="/admin/audit",
                title="Audit log",
                component=_audit_page,
                on_load=AuditState.load,  # the app adds the ensure_admin guard
                nav=NavEntry("Audit log", "scroll-text", section="Admin", order=900),
                admin_only=True,
            ),
        ],
    )


plugin = _build
