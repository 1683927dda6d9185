"""The catalog feature as a plugin. The read side appends its pages and api_routers here."""

from __future__ import annotations

from pinconsole.catalog.api import router as catalog_api
from pinconsole.catalog.cli import app as catalog_cli
from pinconsole.catalog.scorecards import refresh_scores
from pinconsole.plugins.base import Job, Plugin
from pinconsole.settings import get_settings


def _refresh() -> None:
    from pinconsole.catalog.locations import refresh_locations

    refresh_locations()


def _purge() -> None:
    from pinconsole.catalog.ingest import purge_orphans

    purge_orphans()


plugin = Plugin(
    name="catalog",
    description="Backstage-compatible software catalog",
    pages=[],
    api_routers=[catalog_api],
    entity_tabs=[],
    cli={"catalog": catalog_cli},
    jobs=[
        Job(
            name="catalog-refresh",
            interval_seconds=lambda: get_settings().catalog_refresh_minutes * 60.0,
            run=_refresh,
            run_at_start=True,
        ),
        Job(name="catalog-orphan-purge", interval_seconds=3600.0, run=_purge),
        Job(name="catalog-scores", interval_seconds=600.0, run=refresh_scores, run_at_start=True),
    ],
)
