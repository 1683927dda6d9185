"""The top bar's search as people use it: a part of a word finds the services named with it,
results come grouped by kind with counts and a link to all of them in the catalog, the box
takes no more than it searches, and the list stays readable on a phone.
Screenshots: search-grouped, search-phone."""

from __future__ import annotations

import re
from typing import Any

from conftest import sign_in
from playwright.sync_api import Page, expect

from pinconsole.pages.layout import SEARCH_INPUT_ID
from pinconsole.state.search import MAX_QUERY


def _type(page: Page, text: str) -> Any:
    box = page.locator(f"#{SEARCH_INPUT_ID}")
    box.click()
    box.press_sequentially(text, delay=40)
    return box


def test_search_ranks_word_prefixes_groups_by_kind_and_links_to_all(
    signed_in_page: Page, shot: Any
) -> None:
    page = signed_in_page
    page.goto("/catalog")
    expect(page.locator("main .pc-table-row").first).to_be_visible(timeout=30_000)
    box = _type(page, "consu")
    hits = page.locator(".pc-search-result")
    see_all = hits.filter(has_text=re.compile(r"^See all \d+ results in the catalog$"))
    expect(see_all).to_have_count(1, timeout=30_000)
    # The demo's *-consumer components are found by the start of a word of their names.
    titles = [t.strip() for t in hits.all_inner_texts()]
    assert any(re.search(r"consumer", t, re.I) for t in titles[:5]), titles
    # Each kind is said once, in its group's heading with the number of its matches.
    headings = page.locator('[role="listbox"] [aria-hidden="true"]')
    expect(headings.first).to_contain_text(re.compile(r"\d"))
    labels = [h.split("\n")[0].strip().lower() for h in headings.all_inner_texts()]
    assert labels and len(labels) == len(set(labels)), labels
    shot(page, "search-grouped")

    total = int(re.findall(r"\d+", see_all.inner_text())[0])
    for _ in range(len(titles) - 1):  # the keyboard reaches "See all" too
        box.press("ArrowDown")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/catalog\?text=consu$"), timeout=30_000)
    expect(page.locator("#catalog-search")).to_have_value("consu", timeout=30_000)
    expect(page.get_by_text(re.compile(rf"of {total:,}$|^1-{total} of {total}"))).to_be_visible()

    box = _type(page, "x" * (MAX_QUERY + 50))
    assert len(box.input_value()) == MAX_QUERY


def test_search_results_stay_readable_on_a_phone(
    browser: Any, browser_context_args: dict[str, Any], shot: Any
) -> None:
    phone = {**browser_context_args, "viewport": {"width": 390, "height": 844}}
    context = browser.new_context(**phone)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto("/catalog")
        _type(page, "pay")
        listbox = page.locator('[role="listbox"]')
        expect(listbox.locator(".pc-search-result").first).to_be_visible(timeout=30_000)
        box = listbox.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        assert box["width"] >= 300, box  # wide enough for a title and its subtitle
        first = listbox.locator(".pc-search-result").first.bounding_box()
        assert first is not None and first["height"] >= 36, first  # a tap target
        shot(page, "search-phone")
    finally:
        context.close()
