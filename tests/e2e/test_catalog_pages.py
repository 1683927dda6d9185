"""The catalog in the browser: filter /catalog (the URL carries the filters), open a service,
see its owner, relations and its API's operations, then its team, a member and /teams; broken
descriptors on /catalog/errors. Screenshots: catalog-list, catalog-service, catalog-api,
catalog-team (scripts/screenshots.py copies them to docs/screenshots)."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest
from conftest import sign_in
from e2e_harness import ROOT
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from pinconsole.db import session_scope
from pinconsole.models import Entity, Relation


def _service(database_url: str) -> tuple[str, str, str]:
    """(service with a provided OpenAPI API and dependencies, its team, the API's name)."""
    with session_scope(database_url) as s:
        comps = s.exec(
            select(Entity).where(
                col(Entity.kind) == "component", col(Entity.spec_type) == "service"
            )
        ).all()
        for comp in sorted(comps, key=lambda e: e.name):
            if not comp.owner_ref or comp.status != "active":
                continue
            rels = s.exec(select(Relation).where(Relation.source_ref == comp.ref)).all()
            apis = [r.target_ref for r in rels if r.type == "providesApi"]
            if not apis or not any(r.type == "dependsOn" for r in rels):
                continue
            api = s.exec(select(Entity).where(Entity.ref == apis[0])).first()
            if api is None or str(api.spec_type).lower() != "openapi":
                continue
            return comp.name, comp.owner_ref.rsplit("/", 1)[-1], api.name
    pytest.skip("the demo has no service providing an OpenAPI API (is the demo seeded?)")


def test_catalog_service_api_team(console: Any, page: Page, shot: Any) -> None:
    service, team, api = _service(console.database_url)
    svc_url, api_url = f"/catalog/component/default/{service}", f"/catalog/api/default/{api}"
    sign_in(page)

    # Filters from the URL are applied on load, and a filter change goes back into the URL.
    page.goto("/catalog?kind=component")
    table = page.locator("#catalog-table")
    expect(table.locator(".pc-table-row").first).to_be_visible(timeout=60_000)
    page.locator("#catalog-search").fill(service)
    row = table.locator(".pc-table-row", has_text=service)
    expect(row.first).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(rf"kind=component.*text={re.escape(service)}"))
    page.locator("#catalog-facet-lifecycle").click()
    page.get_by_role("option", name=re.compile(r"^production")).click()
    expect(page).to_have_url(re.compile(r"lifecycle=production"), timeout=30_000)
    expect(row.first).to_be_visible()
    shot(page, "catalog-list")

    # A shared link reproduces the view.
    page.goto(f"/catalog?kind=component&text={service}")
    expect(page.locator("#catalog-table .pc-table-row", has_text=service).first).to_be_visible(
        timeout=30_000
    )

    page.locator(f'#catalog-table a[href="{svc_url}"]').first.click()
    expect(page).to_have_url(re.compile(rf"/catalog/component/default/{service}/?$"))
    expect(page.locator("#entity-owner")).to_have_text(team, timeout=30_000)
    expect(page.locator("#entity-scorecard")).to_be_visible()
    graph = page.locator("#entity-graph")
    expect(graph.locator(f'a[href="{api_url}"]').first).to_be_visible()
    shot(page, "catalog-service")

    page.get_by_role("tab", name="Relations").click()
    relations = page.locator("#entity-relations")
    expect(relations.get_by_text("Provides APIs")).to_be_visible()
    expect(relations.get_by_text("Depends on")).to_be_visible()

    relations.locator(f'a[href="{api_url}"]').first.click()
    expect(page).to_have_url(re.compile(rf"/catalog/api/default/{api}/?$"))
    expect(page.locator("#entity-title")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Definition").click()
    operations = page.locator(".pc-api-operation")
    expect(operations.first).to_be_visible(timeout=30_000)
    expect(operations.first).to_contain_text(re.compile(r"GET|POST|PUT|PATCH|DELETE"))
    shot(page, "catalog-api")

    page.goto(f"/catalog/component/default/{service}")
    page.locator("#entity-owner").click()
    expect(page).to_have_url(re.compile(rf"/teams/{team}/?$"))
    expect(page.locator("#team-title")).to_be_visible(timeout=30_000)
    expect(page.locator("#team-members")).to_be_visible()
    expect(page.locator(f'#team-owned a[href="{svc_url}"]').first).to_be_visible()
    expect(page.locator("#team-scorecard")).to_be_visible()
    shot(page, "catalog-team")

    # A member's page lists the team; the teams index finds the team.
    page.locator("#team-members a").first.click()
    expect(page).to_have_url(re.compile(r"/users/[^/]+/?$"))
    expect(page.locator(f'#user-teams a[href="/teams/{team}"]')).to_be_visible(timeout=30_000)
    page.goto(f"/teams?text={team}")
    expect(page.locator(f'#teams-table a[href="/teams/{team}"]')).to_be_visible(timeout=30_000)


BROKEN = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: e2e-fine
spec:
  type: service
  lifecycle: production
  owner: platform
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: e2e-broken
spec:
  type: service
  owner: platform
"""


def test_errors_page_and_unknown_entity(console: Any, page: Page, tmp_path: Any) -> None:
    """A broken document shows on /catalog/errors with its file; its sibling is imported."""
    descriptor = tmp_path / "catalog-info.yaml"
    descriptor.write_text(BROKEN, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pinconsole.cli", "catalog", "import", str(descriptor)],
        cwd=ROOT,
        env=console.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0, done.stdout + done.stderr  # an error makes the import fail
    sign_in(page)
    page.goto("/catalog/errors")
    rows = page.locator("#catalog-errors-table .pc-table-row", has_text="catalog-info.yaml")
    expect(rows.first).to_be_visible(timeout=30_000)
    expect(rows.first).to_contain_text("lifecycle")
    page.locator("#errors-search").fill("no-such-message-anywhere")
    expect(page.get_by_text("No import errors")).to_be_visible()

    page.goto("/catalog?text=e2e-fine")
    expect(page.locator("#catalog-table .pc-table-row", has_text="e2e-fine")).to_have_count(
        1, timeout=30_000
    )
    page.goto("/catalog/component/default/no-such-thing")
    expect(page.get_by_text("Entity not found")).to_be_visible(timeout=30_000)
