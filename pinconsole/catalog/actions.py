"""The catalog's ``authorize`` actions, in a module of their own: the plugin names them (its
``open_actions``) without importing the write side, which a CLI command does not need."""

from __future__ import annotations

REGISTER = "catalog.location.register"  # open to everyone signed in: the plugin's open_actions
REGISTER_FILE = "admin.catalog.location.register_file"  # a path reads the backend's own disk
