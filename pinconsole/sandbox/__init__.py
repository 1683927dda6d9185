"""The sandbox: an emulated Kubernetes API with PinCompute's CRDs, for the demo and the tests.

Outside every domain: PinCompute never imports it and reaches it through a kubeconfig like any
cluster, so the demo and the tests exercise the code production runs against one emulator.

- ``protocol``: the API's wire conventions (Status errors, merge and JSON patches, field
  selectors, timestamps);
- ``resources``: the resources served and the CRD schemas they are validated against;
- ``apiserver``: ``ApiServer``, kmock's emulator with resourceVersions, optimistic concurrency,
  resumable watches and 410 after compaction, PUT, status and scale subresources;
- ``builtins``: the API server's defaults and validation of built-in kinds;
- ``pods``, ``workloads``, ``autoscaling``, ``gc`` and ``cluster``: ``SandboxEmulator``, adding
  pods/log, metrics.k8s.io, Kubernetes' Deployment, ReplicaSet, HPA and garbage-collector
  controllers, a stand-in PinApp controller for tests that run none, and chaos;
- ``server``: ``Sandbox``, an emulator served on loopback with a kubeconfig;
- ``seed``: demo PinApps, PinScalers, pods and events;
- ``embedded``: the demo's cluster, started by the backend on the embedded default.
"""

from pinconsole.sandbox.cluster import SandboxEmulator
from pinconsole.sandbox.resources import (
    DEPLOYMENTS,
    EVENTS,
    HPAS,
    LEASES,
    NAMESPACES,
    PINAPPS,
    PINSCALERS,
    POD_METRICS,
    PODS,
    REPLICASETS,
    SERVICES,
)
from pinconsole.sandbox.seed import pinapp_body, pinscaler_body, seed_demo
from pinconsole.sandbox.server import Sandbox, free_port

__all__ = [
    "DEPLOYMENTS",
    "EVENTS",
    "HPAS",
    "LEASES",
    "NAMESPACES",
    "PINAPPS",
    "PINSCALERS",
    "PODS",
    "POD_METRICS",
    "REPLICASETS",
    "SERVICES",
    "Sandbox",
    "SandboxEmulator",
    "free_port",
    "pinapp_body",
    "pinscaler_body",
    "seed_demo",
]
