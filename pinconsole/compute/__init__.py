"""PinCompute: PinApps and PinScalers across Kubernetes clusters (see docs/compute.md).

``queries`` (reads from the watch-fed caches), ``actions`` (authorized, audited writes),
``logs``, ``tenancy``, ``clusters`` (cache per cluster, the sandbox), ``sandbox`` (the embedded
emulator the demo and the tests share), ``crds`` (schema and CEL validation).
"""
