"""PinCompute as a plugin: the workloads pages, the Workloads entity tab, REST routes and the
start-up job that starts the cluster caches (and the sandbox) in the backend process only."""

from __future__ import annotations

from typing import Any

from pinconsole.plugins.base import EntityTab, Job, NavEntry, PageSpec, Plugin


def _start_clusters() -> None:
    # Runs in the backend's job scheduler, never in CLI processes (they do not run jobs).
    from pinconsole.compute.clusters import start_clusters

    start_clusters()


def _workloads_page() -> Any:
    from pinconsole.pages.workloads import workloads_page

    return workloads_page()


def _pinapp_page() -> Any:
    from pinconsole.pages.pinapp import pinapp_page

    return pinapp_page()


def _workloads_tab() -> Any:
    from pinconsole.pages.workloads import entity_workloads_tab

    return entity_workloads_tab()


def _has_kubernetes(entity_body: Any) -> bool:
    from pinconsole.compute.queries import has_kubernetes_annotations

    return has_kubernetes_annotations(entity_body)


def _build() -> Plugin:
    # States are imported here, not at module top: the CLI loads plugins without Reflex pages.
    from pinconsole.compute.api import router
    from pinconsole.state.workloads import EntityWorkloadsState, PinAppState, WorkloadsState

    return Plugin(
        name="compute",
        description="PinCompute: PinApps and PinScalers across clusters, live charts, actions",
        pages=[
            PageSpec(
                route="/workloads",
                title="Workloads",
                component=_workloads_page,
                on_load=WorkloadsState.load,
                nav=NavEntry("Workloads", "server", section="Operate", order=10),
            ),
            PageSpec(
                route="/workloads/[cluster]/[namespace]/[name]",
                title="PinApp",
                component=_pinapp_page,
                on_load=PinAppState.load,
            ),
        ],
        entity_tabs=[
            EntityTab(
                id="workloads",
                label="Workloads",
                predicate=_has_kubernetes,
                component=_workloads_tab,
                order=40,
                on_load=EntityWorkloadsState.load,
            )
        ],
        api_routers=[router],
        jobs=[
            Job(
                name="compute-clusters",
                interval_seconds=60.0,
                run=_start_clusters,
                run_at_start=True,
            )
        ],
    )


plugin = _build
