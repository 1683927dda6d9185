"""The audit outbox: an append-only JSON-lines file under the data dir, shared by the processes
of one host through ``flock`` on a sibling ``.lock`` file.

Why a local file (and not Redis or the database): it is what is left when the database is down,
it needs no other server (Redis is optional, and runs without persistence here), and an
``fsync``ed line survives a crash of the process, so an action's intent can be written before
the action and relied upon. Every operation takes the lock and opens the file by path, so a
compaction that replaces the file (write, fsync, rename) never loses a concurrent append.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(path: Path, *, blocking: bool = True, suffix: str = ".lock") -> Iterator[bool]:
    """Hold the outbox's lock (``False`` when ``blocking`` is off and another holder has it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + suffix), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def append(path: Path, entry: dict[str, Any]) -> None:
    """Append one entry and fsync it; raises ``OSError`` when the file cannot be written."""
    line = (json.dumps(entry, default=str, sort_keys=True) + "\n").encode()
    with locked(path):
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(path.parent)


def _parse(data: bytes) -> list[dict[str, Any]]:
    entries = []
    for raw in data.splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:  # a line torn by a crash mid-write: nothing to recover
            log.warning("audit outbox: skipping an unreadable line (%d bytes)", len(raw))
            continue
        if isinstance(entry, dict) and entry.get("uid"):
            entries.append(entry)
    return entries


def read(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The entries and the byte size they were read from (for ``replace``)."""
    with locked(path):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return [], 0
    return _parse(data), len(data)


def replace(path: Path, keep: list[dict[str, Any]], read_size: int) -> None:
    """Rewrite the file as ``keep`` plus whatever was appended after the first ``read_size``
    bytes (entries written while the caller worked), atomically."""
    with locked(path):
        try:
            with path.open("rb") as f:
                f.seek(read_size)
                tail = f.read()
        except FileNotFoundError:
            tail = b""
        body = b"".join((json.dumps(e, default=str, sort_keys=True) + "\n").encode() for e in keep)
        if not body and not tail:
            path.unlink(missing_ok=True)
            return
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as f:
            f.write(body + tail)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
