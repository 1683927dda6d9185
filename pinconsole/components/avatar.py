"""Avatar: a round picture with the person's initials as fallback."""

from __future__ import annotations

from typing import Any, Literal

import reflex as rx

_SIZE = {"xs": "1", "sm": "2", "md": "3", "lg": "5", "xl": "7"}


def initials(name: str) -> str:
    """``"Ada Lovelace"`` -> ``"AL"``; ``"ada.lovelace"`` -> ``"AL"``; ``""`` -> ``"?"``."""
    words = [w for w in name.replace(".", " ").replace("_", " ").replace("-", " ").split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def _initials_var(name: rx.Var) -> rx.Var:
    # Same rule as ``initials`` but evaluated in the browser for state-held names.
    js = (
        f"((n) => {{ const w = String(n ?? '').replace(/[._-]/g, ' ').split(/\\s+/)"
        f".filter(Boolean); if (!w.length) return '?'; if (w.length === 1) "
        f"return w[0].slice(0, 2).toUpperCase(); return (w[0][0] + w[w.length - 1][0])"
        f".toUpperCase(); }})({name!s})"
    )
    return rx.Var(js, _var_type=str)


def avatar(
    name: str | rx.Var,
    *,
    src: str | rx.Var | None = None,
    size: Literal["xs", "sm", "md", "lg", "xl"] = "sm",
    color: str = "gray",
    **props: Any,
) -> rx.Component:
    """A person or team avatar; without ``src`` (or if it fails) shows the initials."""
    fallback = _initials_var(name) if isinstance(name, rx.Var) else initials(name)
    return rx.avatar(
        src=src,
        fallback=fallback,
        size=_SIZE[size],
        radius="full",
        color_scheme=color,
        variant="soft",
        high_contrast=True,
        title=name,
        **props,
    )
