"""The paging mixin keeps each page's label and turns offset and keyset pages as the states
did when each wrote its own (the e2e tests and screenshots read these labels)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import reflex as rx

from pinconsole.state.audit import AuditState
from pinconsole.state.catalog import CatalogState
from pinconsole.state.design import DesignState
from pinconsole.state.org_admin import OrgAdminState
from pinconsole.state.signin import SignInState
from pinconsole.state.team import TeamsState


def _state(cls: type[rx.State]) -> Any:
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    return root.get_substate(cls.get_full_name().split(".")[1:])


@pytest.mark.parametrize(
    ("cls", "page", "total", "label"),
    [
        (AuditState, 40, 2_500, "1,001-1,025 of 2,500"),
        (AuditState, 0, 0, "No events"),
        (OrgAdminState, 50, 1_500, "1001-1020 of 1,500"),
        (OrgAdminState, 0, 0, ""),
        (SignInState, 100, 20_000, "1201-1212 of 20,000"),
        (SignInState, 0, 0, ""),
        (DesignState, 5, 47, "41\u201347 of 47"),
        (DesignState, 0, 0, "No rows"),
    ],
)
def test_offset_labels_keep_each_pages_format(
    cls: type[rx.State], page: int, total: int, label: str
) -> None:
    s = _state(cls)
    s.page, s.total = page, total
    assert s.page_label == label
    assert s.has_prev is (page > 0)
    assert s.has_next is ((page + 1) * cls._page_size < total)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("cls", "empty"), [(CatalogState, "No entities"), (TeamsState, "No teams")]
)
def test_keyset_pages_count_the_rows_fetched_and_walk_the_cursors(
    cls: type[rx.State], empty: str
) -> None:
    s = _state(cls)
    assert s.page_label == empty
    s.page, s.total, s.rows = 20, 1_003, [{"name": str(i)} for i in range(3)]
    assert s.page_label == "1,001-1,003 of 1,003"
    s.page, s._cursor, s._next_cursor = 0, "", "c1"
    assert s.has_next and not s.has_prev
    assert s._forward() and (s.page, s._cursors, s._cursor) == (1, [""], "c1")
    s._next_cursor = ""
    assert not s.has_next and not s._forward() and s.page == 1
    assert s._back() and (s.page, s._cursors, s._cursor) == (0, [], "")
    assert not s._back()


def test_the_design_pages_handlers_turn_its_pages_without_a_session() -> None:
    s = _state(DesignState)
    turn = DesignState.event_handlers
    turn["load"].fn(s)
    asyncio.run(turn["prev_page"].fn(s))  # nothing before the first page
    assert (s.page, s.page_label) == (0, "1\u20138 of 47")
    for _ in range(7):  # one past the last page: it stays there
        asyncio.run(turn["next_page"].fn(s))
    assert (s.page, s.page_label, s.has_next) == (5, "41\u201347 of 47", False)
    assert len(s.rows) == 7
    asyncio.run(turn["prev_page"].fn(s))
    assert (s.page, len(s.rows), s.has_prev) == (4, 8, True)
