"""PinCompute: PinApps and PinScalers across Kubernetes clusters (see docs/compute.md).

``queries`` (reads from the watch-fed caches), ``actions`` (authorized, audited writes),
``logs``, ``tenancy``, ``clusters`` (a cache per cluster), ``crds`` (schema and CEL validation).
The emulated cluster the demo and the tests use is ``pinconsole.sandbox``, outside this domain.
"""
