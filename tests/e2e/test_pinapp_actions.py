"""The PinApp page's action guardrails in the browser: scale, pause, resume and restart ask in an
alert dialog that shows the change and what it touches, from the keyboard (focus moves in onto
Confirm, Escape cancels, Enter confirms, focus returns to the button); the page shows the new
desired state as soon as the action answered and a live refresh does not take it back; a count
outside the PinScaler's range is refused at the form, naming the scaler, with no dialog. The
primary button is not the error colour, and its label reads on it (WCAG AA), light and dark.
Screenshots: pinapp-confirm, pinapp-out-of-range, design-primary, design-primary-dark.

The PinApps are ones ``test_workloads`` leaves alone (it acts on the first without a
PinScaler), and each is left as it was found (its count scaled back, resumed)."""

from __future__ import annotations

import colorsys
import re
from typing import Any, cast

import httpx
import pytest
from conftest import sign_in
from fixtures.cli import pinconsole
from fixtures.polling import wait_for
from playwright.sync_api import Page, expect
from sqlmodel import col, select
from test_workloads import _candidates

from pinconsole.db import session_scope
from pinconsole.models import AuditEvent

Candidate = tuple[str, str, str, dict[str, Any] | None]  # service, team, owner, its PinScaler


def _headers(console: Any) -> dict[str, str]:
    token = pinconsole(
        console.env, "token", "create", "--user", "e2e-guardrails", "--service-account"
    ).split()[-1]
    return {"Authorization": f"Bearer {token}"}


def _settled(console: Any, headers: dict[str, str], team: str, service: str) -> None:
    """Until the controller has caught up with the PinApp (its generation observed, the
    rollout's pods all updated): an action while it still writes the PinApp's status stands on
    a version that status write makes stale, a Conflict. Readiness is not waited for: the
    demo's chaos makes some pod crash-loop now and then, and its PinApp may never be ready."""

    def done() -> bool:
        url = f"{console.url}/api/v1/workloads/sandbox/{team}/{service}"
        obj = httpx.get(url, headers=headers, timeout=10).json()["pinapp"]
        status, want = obj.get("status") or {}, obj["spec"]["replicas"]
        return bool(
            status.get("observedGeneration") == obj["metadata"]["generation"]
            and status.get("updatedReplicas") == want
        )

    wait_for(done, 90, why=f"{team}/{service} settles")


def _unused(console: Any) -> list[Candidate]:
    """The demo's PinApps with an owner, with their PinScaler (or None), but the one
    ``test_workloads`` acts on."""
    headers = _headers(console)
    candidates = _candidates(console.database_url)

    def read() -> list[Candidate] | None:
        found: list[Candidate] = []
        for service, team, owner, _other in candidates:
            answer = httpx.get(
                f"{console.url}/api/v1/workloads/sandbox/{team}/{service}",
                headers=headers,
                timeout=10,
            )
            if answer.status_code != 200:
                return None  # the cache is not fed yet
            found.append((service, team, owner, answer.json().get("scaler")))
        return found

    found = cast(list[Candidate], wait_for(read, 90))
    first_unscaled = next((c for c in found if c[3] is None), None)
    return [c for c in found if c != first_unscaled]


def _open(page: Page, team: str, service: str) -> int:
    """Open the PinApp's page as its owner would; the desired count its form was filled with."""
    page.goto(f"/workloads/sandbox/{team}/{service}")
    expect(page.locator("#pinapp-name")).to_have_text(service, timeout=30_000)
    replicas = page.locator("#replicas-input")
    expect(replicas).not_to_have_value("", timeout=30_000)
    return int(replicas.input_value())


def _toast(page: Page, text: str) -> Any:
    return page.locator("[data-sonner-toast]", has_text=re.compile(rf"^{re.escape(text)}"))


def _scale_rows(console: Any, team: str, service: str) -> list[AuditEvent]:
    """The PinApp's audited scales, oldest first."""
    target = f"pinapp:sandbox/{team}/{service}"
    with session_scope(console.database_url) as s:
        query = (
            select(AuditEvent)
            .where(AuditEvent.action == "pinapp.scale", AuditEvent.target == target)
            .order_by(col(AuditEvent.at))
        )
        return list(s.exec(query).all())


def test_actions_confirm_from_the_keyboard_and_show_at_once(
    console: Any, page: Page, shot: Any
) -> None:
    unscaled = [c for c in _unused(console) if c[3] is None]
    if not unscaled:
        pytest.skip("the demo has no second PinApp without a PinScaler")
    service, team, owner, _ = unscaled[0]
    app = f"{team}/{service}"
    sign_in(page, owner)
    current = _open(page, team, service)
    dialog = page.get_by_role("alertdialog")
    scale = page.locator("#scale-button")

    # Scale: the dialog names the change and the pods it adds; Escape changes nothing.
    scaled_before = len(_scale_rows(console, team, service))
    page.locator("#replicas-input").fill(str(current + 1))
    scale.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible(timeout=15_000)
    expect(dialog).to_contain_text(f"Scale {app} from {current} to {current + 1} replicas")
    expect(dialog).to_contain_text(f"Deployment {app}: replicas {current} → {current + 1}.")
    expect(dialog).to_contain_text("1 pod is added.")
    assert dialog.locator("ul > li").count() == 2 and dialog.locator("p ul").count() == 0
    expect(page.locator("#confirm-scale-confirm")).to_be_focused()
    expect(page.locator("#confirm-scale-confirm")).to_have_text(f"Scale to {current + 1}")
    shot(page, "pinapp-confirm")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0, timeout=15_000)
    expect(scale).to_be_focused()
    expect(page.locator("#desired")).to_contain_text(str(current))
    assert len(_scale_rows(console, team, service)) == scaled_before

    # Enter confirms: the toast and the new desired count arrive together, focus comes back.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible(timeout=15_000)
    page.keyboard.press("Enter")
    expect(_toast(page, f"Scaled to {current + 1}")).to_be_visible(timeout=15_000)
    assert str(current + 1) in page.locator("#desired").inner_text()  # at once, no refresh
    expect(dialog).to_have_count(0)
    expect(scale).to_be_focused()
    rows = _scale_rows(console, team, service)
    assert len(rows) == scaled_before + 1 and rows[-1].after == {"replicas": current + 1}
    headers = _headers(console)
    _settled(console, headers, team, service)

    # Pause: the button says Resume as soon as the toast shows, and still after the live
    # refresh has brought the cache's version of the write (the YAML comes from the cache).
    pause = page.locator("#pause-button")
    expect(pause).to_have_text("Pause")
    pause.click()
    expect(dialog).to_contain_text(f"Pause {app}", timeout=15_000)
    expect(dialog).to_contain_text("Its controller stops reconciling it")
    page.locator("#confirm-pause-confirm").click()
    expect(_toast(page, "Paused")).to_be_visible(timeout=15_000)
    assert pause.inner_text() == "Resume"  # at once
    expect(page.locator("#action-state")).to_contain_text("paused: changes to its pods wait")
    page.get_by_role("tab", name=re.compile("^YAML")).click()  # what the cluster holds now
    expect(page.locator("code", has_text="paused: true").first).to_be_attached(timeout=60_000)
    expect(pause).to_have_text("Resume")
    _settled(console, headers, team, service)

    # Resume from the keyboard, then scale back: the PinApp is left as it was found.
    pause.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text(f"Resume {app}", timeout=15_000)
    expect(page.locator("#confirm-pause-confirm")).to_be_focused()  # the pause button's dialog
    page.keyboard.press("Enter")
    expect(_toast(page, "Resumed")).to_be_visible(timeout=15_000)
    assert pause.inner_text() == "Pause"
    expect(pause).to_be_focused()
    _settled(console, headers, team, service)

    # Restart: the dialog says how many pods roll; the new restart time shows at once.
    state = page.locator("#action-state")
    before = state.inner_text()
    page.locator("#restart-button").click()
    expect(dialog).to_contain_text(f"Restart {app}", timeout=15_000)
    expect(dialog).to_contain_text(
        re.compile(rf"A rolling restart of \d+ pods? of Deployment {re.escape(app)}")
    )
    page.locator("#confirm-restart-confirm").click()
    expect(_toast(page, "Restart started")).to_be_visible(timeout=15_000)
    after = state.inner_text()
    assert after != before and re.search(r"Last restart: 20\d\d-\d\d-\d\dT", after), after
    _settled(console, headers, team, service)

    page.locator("#replicas-input").fill(str(current))
    scale.click()
    expect(dialog).to_contain_text("1 pod is removed.", timeout=15_000)
    page.locator("#confirm-scale-confirm").click()
    expect(_toast(page, f"Scaled to {current}")).to_be_visible(timeout=15_000)


def test_a_count_outside_the_pinscaler_range_is_refused_at_the_form(
    console: Any, page: Page, shot: Any
) -> None:
    scaled = [c for c in _unused(console) if c[3] is not None]
    if not scaled:
        pytest.skip("the demo has no other PinApp with a PinScaler")
    service, team, owner, scaler = scaled[0]
    assert scaler is not None
    spec, name = scaler["spec"], scaler["metadata"]["name"]
    low, high = spec.get("minReplicas", 1), spec["maxReplicas"]
    sign_in(page, owner)
    _open(page, team, service)
    expect(page.locator("#scaler-hint")).to_contain_text(
        f"PinScaler {name} owns the replica count between {low} and {high}"
    )
    refused_before = len(_scale_rows(console, team, service))

    page.locator("#replicas-input").fill(str(high + 1))
    page.locator("#scale-button").click()
    error = page.locator("#action-error")
    expect(error).to_contain_text(
        f"PinScaler {team}/{name} owns the replica count of PinApp {team}/{service} between "
        f"{low} and {high}: {high + 1} is outside that range, and the scaler would undo it. "
        "Change the PinScaler's min/max instead.",
        timeout=15_000,
    )
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    shot(page, "pinapp-out-of-range")
    assert len(_scale_rows(console, team, service)) == refused_before  # nothing was attempted

    # A count inside the range asks again, and the message goes.
    page.locator("#replicas-input").fill(str(high))
    page.locator("#scale-button").click()
    expect(page.get_by_role("alertdialog")).to_contain_text(f"to {high} replicas", timeout=15_000)
    expect(error).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.get_by_role("alertdialog")).to_have_count(0, timeout=15_000)


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(v) for v in re.findall(r"[\d.]+", css)[:3])


def _hue_apart(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """How far apart two colours' hues are, in degrees (not a shade of the other)."""
    hue = [colorsys.rgb_to_hsv(*(v / 255 for v in c))[0] * 360 for c in (a, b)]
    apart = abs(hue[0] - hue[1])
    return min(apart, 360 - apart)


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""

    def luminance(rgb: tuple[float, ...]) -> float:
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_primary_button_is_not_the_error_colour(signed_in_page: Page, shot: Any) -> None:
    page = signed_in_page
    page.goto("/design")
    expect(page.get_by_text("1\u20138 of 47")).to_be_visible(
        timeout=30_000
    )  # live, not prerendered
    primary = page.get_by_role("button", name="Primary", exact=True)
    error = page.get_by_text("Deprecated", exact=True)  # the solid error badge
    for theme in ("light", "dark"):
        if theme == "dark":
            page.get_by_role("button", name="Toggle light/dark theme").click()
            page.wait_for_function("() => document.documentElement.classList.contains('dark')")
        primary.scroll_into_view_if_needed()
        page.mouse.move(0, 0)  # no hover colour
        style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
        background, label = (_rgb(v) for v in primary.evaluate(style))
        error_background = _rgb(error.evaluate("e => getComputedStyle(e).backgroundColor"))
        assert _hue_apart(background, error_background) > 60, (theme, background, error_background)
        assert _contrast(background, label) >= 4.5, (theme, background, label)
        shot(page, "design-primary" if theme == "light" else "design-primary-dark")
