"""The top bar's search as a user types: what ranks first, how many of each kind match, and
input that must not reach the query as typed (on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from pinconsole.catalog.ingest import import_locations
from pinconsole.catalog.query import search_everything, search_results
from pinconsole.catalog.query.search import MAX_QUERY


def _component(name: str, title: str = "", description: str = "") -> str:
    return f"""\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: {name}, title: "{title or name}", description: "{description}"}}
spec: {{type: service, lifecycle: production, owner: team-a}}
"""


def _seed(tmp_path: Path) -> None:
    docs = [
        _component("orders-consumer"),
        _component("billing_consumer"),
        # Substring matches in the middle of a word, and a description mention: after them.
        _component("reconsume-tool"),
        _component("mailer", description="consumes the orders topic"),
        _component("consul"),  # the name itself starts with what was typed: first
        """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a, title: Consumer Apps}
spec: {type: team, children: []}
""",
        """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: orders-events, description: "what the consumers read"}
spec: {type: asyncapi, lifecycle: production, owner: team-a, definition: "x"}
""",
    ]
    path = tmp_path / "catalog-info.yaml"
    path.write_text("---\n".join(docs), encoding="utf-8")
    assert not import_locations([str(path)], actor="test").errors


def test_prefixes_of_names_and_of_their_words_rank_first(db: str, tmp_path: Path) -> None:
    _seed(tmp_path)
    titles = [h["title"] for h in search_everything("consu", 10)]
    # The name (or title) starting with it, then a word of the name starting with it, then
    # matches inside a word or only in the description.
    assert titles[:2] == ["consul", "Consumer Apps"]
    assert set(titles[2:4]) == {"orders-consumer", "billing_consumer"}
    assert set(titles[4:]) == {"reconsume-tool", "mailer", "orders-events"}
    assert next(h["title"] for h in search_everything("Consumer Apps")) == "Consumer Apps"


def test_results_count_every_match_per_kind(db: str, tmp_path: Path) -> None:
    _seed(tmp_path)
    found = search_results("consu", limit=3)
    assert len(found["hits"]) == 3
    assert found["counts"] == {"Component": 5, "Team": 1, "API": 1}
    assert found["total"] == 7
    assert all("Component" not in h["subtitle"] for h in found["hits"])  # the kind shows once
    assert search_results("   ") == {"hits": [], "counts": {}, "total": 0}


def test_what_is_typed_is_matched_literally_and_capped(db: str, tmp_path: Path) -> None:
    _seed(tmp_path)
    assert search_everything("consu%") == []  # a % is a percent sign, not a wildcard
    assert [h["title"] for h in search_everything("_")] == ["billing_consumer"]
    assert search_results("consu" + "x" * (MAX_QUERY * 5))["total"] == 0  # read, not refused
    long = "consu " + " ".join(["zz"] * 300)
    assert search_results(long)["total"] == 0  # only the first 200 characters count
