"""The sandbox emulator on loopback, reached through a generated kubeconfig, and a cache on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pinconsole.compute.cache import ClusterCache
from pinconsole.compute.clusters import ClusterManager, api_factory
from pinconsole.sandbox import Sandbox, SandboxEmulator, seed_demo
from pinconsole.settings import ClusterSettings, get_settings

SERVICES = [
    ("pins-api", "pins", "group:default/pins"),
    ("pins-worker", "pins", "group:default/pins"),
    ("boards-api", "boards", "group:default/boards"),
]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    sb = Sandbox(SandboxEmulator(), kubeconfig=tmp_path / "kubeconfig").start()
    sb.call(seed_demo, sb.emulator, SERVICES)
    yield sb
    sb.stop()


@pytest.fixture
def manager(sandbox: Sandbox) -> Iterator[ClusterManager]:
    mgr = ClusterManager()
    cluster = ClusterSettings(name="sandbox", kubeconfig=str(sandbox.kubeconfig), context="sandbox")
    cache = ClusterCache(
        name="sandbox",
        api_factory=api_factory(cluster),
        watch_timeout=5,
        max_backoff=0.5,
        metrics_interval=3600,  # tests sample by hand
    )
    mgr.add(cache, sampler=False)
    assert cache.wait_synced(15)
    yield mgr
    mgr.stop()


@pytest.fixture
def owners(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Namespace pins belongs to team pins, boards to team boards (through settings)."""
    monkeypatch.setenv("PINCONSOLE_NAMESPACE_OWNERS", '{"pins": "pins", "boards": "boards"}')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
