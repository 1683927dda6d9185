"""What of the PinApp page is open: the tab and the charts' time range, both in the URL
(``?tab=pods&range=6h``), switched without a navigation so the forms and the followed log
stay."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from pinconsole.state.guard import guarded

# The charts' time ranges, in seconds; the cluster cache keeps six hours.
RANGES = {"15m": 900, "1h": 3600, "6h": 21600}
DEFAULT_RANGE = "1h"
# The page's tabs, the first is the default.
TABS = ("overview", "pods", "events", "logs", "scaler", "yaml")


class PinAppView(rx.State, mixin=True):
    """Mixed into ``PinAppState``, whose ``_fetch`` reads the page for ``_window()``."""

    tab: str = TABS[0]
    chart_range: str = DEFAULT_RANGE

    async def _fetch(self) -> None:
        raise NotImplementedError

    def _window(self) -> float:
        return RANGES.get(self.chart_range, RANGES[DEFAULT_RANGE])

    def _open_view(self) -> None:
        """The tab and range the URL names (unknown values: the defaults)."""
        query = self.router.url.query_parameters
        tab, chart_range = str(query.get("tab", "") or ""), str(query.get("range", "") or "")
        self.tab = tab if tab in TABS else TABS[0]
        self.chart_range = chart_range if chart_range in RANGES else DEFAULT_RANGE

    def _replace_url(self) -> Any:
        """The address bar says what is open, without a history entry or a navigation; the
        query's other parameters (the logs panel's) stay as they are."""
        values = {
            "tab": self.tab if self.tab != TABS[0] else "",
            "range": self.chart_range if self.chart_range != DEFAULT_RANGE else "",
        }
        return rx.call_script(
            "(() => { const u = new URL(window.location.href);"
            f" for (const [k, v] of Object.entries({json.dumps(values)}))"
            " { if (v) u.searchParams.set(k, v); else u.searchParams.delete(k); }"
            " window.history.replaceState(window.history.state, '', u.pathname + u.search); })()"
        )

    @guarded
    async def set_tab(self, value: str):  # type: ignore[no-untyped-def]
        if value not in TABS:
            return None
        self.tab = value
        return self._replace_url()

    @guarded
    async def set_range(self, value: str | list[str]):  # type: ignore[no-untyped-def]
        if not isinstance(value, str) or value not in RANGES:
            return None
        self.chart_range = value
        await self._fetch()
        return self._replace_url()
