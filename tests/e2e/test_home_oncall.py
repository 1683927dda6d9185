"""The home page as the on-call engineer sees it: a crash-looping PinApp of one of my services
reads red, my services name their failing scorecard checks, and "recent changes" holds my
team's changes, not sign-ins or other teams' actions."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from fixtures.polling import wait_for
from kubernetes import client, config
from playwright.sync_api import Page, expect

# The first demo user (the signed-in administrator) is in team pricing; two of its services run
# on the sandbox, in namespace pricing.
TEAM = "pricing"
SERVICE = "pricing-consumer"
OTHERS = "pinapp:sandbox/platform-infra/platform-infra-consumer"  # another team's PinApp


def _audit(database_url: str, actor: str, action: str, target: str) -> None:
    """An audit row as the console writes it (the e2e console's database is SQLite)."""
    path = database_url.removeprefix("sqlite:///")
    at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "INSERT INTO audit_event (at, actor, action, target, outcome, detail, uid) "
            "VALUES (?, ?, ?, ?, 'ok', '', ?)",
            (at, actor, action, target, uuid.uuid4().hex),
        )


def _set_crash_looping(api: client.CoreV1Api, pod: client.V1Pod, looping: bool) -> None:
    """What the sandbox's chaos does to a pod (``sandbox.pods.crash`` / ``recover``)."""
    body = api.read_namespaced_pod_status(pod.metadata.name, TEAM)
    for cs in body.status.container_statuses or []:
        cs.ready = not looping
        if looping:
            cs.restart_count = (cs.restart_count or 0) + 1
            cs.state = client.V1ContainerState(
                waiting=client.V1ContainerStateWaiting(reason="CrashLoopBackOff")
            )
        else:
            cs.state = client.V1ContainerState(
                running=client.V1ContainerStateRunning(started_at=datetime.now(UTC))
            )
    body.status.conditions = [
        client.V1PodCondition(type="Ready", status="False" if looping else "True")
    ]
    api.replace_namespaced_pod_status(pod.metadata.name, TEAM, body)


@pytest.fixture
def crash_looping_pods(console: Any) -> Iterator[list[str]]:
    """Half of ``SERVICE``'s pods (at least one) in CrashLoopBackOff, the rest still ready:
    the PinApp is only degraded by its ready count, so red must come from the crash loop.
    Two pods, so that chaos recovering one leaves the other; recovered afterwards (other
    tests share the sandbox)."""
    kubeconfig = console.data_dir / "sandbox-kubeconfig.yaml"
    wait_for(kubeconfig.exists, 120)  # the backend starts the sandbox
    api = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))

    def pods() -> list[client.V1Pod] | None:
        found = [
            p
            for p in api.list_namespaced_pod(TEAM).items
            if p.metadata.name.startswith(f"{SERVICE}-") and p.status.phase == "Running"
        ]
        return found if len(found) >= 2 else None

    found = cast(list[client.V1Pod], wait_for(pods, 90))
    crashed = found[: len(found) // 2]
    for pod in crashed:
        _set_crash_looping(api, pod, True)
    try:
        yield [p.metadata.name for p in crashed]
    finally:
        for pod in crashed:
            with contextlib.suppress(Exception):  # chaos may have recovered or replaced it
                _set_crash_looping(api, pod, False)


def test_home_shows_my_services_health_checks_and_teams_changes(
    console: Any, signed_in_page: Page, crash_looping_pods: list[str], shot: Any
) -> None:
    ours = f"pinapp:sandbox/{TEAM}/{SERVICE}"
    _audit(console.database_url, "oncall-e2e-ours", "pinapp.scale", ours)
    _audit(console.database_url, "oncall-e2e-others", "pinapp.restart", OTHERS)
    page = signed_in_page  # signing in wrote an auth.sign_in row just now
    page.goto("/")

    health = page.locator("#home-workload-health")
    app = health.get_by_role("link", name=SERVICE, exact=True)
    expect(app).to_have_attribute("href", f"/workloads/sandbox/{TEAM}/{SERVICE}", timeout=90_000)
    row = health.locator(
        ".pc-service-health", has=page.get_by_role("link", name=SERVICE, exact=True)
    )
    # Red: one crash-looping pod makes the PinApp, and so the service, down.
    expect(row).to_have_attribute("data-health", "down", timeout=30_000)
    expect(row).to_contain_text("Crash-looping")
    expect(row).to_contain_text(" ready")
    # The worst service comes first; a service without PinApps says so in grey.
    expect(health.locator(".pc-service-health").first).to_have_attribute("data-health", "down")
    expect(health.locator('.pc-service-health[data-health="none"]').first).to_contain_text(
        "No workloads"
    )

    # My services name their failing checks, each linked to the entity's scorecard.
    failing = page.locator('main a[href$="#entity-scorecard"]')
    expect(failing.first).to_be_visible()
    href = failing.first.get_attribute("href") or ""
    assert href.startswith("/catalog/component/default/"), href

    # Recent changes: the team's (its PinApp's action, the catalog's imports), newest first.
    changes = page.locator(".pc-activity-row")
    expect(changes.first).to_contain_text("oncall-e2e-ours")
    expect(changes.first).to_contain_text("pinapp.scale")
    texts = changes.all_inner_texts()
    assert not any("oncall-e2e-others" in t for t in texts), texts
    assert not any("auth.sign_in" in t for t in texts), texts
    assert any("catalog.import" in t for t in texts), texts  # the demo's seed import

    shot(page, "home-oncall", full_page=True)
    # Keyboard: the PinApp link is reachable and opens the PinApp page.
    app.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{console.url}/workloads/sandbox/{TEAM}/{SERVICE}", timeout=30_000)
