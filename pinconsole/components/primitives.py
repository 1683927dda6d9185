"""Layout and type primitives: box, flex, text, heading, link, divider.

Everything takes token names (spacing steps, type sizes, color roles) instead of raw CSS so
pages stay consistent. Extra keyword arguments pass through to the underlying Reflex component.
"""

from __future__ import annotations

from typing import Any, Literal

import reflex as rx

from pinconsole.components.tokens import (
    COLOR,
    FONT_SIZE,
    FONT_WEIGHT,
    LINE_HEIGHT,
    RADIUS,
    SHADOW,
    space,
)

BoxColor = Literal["transparent", "default", "secondary", "elevated", "selected"]
TextColor = Literal[
    "default", "subtle", "disabled", "inverse", "link", "error", "success", "warning", "brand"
]

_BOX_BG = {
    "transparent": "transparent",
    "default": COLOR["surface"],
    "secondary": COLOR["surface_subtle"],
    "elevated": COLOR["surface_raised"],
    "selected": COLOR["surface_selected"],
}
_TEXT_COLOR = {
    "default": COLOR["text"],
    "subtle": COLOR["text_subtle"],
    "disabled": COLOR["text_disabled"],
    "inverse": COLOR["text_inverse"],
    "link": COLOR["link"],
    "error": COLOR["error_text"],
    "success": COLOR["success_text"],
    "warning": COLOR["warning_text"],
    "brand": COLOR["brand"],
}


def _spacing(value: float | str | None) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else space(value)


def box(
    *children: Any,
    padding: float | None = None,
    padding_x: float | None = None,
    padding_y: float | None = None,
    color: BoxColor = "transparent",
    rounding: str | None = None,
    border: bool = False,
    shadow: str | None = None,
    **props: Any,
) -> rx.Component:
    """A div on the token scale: padding in 4 px steps, rounding/shadow by token name."""
    style: dict[str, Any] = {"background": _BOX_BG[color]}
    if padding is not None:
        style["padding"] = _spacing(padding)
    if padding_x is not None:
        style["padding_left"] = style["padding_right"] = _spacing(padding_x)
    if padding_y is not None:
        style["padding_top"] = style["padding_bottom"] = _spacing(padding_y)
    if rounding:
        style["border_radius"] = RADIUS[rounding]
    if border:
        style["border"] = f"1px solid {COLOR['border']}"
    if shadow:
        style["box_shadow"] = SHADOW[shadow]
    if color == "selected":
        style["color"] = COLOR["on_selected"]
    return rx.box(*children, **{**style, **props})


def flex(
    *children: Any,
    direction: Literal["row", "column"] = "row",
    gap: float = 2,
    align: Literal["start", "center", "end", "baseline", "stretch"] = "center",
    justify: Literal["start", "center", "end", "between"] = "start",
    wrap: bool = False,
    **props: Any,
) -> rx.Component:
    """A flex container; ``gap`` is in 4 px steps (Gestalt's Flex)."""
    return rx.flex(
        *children,
        direction=direction,
        align=align,
        justify=justify,
        wrap="wrap" if wrap else "nowrap",
        gap=space(gap),
        **props,
    )


def column(*children: Any, gap: float = 2, **props: Any) -> rx.Component:
    """A vertical flex that stretches its children (the common page stack)."""
    props.setdefault("align", "stretch")
    return flex(*children, direction="column", gap=gap, **props)


def text(
    *children: Any,
    size: str = "200",
    color: TextColor = "default",
    weight: Literal["normal", "semibold", "bold"] = "normal",
    align: Literal["start", "center", "end"] | None = None,
    truncate: bool = False,
    inline: bool = False,
    mono: bool = False,
    **props: Any,
) -> rx.Component:
    """Body text on the type scale (``size`` 100-600, ``color`` a text role)."""
    style: dict[str, Any] = {
        "font_size": FONT_SIZE[size],
        "line_height": LINE_HEIGHT[size],
        "font_weight": FONT_WEIGHT[weight],
        "color": _TEXT_COLOR[color],
        "margin": "0",
    }
    if align:
        style["text_align"] = align
    if truncate:
        style.update(overflow="hidden", text_overflow="ellipsis", white_space="nowrap")
    if mono:
        style["font_family"] = "var(--code-font-family)"
    if "on_click" in props:
        return _text_button(children, style, props)
    return rx.text(*children, as_="span" if inline else "p", **{**style, **props})


# A <button> stripped of the browser's look, for controls drawn as something else (a text, a
# tile, a tab); the focus ring stays (theme.py).
BARE_BUTTON: dict[str, str] = {
    "background": "transparent",
    "border": "none",
    "padding": "0",
    "font": "inherit",
    "color": "inherit",
    "text_align": "inherit",
    "cursor": "pointer",
}


def _text_button(
    children: tuple[Any, ...], style: dict[str, Any], props: dict[str, Any]
) -> rx.Component:
    """A text that reacts to clicks is a ``<button>`` that looks like the text: reachable with
    Tab, pressed with Enter or Space, named by its words (a span with ``on_click`` is none of
    these)."""
    props.pop("role", None)  # native
    classes = " ".join(c for c in ("pc-text-button", props.pop("class_name", None)) if c)
    return rx.el.button(
        *children, type="button", class_name=classes, **{**BARE_BUTTON, **style, **props}
    )


_HEADING_LEVEL_SIZE = {1: "600", 2: "500", 3: "400", 4: "300", 5: "200", 6: "100"}


def heading(
    *children: Any,
    level: Literal[1, 2, 3, 4, 5, 6] = 2,
    size: str | None = None,
    color: TextColor = "default",
    truncate: bool = False,
    **props: Any,
) -> rx.Component:
    """A heading: ``level`` is the HTML level, ``size`` overrides the visual size."""
    size = size or _HEADING_LEVEL_SIZE[level]
    style: dict[str, Any] = {
        "font_size": FONT_SIZE[size],
        "line_height": LINE_HEIGHT[size],
        "font_weight": FONT_WEIGHT["bold"] if int(size) >= 400 else FONT_WEIGHT["semibold"],
        "letter_spacing": "-0.01em" if int(size) >= 500 else "normal",
        "color": _TEXT_COLOR[color],
        "margin": "0",
    }
    if truncate:
        style.update(overflow="hidden", text_overflow="ellipsis", white_space="nowrap")
    return rx.heading(*children, as_=f"h{level}", **{**style, **props})


def link(
    *children: Any,
    href: str | rx.Var,
    external: bool = False,
    underline: Literal["auto", "always", "none"] = "hover",  # type: ignore[assignment]
    color: TextColor = "link",
    **props: Any,
) -> rx.Component:
    """An internal (client-side) or external link."""
    if external:
        props.setdefault("is_external", True)
    return rx.link(
        *children,
        href=href,
        underline=underline,
        color=_TEXT_COLOR[color],
        **props,
    )


def divider(**props: Any) -> rx.Component:
    """A 1 px rule in the border color."""
    return rx.box(height="1px", width="100%", background=COLOR["border_subtle"], **props)


def icon(name: str, size: int = 16, color: str | None = None, **props: Any) -> rx.Component:
    """A lucide icon (``name`` as in lucide.dev, e.g. ``"house"``, ``"circle-alert"``)."""
    if color is not None:
        props["color"] = color
    return rx.icon(name, size=size, **props)


# Out of sight, still read by screen readers (the usual "sr-only" rules).
_VISUALLY_HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "padding": "0",
    "margin": "-1px",
    "overflow": "hidden",
    "clip": "rect(0, 0, 0, 0)",
    "white_space": "nowrap",
    "border": "0",
}


def visually_hidden(*children: Any) -> rx.Component:
    """Text for screen readers only: it completes a control's name from its content, where an
    ``aria-label`` would hide the visible text from the name (WCAG 2.5.3, label in name)."""
    return rx.el.span(*children, **_VISUALLY_HIDDEN)
