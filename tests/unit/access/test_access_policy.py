"""The authorization rules, decided without a database (``is_allowed``)."""

from __future__ import annotations

from collections.abc import Callable

from pinconsole.access.policy import Resource, is_allowed
from pinconsole.access.principal import Principal, group_ref
from pinconsole.catalog.locations import REGISTER
from pinconsole.plugins import Plugin

SERVICE = Resource("component", "component:default/payments", frozenset({"group:default/platform"}))
ORPHAN = Resource("component", "component:default/legacy")

ada = Principal("ada", groups=frozenset({"group:default/platform-api", "group:default/platform"}))
linus = Principal("linus", groups=frozenset({"group:default/sales"}))
root = Principal("root", is_admin=True)


def test_reads_are_open_to_everyone() -> None:
    assert is_allowed(linus, "catalog.read", SERVICE)
    assert is_allowed(Principal("svc", is_service_account=True), "audit.read", ORPHAN)


def test_owner_group_members_may_mutate() -> None:
    assert is_allowed(ada, "catalog.edit", SERVICE)
    assert not is_allowed(linus, "catalog.edit", SERVICE)


def test_owner_refs_compare_case_insensitively() -> None:
    mixed = Resource("component", "component:default/x", frozenset({"Group:Default/Platform"}))
    assert is_allowed(ada, "catalog.edit", mixed)


def test_a_user_can_own_directly() -> None:
    mine = Resource("component", "component:default/tool", frozenset({"user:default/linus"}))
    assert is_allowed(linus, "catalog.edit", mine)
    assert not is_allowed(ada, "catalog.edit", mine)


def test_unowned_resources_need_an_admin() -> None:
    assert not is_allowed(ada, "catalog.edit", ORPHAN)
    assert is_allowed(root, "catalog.edit", ORPHAN)


def test_admin_actions_are_admin_only_even_for_owners() -> None:
    assert not is_allowed(ada, "admin.org.sync", SERVICE)
    assert is_allowed(root, "admin.org.sync", SERVICE)


def test_open_actions_are_the_plugins(with_plugin: Callable[[Plugin], Plugin]) -> None:
    assert is_allowed(linus, REGISTER, ORPHAN)  # the catalog plugin's: anyone registers a URL
    assert not is_allowed(linus, "test.open-thing", ORPHAN)
    with_plugin(Plugin(name="test-open", open_actions=["test.open-thing", "admin.test.sneak"]))
    assert is_allowed(linus, "test.open-thing", ORPHAN)
    assert not is_allowed(linus, "admin.test.open-thing", ORPHAN)
    assert not is_allowed(linus, "admin.test.sneak", ORPHAN)  # admin.* never opens


def test_group_ref_normalises_every_spelling() -> None:
    assert group_ref("Platform") == "group:default/platform"
    assert group_ref("group:platform") == "group:default/platform"
    assert group_ref("group:ops/Platform") == "group:ops/platform"
