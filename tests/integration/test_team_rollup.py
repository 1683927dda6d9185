"""A department's page rolls up what its teams own and how they score; a team's chat channel
and links come from its Group descriptor, and nothing but web links comes out of one."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.catalog_data import import_scored_catalog

import pinconsole.catalog.query as q
from pinconsole.catalog.ingest import import_locations
from pinconsole.catalog.query.links import safe_links, team_chat
from pinconsole.catalog.query.views import descendant_teams
from pinconsole.catalog.scorecards import team_scorecard
from pinconsole.db import session_scope


@pytest.fixture
def catalog(db: str, tmp_path: Path) -> Path:
    return import_scored_catalog(tmp_path)


def _write(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name / "catalog-info.yaml"
    path.parent.mkdir()
    path.write_text(text)
    assert not import_locations([str(path)]).errors


def test_a_department_rolls_up_its_teams(catalog: Path) -> None:
    org, a, b = q.team_view("org"), q.team_view("team-a"), q.team_view("team-b")
    assert org["descendants"] == ["group:default/team-a", "group:default/team-b"]
    assert a["descendants"] == []
    own = {e["name"] for e in org["owned"] if e["owner"] == "group:default/org"}
    assert own, "the fixture's org owns something itself"
    assert org["owned_total"] == len(own) + a["owned_total"] + b["owned_total"]
    assert {e["name"] for e in org["owned"]} == own | {e["name"] for e in a["owned"] + b["owned"]}
    with session_scope() as s:
        alone = team_scorecard(s, "group:default/org")
    parts_of = (a["scorecard"], b["scorecard"], alone)
    assert org["scorecard"]["entities"] == sum(p["entities"] for p in parts_of)
    for check in org["scorecard"]["checks"]:
        parts = [c for p in parts_of for c in p["checks"] if c["id"] == check["id"]]
        assert check["passed"] == sum(c["passed"] for c in parts), check["id"]
        assert check["total"] == sum(c["total"] for c in parts), check["id"]
    # A team alone is not rolled up into anything.
    with session_scope() as s:
        assert team_scorecard(s, "group:default/team-a") == a["scorecard"]


def test_nesting_is_followed_to_the_bottom_and_cycles_end(catalog: Path, tmp_path: Path) -> None:
    _write(
        tmp_path,
        "nested",
        "\n---\n".join(
            f"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\n"
            f"spec:\n  type: team\n  parent: {parent}\n  children: []\n"
            for name, parent in (("squad-a1", "team-a"), ("pod-x", "squad-a1"))
        )
        + "\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n"
        "  name: deep-svc\nspec:\n  type: service\n  lifecycle: production\n  owner: pod-x\n",
    )
    org = q.team_view("org")
    assert org["descendants"][:2] == ["group:default/team-a", "group:default/team-b"]
    assert set(org["descendants"][2:]) == {"group:default/squad-a1", "group:default/pod-x"}
    assert "deep-svc" in {e["name"] for e in org["owned"]}
    assert "deep-svc" in {e["name"] for e in q.team_view("team-a")["owned"]}
    assert "deep-svc" not in {e["name"] for e in q.team_view("team-b")["owned"]}

    # A loop in the directory (pod-x claims org as its child) ends; nobody is their own child.
    _write(
        tmp_path,
        "loop",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: pod-y\n"
        "spec:\n  type: team\n  parent: pod-x\n  children: [org]\n",
    )
    with session_scope() as s:
        below = descendant_teams(s, "group:default/org")
    assert "group:default/org" not in below
    assert len(below) == len(set(below))
    assert "group:default/pod-y" in below


def test_chat_channel_and_links_come_from_the_group(catalog: Path, tmp_path: Path) -> None:
    _write(
        tmp_path,
        "chatty",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: chatty\n"
        "  annotations:\n    slack.com/channel: chatty-team\n"
        "  links:\n"
        "    - {url: 'https://chat.example.com/c/chatty-team', title: Chat, type: chat}\n"
        "    - {url: 'https://wiki.example.com/chatty', title: Handbook}\n"
        "    - {url: 'javascript:alert(1)', title: Evil}\n"
        "    - {url: 'file:///etc/passwd', title: Local}\n"
        "spec:\n  type: team\n  children: []\n",
    )
    view = q.team_view("chatty")
    assert view["chat"] == {"name": "#chatty-team", "url": "https://chat.example.com/c/chatty-team"}
    assert [lk["title"] for lk in view["links"]] == ["Handbook"]  # the chat shows once
    assert q.team_view("team-a")["chat"] is None


def test_chat_annotations() -> None:
    assert team_chat({"slack.com/channel": "#ops"}, [], "https://chat.example.com/ch/") == {
        "name": "#ops",
        "url": "https://chat.example.com/ch/ops",
    }
    assert team_chat({"slack.com/channel": "ops"}, []) == {"name": "#ops", "url": ""}
    assert team_chat({"slack.com/bot-notify": "alerts, ops"}, []) == {"name": "#alerts", "url": ""}
    archive = "https://acme.slack.com/archives/C024BE91L"
    assert team_chat({"pinconsole.io/chat-channel": archive}, []) == {
        "name": "acme.slack.com",
        "url": archive,
    }
    # A value no channel is named by falls through to the next source.
    assert team_chat({"slack.com/channel": "two words"}, []) is None
    assert team_chat({"slack.com/channel": "javascript:alert(1)"}, []) == {
        "name": "#javascript:alert(1)",
        "url": "",
    }
    links = safe_links([{"url": "https://x.example/y", "icon": "chat", "title": "Chat"}])
    assert team_chat({}, links) == {"name": "Chat", "url": "https://x.example/y"}
    assert safe_links("not a list") == safe_links(["not a mapping", {"title": "no url"}]) == []
    assert len(safe_links([{"url": f"https://x.example/{i}"} for i in range(80)])) == 50
