"""Outbound reads: which URLs PinConsole may fetch (``allowlist``) and the one client that does."""
