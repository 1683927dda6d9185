"""Entity pages as Backstage users know them: the open tab is the URL's ``?tab=`` (reload, shared
link, Back, keyboard), groups and users show their org relations in the lists and the graph, a
person has one page (``/users/<name>`` opens it), and View source / Edit come from the
descriptor's annotations or its URL location. Screenshots: entity-group-relations,
entity-source-links."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import sign_in
from e2e_harness import ROOT
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from pinconsole.db import session_scope
from pinconsole.models import Entity, Relation


def _org(database_url: str) -> tuple[str, str, str]:
    """(a default-namespace group with members, a parent and owned entities, a member, the
    parent) from the demo organisation."""
    with session_scope(database_url) as s:
        rows = s.exec(
            select(Relation.source_ref, Relation.type, Relation.target_ref).where(
                col(Relation.source_ref).startswith("group:default/"),
                col(Relation.type).in_(["hasMember", "childOf", "ownerOf"]),
            )
        ).all()
    by_group: dict[str, dict[str, list[str]]] = {}
    for source, rtype, target in rows:
        by_group.setdefault(source, {}).setdefault(rtype, []).append(target)
    for group, rels in sorted(by_group.items()):
        members = sorted(m for m in rels.get("hasMember", []) if m.startswith("user:default/"))
        parents = [p for p in rels.get("childOf", []) if p.startswith("group:default/")]
        if members and parents and rels.get("ownerOf"):
            name = group.split("/", 1)[1]
            return name, members[0].split("/", 1)[1], parents[0].split("/", 1)[1]
    pytest.skip("the demo has no team with members, a parent and owned entities")


def _from_file(database_url: str) -> str:
    """A demo component imported from a file, without source annotations."""
    with session_scope(database_url) as s:
        for e in s.exec(select(Entity).where(col(Entity.kind) == "component")).all():
            annotations = (e.body.get("metadata") or {}).get("annotations") or {}
            managed = str(annotations.get("backstage.io/managed-by-location", ""))
            if managed.startswith("file:") and "backstage.io/source-location" not in annotations:
                return e.name
    pytest.skip("the demo has no component imported from a file")


def test_tabs_live_in_the_url_and_org_relations_show(console: Any, page: Page, shot: Any) -> None:
    team, member, parent = _org(console.database_url)
    group_url = f"/catalog/group/default/{team}"
    member_url = f"/catalog/user/default/{member}"
    sign_in(page)

    # A shared link opens its tab; the lists and the graph show the org, with links.
    page.goto(f"{group_url}?tab=relations")
    relations = page.locator("#entity-relations")
    expect(relations.locator(f'a[href="{member_url}"]').first).to_be_visible(timeout=30_000)
    tabs = page.locator("#entity-tabs")
    expect(tabs.get_by_role("tab", name="Relations")).to_have_attribute("aria-selected", "true")
    for heading in ("Members", "Parent", "Owns"):
        expect(relations.get_by_text(heading, exact=True)).to_be_visible()
    expect(relations.locator(f'a[href="/teams/{parent}"]').first).to_be_visible()
    graph = page.locator("#entity-graph")
    expect(graph.locator(f'a[href="{member_url}"]').first).to_be_visible()
    expect(graph.locator(f'a[href="/teams/{parent}"]').first).to_be_visible()
    expect(graph.get_by_text("member of").first).to_be_visible()
    expect(graph.get_by_text("owned by").first).to_be_visible()  # not crowded out by members
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    shot(page, "entity-group-relations", full_page=True)

    # A reload keeps the tab; a click changes the URL; Back and Forward walk the tabs.
    page.reload()
    expect(relations.locator(f'a[href="{member_url}"]').first).to_be_visible(timeout=30_000)
    tabs.get_by_role("tab", name="Overview").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(group_url)}/?$"))
    expect(page.locator("#entity-about")).to_be_visible(timeout=30_000)
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?tab=relations$"))
    expect(relations).to_be_visible(timeout=30_000)
    page.go_forward()
    expect(page.locator("#entity-about")).to_be_visible(timeout=30_000)
    # From the keyboard: the tabs are links.
    tabs.get_by_role("tab", name="Relations").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?tab=relations$"))
    expect(relations).to_be_visible(timeout=30_000)

    # An unknown tab opens the first one, and the URL stops naming it.
    page.goto(f"{group_url}?tab=no-such-tab")
    expect(page.locator("#entity-about")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(rf"{re.escape(group_url)}/?$"), timeout=30_000)

    # A person has one page: the old address opens it, and Back skips the old address.
    page.goto(f"/users/{member}")
    expect(page).to_have_url(re.compile(rf"{re.escape(member_url)}/?$"), timeout=30_000)
    expect(page.locator(f'#user-teams a[href="/teams/{team}"]')).to_be_visible(timeout=30_000)
    expect(page.locator("#user-owned")).to_be_visible()
    shot(page, "entity-user", full_page=True)
    page.go_back()
    expect(page).to_have_url(re.compile(rf"{re.escape(group_url)}/?$"), timeout=30_000)
    page.goto(f"/users/{member}?tab=relations")
    expect(page).to_have_url(re.compile(rf"{re.escape(member_url)}\?tab=relations$"))
    expect(relations.get_by_text("Member of", exact=True)).to_be_visible(timeout=30_000)
    expect(relations.locator(f'a[href="/teams/{team}"]').first).to_be_visible()
    expect(graph.locator(f'a[href="/teams/{team}"]').first).to_be_visible()


DESCRIPTORS = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: e2e-from-url
  description: Imported from a URL location, with no source annotations.
spec:
  type: service
  lifecycle: experimental
  owner: group:default/e2e-no-such-team
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: e2e-annotated-source
  annotations:
    backstage.io/source-location: url:https://git.example.com/acme/annotated/tree/main/
    backstage.io/edit-url: "javascript:alert(document.cookie)"
spec:
  type: service
  lifecycle: experimental
  owner: group:default/e2e-no-such-team
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def descriptor_url(tmp_path: Path) -> Iterator[str]:
    """A descriptor served over HTTP at a GitHub-shaped ``.../blob/main/`` path."""
    path = tmp_path / "acme" / "blob" / "main" / "catalog-info.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(DESCRIPTORS, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/acme/blob/main/catalog-info.yaml"
    finally:
        server.shutdown()
        server.server_close()


def test_view_source_and_edit_links(
    console: Any, page: Page, shot: Any, descriptor_url: str
) -> None:
    host = descriptor_url.split("/")[2]
    env = {**console.env, "PINCONSOLE_CATALOG_READING_ALLOW": json.dumps([{"host": host}])}
    done = subprocess.run(
        [sys.executable, "-m", "pinconsole.cli", "catalog", "import", descriptor_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    edit_url = descriptor_url.replace("/blob/", "/edit/")
    sign_in(page)

    # No annotations: both links and the location come from the URL location.
    page.goto("/catalog/component/default/e2e-from-url")
    source = page.locator("#entity-view-source")
    expect(source).to_have_attribute("href", descriptor_url, timeout=30_000)
    expect(page.locator("#entity-edit")).to_have_attribute("href", edit_url)
    location = page.locator("#entity-location")
    expect(location.locator(f'a[href="{descriptor_url}"]')).to_be_visible()

    # The annotations win; a javascript: edit-url is no link (the location's edit form is).
    page.goto("/catalog/component/default/e2e-annotated-source")
    expect(source).to_have_attribute(
        "href", "https://git.example.com/acme/annotated/tree/main/", timeout=30_000
    )
    expect(page.locator("#entity-edit")).to_have_attribute("href", edit_url)
    expect(page.locator('a[href^="javascript:"]')).to_have_count(0)
    page.locator("#entity-view-source").focus()
    shot(page, "entity-source-links")

    # A file location is shown as a path, never as a link, and gives no source links.
    page.goto(f"/catalog/component/default/{_from_file(console.database_url)}")
    expect(page.locator("#entity-location")).to_be_visible(timeout=30_000)
    expect(page.locator("#entity-location a")).to_have_count(0)
    expect(source).to_have_count(0)
