"""App-wide theme and global style (placeholder until the design system lands)."""

import reflex as rx

APP_THEME = rx.theme(accent_color="red", gray_color="slate", radius="medium")
GLOBAL_STYLE: dict = {}
