"""App-wide theme (Radix Themes, wired in rxconfig.py) and global style.

Iris is the accent (primary buttons, focus of inputs and controls), red the logo's and the
errors'; grays are neutral; corners are generous.
Light/dark follows the system until the user picks one with the top bar's toggle.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.components.tokens import COLOR, FONT_FAMILY, FONT_FAMILY_MONO, PRIMARY_SCALE

THEME = rx.theme(
    appearance="inherit",
    accent_color=PRIMARY_SCALE,
    gray_color="gray",
    radius="large",
    scaling="100%",
    panel_background="solid",
    has_background=True,
)

# What the keyboard can focus; the skip link's target (main, tabindex -1) is left out.
FOCUSABLE = ("a", "button", "summary", '[role="tab"]', '[role="tabpanel"]', '[tabindex="0"]')

# Reflex applies this dict as the Radix theme root's css: top-level keys style the root itself
# (so custom properties set here reach every page), "&.dark" is the root in dark mode, and other
# selectors are descendants of the root.
GLOBAL_STYLE: dict[str, Any] = {
    "font_family": FONT_FAMILY,
    "--default-font-family": FONT_FAMILY,
    "--heading-font-family": FONT_FAMILY,
    "--code-font-family": FONT_FAMILY_MONO,
    "--cursor-button": "pointer",
    "--cursor-menu-item": "pointer",
    # The page sits below the cards: a touch of gray in light, darker than panels in dark.
    "--pc-page-bg": "var(--gray-2)",
    "&.dark": {"--pc-page-bg": "var(--gray-1)"},
    "background": COLOR["background"],
    "::selection": {"background": "var(--red-a5)"},
    ".pc-table-row:hover": {"background": "var(--gray-a2)"},
    ".pc-activity-row + .pc-activity-row": {"border_top": f"1px solid {COLOR['border_subtle']}"},
    ".pc-table th": {"background": "transparent"},
    # Visible focus: every link, button, tab and focusable panel shows a ring when the keyboard
    # put the focus there (a click does not); a table row whose cell holds the focus lights up.
    ", ".join(f"{s}:focus-visible" for s in FOCUSABLE): {
        "outline": f"2px solid {COLOR['focus']}",
        "outline_offset": "2px",
    },
    ".pc-sort-button:focus-visible, .pc-nav-link:focus-visible, .pc-text-button:focus-visible,"
    " .pc-datapoint-button:focus-visible": {
        "border_radius": "8px",
    },
    # Inside the bar's scroll box: a ring drawn outside would be clipped.
    ".pc-tab:focus-visible": {"outline_offset": "-2px", "border_radius": "6px"},
    ".pc-table-row:focus-within": {"background": "var(--gray-a3)"},
    "input[type=search]::-webkit-search-cancel-button": {"display": "none"},
}
