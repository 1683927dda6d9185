"""Side navigation (sections of icon links, the current page highlighted) and breadcrumbs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import reflex as rx

from pinconsole.components.tokens import COLOR, FONT_SIZE, LINE_HEIGHT, RADIUS, TRANSITION, space


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    icon: str = "circle"
    badge: Any = None
    admin_only: bool = False  # shown only where ``side_navigation``'s ``is_admin`` holds


@dataclass(frozen=True)
class NavSection:
    label: str
    items: list[NavItem] = field(default_factory=list)


def _admin_only(component: rx.Component, is_admin: rx.Var | bool) -> rx.Component:
    if isinstance(is_admin, rx.Var):
        return rx.cond(is_admin, component)
    return component if is_admin else rx.fragment()


def _nav_link(item: NavItem, active: Any) -> rx.Component:
    is_active = active == item.href
    if isinstance(is_active, rx.Var):
        bg: Any = rx.cond(is_active, COLOR["surface_selected"], "transparent")
        fg: Any = rx.cond(is_active, COLOR["on_selected"], COLOR["text"])
        hover: dict[str, Any] = {}
    else:
        bg = COLOR["surface_selected"] if is_active else "transparent"
        fg = COLOR["on_selected"] if is_active else COLOR["text"]
        hover = {} if is_active else {"background": COLOR["surface_subtle"]}
    children: list[Any] = [
        rx.icon(item.icon, size=18),
        rx.text(item.label, as_="span", flex="1", font_weight="600"),
    ]
    if item.badge is not None:
        children.append(rx.text(item.badge, as_="span", font_size=FONT_SIZE["100"]))
    return rx.link(
        rx.flex(
            *children,
            align="center",
            gap=space(3),
            padding_x=space(3),
            padding_y=space(2),
            border_radius=RADIUS["sm"],
            background=bg,
            color=fg,
            font_size=FONT_SIZE["200"],
            line_height=LINE_HEIGHT["200"],
            transition=TRANSITION,
            _hover=hover,
        ),
        href=item.href,
        underline="none",
        aria_current="page" if is_active is True else None,
        class_name="pc-nav-link",
    )


def side_navigation(
    sections: Sequence[NavSection],
    active: str | rx.Var,
    *,
    header: rx.Component | None = None,
    footer: rx.Component | None = None,
    label: str = "Main",
    is_admin: rx.Var | bool = True,
    **props: Any,
) -> rx.Component:
    """The left rail: ``active`` is the href of the current page's nav item.

    Admin-only items (and a section made only of them) appear only while ``is_admin`` holds:
    a rail should not offer pages that answer "for administrators only".

    ``label`` names the landmark; only the app's own rail is "Main" (tests and screen readers
    find it by that name), examples and secondary menus pass another.
    """
    groups: list[Any] = []
    for section in sections:
        only_admin = bool(section.items) and all(i.admin_only for i in section.items)
        items: list[Any] = []
        if section.label:
            items.append(
                rx.text(
                    section.label,
                    as_="p",
                    font_size=FONT_SIZE["100"],
                    line_height=LINE_HEIGHT["100"],
                    font_weight="600",
                    color=COLOR["text_subtle"],
                    padding_x=space(3),
                    padding_bottom=space(1),
                )
            )
        items.extend(
            _admin_only(_nav_link(i, active), is_admin)
            if i.admin_only and not only_admin
            else _nav_link(i, active)
            for i in section.items
        )
        group = rx.flex(*items, direction="column", gap=space(0.5))
        groups.append(_admin_only(group, is_admin) if only_admin else group)
    body: list[Any] = []
    if header is not None:
        body.append(header)
    body.append(rx.flex(*groups, direction="column", gap=space(6), flex="1", overflow_y="auto"))
    if footer is not None:
        body.append(footer)
    return rx.el.nav(
        rx.flex(*body, direction="column", gap=space(6), height="100%"),
        aria_label=label,
        height="100%",
        width="100%",
        **props,
    )


def breadcrumbs(items: Sequence[tuple[Any, str | None]], **props: Any) -> rx.Component:
    """``[(label, href or None), ...]``; the last item is the current page (never a link)."""
    parts: list[Any] = []
    for i, (label, href) in enumerate(items):
        last = i == len(items) - 1
        if i:
            parts.append(rx.icon("chevron-right", size=14, color=COLOR["text_disabled"]))
        if href is not None and not last:
            parts.append(
                rx.link(
                    label,
                    href=href,
                    underline="hover",
                    color=COLOR["text_subtle"],
                    font_size=FONT_SIZE["100"],
                )
            )
        else:
            parts.append(
                rx.text(
                    label,
                    as_="span",
                    font_size=FONT_SIZE["100"],
                    color=COLOR["text"] if last else COLOR["text_subtle"],
                    font_weight="600" if last else "400",
                    aria_current="page" if last else None,
                )
            )
    return rx.el.nav(
        rx.flex(*parts, align="center", gap=space(1.5), wrap="wrap"),
        aria_label="Breadcrumb",
        **props,
    )
