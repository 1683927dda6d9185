"""Button and IconButton: ``primary`` (iris, never the error's red) for the one primary action
of a page, gray for the rest."""

from __future__ import annotations

from typing import Any, Literal

import reflex as rx
from reflex.components.react_router.dom import ReactRouterLink

from pinconsole.components.tokens import PRIMARY_SCALE

# "red" is the former name of "primary", kept so that pages still saying it get the primary
# colour (and no button shows the error colour as its main action).
ButtonColor = Literal["primary", "red", "gray", "transparent", "dark", "blue"]
ButtonSize = Literal["sm", "md", "lg"]

# color -> (radix variant, radix color scheme, high contrast)
_VARIANT: dict[str, tuple[str, str, bool]] = {
    "primary": ("solid", PRIMARY_SCALE, False),
    "red": ("solid", PRIMARY_SCALE, False),
    "gray": ("soft", "gray", True),
    "transparent": ("ghost", "gray", True),
    "dark": ("solid", "gray", True),
    "blue": ("soft", "blue", True),  # step-12 text: the soft blue's step 11 misses AA
}
_SIZE = {"sm": "1", "md": "2", "lg": "3"}
_ICON_PX = {"sm": 14, "md": 16, "lg": 18}


def _href_child(children: list[Any], href: str | rx.Var, external: bool) -> rx.Component:
    """The link a button with ``href`` renders as (Radix's ``as_child``): one ``<a>`` styled as
    a button, never a button inside a link (two nested controls, one Tab stop too many).

    external: a full page load in a new tab (other apps, and backend routes like /api/v1/docs
    that the client-side router does not know)."""
    if external:
        return rx.el.a(*children, href=href, target="_blank", rel="noopener noreferrer")
    return ReactRouterLink.create(*children, to=href)


def button(
    label: Any,
    on_click: Any = None,
    *,
    color: ButtonColor = "gray",
    size: ButtonSize = "md",
    icon_start: str | None = None,
    icon_end: str | None = None,
    full_width: bool = False,
    disabled: bool | rx.Var = False,
    loading: bool | rx.Var = False,
    href: str | rx.Var | None = None,
    external: bool = False,
    type: Literal["button", "submit"] = "button",
    **props: Any,
) -> rx.Component:
    """A text button. ``color="primary"`` is reserved for the page's main action."""
    variant, scheme, contrast = _VARIANT[color]
    children: list[Any] = []
    if icon_start:
        children.append(rx.icon(icon_start, size=_ICON_PX[size]))
    children.append(label)
    if icon_end:
        children.append(rx.icon(icon_end, size=_ICON_PX[size]))
    if on_click is not None:
        props["on_click"] = on_click
    if href is not None:  # a link that looks like a button: no type, no loading spinner
        children = [_href_child(children, href, external)]
        props["as_child"] = True
    else:
        props.update(type=type, loading=loading)
    return rx.button(
        *children,
        variant=variant,
        color_scheme=scheme,
        high_contrast=contrast,
        size=_SIZE[size],
        radius="full",
        disabled=disabled,
        width="100%" if full_width else "auto",
        font_weight="600",
        cursor="pointer",
        **props,
    )


def icon_button(
    icon: str | rx.Component,
    on_click: Any = None,
    *,
    label: str,
    color: ButtonColor = "transparent",
    size: ButtonSize = "md",
    disabled: bool | rx.Var = False,
    href: str | rx.Var | None = None,
    tooltip: bool = True,
    **props: Any,
) -> rx.Component:
    """A round icon-only button; ``label`` is required (aria-label and tooltip).

    ``icon`` is a lucide name, or a component (e.g. ``rx.color_mode_cond(icon_a, icon_b)``).
    """
    variant, scheme, contrast = _VARIANT[color]
    if on_click is not None:
        props["on_click"] = on_click
    glyph = rx.icon(icon, size=_ICON_PX[size] + 2) if isinstance(icon, str) else icon
    if href is not None:
        props["as_child"] = True
    comp = rx.icon_button(
        glyph if href is None else _href_child([glyph], href, False),
        variant=variant,
        color_scheme=scheme,
        high_contrast=contrast,
        size=_SIZE[size],
        radius="full",
        disabled=disabled,
        aria_label=label,
        cursor="pointer",
        **props,
    )
    return rx.tooltip(comp, content=label) if tooltip else comp
