"""PinScaler schedules: when a window is open, derived from the cron and the clock alone.

A schedule ``{cron, duration, minReplicas}`` opens a window at each cron fire time (UTC) that
lasts ``duration``; while one is open the PinScaler's minimum is raised to its ``minReplicas``.
Nothing here remembers anything: the window in force at ``now`` is the one started by the last
fire at or before ``now`` (windows have one length per schedule, so the latest start ends last),
so a controller that restarts mid-window finds it open again and one that starts after it
closed finds the minimum restored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from croniter import croniter

DURATION = re.compile(r"^(?=.)([0-9]+h)?([0-9]+m)?([0-9]+s)?$")


def parse_duration(text: str) -> timedelta:
    """``10h``, ``90m``, ``1h30m``, ``45s`` as a timedelta; ValueError otherwise."""
    match = DURATION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a duration like 10h or 1h30m")
    hours, minutes, seconds = (int(g[:-1]) if g else 0 for g in match.groups())
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


@dataclass(frozen=True)
class Window:
    """An open window of a schedule: ``[start, end)``, raising the minimum to ``min_replicas``."""

    name: str
    min_replicas: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ScheduleState:
    """What the schedules say at ``now``: the open windows, the next time that changes, and the
    schedules that cannot be read (``(name, error)``)."""

    open: tuple[Window, ...]
    next_change: datetime | None
    invalid: tuple[tuple[str, str], ...]

    def raised_min(self, base: int) -> int:
        return max([base, *(w.min_replicas for w in self.open)])


def evaluate(schedules: list[dict[str, Any]], now: datetime) -> ScheduleState:
    """The windows open at ``now`` (timezone-aware) and when the answer next changes."""
    now = now.astimezone(UTC)
    second = now.replace(microsecond=0)
    windows: list[Window] = []
    changes: list[datetime] = []
    invalid: list[tuple[str, str]] = []
    for i, item in enumerate(schedules):
        name = str(item.get("name") or f"schedules[{i}]")
        cron = str(item.get("cron", ""))
        try:
            length = parse_duration(str(item.get("duration", "")))
            if not croniter.is_valid(cron) or len(cron.split()) != 5:
                raise ValueError(f"{cron!r} is not a five-field cron expression")
            # From just past the whole second, so a fire exactly at ``now`` counts as started.
            start = croniter(cron, second + timedelta(seconds=1)).get_prev(datetime)
            following = croniter(cron, second).get_next(datetime)
        except (ValueError, KeyError) as exc:
            invalid.append((name, str(exc)))
            continue
        if now < start + length:
            windows.append(Window(name, int(item.get("minReplicas", 0)), start, start + length))
            changes.append(start + length)
        changes.append(following)
    return ScheduleState(tuple(windows), min(changes, default=None), tuple(invalid))
