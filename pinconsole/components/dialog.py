"""Confirm dialog: an alert dialog that asks before an action and shows what it changes.

Radix's AlertDialog, controlled by the state: the trigger button asks (``on_open_change(True)``),
and the state opens it (``open``) only once it has the preview, or refuses at the form instead.
Focus moves into the dialog onto the confirm button (so Enter confirms), Escape and Cancel close
it (``on_open_change(False)``), and closing returns focus to the trigger. Clicking outside does
nothing: an alert dialog wants an answer.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.components.buttons import button
from pinconsole.components.tokens import COLOR, FONT_SIZE, LINE_HEIGHT, space


def confirm_dialog(
    trigger: rx.Component,
    *,
    open: rx.Var,
    on_open_change: Any,
    on_cancel: Any,
    on_confirm: Any,
    title: rx.Var,
    lines: rx.Var,
    confirm_label: rx.Var,
    busy: rx.Var,
    id: str,
) -> rx.Component:
    """``trigger``: a button without ``on_click`` (the dialog's trigger handles the click, and
    focus returns to it); ``lines``: what the action changes and touches, one sentence each."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title, id=f"{id}-title"),
            # a div (not Radix's default p, which may not hold a list): one sentence per item
            rx.alert_dialog.description(
                rx.el.ul(
                    rx.foreach(lines, lambda line: rx.el.li(line)),
                    padding_left=space(5),
                    margin="0",
                    list_style_type="disc",
                    display="flex",
                    flex_direction="column",
                    gap=space(2),
                    color=COLOR["text"],
                    font_size=FONT_SIZE["200"],
                    line_height=LINE_HEIGHT["200"],
                ),
                custom_attrs={"as": "div"},
            ),
            rx.flex(
                button("Cancel", on_cancel, id=f"{id}-cancel", disabled=busy),
                button(
                    confirm_label,
                    on_confirm,
                    color="primary",
                    loading=busy,
                    auto_focus=True,  # focused on open (before Radix's default), so Enter confirms
                    id=f"{id}-confirm",
                ),
                gap=space(3),
                justify="end",
                margin_top=space(5),
            ),
            max_width="520px",
            id=id,
        ),
        open=open,
        on_open_change=on_open_change,
    )
