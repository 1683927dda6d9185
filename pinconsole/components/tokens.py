"""Design tokens: the only place where colors, spacing, type, radius and shadows are defined.

Colors point at Radix Themes CSS variables, so one token works in light and dark theme.
Spacing follows Gestalt's 4 px scale: ``space(4)`` is 16 px. Components and pages use these
tokens (or the components that wrap them) instead of literal values.
"""

from __future__ import annotations

from typing import Literal

# ---------------------------------------------------------------- spacing (4 px scale)

SPACE_UNIT_PX = 4


def space(n: float) -> str:
    """``n`` steps of the 4 px scale as a CSS length (``space(3)`` -> ``"12px"``)."""
    return f"{n * SPACE_UNIT_PX:g}px"


SPACE: dict[int, str] = {n: space(n) for n in (0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20)}

# ---------------------------------------------------------------- color (semantic -> CSS var)


def _c(scale: str, step: int | str) -> str:
    return f"var(--{scale}-{step})"


PRIMARY_SCALE = "iris"  # the Radix scale of primary buttons and the theme's accent

COLOR: dict[str, str] = {
    # surfaces
    "background": "var(--pc-page-bg)",  # the page behind modules (set per theme in theme.py)
    "surface": "var(--color-panel-solid)",  # modules, top bar, menus
    "surface_raised": "var(--color-panel-solid)",
    "surface_subtle": _c("gray", 3),  # hover rows, secondary buttons
    "surface_selected": _c("gray", 12),  # Gestalt's "selected": dark pill, light text
    "on_selected": _c("gray", 1),
    "overlay": "var(--color-overlay)",
    # borders
    "border": _c("gray", "a5"),
    "border_subtle": _c("gray", "a3"),
    "border_strong": _c("gray", "a7"),
    "focus": _c("blue", 9),  # focus rings: 3:1 against the page in both themes (step 8: 2.3:1)
    # text
    "text": _c("gray", 12),
    "text_subtle": _c("gray", 11),
    "text_disabled": _c("gray", 8),
    "text_inverse": _c("gray", 1),
    "link": _c("blue", 11),
    # brand: red, the logo's, nothing else. Primary actions are iris: never the error's red
    # (a Scale button must not read as a warning), and white on iris 9 is 5.4:1 (WCAG AA;
    # white on red 9 was 3.9:1).
    "brand": _c("red", 9),
    "brand_hover": _c("red", 10),
    "on_brand": "white",
    "primary": _c(PRIMARY_SCALE, 9),
    "primary_hover": _c(PRIMARY_SCALE, 10),
    "on_primary": f"var(--{PRIMARY_SCALE}-contrast)",  # white, what Radix puts on solid iris
    "info": _c("blue", 9),
    "info_text": _c("blue", 11),
    "info_bg": _c("blue", 3),
    "success": _c("grass", 9),
    "success_text": _c("grass", 11),
    "success_bg": _c("grass", 3),
    "warning": _c("amber", 9),
    "warning_text": _c("amber", 11),
    "warning_bg": _c("amber", 3),
    "error": _c("red", 9),
    "error_text": _c("red", 11),
    "error_bg": _c("red", 3),
    "neutral": _c("gray", 9),
    "neutral_text": _c("gray", 11),
    "neutral_bg": _c("gray", 3),
    "recommendation": _c("purple", 9),
    "recommendation_text": _c("purple", 11),
    "recommendation_bg": _c("purple", 3),
}

# Radix color scale for each intent; used where a component takes a Radix ``color_scheme``.
Intent = Literal["info", "success", "warning", "error", "neutral", "recommendation"]
INTENT_SCALE: dict[str, str] = {
    "info": "blue",
    "success": "grass",
    "warning": "amber",
    "error": "red",
    "neutral": "gray",
    "recommendation": "purple",
}

# ---------------------------------------------------------------- typography

FONT_FAMILY = (
    '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", '
    'Helvetica, "Noto Sans", Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji"'
)
FONT_FAMILY_MONO = 'ui-monospace, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace'

# Gestalt's type scale: 100 is the smallest body size, 600 the largest heading.
FONT_SIZE: dict[str, str] = {
    "100": "12px",
    "200": "14px",
    "300": "16px",
    "400": "20px",
    "500": "28px",
    "600": "36px",
}
LINE_HEIGHT: dict[str, str] = {
    "100": "16px",
    "200": "20px",
    "300": "24px",
    "400": "28px",
    "500": "36px",
    "600": "44px",
}
FONT_WEIGHT: dict[str, str] = {"normal": "400", "semibold": "600", "bold": "700"}
TextSize = Literal["100", "200", "300", "400", "500", "600"]

# ---------------------------------------------------------------- radius, shadow, motion

RADIUS: dict[str, str] = {
    "none": "0",
    "xs": "4px",
    "sm": "8px",
    "md": "12px",
    "lg": "16px",  # modules
    "xl": "24px",
    "pill": "9999px",  # buttons, badges, search field
}

SHADOW: dict[str, str] = {
    "none": "none",
    "raised": "0 1px 2px rgba(0, 0, 0, 0.06), 0 1px 3px rgba(0, 0, 0, 0.04)",
    "floating": "0 8px 24px rgba(0, 0, 0, 0.12), 0 2px 6px rgba(0, 0, 0, 0.08)",
}

TRANSITION = "background-color 120ms ease, color 120ms ease, box-shadow 120ms ease"

# ---------------------------------------------------------------- layout

SIDEBAR_WIDTH = "248px"
TOPBAR_HEIGHT = "64px"
CONTENT_MAX_WIDTH = "1280px"

# Status vocabulary shared by every page that shows health.
STATUS_KINDS = ("ok", "warning", "critical", "unknown", "stale")
STATUS_COLOR: dict[str, str] = {
    "ok": COLOR["success"],
    "warning": COLOR["warning"],
    "critical": COLOR["error"],
    "unknown": COLOR["neutral"],
    "stale": _c("gray", 7),
}
STATUS_LABEL: dict[str, str] = {
    "ok": "Healthy",
    "warning": "Warning",
    "critical": "Critical",
    "unknown": "Unknown",
    "stale": "Stale",
}
