"""Page guards and the post-sign-in redirect target."""

from __future__ import annotations

from pinconsole.access.session_cookie import safe_next
from pinconsole.state.base import AppState, guarded_on_load


def test_safe_next_allows_only_local_paths() -> None:
    assert safe_next("/catalog?kind=api") == "/catalog?kind=api"
    for bad in (None, "", "https://evil.example", "//evil.example", "/\\evil", "javascript:x"):
        assert safe_next(bad) == "/"
    assert safe_next("/signin?next=/x") == "/"


def test_every_page_but_signin_is_guarded() -> None:
    marker = object()
    assert guarded_on_load("/signin", marker) == [marker]
    assert guarded_on_load("/", None) == [AppState.ensure_signed_in]
    assert guarded_on_load("/catalog", [marker]) == [AppState.ensure_signed_in, marker]
    assert guarded_on_load("/admin/audit", marker, admin_only=True) == [
        AppState.ensure_admin,
        marker,
    ]
