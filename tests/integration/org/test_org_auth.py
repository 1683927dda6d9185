"""Sign-in with a directory password against slapd: success, one message for every bad case,
rate limit per user and client (in process and in Redis), groups and the admin role."""

from __future__ import annotations

import uuid

import pytest
from fixtures.ldap import Slapd

from pinconsole.errors import Unauthenticated, Unavailable
from pinconsole.org import auth
from pinconsole.org.auth import (
    WRONG_CREDENTIALS,
    FailureLimiter,
    TooManyAttempts,
    authenticate,
    signin_client,
)
from pinconsole.settings import get_settings

pytestmark = pytest.mark.slapd


def test_sign_in_by_uid_or_mail(ldap_mode: Slapd) -> None:
    user = authenticate("alice", "pw-alice", client="10.0.0.1")
    assert user.name == "alice" and user.display_name == "Alice Adams"
    assert user.groups == {
        "group:default/admins",
        "group:default/engineering",
        "group:default/ops",
    }
    assert authenticate("bob@example.org", "pw-bob", client="c").name == "bob"


def test_nested_groups_count(ldap_mode: Slapd) -> None:
    # bob is in platform, platform is in engineering
    groups = authenticate("bob", "pw-bob", client="c").groups
    assert groups == {"group:default/platform", "group:default/engineering"}
    # non-ASCII group names come out as the sync names them
    assert authenticate("dave", "pw-dave", client="c").groups == {"group:default/equipe-donnees"}


def test_wrong_password_and_unknown_user_read_the_same(ldap_mode: Slapd) -> None:
    with pytest.raises(Unauthenticated) as wrong:
        authenticate("alice", "nope", client="c1")
    with pytest.raises(Unauthenticated) as unknown:
        authenticate("mallory", "nope", client="c1")
    with pytest.raises(Unauthenticated) as empty:
        authenticate("alice", "", client="c1")  # never an anonymous bind
    with pytest.raises(Unauthenticated) as injected:
        authenticate("*", "pw-alice", client="c1")
    assert str(wrong.value) == str(unknown.value) == str(empty.value) == WRONG_CREDENTIALS
    assert str(injected.value) == WRONG_CREDENTIALS


def test_failed_attempts_are_limited_per_user_and_client(ldap_mode: Slapd) -> None:
    for _ in range(5):
        with pytest.raises(Unauthenticated, match="Wrong"):
            authenticate("carol", "bad", client="1.2.3.4")
    with pytest.raises(TooManyAttempts, match=r"Try again in 15 minutes"):
        authenticate("carol", "pw-carol", client="1.2.3.4")  # even the right password waits
    # another client, or another user from the same client, is not held back
    assert authenticate("carol", "pw-carol", client="5.6.7.8").name == "carol"
    assert authenticate("bob", "pw-bob", client="1.2.3.4").name == "bob"


def test_success_resets_the_count(ldap_mode: Slapd) -> None:
    with signin_client("9.9.9.9"):
        for _ in range(4):
            with pytest.raises(Unauthenticated):
                authenticate("eve", "bad")
        assert authenticate("eve", "pw-eve").name == "eve"
        for _ in range(4):
            with pytest.raises(Unauthenticated):
                authenticate("eve", "bad")
        assert authenticate("eve", "pw-eve").name == "eve"


def test_limit_shared_through_redis(ldap_mode: Slapd, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINCONSOLE_REDIS_URL", "redis://127.0.0.1:6379/0")
    get_settings.cache_clear()
    client = f"redis-{uuid.uuid4().hex}"
    namespace = f"test-signin-fail:{uuid.uuid4().hex}"  # shared Redis: keys of this test only
    worker_a, worker_b = FailureLimiter(namespace=namespace), FailureLimiter(namespace=namespace)
    monkeypatch.setattr(auth, "limiter", worker_a)
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            authenticate("frank", "bad", client=client)
    monkeypatch.setattr(auth, "limiter", worker_b)
    with pytest.raises(TooManyAttempts):
        authenticate("frank", "pw-frank", client=client)
    import redis

    r = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    for key in r.scan_iter(f"{namespace}:*"):  # clean up the shared keys
        r.delete(key)


def test_directory_down_says_so(ldap_mode: Slapd) -> None:
    ldap_mode.stop()
    with pytest.raises(Unavailable, match="directory is unavailable"):
        authenticate("alice", "pw-alice", client="c")


def test_registered_authenticator_maps_admin_group(ldap_mode: Slapd, sqlite_db: str) -> None:
    from pinconsole.access.authenticators import authenticate as access_authenticate

    alice = access_authenticate("ldap", "alice", "pw-alice")
    assert alice.name == "alice" and alice.is_admin and not alice.is_service_account
    bob = access_authenticate("ldap", "bob", "pw-bob")
    assert not bob.is_admin and "group:default/engineering" in bob.groups
    with pytest.raises(Unauthenticated, match="Wrong user name or password"):
        access_authenticate("ldap", "bob", "bad")


def test_access_core_passes_the_client_through(ldap_mode: Slapd, sqlite_db: str) -> None:
    """The sign-in page calls the access core with the browser's IP; the limit is per client."""
    from pinconsole.access.authenticators import authenticate as access_authenticate

    for _ in range(5):
        with pytest.raises(Unauthenticated, match="Wrong"):
            access_authenticate("ldap", "carol", "bad", client="7.7.7.7")
    with pytest.raises(TooManyAttempts):
        access_authenticate("ldap", "carol", "pw-carol", client="7.7.7.7")
    assert access_authenticate("ldap", "carol", "pw-carol", client="8.8.8.8").name == "carol"
