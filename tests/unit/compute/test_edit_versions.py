"""Which version the PinApp page's forms and buttons send: a form the user edits stays on the
version whose values they saw, unless a newer version holds the same values (a controller wrote
status); an untouched one follows the object; the page's own write moves its forms along."""

from __future__ import annotations

from typing import Any

from pinconsole.compute.versions import after_write, follow_versions, form_values


def _app(rv: str, replicas: int = 3, paused: bool = False) -> dict[str, Any]:
    return {"metadata": {"resourceVersion": rv}, "spec": {"replicas": replicas, "paused": paused}}


def _scaler(rv: str, schedules: list[dict[str, Any]]) -> dict[str, Any]:
    spec = {"minReplicas": 2, "maxReplicas": 6, "schedules": schedules}
    return {"metadata": {"resourceVersion": rv}, "spec": spec}


NIGHT = [{"name": "night", "cron": "0 22 * * *", "duration": "8h", "minReplicas": 1}]
PEAK = [{"name": "peak", "cron": "0 18 * * *", "duration": "4h", "minReplicas": 5}]


def test_first_read_fills_every_form() -> None:
    basis, refill = follow_versions({}, form_values(_app("10"), _scaler("20", NIGHT)), set())
    assert refill == {"replicas", "paused", "restarted", "limits", "schedules"}
    assert basis["replicas"] == {"rv": "10", "value": "3"}
    assert basis["limits"] == {"rv": "20", "value": ["2", "6"]}
    assert basis["schedules"]["rv"] == "20" and "night" in basis["schedules"]["value"]


def test_edited_form_stays_on_the_version_the_user_saw() -> None:
    basis, _ = follow_versions({}, form_values(_app("10"), _scaler("20", NIGHT)), set())
    # Someone else replaces the schedules while the user edits theirs: the save must conflict.
    values = form_values(_app("10"), _scaler("21", PEAK))
    basis, refill = follow_versions(basis, values, {"schedules"})
    assert basis["schedules"]["rv"] == "20" and "schedules" not in refill
    # min/max were not edited by the user: they follow (and are refilled) at version 21.
    assert basis["limits"] == {"rv": "21", "value": ["2", "6"]} and "limits" in refill


def test_edited_form_moves_on_when_only_status_changed() -> None:
    basis, _ = follow_versions({}, form_values(_app("10"), None), set())
    basis, refill = follow_versions(basis, form_values(_app("15"), None), {"replicas"})
    assert basis["replicas"] == {"rv": "15", "value": "3"} and "replicas" not in refill


def test_buttons_at_click_stay_on_what_they_showed() -> None:
    """At a click every form counts as touched: a newer version with another pause state is
    not the one the button was drawn from."""
    basis, _ = follow_versions({}, form_values(_app("10"), None), set())
    values = form_values(_app("11", paused=True), None)
    basis, _ = follow_versions(basis, values, set(values))
    assert basis["paused"] == {"rv": "10", "value": False}
    assert basis["replicas"]["rv"] == "11"


def test_untouched_form_is_refilled_with_the_new_value() -> None:
    basis, _ = follow_versions({}, form_values(_app("10"), None), set())
    basis, refill = follow_versions(basis, form_values(_app("12", replicas=5), None), set())
    assert basis["replicas"] == {"rv": "12", "value": "5"} and "replicas" in refill


def test_own_write_moves_the_forms_on_that_version() -> None:
    basis, _ = follow_versions({}, form_values(_app("10"), _scaler("20", NIGHT)), set())
    basis = after_write(basis, "replicas", "10", "30", "4")
    assert basis["replicas"] == {"rv": "30", "value": "4"}
    assert basis["paused"]["rv"] == "30" and basis["restarted"]["rv"] == "30"
    assert basis["limits"]["rv"] == "20"  # another object
