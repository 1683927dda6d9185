"""Team pages as a team lead reads them: a department rolls up its teams' scorecards and owned
entities and says so, counts read as English, the team's chat channel and links show, and the
Teams list names parents and sorts (the sort and the search live in the URL)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from pinconsole.demo.orgchart import DEPARTMENTS, EMAIL_DOMAIN

DEPARTMENT = "platform"
TEAM = "platform-infra"


def test_a_department_rolls_up_its_teams(signed_in_page: Page, shot: Any) -> None:
    page = signed_in_page
    title, _domain, teams = DEPARTMENTS[DEPARTMENT]
    page.goto(f"/teams/{DEPARTMENT}")
    expect(page.locator("#team-title")).to_have_text(title, timeout=30_000)
    note = f"Includes {len(teams)} teams below {title}"
    expect(page.locator("#team-scorecard")).to_contain_text(note)
    owned = page.locator("#team-owned")
    # The owner column says which team owns each row; rows of several teams are listed.
    expect(owned.locator("th", has_text="Owner")).to_be_visible()
    expect(owned.locator(f'a[href="/teams/{TEAM}"]').first).to_be_visible()
    owners = {
        href
        for href in owned.locator('td a[href^="/teams/"]').evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"
        )
    }
    assert len(owners) > 1, owners
    members = page.locator("#team-members")
    label = members.get_by_text(re.compile(r"^\d+ direct members?$"))
    expect(label).to_have_text(re.compile(r"^(1 direct member|(0|[2-9]|\d\d+) direct members)$"))
    shot(page, "team-department")

    # A team (no sub-teams) is not rolled up: no owner column, no note.
    page.goto(f"/teams/{TEAM}")
    expect(page.locator("#team-title")).to_have_text("Infrastructure", timeout=30_000)
    expect(page.locator("#team-scorecard")).not_to_contain_text("Includes")
    expect(page.locator("#team-owned th", has_text="Owner")).to_have_count(0)
    chat = page.locator("#team-chat a")
    expect(chat).to_have_text(f"#team-{TEAM}")
    expect(chat).to_have_attribute("href", f"https://chat.{EMAIL_DOMAIN}/channels/team-{TEAM}")
    handbook = page.locator(".pc-team-link", has_text="Team handbook")
    expect(handbook).to_have_attribute("href", f"https://handbook.{EMAIL_DOMAIN}/teams/{TEAM}")
    shot(page, "team-page")


def test_the_teams_list_names_parents_and_sorts(signed_in_page: Page) -> None:
    page = signed_in_page
    title = DEPARTMENTS[DEPARTMENT][0]
    page.goto("/teams?text=Infrastructure")
    row = page.locator("#teams-table tbody tr", has=page.locator(f'a[href="/teams/{TEAM}"]'))
    expect(row).to_be_visible(timeout=30_000)
    # The parent by its name, linked to its page.
    expect(row.locator(f'a[href="/teams/{DEPARTMENT}"]')).to_have_text(title)

    page.goto("/teams")
    table = page.locator("#teams-table")
    names = table.locator("tbody tr td:first-child a")
    expect(names.first).to_be_visible(timeout=30_000)
    ascending = names.first.inner_text()
    table.locator("th button", has_text="Team").click()
    expect(page).to_have_url(re.compile(r"[?&]sort=-name\b"))
    expect(names.first).not_to_have_text(ascending)
    descending = names.first.inner_text()
    expect(table.locator("th[aria-sort=descending]")).to_contain_text("Team")
    page.reload()
    expect(names.first).to_have_text(descending, timeout=30_000)

    page.locator("#teams-search").fill("Networking")
    expect(page).to_have_url(re.compile(r"[?&]text=Networking\b"))
    expect(names.first).to_have_text("Networking")
    expect(page).to_have_url(re.compile(r"[?&]sort=-name\b"))
