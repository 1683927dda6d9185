"""The demo's sandbox as the compute start-up job wires it in: seeded from the catalog's services
that carry a kubernetes id, watched through its kubeconfig like any cluster, and caught up with
the catalog when the job runs again. A starter that fails leaves the configured clusters alone;
outside the embedded default (or with ``sandbox_cluster`` off) there is no sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fixtures.polling import wait_for

from pinconsole.catalog.ingest import import_locations
from pinconsole.compute.clusters import ClusterManager, start_clusters
from pinconsole.sandbox.embedded import embedded_cluster, start_sandbox
from pinconsole.settings import Settings, get_settings


def _component(name: str, kube_id: str | None = None) -> str:
    annotations = f"{{backstage.io/kubernetes-id: {kube_id}}}" if kube_id else "{}"
    return f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: {name}, annotations: {annotations}}}
spec: {{type: service, lifecycle: production, owner: pins}}
"""


def test_the_sandbox_is_seeded_from_the_catalog_and_catches_up(
    sqlite_db: str, tmp_path: Path
) -> None:
    catalog = tmp_path / "catalog-info.yaml"
    catalog.write_text(_component("ledger", "ledger-api") + "---\n" + _component("no-kube"))
    assert not import_locations([str(catalog)], actor="test").errors
    manager = ClusterManager()
    try:
        start_clusters(
            get_settings(), manager, embedded=lambda: start_sandbox(tmp_path, chaos=False)
        )
        cache = manager.get("sandbox")
        assert cache.wait_synced(15)
        assert set(cache.pinapps) == {("pins", "ledger-api")}  # the owner's name is the namespace

        second = _component("abacus", "ab")
        catalog.write_text(_component("ledger", "ledger-api") + "---\n" + second)
        assert not import_locations([str(catalog)], actor="test").errors
        start_clusters(get_settings(), manager)  # the job's next run
        wait_for(lambda: ("pins", "ab") in cache.pinapps, timeout=15)
    finally:
        manager.stop()
    assert manager.embedded is None and not manager.caches


def test_a_sandbox_that_fails_to_start_leaves_the_manager_empty(tmp_path: Path) -> None:
    def broken() -> None:
        raise OSError("no port left")

    manager = ClusterManager()
    start_clusters(Settings(clusters=[]), manager, embedded=broken)
    assert manager.started and manager.embedded is None and not manager.caches


def test_no_sandbox_outside_the_embedded_default() -> None:
    assert embedded_cluster(Settings(sandbox_cluster=False)) is None
    server = Settings(database_url="postgresql+psycopg://pc@127.0.0.1:1/pc", sandbox_cluster=True)
    assert embedded_cluster(server) is None


def test_in_the_demo_the_controller_reconciles_and_a_scale_reaches_the_pods(
    sqlite_db: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """The sandbox as the plugin wires it (with PinCompute's controller in-process): the seeded
    PinApps become Deployments our controller owns, and scaling one in the console changes that
    Deployment and the pods follow, with no stand-in controller running."""
    from pinconsole.access import Principal
    from pinconsole.compute import actions
    from pinconsole.compute.plugin import with_controller
    from pinconsole.sandbox import DEPLOYMENTS, PINAPPS

    monkeypatch.setenv("PINCONSOLE_CONTROLLER_LEASE_SECONDS", "2")
    get_settings.cache_clear()
    manager = ClusterManager()
    try:
        start_clusters(
            get_settings(),
            manager,
            embedded=lambda: with_controller(start_sandbox(tmp_path, chaos=False)),
        )
        cache = manager.get("sandbox")
        assert cache.wait_synced(15)
        embedded = manager.embedded
        assert embedded is not None
        sandbox = embedded.cluster.sandbox  # type: ignore[attr-defined]
        key = next(iter(sorted(cache.pinapps)))
        ns, name = key

        def deployment() -> dict[str, Any] | None:
            return sandbox.call(lambda: sandbox.emulator._store[DEPLOYMENTS].get((ns, name)))

        wait_for(lambda: deployment() is not None and len(cache.pods_of(key)) > 0, 20)
        app = sandbox.call(sandbox.emulator.get, PINAPPS, ns, name)
        owner = (deployment() or {})["metadata"]["ownerReferences"][0]
        assert (owner["kind"], owner["uid"]) == ("PinApp", app["metadata"]["uid"])
        wanted = int(app["spec"]["replicas"]) + 1
        actions.scale_pinapp(
            Principal(name="root", is_admin=True), "sandbox", ns, name, wanted, manager=manager
        )
        wait_for(lambda: (deployment() or {})["spec"]["replicas"] == wanted, 15)
        wait_for(lambda: len(cache.pods_of(key)) == wanted, 20)
        wait_for(lambda: cache.rows[key]["ready"] == wanted, 20)
    finally:
        manager.stop()
        get_settings.cache_clear()


def test_processes_on_one_data_directory_share_one_sandbox(
    sqlite_db: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """Two consoles on one data directory (as a console's workers are): the second does not
    serve a sandbox of its own, it watches the first's, and its scale reaches the pods that the
    first's cache sees; when the first stops, the second takes over on its next refresh."""
    from pinconsole.access import Principal
    from pinconsole.compute import actions
    from pinconsole.compute.plugin import with_controller

    monkeypatch.setenv("PINCONSOLE_CONTROLLER_LEASE_SECONDS", "2")
    get_settings.cache_clear()
    first, second = ClusterManager(), ClusterManager()
    try:
        for manager in (first, second):
            start_clusters(
                get_settings(),
                manager,
                embedded=lambda: with_controller(start_sandbox(tmp_path, chaos=False)),
            )
        served = [m.embedded.cluster.serving for m in (first, second)]  # type: ignore[union-attr]
        assert served == [True, False]
        mine, theirs = second.get("sandbox"), first.get("sandbox")
        assert mine.wait_synced(15) and theirs.wait_synced(15)
        assert set(mine.pinapps) == set(theirs.pinapps)
        key = sorted(mine.pinapps)[0]
        wait_for(lambda: len(theirs.pods_of(key)) > 0, 20)
        # One more than the PinApp asks for, not than the pods counted mid-rollout: below its
        # PinScaler's minimum the scale would be refused.
        wanted = int(mine.pinapps[key]["spec"]["replicas"]) + 1
        root = Principal(name="root", is_admin=True)
        actions.scale_pinapp(root, "sandbox", *key, wanted, manager=second)
        wait_for(lambda: len(theirs.pods_of(key)) == wanted, 30)
        wait_for(lambda: len(mine.pods_of(key)) == wanted, 30)

        first.stop()
        start_clusters(get_settings(), second)  # the job's next run
        assert second.embedded.cluster.serving  # type: ignore[union-attr]
        # Its cache follows the kubeconfig to the new sandbox, which the controller reconciles.
        wait_for(lambda: len(mine.pods_of(key)) > 0 and not mine.stale, 60)
    finally:
        first.stop()
        second.stop()
        get_settings.cache_clear()
