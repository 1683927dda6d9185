"""/admin/org: the LDAP sync history and, for admins, "Sync now"."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from pinconsole import components as c
from pinconsole.state.org_admin import OrgAdminState as S


def _status(row: rx.Var) -> rx.Component:
    return c.badge(row["status"], row["status_type"])


def _error(row: rx.Var) -> rx.Component:
    return c.text(row["error"], size="100", color="subtle", white_space="pre-wrap")


def _nowrap(key: str) -> Callable[[rx.Var], rx.Component]:
    return lambda row: c.text(row[key], mono=True, white_space="nowrap")


def org_admin_page() -> rx.Component:
    columns = [
        c.Column("started", "Started (UTC)", render=_nowrap("started")),
        c.Column("finished", "Finished", render=_nowrap("finished")),
        c.Column("took", "Took", align="right", render=_nowrap("took")),
        c.Column("status", "Status", render=_status),
        c.Column("users", "Users", render=_nowrap("users")),
        c.Column("groups", "Groups", render=_nowrap("groups")),
        c.Column("by", "By"),
        c.Column("error", "Error / warnings", render=_error),
    ]
    return c.column(
        rx.cond(
            S.configured,
            rx.fragment(),
            c.callout(
                "Set PINCONSOLE_ORG_CONFIG to a YAML file with catalog.providers.ldapOrg "
                "blocks (as in a Backstage app-config.yaml) to sync users and groups.",
                "warning",
                title="No LDAP configuration",
            ),
        ),
        rx.cond(
            S.message != "",
            rx.match(
                S.message_type,
                ("success", c.callout(S.message, "success")),
                ("error", c.callout(S.message, "error")),
                c.callout(S.message, "info"),
            ),
        ),
        c.module(
            c.table(
                columns,
                S.rows,
                paged=S,
                page_label="",
                empty=c.empty_state(
                    "No syncs yet",
                    "The first sync runs at start-up and then every period; or sync now.",
                    icon="refresh-cw",
                ),
            ),
            title="Sync history",
            # components.pagination does `label or ""`, which a Var refuses: the label goes here
            subtitle=rx.cond(
                S.page_label != "",
                "Users and groups from LDAP into the catalog · runs " + S.page_label,
                "Users and groups from LDAP into the catalog",
            ),
            icon="users",
            actions=[
                c.button(
                    "Sync now",
                    S.sync_now,
                    color="red",
                    icon_start="refresh-cw",
                    loading=S.syncing,
                    disabled=~S.is_admin | ~S.configured,
                )
            ],
        ),
        gap=4,
    )
