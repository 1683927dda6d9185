"""Tabs: a WAI-ARIA tab list of underlined labels and the one panel below it.

``tabs(items, value, on_change, id=...)`` is the bar, ``tab_panel(..., tabs_id=..., value=...)``
the panel that shows the selected tab's content. The bar is a ``tablist`` of ``tab`` elements
(links for ``href`` tabs, buttons otherwise) with a roving tabindex: Tab reaches the selected
tab only, Left/Right move the focus along the bar and wrap, Home/End jump to its ends, Enter and
Space open the focused tab. Activation is manual (an arrow only moves the focus): a link tab is
a navigation that loads data, and arrowing past three tabs should not load three pages. One
delegated key listener serves every bar of the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

from pinconsole.components.primitives import BARE_BUTTON
from pinconsole.components.tokens import COLOR, FONT_SIZE, TRANSITION, space

DEFAULT_ID = "tabs"

# Installed once per page load however many bars render; links have no native Space, buttons
# have Enter and Space already.
_KEYS_SCRIPT = """
if (!window.pcTabKeys) {
  window.pcTabKeys = true;
  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || !(e.target instanceof Element)) return;
    const tab = e.target.closest('[role="tab"]');
    const list = tab && tab.closest('[role="tablist"]');
    if (!list) return;
    const all = Array.from(list.querySelectorAll('[role="tab"]'));
    const i = all.indexOf(tab);
    const to = {ArrowRight: (i + 1) % all.length, ArrowLeft: (i - 1 + all.length) % all.length,
                Home: 0, End: all.length - 1}[e.key];
    if (to !== undefined) { e.preventDefault(); all[to].focus(); }
    else if (e.key === ' ' && tab.tagName === 'A') { e.preventDefault(); tab.click(); }
  });
}
"""


@dataclass(frozen=True)
class Tab:
    """``href`` makes the tab a link (entity pages); otherwise ``on_change(value)`` fires.

    ``visible`` (a bool Var) shows the tab only while it holds, so one bar serves every set of
    optional tabs instead of one prebuilt bar per combination. ``value`` ends up in element ids:
    keep it a slug.
    """

    value: str
    label: str
    icon: str | None = None
    count: Any = None
    href: str | None = None
    visible: Any = None


def tab_id(tabs_id: str, value: str | rx.Var) -> Any:
    """The id of the tab of ``value`` in the bar ``tabs_id`` (what its panel is labelled by)."""
    return f"{tabs_id}-tab-" + value  # type: ignore[operator]


def panel_id(tabs_id: str) -> str:
    return f"{tabs_id}-panel"


def _pick(selected: Any, on: Any, off: Any) -> Any:
    return rx.cond(selected, on, off) if isinstance(selected, rx.Var) else (on if selected else off)


def _label(tab: Tab, selected: Any) -> rx.Component:
    children: list[Any] = []
    if tab.icon:
        children.append(rx.icon(tab.icon, size=16))
    children.append(rx.text(tab.label, as_="span"))
    if tab.count is not None:
        children.append(
            rx.text(
                tab.count,
                as_="span",
                font_size=FONT_SIZE["100"],
                padding_x=space(1.5),
                border_radius="9999px",
                background=COLOR["surface_subtle"],
                color=COLOR["text_subtle"],
            )
        )
    return rx.flex(
        *children,
        align="center",
        gap=space(1.5),
        padding_x=space(1),
        padding_y=space(3),
        color=_pick(selected, COLOR["text"], COLOR["text_subtle"]),
        font_weight="600",
        font_size=FONT_SIZE["200"],
        border_bottom=_pick(selected, f"3px solid {COLOR['text']}", "3px solid transparent"),
        margin_bottom="-1px",
        transition=TRANSITION,
        _hover={"color": COLOR["text"]},
    )


def _tab(tab: Tab, value: Any, on_change: Any, tabs_id: str) -> rx.Component:
    selected = value == tab.value
    aria: dict[str, Any] = {
        "role": "tab",
        "id": tab_id(tabs_id, tab.value),
        "aria_selected": selected,
        "aria_controls": panel_id(tabs_id),
        "tab_index": _pick(selected, 0, -1),
        "class_name": "pc-tab",
    }
    if tab.href is not None:
        element = rx.link(_label(tab, selected), href=tab.href, underline="none", **aria)
    else:
        element = rx.el.button(
            _label(tab, selected),
            type="button",
            on_click=on_change(tab.value) if on_change is not None else None,
            **BARE_BUTTON,
            **aria,
        )
    return element if tab.visible is None else rx.cond(tab.visible, element)


def tabs(
    items: Sequence[Tab],
    value: str | rx.Var,
    on_change: Callable[[str], Any] | None = None,
    **props: Any,
) -> rx.Component:
    """The tab bar; render the selected content in ``tab_panel`` below it with the same ``id``
    (default ``"tabs"``: give each bar of a page its own)."""
    tabs_id = str(props.pop("id", DEFAULT_ID))
    return rx.flex(
        *[_tab(t, value, on_change, tabs_id) for t in items],
        rx.script(_KEYS_SCRIPT),
        gap=space(6),
        border_bottom=f"1px solid {COLOR['border_subtle']}",
        role="tablist",
        id=tabs_id,
        width="100%",
        overflow_x="auto",
        **props,
    )


def tab_panel(
    *children: Any, tabs_id: str = DEFAULT_ID, value: str | rx.Var, **props: Any
) -> rx.Component:
    """The panel of the bar ``tabs_id``: labelled by the selected tab (``value``) and focusable,
    so Tab goes from the bar straight into the content."""
    return rx.box(
        *children,
        role="tabpanel",
        id=panel_id(tabs_id),
        aria_labelledby=tab_id(tabs_id, value),
        tab_index=0,
        class_name="pc-tab-panel",
        **props,
    )
