"""A small nested organisation in the catalog (tests/fixtures/access/org.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest

ORG = Path(__file__).resolve().parents[2] / "fixtures" / "access" / "org.yaml"


@pytest.fixture
def org(db: str) -> str:
    """engineering > platform > platform-api; ada in platform-api, grace in platform,
    linus in sales, margaret in console-admins; payments-api owned by platform."""
    from pinconsole.catalog.ingest import import_locations

    summary = import_locations([str(ORG)], actor="test")
    assert not summary.errors, summary.errors
    return db
