"""The app's routes with their full path templates, learned from the app itself.

FastAPI >= 0.130 includes routers lazily: a matched ``APIRoute`` keeps its path relative to its
router (``/me``), so the full template (``/api/v1/me``) comes from the including side. Metrics
label requests with it, the audit names refused routes with it, and the answer to a known path
with another method (405) lists the methods its routes accept.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import compile_path
from starlette.types import Scope


def route_templates(routes: Iterable[Any]) -> Iterator[tuple[str, Any]]:
    """(full path template, route) of every route, those of included routers too."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            for ctx in contexts():
                path = getattr(ctx, "path_format", None) or getattr(ctx, "path", None)
                original = getattr(ctx, "original_route", None)
                if original is not None and path:
                    yield path, original
        else:
            path = getattr(route, "path_format", None) or getattr(route, "path", None)
            if path:
                yield path, route


class RouteTable:
    """What an app's routes are, read from ``routes`` (the app's route list) on first use:
    routes added before the first request are all seen."""

    def __init__(self, routes: Iterable[Any]) -> None:
        self._routes = routes
        self._lock = threading.Lock()
        self._templates: dict[int, str] | None = None
        self._methods: list[tuple[re.Pattern[str], frozenset[str]]] | None = None

    def _learn(self) -> None:
        with self._lock:
            if self._templates is not None:
                return
            templates: dict[int, str] = {}
            methods: dict[str, set[str]] = {}
            for path, route in route_templates(self._routes):
                templates.setdefault(id(route), path)
                if getattr(route, "methods", None):  # a catch-all (methods=None) claims nothing
                    methods.setdefault(path, set()).update(route.methods)
            self._methods = [(compile_path(p)[0], frozenset(m)) for p, m in methods.items()]
            self._templates = templates

    def template(self, scope: Scope) -> str | None:
        """The full template of the route that took this request; None if none did."""
        route = scope.get("route")
        if route is None:
            return None
        if self._templates is None:
            self._learn()
        assert self._templates is not None
        path = self._templates.get(id(route))
        if path is None:  # a route of a mounted app (Reflex's): its own path
            path = getattr(route, "path_format", None) or getattr(route, "path", None)
        return path if isinstance(path, str) and path else None

    def allowed_methods(self, path: str) -> frozenset[str]:
        """Every method some route accepts at ``path`` (empty: no route has this path)."""
        if self._methods is None:
            self._learn()
        assert self._methods is not None
        found: set[str] = set()
        for regex, methods in self._methods:
            if regex.match(path):
                found |= methods
        return frozenset(found)
