"""The catalog in the browser: filter /catalog (the URL carries the filters), open a service,
see its owner, relations and its API's operations, then its team, a member and /teams; broken
descriptors on /catalog/errors. Screenshots: catalog-list, catalog-service, catalog-api,
catalog-team (scripts/screenshots.py copies them to docs/screenshots)."""

from __future__ import annotations

import re
import shutil
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
from pinconsole.pages.layout import SEARCH_INPUT_ID


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
    page.get_by_role("checkbox", name=re.compile(r"^production")).click()
    expect(page).to_have_url(re.compile(r"lifecycle=production"), timeout=30_000)
    expect(row.first).to_be_visible()
    expect(page.locator("#catalog-facet-lifecycle")).to_have_text("production")
    page.keyboard.press("Escape")
    # The closed popover gives the focus back to its button: take it away (no focus ring).
    expect(page.locator("#catalog-facet-lifecycle-options")).to_be_hidden()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    shot(page, "catalog-list")

    # Several values of one facet are OR-ed, and the URL carries them all.
    page.goto("/catalog?kind=component")
    expect(table.locator(".pc-table-row").first).to_be_visible(timeout=60_000)
    page.locator("#catalog-facet-lifecycle").click()
    options = page.locator("#catalog-facet-lifecycle-options")
    options.get_by_role("checkbox", name=re.compile(r"^production")).click()
    expect(page).to_have_url(re.compile(r"lifecycle=production"), timeout=30_000)
    options.get_by_role("checkbox", name=re.compile(r"^deprecated")).click()
    expect(page).to_have_url(re.compile(r"lifecycle=production%2Cdeprecated"), timeout=30_000)
    expect(page.locator("#catalog-facet-lifecycle")).to_have_text("production, deprecated")
    page.keyboard.press("Escape")
    badges = table.locator(".pc-table-row").filter(has_text=re.compile("experimental"))
    expect(badges).to_have_count(0)
    page.goto("/catalog?kind=component&lifecycle=production,deprecated")
    expect(page.locator("#catalog-facet-lifecycle")).to_have_text(
        "production, deprecated", timeout=30_000
    )

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
    expect(page).to_have_url(re.compile(r"/catalog/user/default/[^/]+/?$"))
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


FIXTURE = ROOT / "tests" / "fixtures" / "catalog" / "valid"
# The fixture's names that the demo organisation uses too (an import would rightly refuse
# them as provided by another location); renamed consistently in every file of the copy.
RENAMES = (("payments", "acmepay"), ("commerce", "acmecommerce"))


def test_every_kind_relation_and_substitution_in_the_pages(
    console: Any, page: Page, tmp_path: Any, shot: Any
) -> None:
    """tests/fixtures/catalog/valid (every kind, relation and substitution) imports with no
    error through the CLI and shows on the catalog, entity, team and user pages."""
    target = tmp_path / "valid"
    shutil.copytree(FIXTURE, target)
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        content, name = path.read_text(encoding="utf-8"), path.name
        for old, new in RENAMES:
            content, name = content.replace(old, new), name.replace(old, new)
        path.unlink()
        (path.parent / name).write_text(content, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pinconsole.cli", "catalog", "import", str(target)],
        cwd=ROOT,
        env=console.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "added 17," in done.stdout and "errors 0" in done.stdout, done.stdout
    sign_in(page)

    # /catalog: filters from the URL, each kind of the fixture findable.
    page.goto("/catalog?system=acmepay&sort=kind")
    table = page.locator("#catalog-table")
    for href in (
        "/catalog/component/default/acmepay-service",
        "/catalog/component/default/ledger",
        "/catalog/api/default/acmepay-api",
        "/catalog/api/default/payment-events",
        "/catalog/resource/default/acmepay-db",
    ):
        expect(table.locator(f'a[href="{href}"]').first).to_be_visible(timeout=30_000)
    expect(table.locator(".pc-table-row")).to_have_count(5)
    for query, href in (
        ("kind=location&text=acme-catalog", "/catalog/location/default/acme-catalog"),
        ("kind=template", "/catalog/template/default/python-service"),
        ("kind=domain&text=checkout", "/catalog/domain/default/checkout"),
        ("namespace=infra&kind=user", "/catalog/user/infra/rsmith"),
        ("tag=fintech", "/teams/acmepay-team"),
    ):
        page.goto(f"/catalog?{query}")
        link = page.locator(f'#catalog-table a[href="{href}"]')
        expect(link.first).to_be_visible(timeout=30_000)

    # A component: owner, system, domain (through its system), links, location, relations.
    page.goto("/catalog/component/default/acmepay-service")
    expect(page.locator("#entity-owner")).to_have_text("acmepay-team", timeout=30_000)
    about = page.locator("#entity-about")
    expect(about.locator('a[href="/catalog/system/default/acmepay"]')).to_be_visible()
    expect(page.locator("#entity-domain")).to_have_text("checkout")
    expect(about.get_by_role("link", name="Runbook")).to_be_visible()
    expect(page.locator("#entity-location")).to_contain_text("valid/components/acmepay.yaml")
    expect(page.locator("#entity-score")).not_to_have_text("—")
    graph = page.locator("#entity-graph")
    for href in (
        "/catalog/api/default/acmepay-api",
        "/catalog/api/default/payment-events",
        "/catalog/resource/default/acmepay-db",
        "/catalog/component/default/ledger",
    ):
        expect(graph.locator(f'a[href="{href}"]').first).to_be_visible()
    shot(page, "fixture-component", full_page=True)
    page.get_by_role("tab", name="Relations").click()
    relations = page.locator("#entity-relations")
    for heading in ("Provides APIs", "Depends on", "Has parts", "Part of", "Owned by"):
        expect(relations.get_by_text(heading, exact=True)).to_be_visible()

    # An API: $text definition rendered as operations, $yaml links.
    page.goto("/catalog/api/default/acmepay-api")
    expect(page.locator("#entity-about").get_by_role("link", name="Docs")).to_be_visible(
        timeout=30_000
    )
    page.get_by_role("tab", name="Definition").click()
    operation = page.locator(".pc-api-operation").first
    expect(operation).to_contain_text("/charges", timeout=30_000)
    expect(operation).to_contain_text("POST")
    # Another: $json labels; an AsyncAPI definition is shown raw.
    page.goto("/catalog/api/default/payment-events")
    labels = page.locator("#entity-labels")
    expect(labels).to_contain_text("acme.example/tier", timeout=30_000)
    expect(labels).to_contain_text("gold")
    page.get_by_role("tab", name="Definition").click()
    expect(page.locator("#api-raw")).to_contain_text("asyncapi", timeout=30_000)
    shot(page, "fixture-asyncapi")

    # Teams: parent, children (one in another namespace), members, owned, scorecard.
    page.goto("/teams/acmepay-team")
    expect(page.locator("#team-title")).to_be_visible(timeout=30_000)
    expect(page.locator('#team-hierarchy a[href="/teams/engineering"]')).to_be_visible()
    expect(page.locator("#team-members")).to_contain_text("Jane Doe")
    owned = page.locator("#team-owned")
    for href in ("/catalog/component/default/acmepay-service", "/catalog/domain/default/checkout"):
        expect(owned.locator(f'a[href="{href}"]').first).to_be_visible()
    expect(page.locator("#team-scorecard")).not_to_contain_text("—")
    shot(page, "fixture-team", full_page=True)
    page.goto("/teams/engineering")
    hierarchy = page.locator("#team-hierarchy")
    expect(hierarchy.locator('a[href="/teams/acmepay-team"]')).to_be_visible(timeout=30_000)
    expect(hierarchy.locator('a[href="/catalog/group/infra/platform-team"]')).to_be_visible()
    expect(hierarchy.locator('a[href="/teams/acme"]')).to_be_visible()

    # A user: teams, and what they own directly.
    page.goto("/users/jdoe")
    expect(page.locator('#user-teams a[href="/teams/acmepay-team"]')).to_be_visible(timeout=30_000)
    expect(
        page.locator('#user-owned a[href="/catalog/component/default/checkout-web"]')
    ).to_be_visible()

    # The top bar's search: results as you type (a person by display name, not only by id),
    # arrows and Enter open one.
    page.goto("/catalog")
    box = page.locator(f"#{SEARCH_INPUT_ID}")
    box.click()
    box.press_sequentially("Jane Do", delay=50)
    hits = page.locator(".pc-search-result")
    expect(hits.filter(has_text="Jane Doe").first).to_be_visible(timeout=30_000)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/catalog/user/default/jdoe/?$"), timeout=30_000)
    box.click()
    box.press_sequentially("acmepay-", delay=50)
    expect(hits.filter(has_text="acmepay-db").first).to_be_visible(timeout=30_000)
    expect(hits.filter(has_text="acmepay-api").first).to_be_visible()
    count = hits.count()
    titles = [hits.nth(i).inner_text() for i in range(count)]
    target = next(i for i, t in enumerate(titles) if "acmepay-db" in t)
    for _ in range(target):
        box.press("ArrowDown")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/catalog/resource/default/acmepay-db/?$"))

    # A group and a user outside the default namespace have entity pages with relations.
    page.goto("/catalog/group/infra/platform-team")
    page.get_by_role("tab", name="Relations").click()
    relations = page.locator("#entity-relations")
    expect(relations.locator('a[href="/catalog/user/infra/rsmith"]')).to_be_visible(timeout=30_000)
    expect(relations.locator('a[href="/teams/engineering"]')).to_be_visible()
    expect(relations.locator('a[href="/catalog/resource/default/acmepay-db"]')).to_be_visible()
