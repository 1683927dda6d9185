"""Access core: principals, the one ``authorize``, the audit writer, API tokens, sessions.

Domain code imports from here::

    from pinconsole.access import Principal, Resource, authorize, record
"""

from pinconsole.access.audit import AuditFilter, list_audit, record
from pinconsole.access.policy import Resource, authorize, is_allowed
from pinconsole.access.principal import SYSTEM, Principal, group_ref, resolve_principal

__all__ = [
    "SYSTEM",
    "AuditFilter",
    "Principal",
    "Resource",
    "authorize",
    "group_ref",
    "is_allowed",
    "list_audit",
    "record",
    "resolve_principal",
]
