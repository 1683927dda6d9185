"""Serving an emulator on loopback, the way a test or the demo reaches a real cluster.

``Sandbox`` runs the emulator on a background thread's event loop on a free loopback port and
writes a kubeconfig the official client reads; ``run_loops`` starts Kubernetes' own controllers
(and, for the demo, chaos) on that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import aiohttp.web
import yaml

from pinconsole.sandbox.cluster import SandboxEmulator

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sandbox:
    """An emulator served on loopback from a background thread, with a kubeconfig for clients.

    ``call(fn, *args)`` runs ``fn`` on the emulator's loop (the store is not thread-safe).
    ``restart()`` drops every connection and serves again on the same port, state kept.
    """

    def __init__(
        self,
        emulator: SandboxEmulator | None = None,
        *,
        port: int | None = None,
        kubeconfig: Path | None = None,
        name: str = "sandbox",
    ) -> None:
        self.emulator = emulator if emulator is not None else SandboxEmulator()
        self.port = port or free_port()
        self.name = name
        self.kubeconfig = kubeconfig
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: aiohttp.web.ServerRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Sandbox:
        ready: Future[None] = Future()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
                ready.set_result(None)
                loop.run_forever()
            except BaseException as exc:  # report start failures to the caller
                if not ready.done():
                    ready.set_exception(exc)
            finally:
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        self._thread = threading.Thread(target=run, name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        ready.result(timeout=10)
        if self.kubeconfig is not None:
            self.write_kubeconfig(self.kubeconfig)
        return self

    async def _serve(self) -> None:
        if not self.emulator.active:  # kmock's DSL fallbacks (discovery) need an entered handler
            await self.emulator.__aenter__()
        self.emulator.accepting_watches = True
        self._runner = aiohttp.web.ServerRunner(
            aiohttp.web.Server(self.emulator), handle_signals=False, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = aiohttp.web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()

    async def _unserve(self) -> None:
        self.emulator.close_watches()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 60) -> Any:
        """Run a store function on the emulator's loop and return its result."""
        assert self._loop is not None

        async def wrapper() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(timeout)

    def pause(self) -> None:
        """Stop serving (connections refused) while keeping the state."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._unserve(), self._loop).result(10)

    def resume(self) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)

    def restart(self) -> None:
        self.pause()
        self.resume()

    def run_loops(
        self,
        *,
        controller_seconds: float = 1.0,
        chaos_seconds: float | None = 3.0,
        seed: int = 7,
        pinapps: bool = False,
    ) -> None:
        """Start Kubernetes' controllers (``SandboxEmulator.control``), optionally chaos, and
        with ``pinapps`` the emulator's stand-in PinApp controller, as tasks on its loop."""
        assert self._loop is not None
        rng = random.Random(seed)

        async def controller() -> None:
            while True:
                try:
                    self.emulator.control()
                    if pinapps:
                        self.emulator.reconcile()
                except Exception:
                    log.exception("sandbox controller tick failed")
                await asyncio.sleep(controller_seconds)

        async def chaos() -> None:
            assert chaos_seconds is not None
            while True:
                await asyncio.sleep(chaos_seconds)
                try:
                    self.emulator.chaos_tick(rng)
                except Exception:
                    log.exception("sandbox chaos tick failed")

        def spawn() -> None:
            self._tasks.append(asyncio.ensure_future(controller()))
            if chaos_seconds:
                self._tasks.append(asyncio.ensure_future(chaos()))

        self._loop.call_soon_threadsafe(spawn)

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            for task in self._tasks:
                task.cancel()
            await self._unserve()
            if self.emulator.active:
                await self.emulator.__aexit__(None, None, None)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def write_kubeconfig(self, path: Path) -> Path:
        """A kubeconfig with one context named after the sandbox, pointing at loopback."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": self.name, "cluster": {"server": self.url}}],
            "users": [{"name": self.name, "user": {"token": "sandbox"}}],
            "contexts": [
                {
                    "name": self.name,
                    "context": {"cluster": self.name, "user": self.name, "namespace": "default"},
                }
            ],
            "current-context": self.name,
        }
        # Atomically: other processes re-read this file whenever they reconnect.
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(yaml.safe_dump(config))
        os.replace(partial, path)
        self.kubeconfig = path
        return path
