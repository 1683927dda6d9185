"""One runner of the shared jobs across processes, elected through the scheduler lease: with
several scheduler processes on one database only the lease holder runs them, every process runs
its every-host jobs, and after a ``kill -9`` of the runner another takes over within a minute
(the issue's bound); a process with PINCONSOLE_JOBS_ENABLED=false never runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.polling import wait_for

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "fixtures" / "scheduler_process.py"
TAKEOVER_SECONDS = 60


def _notes(path: Path) -> Counter[tuple[int, str]]:
    if not path.exists():
        return Counter()
    lines = path.read_text(encoding="utf-8").splitlines()
    return Counter((int(pid), what) for pid, what in (line.split() for line in lines))


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []

    def start(url: str, *, jobs_enabled: bool = True) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PINCONSOLE_DATABASE_URL": url,
            "PINCONSOLE_JOBS_ENABLED": str(jobs_enabled).lower(),
        }
        log = (tmp_path / f"scheduler-{len(processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(tmp_path / "notes")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(10)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_one_runner_and_a_takeover_after_kill_9(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, spawn: Callable[..., Any]
) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    notes = tmp_path / "notes"
    first = spawn(url)
    wait_for(lambda: _notes(notes)[(first.pid, "shared")], timeout=60, why="first runner")
    second, kept_out = spawn(url), spawn(url, jobs_enabled=False)
    # Both others are up (their every-host jobs run) while the first keeps the shared ones.
    wait_for(
        lambda: min(_notes(notes)[(p.pid, "local")] for p in (second, kept_out)) >= 3,
        timeout=60,
        why="the other schedulers running",
    )
    seen = _notes(notes)
    assert seen[(second.pid, "shared")] == 0 and seen[(kept_out.pid, "shared")] == 0

    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    wait_for(
        lambda: _notes(notes)[(second.pid, "shared")],
        timeout=TAKEOVER_SECONDS,
        why=f"a takeover within {TAKEOVER_SECONDS} s",
    )
    ran = _notes(notes)
    wait_for(lambda: _notes(notes)[(kept_out.pid, "local")] >= ran[(kept_out.pid, "local")] + 2)
    assert _notes(notes)[(kept_out.pid, "shared")] == 0  # jobs_enabled=false: never
