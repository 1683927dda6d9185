"""PinConsole's design system (Gestalt-like). Pages compose these; see docs/design-system.md.

Components never import a State: they take Vars and event handlers as arguments.
"""

from pinconsole.components.avatar import avatar, initials
from pinconsole.components.badges import badge, status
from pinconsole.components.buttons import button, icon_button
from pinconsole.components.callout import callout, toast
from pinconsole.components.datapoint import datapoint
from pinconsole.components.module import empty_state, module, skeleton_rows
from pinconsole.components.navigation import NavItem, NavSection, breadcrumbs, side_navigation
from pinconsole.components.primitives import (
    box,
    column,
    divider,
    flex,
    heading,
    icon,
    link,
    text,
    visually_hidden,
)
from pinconsole.components.search_field import search_field, search_results
from pinconsole.components.table import Column, pagination, table
from pinconsole.components.tabs import Tab, tab_panel, tabs

__all__ = [
    "Column",
    "NavItem",
    "NavSection",
    "Tab",
    "avatar",
    "badge",
    "box",
    "breadcrumbs",
    "button",
    "callout",
    "column",
    "datapoint",
    "divider",
    "empty_state",
    "flex",
    "heading",
    "icon",
    "icon_button",
    "initials",
    "link",
    "module",
    "pagination",
    "search_field",
    "search_results",
    "side_navigation",
    "skeleton_rows",
    "status",
    "tab_panel",
    "table",
    "tabs",
    "text",
    "toast",
    "visually_hidden",
]
