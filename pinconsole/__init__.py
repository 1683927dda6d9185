"""PinConsole: an internal developer platform in pure Python."""

__version__ = "0.1.0"
