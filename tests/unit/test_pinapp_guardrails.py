"""What the PinApp page's confirmations say (``compute/guardrails.py``), and how the page keeps
its own writes while the cache lags (``compute/own_writes.py``)."""

from __future__ import annotations

import pytest

from pinconsole.compute.constants import RESTARTED_AT
from pinconsole.compute.guardrails import ScalerRange, check_range, preview, scaler_range
from pinconsole.compute.own_writes import follow_writes, remember_write, written_view
from pinconsole.compute.versions import form_values
from pinconsole.errors import Invalid

RANGE = ScalerRange("team", "app", 2, 6)


def _preview(action: str, **kw: object):  # type: ignore[no-untyped-def]
    args = {"replicas": "6", "current": "4", "pods": 4, "paused": False, "restarted": ""}
    args = {**args, "scaler": None, **kw}
    return preview(action, "team", "app", **args)  # type: ignore[arg-type]


def test_scale_shows_from_to_and_the_pods_it_adds_or_removes() -> None:
    up = _preview("scale")
    assert (up.action, up.title, up.confirm) == (
        "scale",
        "Scale team/app from 4 to 6 replicas",
        "Scale to 6",
    )
    assert up.lines == ("Deployment team/app: replicas 4 → 6.", "2 pods are added.")
    down = _preview("scale", replicas="3", scaler=RANGE)
    assert down.lines == (
        "Deployment team/app: replicas 4 → 3.",
        "1 pod is removed.",
        "PinScaler team/app owns the count between 2 and 6: it may change it again as the load "
        "changes.",
    )
    zero = _preview("scale", replicas="0")
    assert zero.title == "Scale team/app from 4 to 0 replicas"
    assert zero.lines[1:] == (
        "4 pods are removed.",
        "No pod is left running: the service stops answering.",
    )
    assert _preview("scale", replicas="1", current="1").title.endswith("from 1 to 1 replica")
    assert _preview("scale", replicas="4").lines[1] == "No pod is added or removed."


def test_a_count_outside_the_range_or_no_count_is_refused_before_any_dialog() -> None:
    with pytest.raises(Invalid) as refused:
        _preview("scale", replicas="7", scaler=RANGE)
    assert refused.value.message == (
        "PinScaler team/app owns the replica count of PinApp team/app between 2 and 6: 7 is "
        "outside that range, and the scaler would undo it. Change the PinScaler's min/max instead."
    )
    for typed in ("", "two", "-1", "1001", "2.5"):
        with pytest.raises(Invalid, match="whole number from 0 to 1000"):
            _preview("scale", replicas=typed)
    with pytest.raises(Invalid, match="no action"):
        _preview("delete")
    check_range("team", "app", 2, [RANGE])  # bounds included
    check_range("team", "app", 6, [RANGE])


def test_restart_pause_and_resume_say_what_they_touch() -> None:
    restart = _preview("restart", paused=True, restarted="2026-12-01T10:00:00Z")
    assert restart.title == "Restart team/app"
    assert restart.lines == (
        "A rolling restart of 4 pods of Deployment team/app: each is replaced by a new one, a "
        "few at a time.",
        f"Pod template annotation {RESTARTED_AT}: 2026-12-01T10:00:00Z → now.",
        "The PinApp is paused: the new pods roll out once it is resumed.",
    )
    pause = _preview("pause", pods=1)
    assert (pause.action, pause.confirm) == ("pause", "Pause")
    assert "stops reconciling it" in pause.lines[0] and pause.lines[1].startswith("Its 1 pod ")
    resume = _preview("pause", paused=True)  # the pause button of a paused PinApp resumes
    assert (resume.action, resume.title) == ("resume", "Resume team/app")
    assert resume.lines[0].startswith("Deployment team/app: paused yes → no.")


def test_scaler_range_reads_the_bounds_min_defaulting_to_one() -> None:
    obj = {"metadata": {"namespace": "team", "name": "s"}, "spec": {"maxReplicas": 5}}
    assert scaler_range(obj) == ScalerRange("team", "s", 1, 5)
    assert scaler_range({"metadata": {"name": "s"}, "spec": {"minReplicas": 2}}) is None
    assert scaler_range(None) is None


def _obj(rv: str, replicas: int = 4, paused: bool = False) -> dict:
    return {"metadata": {"resourceVersion": rv}, "spec": {"replicas": replicas, "paused": paused}}


def test_the_page_keeps_its_write_while_the_cache_serves_an_older_version() -> None:
    """Shown at 10, read 11 just before the write, wrote 12: the cache showing 10 or 11 lags
    (the page keeps what it wrote); 12 or any version it never saw (a newer one) ends it."""
    pending = remember_write({}, "10", "11", "12", "paused", True)
    for lagging in ("10", "11"):
        shown, still = follow_writes(pending, _obj(lagging))
        assert still == pending
        assert shown["spec"]["paused"] is True and shown["metadata"]["resourceVersion"] == "12"
        assert form_values(shown, None)["paused"] == ("12", True)
    for caught_up in ("12", "13"):
        shown, still = follow_writes(pending, _obj(caught_up, replicas=7))
        assert still == {} and shown == _obj(caught_up, replicas=7)

    # A second write before the cache caught up keeps both, at the newest version.
    both = remember_write(pending, "10", "12", "13", "replicas", "6")
    assert both["rv"] == "13" and set(both["older"]) == {"10", "11", "12"}
    shown, _ = follow_writes(both, _obj("11"))
    assert shown["spec"]["replicas"] == 6 and shown["spec"]["paused"] is True
    restarted = remember_write({}, "1", "1", "2", "restarted", "2026-12-03T08:00:00Z")
    shown, _ = follow_writes(restarted, _obj("1"))
    assert shown["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT].startswith("2026")


def test_the_header_shows_the_written_count_and_pause() -> None:
    row = {"name": "app", "desired": 4, "ready": 4, "paused": False, "health": "healthy"}
    view = written_view(row, _obj("12", replicas=6, paused=True), {})
    assert view["app"]["desired"] == "6" and view["app"]["paused"] == "True"
    assert view["app"]["health"] == "paused" and view["app"]["replicas_label"] == "4/6"
    assert {"field": "Paused", "value": "yes"} in view["spec_rows"]
