"""What people do to workloads: scale, restart, pause/resume, edit PinScaler schedules.

Each action passes ``tenancy.authorize_workload`` (owning team or admin; denials audited), checks
its input, records its intent in the audit outbox, writes to the cluster carrying the
resourceVersion the caller saw (or, for callers that send none, the one just read), and records
its outcome as an audit row with before/after (kept in the outbox while the database is down).
A write the cluster did not answer in time is ``OutcomeUnknown`` ("check the workload"). An
object that moved on since the caller's resourceVersion (or a Kubernetes 409) becomes
``Conflict`` naming what the object holds now, and a 403 ``Forbidden``; in both cases nothing
changed, and the attempt is audited with outcome ``error``. A rule that stands on what the
cluster holds (a replica count outside the range a PinScaler owns) refuses with ``Invalid``
before the write, audited with outcome ``denied``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from croniter import croniter
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from pinconsole.access import audit
from pinconsole.access.principal import Principal
from pinconsole.compute import kubeclient
from pinconsole.compute.clusters import ClusterManager, get_manager
from pinconsole.compute.constants import (
    GROUP,
    PINAPP_PLURAL,
    PINSCALER_PLURAL,
    RESTARTED_AT,
    VERSION,
)
from pinconsole.compute.guardrails import MAX_REPLICAS, check_range, scaler_range, targets
from pinconsole.compute.schedules import DURATION
from pinconsole.compute.tenancy import authorize_workload
from pinconsole.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    OutcomeUnknown,
    Unavailable,
)
from pinconsole.settings import get_settings


def _message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or "{}").get("message") or exc.reason)
    except ValueError:
        return str(exc.reason)


def _translate(exc: Exception, what: str) -> DomainError:
    if isinstance(exc, ApiException):
        if exc.status == 403:
            return Forbidden(f"the cluster refused to change {what}: {_message(exc)}")
        if exc.status == 404:
            return NotFound(f"{what} no longer exists")
        if exc.status == 422:
            return Invalid(_message(exc), where=what)
        return Unavailable(f"the cluster failed to change {what}: {exc.status} {_message(exc)}")
    return Unavailable(f"the cluster could not be reached to change {what}: {exc}")


def _pinapp_now(obj: dict[str, Any]) -> str:
    spec = obj.get("spec") or {}
    return f"now at replicas {spec.get('replicas')}" + (", paused" if spec.get("paused") else "")


def _pinscaler_now(obj: dict[str, Any]) -> str:
    spec = obj.get("spec") or {}
    count = len(spec.get("schedules") or [])
    return (
        f"now min {spec.get('minReplicas')}, max {spec.get('maxReplicas')} "
        f"and {count} schedule{'' if count == 1 else 's'}"
    )


class _Stale(Exception):
    """The object is no longer at the caller's resourceVersion (``current``: what it is now)."""

    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__("stale")
        self.current = current


class _Lost(Exception):
    """A 409 on a write carrying the version just read: someone wrote in between; read again."""


class _Refused(Exception):
    """A rule on what the cluster holds refused the write before it was sent."""

    def __init__(self, error: Invalid) -> None:
        super().__init__(str(error))
        self.error = error


def _unknown(label: str, exc: Exception) -> OutcomeUnknown:
    read = get_settings().kubernetes_read_timeout_seconds
    error = OutcomeUnknown(
        f"{label}: the cluster did not answer within {read:g} s ({type(exc).__name__}); "
        "whether the change was applied is unknown, check the workload before trying again"
    )
    error.detail = f"unknown: no answer within {read:g} s ({type(exc).__name__}: {exc})"[:2000]
    return error


def _write(
    principal: Principal,
    action: str,
    cluster: str,
    namespace: str,
    name: str,
    plural: str,
    change: Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any], dict[str, Any]]],
    resource_version: str | None,
    manager: ClusterManager | None,
    *,
    scale: bool = False,
    check: Callable[[], None] | None = None,
    rule: Callable[[client.CustomObjectsApi, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Authorize, check the input, record the intent, read, patch with the resourceVersion,
    record the outcome.

    ``change(obj)`` returns ``(patch, before, after)``. ``check`` raises ``Invalid`` for bad
    input; it runs after authorization (a denial is audited whatever the input) and before
    anything is sent, so it leaves no audit row: nothing was attempted, as everywhere else
    invalid input is refused (tokens, locations). What the cluster refuses (a 422 from the
    CRD's schema, a 409, a 403) was attempted and is audited with outcome ``error``.
    ``rule(api, obj)`` raises ``Invalid`` for a change the cluster's current objects forbid; it
    runs on the object as read, after the version check: a refusal, audited ``denied``.

    No database transaction can hold a Kubernetes write, so the audit is two-phase
    (``audit.intend`` before, ``audit.conclude`` after; see ``access/audit.py``): a write is
    never made without a durable intent, and its row survives a database outage. A write that
    got no answer in time is ``OutcomeUnknown`` (audited ``error``, detail ``unknown: ...``),
    never retried: the client gives up on it and so does the API server (its ``timeout``).
    """
    kind = "pinapp" if plural == PINAPP_PLURAL else "pinscaler"
    resource = authorize_workload(principal, action, cluster, namespace, name, kind)
    if check is not None:
        check()
    cache = (manager or get_manager()).get(cluster)
    api = client.CustomObjectsApi(cache.api())
    what = f"{kind} {namespace}/{name}"
    label = f"{'PinApp' if kind == 'pinapp' else 'PinScaler'} {namespace}/{name}"
    now = _pinapp_now if kind == "pinapp" else _pinscaler_now
    intent = audit.intend(actor=principal, action=action, target=resource.ref)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    def read() -> dict[str, Any]:
        return api.get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)

    def attempt() -> dict[str, Any]:
        nonlocal before, after
        current = read()
        if resource_version and current["metadata"]["resourceVersion"] != resource_version:
            raise _Stale(current)
        if rule is not None:
            try:
                rule(api, current)
            except Invalid as exc:
                raise _Refused(exc) from exc
        patch, before, after = change(current)
        rv = resource_version or current["metadata"]["resourceVersion"]
        patch.setdefault("metadata", {})["resourceVersion"] = rv
        write = (
            api.patch_namespaced_custom_object_scale
            if scale
            else api.patch_namespaced_custom_object
        )
        try:
            return write(GROUP, VERSION, namespace, plural, name, patch)
        except ApiException as exc:
            if exc.status == 504:  # the API server's own deadline: it may have been stored
                raise _unknown(label, exc) from exc
            if exc.status != 409:
                raise
            raise (_Stale(None) if resource_version else _Lost()) from exc
        except Exception as exc:
            if kubeclient.never_sent(exc):
                raise
            raise _unknown(label, exc) from exc

    # With the caller's resourceVersion (what a person saw before deciding) the write is
    # optimistic: if the object moved on since, it is a Conflict, never a retry that would
    # overwrite the other person's change. Without one (REST clients that send none, like
    # ``kubectl scale`` without --resource-version) it is client-go's RetryOnConflict: read,
    # change, write with the version just read, and on 409 read again, a few times.
    on_conflict = Retrying(
        retry=retry_if_exception_type(_Lost), stop=stop_after_attempt(4), reraise=True
    )
    try:
        result = on_conflict(attempt)
    except _Refused as refused:
        detail = f"refused: {refused.error.message}"
        audit.conclude(intent, outcome="denied", detail=detail)
        raise refused.error from None
    except DomainError as exc:
        if not isinstance(exc, OutcomeUnknown):  # input refused before anything was sent
            audit.withdraw(intent)
            raise
        audit.conclude(intent, before=before, after=after, outcome="error", detail=exc.detail)
        raise
    except Exception as exc:
        error = _error(exc, label, what, now, read, resource_version)
        detail = f"{error.title}: {error.message}"
        audit.conclude(intent, before=before, after=after, outcome="error", detail=detail)
        raise error from exc
    audit.conclude(intent, before=before, after=after)
    return result


def _error(
    exc: Exception,
    label: str,
    what: str,
    now: Callable[[dict[str, Any]], str],
    read: Callable[[], dict[str, Any]],
    resource_version: str | None,
) -> DomainError:
    if isinstance(exc, _Stale | _Lost):
        seen = exc.current if isinstance(exc, _Stale) else None
        if seen is None:
            with contextlib.suppress(Exception):  # only for the message
                seen = read()
        state = f" ({now(seen)})" if seen is not None else ""
        since = "since you opened it" if resource_version else "while this was written"
        return Conflict(
            f"{label} was changed by someone else {since}{state}; nothing was changed. "
            "Reload and try again."
        )
    return _translate(exc, what)


def scale_pinapp(
    principal: Principal,
    cluster: str,
    namespace: str,
    name: str,
    replicas: int,
    *,
    resource_version: str | None = None,
    manager: ClusterManager | None = None,
) -> dict[str, Any]:
    """Set a PinApp's replicas through its scale subresource; a count outside the range a
    PinScaler of the PinApp owns is refused (``Invalid`` naming the scaler, audited ``denied``):
    its HPA would undo it, so its limits are what to change."""

    def check() -> None:
        if not isinstance(replicas, int) or not 0 <= replicas <= MAX_REPLICAS:
            raise Invalid(
                f"replicas must be a whole number from 0 to {MAX_REPLICAS}", where="replicas"
            )

    def in_range(api: client.CustomObjectsApi, _obj: dict[str, Any]) -> None:
        # Read from the cluster, not the cache: limits changed a moment ago count.
        listed = api.list_namespaced_custom_object(GROUP, VERSION, namespace, PINSCALER_PLURAL)
        scalers = [s for s in listed.get("items") or [] if targets(s, name)]
        ranges = [r for s in scalers if (r := scaler_range(s)) is not None]
        check_range(namespace, name, replicas, ranges)

    def change(obj: dict[str, Any]) -> tuple[dict, dict, dict]:
        old = (obj.get("spec") or {}).get("replicas")
        return {"spec": {"replicas": replicas}}, {"replicas": old}, {"replicas": replicas}

    return _write(
        principal,
        "pinapp.scale",
        cluster,
        namespace,
        name,
        PINAPP_PLURAL,
        change,
        resource_version,
        manager,
        scale=True,
        check=check,
        rule=in_range,
    )


def restart_pinapp(
    principal: Principal,
    cluster: str,
    namespace: str,
    name: str,
    *,
    resource_version: str | None = None,
    manager: ClusterManager | None = None,
) -> dict[str, Any]:
    """Roll every pod, like ``kubectl rollout restart``: stamp the pod template annotation."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def change(obj: dict[str, Any]) -> tuple[dict, dict, dict]:
        old = (
            (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {})
            .get("annotations", {})
            .get(RESTARTED_AT)
        )
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        return patch, {RESTARTED_AT: old}, {RESTARTED_AT: stamp}

    return _write(
        principal,
        "pinapp.restart",
        cluster,
        namespace,
        name,
        PINAPP_PLURAL,
        change,
        resource_version,
        manager,
    )


def set_paused(
    principal: Principal,
    cluster: str,
    namespace: str,
    name: str,
    paused: bool,
    *,
    resource_version: str | None = None,
    manager: ClusterManager | None = None,
) -> dict[str, Any]:
    """Pause (the controller stops reconciling pods) or resume a PinApp."""

    def change(obj: dict[str, Any]) -> tuple[dict, dict, dict]:
        old = bool((obj.get("spec") or {}).get("paused"))
        return {"spec": {"paused": paused}}, {"paused": old}, {"paused": paused}

    verb = "pinapp.pause" if paused else "pinapp.resume"
    return _write(
        principal, verb, cluster, namespace, name, PINAPP_PLURAL, change, resource_version, manager
    )


def pause_pinapp(principal: Principal, cluster: str, namespace: str, name: str, **kw: Any) -> dict:
    return set_paused(principal, cluster, namespace, name, True, **kw)


def resume_pinapp(principal: Principal, cluster: str, namespace: str, name: str, **kw: Any) -> dict:
    return set_paused(principal, cluster, namespace, name, False, **kw)


def scale_pinscaler(
    principal: Principal,
    cluster: str,
    namespace: str,
    name: str,
    min_replicas: int,
    max_replicas: int,
    *,
    resource_version: str | None = None,
    manager: ClusterManager | None = None,
) -> dict[str, Any]:
    """Set a PinScaler's min and max replicas (min <= max, as the CRD's CEL rule demands)."""

    def check() -> None:
        if min_replicas < 0 or max_replicas < 1:
            raise Invalid("minReplicas must be >= 0 and maxReplicas >= 1", where="replicas")
        if min_replicas > max_replicas:
            raise Invalid(
                "minReplicas must be less than or equal to maxReplicas", where="minReplicas"
            )

    def change(obj: dict[str, Any]) -> tuple[dict, dict, dict]:
        spec = obj.get("spec") or {}
        before = {"minReplicas": spec.get("minReplicas"), "maxReplicas": spec.get("maxReplicas")}
        after = {"minReplicas": min_replicas, "maxReplicas": max_replicas}
        return {"spec": dict(after)}, before, after

    return _write(
        principal,
        "pinscaler.scale",
        cluster,
        namespace,
        name,
        PINSCALER_PLURAL,
        change,
        resource_version,
        manager,
        check=check,
    )


def validate_schedules(schedules: list[dict[str, Any]], max_replicas: int | None = None) -> list:
    """Check cron (croniter), duration (``10h``, ``90m``, ``1h30m``) and minReplicas; return the
    normalised list or raise ``Invalid`` naming the schedule and field."""
    cleaned = []
    for i, item in enumerate(schedules):
        where = f"schedules[{i}]"
        cron = str(item.get("cron", "")).strip()
        if len(cron.split()) != 5 or not croniter.is_valid(cron):
            raise Invalid(f"{cron!r} is not a five-field cron expression", where=f"{where}.cron")
        duration = str(item.get("duration", "")).strip()
        if not DURATION.match(duration):
            raise Invalid(
                f"{duration!r} is not a duration like 10h or 1h30m", where=f"{where}.duration"
            )
        try:
            min_replicas = int(item.get("minReplicas"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise Invalid(
                "minReplicas must be a whole number", where=f"{where}.minReplicas"
            ) from None
        if min_replicas < 0 or (max_replicas is not None and min_replicas > max_replicas):
            raise Invalid(
                f"minReplicas must be between 0 and maxReplicas ({max_replicas})",
                where=f"{where}.minReplicas",
            )
        entry = {"cron": cron, "duration": duration, "minReplicas": min_replicas}
        if item.get("name"):
            entry = {"name": str(item["name"]), **entry}
        cleaned.append(entry)
    return cleaned


def set_schedules(
    principal: Principal,
    cluster: str,
    namespace: str,
    name: str,
    schedules: list[dict[str, Any]],
    *,
    resource_version: str | None = None,
    manager: ClusterManager | None = None,
) -> dict[str, Any]:
    """Replace a PinScaler's schedules (validated before anything is sent)."""

    def check() -> None:
        validate_schedules(schedules)

    def change(obj: dict[str, Any]) -> tuple[dict, dict, dict]:
        spec = obj.get("spec") or {}
        cleaned = validate_schedules(schedules, spec.get("maxReplicas"))
        return (
            {"spec": {"schedules": cleaned}},
            {"schedules": spec.get("schedules", [])},
            {"schedules": cleaned},
        )

    return _write(
        principal,
        "pinscaler.schedules",
        cluster,
        namespace,
        name,
        PINSCALER_PLURAL,
        change,
        resource_version,
        manager,
        check=check,
    )
