"""The logs panel of the PinApp page: a pod's last lines (container, tail, search) and a
follow stream. Its own state, beside ``PinAppState``: the live refresh of the page never
re-sends the log lines, and the lines never ride on the page's refresh."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

from pinconsole.compute import logs, queries
from pinconsole.errors import DomainError, Unauthenticated
from pinconsole.state.base import AppState
from pinconsole.state.guard import Outage, guarded, run_blocking


def _pod_containers(cluster: str, namespace: str, name: str, pod: str) -> list[str]:
    """Containers of ``pod``, which must be one of PinApp ``namespace/name``'s pods: the page
    of one PinApp reads no other workload's logs (the check the REST API makes)."""
    queries.require_pod_of(cluster, namespace, name, pod)
    return logs.containers_of(cluster, namespace, pod)


def _pod_log_lines(
    cluster: str,
    namespace: str,
    name: str,
    pod: str,
    container: str | None,
    tail: int,
    search: str | None,
) -> list[str]:
    """The last ``tail`` lines of a pod of PinApp ``namespace/name`` (see ``_pod_containers``)."""
    queries.require_pod_of(cluster, namespace, name, pod)
    return logs.pod_logs(cluster, namespace, pod, container, tail, search)


def _follow_pod(
    cluster: str, namespace: str, name: str, pod: str, container: str | None, search: str | None
) -> Any:
    """A follow stream of a pod of PinApp ``namespace/name`` (see ``_pod_containers``)."""
    queries.require_pod_of(cluster, namespace, name, pod)
    return logs.follow_pod_logs(cluster, namespace, pod, container, 0, search)


class PodLogsState(AppState):
    """The pod whose logs are open on a PinApp page, its lines and whether they follow."""

    log_pod: str = ""
    log_containers: list[str] = []
    log_container: str = ""
    log_tail: str = "200"
    log_search: str = ""
    log_lines: list[str] = []
    log_error: str = ""
    following: bool = False
    _follow_token: float = 0.0
    _loaded_path: str = ""

    def _key(self) -> tuple[str, str, str]:
        params = self.router.page.params
        return params.get("cluster", ""), params.get("namespace", ""), params.get("name", "")

    @guarded
    async def load(self):  # type: ignore[no-untyped-def]
        # A websocket reconnect runs on_load again: the open log stays. Another PinApp page,
        # or another user in this tab, starts with none.
        path = f"{self.user_name}@{self.router.page.raw_path}"
        if path != self._loaded_path:
            self._loaded_path = path
            self.log_pod, self.log_lines, self.log_error, self.following = "", [], "", False

    @guarded
    async def open_logs(self, pod: str):  # type: ignore[no-untyped-def]
        cluster, namespace, name = self._key()
        self.following = False
        self.log_pod = pod
        try:
            self.log_containers = await self._run(_pod_containers, cluster, namespace, name, pod)
        except DomainError as exc:
            self.log_containers, self.log_lines, self.log_error = [], [], str(exc)
            return
        self.log_container = self.log_containers[0] if self.log_containers else ""
        await self._read_logs()

    async def _read_logs(self) -> None:
        cluster, namespace, name = self._key()
        try:
            tail = max(1, min(logs.MAX_LINES, int(self.log_tail or 200)))
            self.log_lines = await self._run(
                _pod_log_lines,
                cluster,
                namespace,
                name,
                self.log_pod,
                self.log_container or None,
                tail,
                self.log_search or None,
            )
            self.log_error = ""
        except (DomainError, ValueError) as exc:
            self.log_lines, self.log_error = [], str(exc)

    @guarded
    async def set_log_container(self, value: str):  # type: ignore[no-untyped-def]
        self.log_container = value
        await self._read_logs()

    @guarded
    async def set_log_tail(self, value: str):  # type: ignore[no-untyped-def]
        self.log_tail = value
        await self._read_logs()

    @guarded
    async def set_log_search(self, value: str):  # type: ignore[no-untyped-def]
        self.log_search = value
        await self._read_logs()

    @guarded
    async def close_logs(self):  # type: ignore[no-untyped-def]
        self.log_pod, self.log_lines, self.following = "", [], False

    @guarded
    async def toggle_follow(self):  # type: ignore[no-untyped-def]
        self.following = not self.following
        if self.following:
            return PodLogsState.follow
        return None

    @guarded(background=True)
    async def follow(self):  # type: ignore[no-untyped-def]
        """Stream new lines; stop on toggle, pod change, leaving the page or the session's end.

        The stream is opened in the UI's thread pool and read in a thread of its own (it lasts
        as long as the user follows: it must not hold one of the pool's threads). Lines are
        sent to the browser in batches at most once a second (each change of ``log_lines`` is
        sent whole); stopping closes the stream's socket, which ends the thread.
        """
        token = time.monotonic()
        async with self:
            self._follow_token = token
            cluster, namespace, name = self._key()
            pod, container, search = self.log_pod, self.log_container, self.log_search
            path = self.router.page.raw_path
        try:
            stream = await run_blocking(
                _follow_pod, cluster, namespace, name, pod, container or None, search or None
            )
        except DomainError as exc:
            async with self:
                self.log_error, self.following = str(exc), False
                return self._answer(exc) if isinstance(exc, Outage) else None
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        finished = asyncio.Event()

        def pump() -> None:
            try:
                for line in stream:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
            except Exception as exc:  # the stream broke or the cluster went away
                loop.call_soon_threadsafe(queue.put_nowait, f"-- log stream ended: {exc}")
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)
                loop.call_soon_threadsafe(finished.set)

        threading.Thread(target=pump, name=f"pinconsole-log-{pod}", daemon=True).start()
        ended = False
        try:
            while not ended:
                batch: list[str] = []
                deadline = loop.time() + 1.0
                while (remaining := deadline - loop.time()) > 0:
                    try:
                        line = await asyncio.wait_for(queue.get(), remaining)
                    except TimeoutError:
                        break
                    if line is None:
                        ended = True
                        break
                    batch.append(line)
                async with self:
                    if (
                        self._follow_token != token
                        or not self.following
                        or self.log_pod != pod
                        or self.router.page.raw_path != path
                    ):
                        return None
                    try:  # a session that ended (revoked, signed out) stops reading here
                        await self._principal()
                    except Unauthenticated as exc:
                        return self._answer(exc)
                    except DomainError:
                        pass  # an outage of the session store: the stream itself still reads
                    if batch:
                        self.log_lines = (self.log_lines + batch)[-logs.MAX_LINES :]
                    if ended:
                        self.following = False
        finally:
            stream.close()  # unblocks the reading thread
            with contextlib.suppress(Exception):
                await asyncio.wait_for(finished.wait(), 5)
        return None
