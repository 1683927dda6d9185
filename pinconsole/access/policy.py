"""The one authorization entry point every mutation passes through.

Rules, in order: reads (``*.read``) are open to every principal; admins may do everything;
``admin.*`` actions are admin-only; the actions plugins list in ``Plugin.open_actions`` are open
to every authenticated principal; otherwise the principal must own the resource (be, or be a
transitive member of, one of its owners). A denial raises ``Forbidden`` and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pinconsole.access.audit import record
from pinconsole.access.principal import Principal
from pinconsole.errors import Forbidden
from pinconsole.plugins.registry import get_registry


@dataclass(frozen=True)
class Resource:
    """What an action touches. ``owners`` are entity refs (groups, or users) in any case."""

    kind: str
    ref: str
    owners: frozenset[str] = field(default_factory=frozenset)


def is_allowed(principal: Principal, action: str, resource: Resource) -> bool:
    """The decision alone, without auditing (for showing or hiding buttons)."""
    if action.endswith(".read"):
        return True
    if principal.is_admin:
        return True
    if action.startswith("admin."):
        return False
    if action in get_registry().open_actions:
        return True
    owners = {o.lower() for o in resource.owners}
    return bool(owners & (principal.groups | {principal.ref}))


def authorize(principal: Principal, action: str, resource: Resource) -> None:
    """Return if ``principal`` may do ``action`` on ``resource``; else audit and raise Forbidden.

    The denial row is written in its own transaction so it survives the caller's rollback.
    """
    if is_allowed(principal, action, resource):
        return
    if action.startswith("admin."):
        why = f"{action} needs an administrator"
    elif resource.owners:
        why = f"{action} on {resource.ref} needs membership of {', '.join(sorted(resource.owners))}"
    else:
        why = f"{action} on {resource.ref} needs an administrator (it has no owner)"
    record(
        None,
        actor=principal,
        action=action,
        target=resource.ref,
        outcome="denied",
        detail=why,
    )
    raise Forbidden(f"{principal.name} may not do this: {why}")
