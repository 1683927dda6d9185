"""Confirmation before an action, written once: a state mixin behind ``confirm_dialog``.

A page's button asks (``confirm_open_change(action, True)``, Radix's onOpenChange); the state
builds what the dialog shows (``_preview``, a ``guardrails.Preview``) or, when the input is
already known to be refused, shows why at the form (``_refuse``) and opens nothing. Confirm runs
``_confirmed``; the state closes the dialog when the action is done, so a second click on Confirm
finds nothing left to confirm (it never runs the action twice).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from pinconsole.compute.guardrails import Preview
from pinconsole.errors import Invalid
from pinconsole.state.guard import guarded

MAX_ACTION = 20  # an action's name from the browser: untrusted, and short


class ConfirmAction(rx.State, mixin=True):
    """Mix into an ``AppState`` that implements ``_preview``, ``_refuse`` and ``_confirmed``."""

    confirming: str = ""  # the action the open dialog confirms ("" while it is closed)
    confirm_title: str = ""
    confirm_lines: list[str] = []
    confirm_label: str = ""
    confirm_busy: bool = False  # the confirmed action runs: the dialog waits for it

    async def _preview(self, action: str) -> Preview:
        """What confirming ``action`` changes; ``Invalid`` when it is refused already."""
        raise NotImplementedError

    def _refuse(self, error: Invalid) -> None:
        """Show why the action is refused, at its form."""
        raise NotImplementedError

    async def _confirmed(self, action: str) -> Any:
        """Run the confirmed ``action`` (a ``Preview.action``); its answer (a toast)."""
        raise NotImplementedError

    @guarded
    async def confirm_open_change(self, action: str, open: bool):  # type: ignore[no-untyped-def]
        if self.confirm_busy:
            return None  # the action runs already; it closes the dialog when done
        if open is not True or not isinstance(action, str) or len(action) > MAX_ACTION:
            self.confirming = ""
            return None
        try:
            preview = await self._preview(action)
        except Invalid as exc:
            self.confirming = ""
            self._refuse(exc)
            return None
        self.confirm_title, self.confirm_label = preview.title, preview.confirm
        self.confirm_lines = list(preview.lines)
        self.confirming = preview.action
        return None

    @guarded
    async def confirm(self):  # type: ignore[no-untyped-def]
        action = self.confirming
        if not action or self.confirm_busy:
            return
        self.confirm_busy = True
        yield  # the confirm button shows that it works
        try:
            answer = await self._confirmed(action)
        finally:
            self.confirming, self.confirm_busy = "", False
        yield answer
