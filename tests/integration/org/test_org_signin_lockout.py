"""The sign-in lockout against slapd: one counter per person the directory resolves a name to
(uid, mail, case and full-width forms alike), one per client across names, one per person across
clients; failed sign-ins and lockouts in the audit log, never with the password."""

from __future__ import annotations

import json

import pytest
from fixtures.ldap import Slapd

from pinconsole.access import AuditFilter, list_audit
from pinconsole.errors import Unauthenticated, Unavailable
from pinconsole.org.auth import (
    MAX_CLIENT_FAILURES,
    MAX_FAILURES,
    MAX_IDENTITY_FAILURES,
    TooManyAttempts,
    authenticate,
)

pytestmark = pytest.mark.slapd

FULL_WIDTH_BOB = "\uff42\uff4f\uff42"  # "bob" in full-width letters; slapd finds uid=bob


def _fail(name: str, client: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated, match="Wrong"):
            authenticate(name, "not-the-password", client=client)


def test_the_directory_resolves_every_form_to_bob(ldap_mode: Slapd) -> None:
    """The premise of the bypass: each form signs in as the same person."""
    for form in ("bob", "BOB", "bob@example.org", FULL_WIDTH_BOB):
        assert authenticate(form, "pw-bob", client="10.0.0.9").dn.startswith("uid=bob,")


@pytest.mark.parametrize("other_form", ["bob@example.org", FULL_WIDTH_BOB, " BOB "])
def test_another_form_of_the_name_does_not_bypass_the_lockout(
    ldap_mode: Slapd, other_form: str
) -> None:
    _fail("bob", "10.0.0.1", MAX_FAILURES)
    with pytest.raises(TooManyAttempts):
        authenticate(other_form, "pw-bob", client="10.0.0.1")


def test_failures_under_several_forms_add_up(ldap_mode: Slapd) -> None:
    forms = ["bob", "bob@example.org", FULL_WIDTH_BOB, "Bob", "BOB@EXAMPLE.ORG"]
    for form in forms[:MAX_FAILURES]:
        _fail(form, "10.0.0.2")
    with pytest.raises(TooManyAttempts):
        authenticate("bob", "pw-bob", client="10.0.0.2")


def test_unknown_names_lock_like_known_ones(ldap_mode: Slapd) -> None:
    """A lockout must not tell which names exist: unknown names have (folded) counters too."""
    for i in range(MAX_FAILURES):
        _fail("mallory" if i % 2 else "\uff2d\uff41\uff4c\uff4c\uff4f\uff52\uff59", "10.0.0.3")
    with pytest.raises(TooManyAttempts):
        authenticate("MALLORY", "whatever", client="10.0.0.3")


def test_one_client_trying_many_names_is_held_back(ldap_mode: Slapd) -> None:
    names = ["alice", "bob", "carol", "dave", "eve", "frank", "nobody"]
    for i in range(MAX_CLIENT_FAILURES):
        _fail(names[i % len(names)], "10.0.0.4")
    with pytest.raises(TooManyAttempts):
        authenticate("alice", "pw-alice", client="10.0.0.4")
    assert authenticate("alice", "pw-alice", client="10.0.0.5").name == "alice"


def test_many_clients_guessing_one_password_are_held_back(ldap_mode: Slapd) -> None:
    for i in range(MAX_IDENTITY_FAILURES):
        _fail("carol" if i % 2 else "carol@example.org", f"192.0.2.{i}")
    with pytest.raises(TooManyAttempts):
        authenticate("carol", "pw-carol", client="198.51.100.1")
    assert authenticate("dave", "pw-dave", client="198.51.100.1").name == "dave"


def test_a_success_does_not_clear_the_clients_count(ldap_mode: Slapd) -> None:
    """One's own password must not wipe the count of the names one tried before."""
    names = ["alice", "bob", "carol", "dave"]
    for i in range(MAX_CLIENT_FAILURES - 1):
        _fail(names[i % len(names)], "10.0.0.6")
    assert authenticate("eve", "pw-eve", client="10.0.0.6").name == "eve"
    _fail("frank", "10.0.0.6")
    with pytest.raises(TooManyAttempts):
        authenticate("eve", "pw-eve", client="10.0.0.6")


def test_failed_sign_ins_and_lockouts_are_audited(ldap_mode: Slapd) -> None:
    secret = "Sup3r-secret-guess"
    for _ in range(MAX_FAILURES):
        with pytest.raises(Unauthenticated):
            authenticate("bob@example.org", secret, client="203.0.113.7")
    typo = "pw-frank-typed-as-name"  # a password typed into the name field
    with pytest.raises(Unauthenticated):
        authenticate(typo, secret, client="203.0.113.8")

    denied, total = list_audit(AuditFilter(action="auth.sign_in", outcome="denied"), limit=500)
    assert total == MAX_FAILURES + 1
    bob = [e for e in denied if e.actor == "bob"]
    assert len(bob) == MAX_FAILURES
    assert bob[0].target == "user:default/bob" and "wrong password" in bob[0].detail
    assert bob[0].after["client"] == "203.0.113.7" and "203.0.113.7" in bob[0].detail
    (unknown,) = [e for e in denied if e.actor == "anonymous"]
    assert unknown.target == "user:unknown" and "unknown user name" in unknown.detail
    assert len(unknown.after["login_sha256"]) == 16

    (lockout,), _ = list_audit(AuditFilter(action="auth.lockout"))
    assert lockout.actor == "bob" and lockout.outcome == "denied"
    assert "this user from this client" in lockout.detail

    rows, _ = list_audit(limit=500)
    text = json.dumps([[e.actor, e.target, e.detail, e.before, e.after] for e in rows])
    assert secret not in text and typo not in text


def test_directory_down_is_audited_as_an_error(ldap_mode: Slapd) -> None:
    ldap_mode.stop()
    with pytest.raises(Unavailable):
        authenticate("alice", "pw-alice", client="203.0.113.9")
    (row,), _ = list_audit(AuditFilter(action="auth.sign_in"))
    assert row.outcome == "error" and "directory is unavailable" in row.detail
