"""The names PinCompute shares with Kubernetes and the catalog, defined once.

The API group and version of the CRDs in ``deploy/crds``, their plurals, the labels PinApps and
their pods carry, the annotations the PinApp controller reads, and the catalog annotations that
tie an entity to its workloads (Backstage's Kubernetes plugin keys) and a team to its namespaces.
The cache, the actions, the queries, tenancy, the sandbox and the demo all import them from here;
an architecture test keeps their values from being spelled anywhere else.
"""

from __future__ import annotations

GROUP = "compute.pinconsole.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
PINAPP_PLURAL = "pinapps"
PINSCALER_PLURAL = "pinscalers"

# Labels. A pod carries its PinApp's name; a PinApp (and so its pods) may carry the catalog's
# kubernetes id, under Backstage's key or ours, and the owning team's name.
PINAPP_LABEL = "pinconsole.io/pinapp"
KUBE_ID_LABEL = "backstage.io/kubernetes-id"
PINCONSOLE_ID_LABEL = "pinconsole.io/kubernetes-id"
TEAM_LABEL = "pinconsole.io/team"

# The pod template annotation a restart sets to its time, so the controller replaces every pod.
RESTARTED_AT = "pinconsole.io/restartedAt"

# Catalog entity annotations: the kubernetes id (the same keys as the labels above, ours first),
# a label selector that wins over the id, the namespace that narrows it, and on a Group entity
# the namespaces the team owns (comma-separated).
KUBE_ID_ANNOTATION = KUBE_ID_LABEL
ID_ANNOTATIONS = (PINCONSOLE_ID_LABEL, KUBE_ID_ANNOTATION)
SELECTOR_ANNOTATION = "backstage.io/kubernetes-label-selector"
NAMESPACE_ANNOTATION = "backstage.io/kubernetes-namespace"
NAMESPACES_ANNOTATION = "pinconsole.io/namespaces"

# What the PinApp controller (``compute/controller``) writes: the hash of the spec it applied to
# a Deployment, Service or HPA, the Lease its instances elect a leader with (in
# ``settings.controller_namespace``), the component its Events name and its field manager.
SPEC_HASH_ANNOTATION = "pinconsole.io/spec-hash"
CONTROLLER_LEASE = "pinconsole-controller"
CONTROLLER_COMPONENT = "pinconsole-controller"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
