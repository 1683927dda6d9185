"""Reading a real slapd: paging, posixGroup, groupOfUniqueNames, nesting, memberOf, failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures.ldap import BASE, Slapd, running_slapd
from fixtures.ldap_org_data import CONFIG, DIRECTORY

from pinconsole.org.config import load_config
from pinconsole.org.reader import LDAP_DN_ANNOTATION, LDAP_UUID_ANNOTATION, OrgReadError, read_org

pytestmark = pytest.mark.slapd


def _by_name(entities: list[dict]) -> dict[str, dict]:
    return {e["metadata"]["name"]: e for e in entities}


def test_reads_every_shape(directory: Slapd, write_config: Callable[..., Path]) -> None:
    [provider] = load_config(write_config(directory))
    snap = read_org(provider)
    users, groups = _by_name(snap.users), _by_name(snap.groups)
    # six users through pages of two, past the server's size limit of three
    assert sorted(users) == ["alice", "bob", "carol", "dave", "eve", "frank"]
    assert sorted(groups) == [
        "Equipe-Donnees",
        "admins",
        "design",
        "engineering",
        "ops",
        "platform",
    ]

    alice = users["alice"]
    assert alice["kind"] == "User" and alice["apiVersion"] == "backstage.io/v1beta1"
    assert alice["spec"]["profile"] == {"displayName": "Alice Adams", "email": "alice@example.org"}
    assert alice["spec"]["memberOf"] == [
        "group:default/admins",
        "group:default/engineering",
        "group:default/ops",  # posixGroup memberUid resolved to the user with that rdn
    ]
    ann = alice["metadata"]["annotations"]
    assert ann[LDAP_DN_ANNOTATION] == f"uid=alice,ou=people,{BASE}"
    assert ann["backstage.io/ldap-rdn"] == "alice"
    assert len(ann[LDAP_UUID_ANNOTATION]) == 36

    # nesting: platform is a member of engineering
    assert groups["platform"]["spec"]["parent"] == "group:default/engineering"
    assert groups["engineering"]["spec"]["children"] == ["group:default/platform"]
    assert groups["platform"]["spec"]["members"] == ["user:default/bob", "user:default/carol"]
    assert groups["platform"]["metadata"]["description"] == "Platform team"
    assert groups["platform"]["spec"]["type"] == "team"  # from set
    assert groups["ops"]["spec"]["type"] == "unknown"

    # groupOfUniqueNames, posixGroup
    assert groups["design"]["spec"]["members"] == ["user:default/carol", "user:default/frank"]
    assert groups["ops"]["spec"]["members"] == ["user:default/alice", "user:default/eve"]

    # non-ASCII: names made valid, the raw value kept; a member DN in other case and spacing
    equipe = groups["Equipe-Donnees"]
    assert equipe["spec"]["profile"]["displayName"] == "Équipe Données"
    assert equipe["metadata"]["annotations"]["pinconsole.io/ldap-name"] == "Équipe Données"
    assert equipe["spec"]["members"] == ["user:default/dave"]
    assert users["dave"]["spec"]["profile"]["displayName"] == "Dávid Öz"
    assert users["dave"]["spec"]["memberOf"] == ["group:default/Equipe-Donnees"]
    # memberUid nobody-here: the warning names the group and the value
    assert any(
        "1 membership value(s) point outside the synced entries (group:default/ops member "
        "nobody-here)" in w
        for w in snap.warnings
    ), snap.warnings


def test_relations_from_memberof_alone(directory: Slapd, write_config: Callable[..., Path]) -> None:
    """With group members ignored, the overlay's memberOf on users and groups carries it all."""
    text = CONFIG.replace(
        "            set:\n              spec.type: team\n",
        "            map:\n              members: []\n",
    )
    [provider] = load_config(write_config(directory, text))
    snap = read_org(provider)
    users, groups = _by_name(snap.users), _by_name(snap.groups)
    assert users["bob"]["spec"]["memberOf"] == ["group:default/platform"]
    assert "group:default/engineering" in users["alice"]["spec"]["memberOf"]
    assert groups["platform"]["spec"]["parent"] == "group:default/engineering"
    assert groups["engineering"]["spec"]["children"] == ["group:default/platform"]


def test_size_limit_without_paging_fails(
    directory: Slapd, write_config: Callable[..., Path]
) -> None:
    text = CONFIG.replace("paged: {pageSize: 2}", "paged: false")
    [provider] = load_config(write_config(directory, text))
    with pytest.raises(OrgReadError, match="size limit exceeded"):
        read_org(provider)


def test_bad_credentials(directory: Slapd, write_config: Callable[..., Path]) -> None:
    [provider] = load_config(write_config(directory, secret="wrong"))
    with pytest.raises(OrgReadError, match="bind as cn=reader,dc=example,dc=org failed: invalid"):
        read_org(provider)


def test_server_down(directory: Slapd, write_config: Callable[..., Path]) -> None:
    [provider] = load_config(write_config(directory))
    directory.stop()
    with pytest.raises(OrgReadError, match="connect failed: cannot reach"):
        read_org(provider)


def test_missing_base_dn(directory: Slapd, write_config: Callable[..., Path]) -> None:
    text = CONFIG.replace(f"dn: ou=people,{BASE}", f"dn: ou=nobody,{BASE}")
    [provider] = load_config(write_config(directory, text))
    with pytest.raises(OrgReadError, match=r"corp\.users\[0\] \(ou=nobody.*no such object"):
        read_org(provider)


def test_ldaps_and_starttls_with_ca(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    with running_slapd(tmp_path / "tls", ldif=DIRECTORY, tls=True) as server:
        assert server.ca_file is not None
        ldaps = CONFIG.replace("target: ${LDAP_URL}", f"target: {server.ldaps_url}").replace(
            "timeouts:", f"tls: {{ca: {server.ca_file}}}\n        timeouts:"
        )
        [provider] = load_config(write_config(server, ldaps))
        assert len(read_org(provider).users) == 6

        starttls = CONFIG.replace(
            "target: ${LDAP_URL}", f"target: ldap://localhost:{server.port}"
        ).replace("timeouts:", f"tls: {{ca: {server.ca_file}, startTLS: true}}\n        timeouts:")
        [provider] = load_config(write_config(server, starttls))
        assert len(read_org(provider).groups) == 6

        untrusted = CONFIG.replace("target: ${LDAP_URL}", f"target: {server.ldaps_url}")
        [provider] = load_config(write_config(server, untrusted))
        with pytest.raises(OrgReadError, match="connect failed"):
            read_org(provider)


def test_vendor_dn_case_sensitive_lowercases_the_dn(
    directory: Slapd, write_config: Callable[..., Path]
) -> None:
    """Backstage's vendor.dnCaseSensitive: the DN annotation comes out lower-case; relations
    resolve as before (they compare normalised DNs either way)."""
    text = CONFIG.replace(
        "        users:\n", "        vendor: {dnCaseSensitive: true}\n        users:\n", 1
    )
    [provider] = load_config(write_config(directory, text))
    users = _by_name(read_org(provider).users)
    assert users["alice"]["metadata"]["annotations"][LDAP_DN_ANNOTATION] == (
        "uid=alice,ou=people,dc=example,dc=org"
    )
    assert users["dave"]["spec"]["memberOf"] == ["group:default/Equipe-Donnees"]
