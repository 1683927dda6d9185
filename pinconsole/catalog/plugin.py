"""The catalog feature as a plugin: the catalog, entity, team and user pages, the REST routes,
the CLI group and the refresh, purge, materialise and scoring jobs."""

from __future__ import annotations

from typing import Any

from pinconsole.catalog.actions import REGISTER
from pinconsole.catalog.cli import app as catalog_cli
from pinconsole.plugins.base import Job, NavEntry, PageSpec, Plugin
from pinconsole.settings import get_settings


def _refresh() -> None:
    from pinconsole.catalog.locations import refresh_locations

    refresh_locations()


def _pages() -> list[PageSpec]:
    """The catalog UI; imported when the app is assembled, so the CLI loads no Reflex."""
    from pinconsole.pages.catalog import catalog_errors_page, catalog_page
    from pinconsole.pages.entity import entity_page
    from pinconsole.pages.team import team_page, teams_page
    from pinconsole.pages.user import user_opening_page
    from pinconsole.state.catalog import CatalogErrorsState, CatalogState
    from pinconsole.state.entity import EntityState
    from pinconsole.state.team import TeamsState, TeamState
    from pinconsole.state.user import UserState

    return [
        PageSpec(
            route="/catalog",
            title="Catalog",
            component=catalog_page,
            on_load=CatalogState.load,
            nav=NavEntry("Catalog", "library", section="Explore", order=10),
        ),
        PageSpec(
            route="/catalog/errors",
            title="Import errors",
            component=catalog_errors_page,
            on_load=CatalogErrorsState.load,
        ),
        PageSpec(
            route="/catalog/[kind]/[namespace]/[name]",
            title="Entity",
            component=entity_page,
            on_load=EntityState.load,
        ),
        PageSpec(
            route="/teams",
            title="Teams",
            component=teams_page,
            on_load=TeamsState.load,
            nav=NavEntry("Teams", "users", section="Teams", order=10),
        ),
        PageSpec(route="/teams/[name]", title="Team", component=team_page, on_load=TeamState.load),
        # A person's page is their entity page; the older address opens it.
        PageSpec(
            route="/users/[name]",
            title="User",
            component=user_opening_page,
            on_load=UserState.open_entity_page,
        ),
    ]


def _api_routers() -> list[Any]:
    # The REST API is imported when the API is assembled: a CLI command starts without it.
    from pinconsole.catalog.api import router

    return [router]


def _fill_api_json() -> None:
    from pinconsole.catalog.materialize import fill_api_json

    fill_api_json()


def _refresh_scores() -> None:
    from pinconsole.catalog.scorecards import refresh_scores

    refresh_scores()


def _purge() -> None:
    from pinconsole.catalog.ingest import purge_orphans

    purge_orphans()


def plugin() -> Plugin:
    return Plugin(
        name="catalog",
        description="Backstage-compatible software catalog",
        pages=_pages,
        api_routers=_api_routers,
        cli={"catalog": catalog_cli},
        # Anyone signed in may register a URL location (as in Backstage); catalog_rules limit
        # what it brings in.
        open_actions=[REGISTER],
        jobs=[
            Job(
                name="catalog-refresh",
                interval_seconds=lambda: get_settings().catalog_refresh_minutes * 60.0,
                run=_refresh,
                run_at_start=True,
            ),
            Job(name="catalog-orphan-purge", interval_seconds=3600.0, run=_purge),
            # Imports and syncs fill what they emptied; this catches any other writer.
            Job(name="catalog-api-json", interval_seconds=120.0, run=_fill_api_json),
            Job(
                name="catalog-scores",
                interval_seconds=600.0,
                run=_refresh_scores,
                run_at_start=True,
            ),
        ],
    )
