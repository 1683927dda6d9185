"""A script author's tokens page: make a token with an expiry, see it once, use it against the
REST API, revoke it after a confirmation that names it; it stops working at once.
Screenshots: tokens-created, tokens-revoke."""

from __future__ import annotations

import re
from typing import Any

import httpx
from conftest import sign_in
from playwright.sync_api import Page, expect


def test_a_person_makes_uses_and_revokes_a_token(console: Any, page: Page, shot: Any) -> None:
    name = sign_in(page)
    page.goto("/settings/tokens")
    expect(page.locator("#token-expiry")).to_contain_text("90", timeout=30_000)
    page.locator("#token-description").fill("nightly report")
    page.locator("#token-expiry").click()
    page.get_by_role("option", name="30", exact=True).click()
    page.locator("#token-create").click()
    secret = page.locator("#token-secret")
    expect(secret).to_have_text(re.compile(r"^pct_\S{20,}$"), timeout=15_000)
    raw = secret.inner_text()
    row = page.locator("#token-table .pc-table-row", has_text="nightly report")
    expect(row).to_contain_text("active")
    shot(page, "tokens-created")

    me = httpx.get(
        f"{console.url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}, timeout=10
    )
    assert me.status_code == 200 and me.json()["name"].lower() in name.lower().replace(" ", ".")

    # Leaving the page forgets the secret: it is shown once.
    page.goto("/")
    page.goto("/settings/tokens")
    expect(row).to_be_visible(timeout=30_000)
    expect(secret).to_have_count(0)

    row.get_by_role("button", name=re.compile("^Revoke token")).click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("nightly report")
    expect(dialog).to_contain_text("stops working at once")
    shot(page, "tokens-revoke")
    page.keyboard.press("Escape")  # cancel keeps it
    expect(dialog).to_have_count(0)
    expect(row).to_contain_text("active")
    row.get_by_role("button", name=re.compile("^Revoke token")).click()
    page.locator("#token-revoke-confirm").click()
    expect(row).to_contain_text("revoked", timeout=15_000)
    gone = httpx.get(
        f"{console.url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}, timeout=10
    )
    assert gone.status_code == 401
