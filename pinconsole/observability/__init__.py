"""Observability: an entity's metrics in Prometheus and its alerts in Alertmanager.

The domain layer only: settings-driven clients, the mapping from catalog annotations to
queries, and the step arithmetic charts need. No Reflex here (docs/observability.md).
"""
