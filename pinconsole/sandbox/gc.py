"""The garbage collector: ownerReferences, as kube-controller-manager's garbage collector does.

One pass (``collect``) over every stored object:

- an owner marked with the ``orphan`` finalizer loses its dependents' references to it, then
  the finalizer;
- an owner marked with ``foregroundDeletion`` has its dependents deleted (in the foreground
  themselves when they have dependents), and loses the finalizer once no dependent with
  ``blockOwnerDeletion`` is left;
- a dependent none of whose owners exists (matched by uid: an owner recreated under the same
  name is another object) is deleted; one whose only remaining owners are being deleted in the
  foreground is deleted in the foreground; one with a live owner just loses the references to
  owners that are gone.

Owners are looked up in the dependent's namespace, or cluster-wide for cluster-scoped owners.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pinconsole.sandbox.apiserver import FOREGROUND, ORPHAN

if TYPE_CHECKING:
    from pinconsole.sandbox.apiserver import ApiServer

Ref = tuple[str, str | None, str]  # (key, namespace, name)


def collect(server: ApiServer) -> int:
    """One pass of the garbage collector; returns how many objects it changed or deleted."""
    by_uid: dict[str, tuple[str, dict[str, Any]]] = {}
    dependents: dict[str, list[Ref]] = {}
    for key, objects in server._store.items():
        for obj in objects.values():
            meta = obj["metadata"]
            by_uid[meta["uid"]] = (key, obj)
            for ref in meta.get("ownerReferences") or []:
                dependents.setdefault(ref.get("uid", ""), []).append(
                    (key, meta.get("namespace"), meta["name"])
                )
    changed = 0
    for uid, (key, owner) in list(by_uid.items()):
        meta = owner["metadata"]
        if meta.get("deletionTimestamp") is None:
            continue
        finalizers = meta.get("finalizers") or []
        if ORPHAN in finalizers:
            changed += _orphan(server, uid, dependents.get(uid, []))
            changed += _drop_finalizer(server, key, meta, ORPHAN)
        elif FOREGROUND in finalizers:
            changed += _delete_dependents(server, uid, dependents.get(uid, []), dependents, by_uid)
            if not _blocking(server, uid, dependents.get(uid, [])):
                changed += _drop_finalizer(server, key, meta, FOREGROUND)
    for key, objects in server._store.items():
        for obj in list(objects.values()):
            changed += _check_owners(server, key, obj, by_uid, dependents)
    return changed


def _current(server: ApiServer, ref: Ref) -> dict[str, Any] | None:
    key, ns, name = ref
    return server._store[key].get((ns, name))


def _orphan(server: ApiServer, uid: str, refs: list[Ref]) -> int:
    count = 0
    for ref in refs:
        if _current(server, ref) is None:
            continue
        server.mutate(*ref, lambda o: _without_refs(o, {uid}))
        count += 1
    return count


def _without_refs(obj: dict[str, Any], uids: set[str]) -> None:
    kept = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid") not in uids]
    if kept:
        obj["metadata"]["ownerReferences"] = kept
    else:
        obj["metadata"].pop("ownerReferences", None)


def _drop_finalizer(server: ApiServer, key: str, meta: dict[str, Any], finalizer: str) -> int:
    ns, name = meta.get("namespace"), meta["name"]
    if server._store[key].get((ns, name)) is None:
        return 0

    def drop(o: dict[str, Any]) -> None:
        o["metadata"]["finalizers"] = [
            f for f in o["metadata"].get("finalizers") or [] if f != finalizer
        ]

    server.mutate(key, ns, name, drop)  # gone once no finalizer is left
    return 1


def _delete_dependents(
    server: ApiServer,
    uid: str,
    refs: list[Ref],
    dependents: dict[str, list[Ref]],
    by_uid: dict[str, tuple[str, dict[str, Any]]],
) -> int:
    count = 0
    for ref in refs:
        obj = _current(server, ref)
        if obj is None or obj["metadata"].get("deletionTimestamp") is not None:
            continue
        owners = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
        if any(_alive(_owner(server, by_uid.get(r.get("uid", "")))) for r in owners):
            server.mutate(*ref, lambda o: _without_refs(o, {uid}))  # another owner keeps it
        else:
            has_own = bool(dependents.get(obj["metadata"]["uid"]))
            server.delete(*ref, policy="Foreground" if has_own else "Background")
        count += 1
    return count


def _blocking(server: ApiServer, uid: str, refs: list[Ref]) -> bool:
    for ref in refs:
        obj = _current(server, ref)
        if obj is None:
            continue
        for owner in obj["metadata"].get("ownerReferences") or []:
            if owner.get("uid") == uid and owner.get("blockOwnerDeletion"):
                return True
    return False


def _owner(server: ApiServer, entry: tuple[str, dict[str, Any]] | None) -> dict[str, Any] | None:
    """The owner as stored now (an earlier step of this pass may have changed or deleted it)."""
    if entry is None:
        return None
    key, obj = entry
    meta = obj["metadata"]
    current = server._store[key].get((meta.get("namespace"), meta["name"]))
    return current if current is not None and current["metadata"]["uid"] == meta["uid"] else None


def _alive(owner: dict[str, Any] | None) -> bool:
    return owner is not None and owner["metadata"].get("deletionTimestamp") is None


def _check_owners(
    server: ApiServer,
    key: str,
    obj: dict[str, Any],
    by_uid: dict[str, tuple[str, dict[str, Any]]],
    dependents: dict[str, list[Ref]],
) -> int:
    meta = obj["metadata"]
    refs = meta.get("ownerReferences") or []
    if not refs or meta.get("deletionTimestamp") is not None:
        return 0
    ns = meta.get("namespace")
    solid, waiting, dangling = [], [], []
    for ref in refs:
        owner = _owner(server, by_uid.get(ref.get("uid", "")))
        owner_meta = owner["metadata"] if owner else {}
        if owner is None or owner_meta.get("namespace") not in (None, ns):
            dangling.append(ref)
        elif owner_meta.get("deletionTimestamp") and FOREGROUND in (
            owner_meta.get("finalizers") or []
        ):
            waiting.append(ref)
        else:  # alive, or being deleted otherwise (orphaning, others' finalizers): it keeps us
            solid.append(ref)
    if solid:
        if dangling or waiting:
            gone = {r.get("uid", "") for r in (*dangling, *waiting)}
            server.mutate(key, ns, meta["name"], lambda o: _without_refs(o, gone))
            return 1
        return 0
    has_own = bool(dependents.get(meta["uid"]))
    server.delete(key, ns, meta["name"], policy="Foreground" if waiting and has_own else None)
    return 1
