"""The compute plugin registers its pages, the Workloads tab, its API routes and the start job."""

from pinconsole.compute.plugin import plugin
from pinconsole.plugins import Registry


def test_plugin_contributions() -> None:
    p = plugin()
    assert p.name == "compute"
    registry = Registry()
    registry.register(p)
    assert {page.route for page in registry.pages} == {
        "/workloads",
        "/workloads/[cluster]/[namespace]/[name]",
    }
    tab = registry.entity_tabs[0]
    assert tab.label == "Workloads"
    assert tab.predicate({"metadata": {"annotations": {"backstage.io/kubernetes-id": "x"}}})
    assert tab.predicate(
        {"metadata": {"annotations": {"backstage.io/kubernetes-label-selector": "app=x"}}}
    )
    assert not tab.predicate({"metadata": {"annotations": {"github.com/project-slug": "a/b"}}})
    paths = {route.path for router in registry.api_routers for route in router.routes}
    assert "/workloads" in paths and "/workloads/{cluster}/{namespace}/{name}/scale" in paths
    job = p.jobs[0]
    assert job.run_at_start and job.name == "compute-clusters"
