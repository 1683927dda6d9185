"""DN normalisation, entity names and Active Directory ranged retrieval (recorded responses).

slapd never splits an attribute into ranges, so the range parser is tested with raw attribute
dicts shaped as ldap3 hands over Active Directory's answers (MS-ADTS 3.1.1.3.1.3.3, range
retrieval): a 3,200-member group sent 1,500 values at a time. These are written from the
protocol's rules, not captured from a domain controller (none can run here).
"""

from __future__ import annotations

import pytest

from pinconsole.org.reader import OrgReadError, entity_name, merge_ranged, normalize_dn, rdn_value


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("uid=Alice,ou=People,dc=Example,dc=org", "UID=alice, OU=people ,DC=example,DC=ORG"),
        ("cn=Smith\\, John,ou=p", "CN=smith\\2C john,OU=P"),
        ("cn=Jos\\c3\\a9,ou=p", "cn=José,ou=p"),
        ("cn=ÉQUIPE Données,ou=g", "cn=équipe données,ou=g"),
        ("cn=a+uid=b,ou=p", "uid=b+cn=a,ou=p"),
        ("cn=a  b,ou=p", "cn=a b,ou=p"),
    ],
)
def test_equal_dns_normalise_alike(a: str, b: str) -> None:
    assert normalize_dn(a) == normalize_dn(b)


def test_different_dns_stay_different() -> None:
    assert normalize_dn("cn=a,ou=p") != normalize_dn("cn=a,ou=q")
    assert normalize_dn("cn=a\\,b,ou=p") != normalize_dn("cn=a,cn=b,ou=p")


def test_rdn_value() -> None:
    assert rdn_value("cn=Smith\\, John,ou=p") == "Smith, John"
    assert rdn_value("uid=alice,ou=p") == "alice"


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("alice", "alice"),
        ("Équipe Données", "Equipe-Donnees"),
        ("team/platform (core)", "team-platform-core"),
        ("a" * 70, "a" * 63),
    ],
)
def test_entity_names_are_valid(raw: str, name: str) -> None:
    assert entity_name(raw) == name


def test_entity_name_never_empty() -> None:
    assert entity_name("日本").startswith("x-")


def _members(lo: int, hi: int) -> list[bytes]:
    return [f"CN=User {i},OU=Staff,DC=corp,DC=example".encode() for i in range(lo, hi + 1)]


# raw_attributes of the group's entry and of the two follow-up base searches, as AD answers.
FIRST_PAGE = {"cn": [b"All Staff"], "member": [], "member;range=0-1499": _members(0, 1499)}
RECORDED = {
    "member;range=1500-*": {"member;range=1500-2999": _members(1500, 2999)},
    "member;range=3000-*": {"member;range=3000-*": _members(3000, 3199)},
}


def test_ranged_member_attribute_is_completed() -> None:
    asked: list[str] = []

    def fetch(spec: str) -> dict[str, list[bytes]]:
        asked.append(spec)
        return RECORDED[spec]

    attrs = merge_ranged(FIRST_PAGE, fetch)
    assert asked == ["member;range=1500-*", "member;range=3000-*"]
    assert len(attrs["member"]) == 3200
    assert attrs["member"][3199] == b"CN=User 3199,OU=Staff,DC=corp,DC=example"
    assert attrs["cn"] == [b"All Staff"]
    assert not any(";range=" in k for k in attrs)


def test_ranged_attribute_complete_in_one_answer() -> None:
    attrs = merge_ranged({"Member;range=0-*": _members(0, 2)}, lambda spec: {})
    assert len(attrs["member"]) == 3


def test_ranged_retrieval_that_stops_answering_fails() -> None:
    with pytest.raises(OrgReadError, match="stopped answering"):
        merge_ranged({"member;range=0-1499": _members(0, 1499)}, lambda spec: {})
