"""PinCompute as a plugin: the workloads pages, the Workloads entity tab, REST routes and the
start-up job that starts the cluster caches (and the sandbox) in the backend process only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinconsole.compute.cli import app as controller_cli
from pinconsole.plugins.base import EntityTab, Job, NavEntry, PageSpec, Plugin

if TYPE_CHECKING:
    from pinconsole.compute.clusters import EmbeddedCluster


def _start_clusters() -> None:
    # Runs in the backend's job scheduler, never in CLI processes (they do not run jobs). The
    # demo's sandbox is wired in here, at the seam: the domain never imports the emulator.
    from pinconsole.compute.clusters import start_clusters
    from pinconsole.sandbox.embedded import embedded_cluster

    start_clusters(embedded=lambda: with_controller(embedded_cluster()))


class ControlledCluster:
    """An embedded cluster with PinCompute's controller running against it in this process:
    nothing else reconciles the demo's sandbox (production runs ``pinconsole controller``)."""

    def __init__(self, cluster: EmbeddedCluster) -> None:
        from pinconsole.compute.clusters import api_factory
        from pinconsole.compute.controller import Controller
        from pinconsole.settings import ClusterSettings

        self.cluster = cluster
        settings = ClusterSettings(
            name=cluster.name, kubeconfig=str(cluster.kubeconfig), context=cluster.name
        )
        self.controller = Controller([(cluster.name, api_factory(settings))]).start()

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def kubeconfig(self) -> Path:
        return self.cluster.kubeconfig

    def refresh(self) -> int:
        return self.cluster.refresh()

    def stop(self) -> None:
        self.controller.stop()
        self.cluster.stop()


def with_controller(cluster: EmbeddedCluster | None) -> ControlledCluster | None:
    return ControlledCluster(cluster) if cluster is not None else None


def _pages() -> list[PageSpec]:
    # Pages and states are imported when the app is assembled, not when the plugin is loaded.
    from pinconsole.pages.pinapp import pinapp_page
    from pinconsole.pages.workloads import workloads_page
    from pinconsole.state.pinapp import PinAppState
    from pinconsole.state.pod_logs import PodLogsState
    from pinconsole.state.workloads import WorkloadsState

    return [
        PageSpec(
            route="/workloads",
            title="Workloads",
            component=workloads_page,
            on_load=WorkloadsState.load,
            nav=NavEntry("Workloads", "server", section="Operate", order=10),
        ),
        PageSpec(
            route="/workloads/[cluster]/[namespace]/[name]",
            title="PinApp",
            component=pinapp_page,
            on_load=[PinAppState.load, PodLogsState.load],
        ),
    ]


def _api_routers() -> list[Any]:
    # The REST API (and the Kubernetes client) load when the API is assembled, not for a CLI
    # command.
    from pinconsole.compute.api import router

    return [router]


def _entity_tabs() -> list[EntityTab]:
    from pinconsole.compute.queries import has_kubernetes_annotations
    from pinconsole.pages.workloads import entity_workloads_tab
    from pinconsole.state.entity_workloads import EntityWorkloadsState

    return [
        EntityTab(
            id="workloads",
            label="Workloads",
            predicate=has_kubernetes_annotations,
            component=entity_workloads_tab,
            order=40,
            on_load=EntityWorkloadsState.load,
        )
    ]


def _home_workloads() -> Any:
    # Imported when the home page is built: the plugin itself imports no Reflex.
    from pinconsole.pages.home_workloads import home_workloads_module

    return home_workloads_module()


def plugin() -> Plugin:
    return Plugin(
        name="compute",
        description="PinCompute: PinApps and PinScalers across clusters, live charts, actions",
        pages=_pages,
        entity_tabs=_entity_tabs,
        api_routers=_api_routers,
        cli={"controller": controller_cli},
        home_modules=[_home_workloads],
        jobs=[
            Job(
                name="compute-clusters",
                interval_seconds=60.0,
                run=_start_clusters,
                run_at_start=True,
                # The caches live in each process: every worker's pages read their own.
                every_host=True,
            )
        ],
    )
