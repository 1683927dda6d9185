"""A small nested organisation in the catalog (tests/fixtures/access/org.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

ORG = Path(__file__).resolve().parents[2] / "fixtures" / "access" / "org.yaml"


@pytest.fixture
def org(db: str) -> str:
    """engineering > platform > platform-api; ada in platform-api, grace in platform,
    linus in sales, margaret in console-admins; payments-api owned by platform."""
    from pinconsole.catalog.ingest import import_locations

    summary = import_locations([str(ORG)], actor="test")
    assert not summary.errors, summary.errors
    return db


@pytest.fixture
def access_client(org: str) -> Iterator[TestClient]:
    """The API with the access routes (tokens, sessions) on the ``org`` catalog."""
    from pinconsole.access.api import router
    from pinconsole.api.app import create_api
    from pinconsole.plugins import Plugin, Registry

    registry = Registry()
    registry.register(Plugin(name="access-routes", api_routers=[router]))
    with TestClient(create_api(registry)) as c:
        yield c
