"""Delivery: artifacts in OCI registries (so far); pipelines, deploys and pages come later."""
