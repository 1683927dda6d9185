"""Shared by the benchmarks that run the sandbox emulator in a child process (so its memory is
not counted in the process measured): starting it, and the measured process's RSS."""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from typing import Any


def rss_mb() -> float:
    """This process's resident memory in MB (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start_emulator(serve: Callable[..., None], *args: Any, timeout: float = 600) -> tuple:
    """Spawn ``serve(conn, *args)``, which sends one dict once serving; ``(process, conn,
    info)``, info None when it did not answer in ``timeout`` (the child is then killed)."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve, args=(child, *args))
    process.start()
    if not parent.poll(timeout):
        process.kill()
        return process, parent, None
    return process, parent, parent.recv()
