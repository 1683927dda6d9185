"""Backstage ldapOrg configuration: shapes, defaults, ${VAR} substitution, key-path errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinconsole.errors import Invalid
from pinconsole.org.config import duration_seconds, load_config, parse_providers

BACKSTAGE_APP_CONFIG = """
app:
  title: Example
catalog:
  providers:
    ldapOrg:
      default:
        target: ldaps://ds.example.net/
        bind:
          dn: uid=ldap-reader-user,ou=people,ou=example,dc=example,dc=net
          secret: ${LDAP_SECRET}
        users:
          - dn: ou=people,ou=example,dc=example,dc=net
            options:
              filter: (uid=*)
            map:
              description: l
            set:
              metadata.customField: 'hello'
          - dn: ou=contractors,dc=example,dc=net
            options:
              scope: sub
              paged:
                pageSize: 50
        groups:
          dn: ou=access,ou=groups,ou=example,dc=example,dc=net
          options:
            filter: |
              (&
                (objectClass=some-group-class)
                (!(groupType=email))
              )
          map:
            description: l
            members: memberUid
          set:
            metadata.namespace: corp
        schedule:
          frequency: PT1H
          timeout: { minutes: 15 }
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "app-config.yaml"
    path.write_text(text)
    return path


def test_backstage_config_reads_unchanged(tmp_path: Path) -> None:
    path = _write(tmp_path, BACKSTAGE_APP_CONFIG)
    [p] = load_config(path, env={"LDAP_SECRET": "s3cr3t"})
    assert p.id == "default"
    assert p.target == "ldaps://ds.example.net"
    assert p.use_ssl
    assert p.bind is not None and p.bind.secret == "s3cr3t"
    assert [u.dn for u in p.users] == [
        "ou=people,ou=example,dc=example,dc=net",
        "ou=contractors,dc=example,dc=net",
    ]
    # Backstage defaults, block by block
    assert p.users[0].map.rdn == "uid" and p.users[0].map.display_name == "cn"
    assert p.users[0].map.description == "l"
    assert p.users[0].options.scope == "one"
    assert p.users[0].options.attributes == ["*", "+"]
    assert p.users[0].set == {"metadata.customField": "hello"}
    assert p.users[1].options.page_size == 50
    [g] = p.groups  # one block becomes a list of one
    assert g.options.filter == "(&(objectClass=some-group-class)(!(groupType=email)))"
    assert g.map.members == ["memberUid"] and g.map.type == "groupType"
    assert g.map.member_of == "memberOf" and g.map.rdn == "cn"
    assert p.schedule is not None
    assert p.schedule.interval_seconds() == 3600
    assert p.schedule.timeout_seconds() == 900


def test_missing_variable_names_key_and_variable(tmp_path: Path) -> None:
    path = _write(tmp_path, BACKSTAGE_APP_CONFIG)
    with pytest.raises(Invalid) as err:
        load_config(path, env={})
    assert str(err.value) == (
        "catalog.providers.ldapOrg.default.bind.secret: environment variable LDAP_SECRET is not set"
    )


def test_escaped_dollar_and_env_and_file_forms(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("from-file\n")
    doc = {
        "catalog": {
            "providers": {
                "ldapOrg": {
                    "x": {
                        "target": "ldap://${HOST}:389",
                        "bind": {"dn": "cn=a$${b}", "secret": {"$file": "secret.txt"}},
                        "users": {"dn": {"$env": "USERS_DN"}},
                    }
                }
            }
        }
    }
    [p] = parse_providers(doc, env={"HOST": "dir", "USERS_DN": "ou=p"}, base_dir=tmp_path)
    assert p.target == "ldap://dir:389"
    assert p.bind is not None and p.bind.dn == "cn=a${b}" and p.bind.secret == "from-file"
    assert p.users[0].dn == "ou=p"
    assert p.users[0].options.page_size == 500  # paged unless paged: false
    assert p.groups == []


@pytest.mark.parametrize(
    ("block", "where", "message"),
    [
        ({"users": {"dn": "x"}}, "catalog.providers.ldapOrg.c.target", "is required"),
        ({"target": "http://x"}, "catalog.providers.ldapOrg.c.target", "ldap://"),
        (
            {"target": "ldap://x", "groups": [{"dn": "a"}, {"dn": "b", "options": {"scope": "x"}}]},
            "catalog.providers.ldapOrg.c.groups[1].options.scope",
            "'base', 'one' or 'sub'",
        ),
        (
            {"target": "ldap://x", "users": {"dn": "a", "map": {"displayname": "cn"}}},
            "catalog.providers.ldapOrg.c.users[0].map.displayname",
            "unknown key",
        ),
        (
            {"target": "ldap://x", "tls": {"rejectUnauthorized": "maybe"}},
            "catalog.providers.ldapOrg.c.tls.rejectUnauthorized",
            "boolean",
        ),
        (
            {"target": "ldap://x", "users": {"dn": "a", "options": {"paged": {"pageSize": 0}}}},
            "catalog.providers.ldapOrg.c.users[0].options.paged.pageSize",
            "greater than 0",
        ),
        (
            {"target": "ldap://x", "bind": {"dn": "a"}},
            "catalog.providers.ldapOrg.c.bind.secret",
            "",
        ),
    ],
)
def test_errors_name_the_key_path(block: dict, where: str, message: str) -> None:
    with pytest.raises(Invalid) as err:
        parse_providers({"catalog": {"providers": {"ldapOrg": {"c": block}}}}, env={})
    assert err.value.where == where
    assert message in err.value.message


def test_no_ldaporg_block(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match=r"catalog\.providers: no catalog\.providers\.ldapOrg"):
        parse_providers({"catalog": {"locations": []}})
    path = _write(tmp_path, "catalog: [\n")
    with pytest.raises(Invalid, match="not valid YAML"):
        load_config(path)


def test_tls_starttls_timeouts_and_vendor() -> None:
    doc = {
        "catalog": {
            "providers": {
                "ldapOrg": {
                    "ad": {
                        "target": "ldap://dc1:389",
                        "tls": {"ca": "/etc/ssl/ca.pem", "startTLS": True},
                        "timeouts": {"connect": 3, "read": 20},
                        "vendor": {
                            "dnAttributeName": "distinguishedName",
                            "uuidAttributeName": "objectGUID",
                        },
                        "users": {"dn": "ou=u", "options": {"paged": False}},
                    }
                }
            }
        }
    }
    [p] = parse_providers(doc, env={})
    assert p.tls.start_tls and p.tls.ca == "/etc/ssl/ca.pem" and p.tls.reject_unauthorized
    assert p.timeouts.connect == 3 and p.timeouts.read == 20
    assert p.vendor.uuid_attribute_name == "objectGUID"
    assert p.users[0].options.page_size is None


def test_durations() -> None:
    assert duration_seconds({"minutes": 60}) == 3600
    assert duration_seconds("PT1H30M") == 5400
    assert duration_seconds("P1D") == 86400
    with pytest.raises(ValueError, match="unknown duration unit"):
        duration_seconds({"fortnights": 1})


def _one(block: dict) -> object:
    [p] = parse_providers({"catalog": {"providers": {"ldapOrg": {"c": block}}}}, env={})
    return p


def test_newer_backstage_keys_read_unchanged() -> None:
    """Keys of current Backstage releases: vendor.dnCaseSensitive, manual and cron schedules,
    HumanDuration and ISO units beyond days, schedule.scope."""
    p = _one(
        {
            "target": "ldap://x",
            "vendor": {"dnCaseSensitive": True},
            "schedule": {"frequency": {"trigger": "manual"}, "timeout": {"months": 1}},
        }
    )
    assert p.vendor.dn_case_sensitive  # type: ignore[attr-defined]
    assert p.schedule.manual and p.schedule.interval_seconds() is None  # type: ignore[attr-defined]
    assert p.schedule.timeout_seconds() == 30 * 86400  # type: ignore[attr-defined]

    every_2h = {"frequency": {"cron": "0 */2 * * *"}, "timeout": "PT15M", "scope": "global"}
    cron = _one({"target": "ldap://x", "schedule": every_2h})
    from datetime import datetime

    assert cron.schedule.interval_seconds(datetime(2024, 1, 1, 1, 30)) == 1800  # type: ignore[attr-defined]
    # Backstage's six-field cron has the seconds first
    six = _one({"target": "ldap://x", "schedule": {"frequency": {"cron": "30 0 * * * *"}}})
    assert six.schedule.interval_seconds(datetime(2024, 1, 1, 1, 0, 0)) == 30  # type: ignore[attr-defined]
    assert duration_seconds("P1W") == 7 * 86400
    assert duration_seconds("P1M") == 30 * 86400 and duration_seconds("PT1M") == 60
    assert duration_seconds({"years": 1}) == 365 * 86400


@pytest.mark.parametrize(
    ("schedule", "where", "message"),
    [
        ({"frequency": {"trigger": "sometimes"}}, "schedule.frequency", "manual"),
        ({"frequency": {"cron": "every day"}}, "schedule.frequency", "crontab"),
        ({"frequency": "hourly"}, "schedule.frequency", "ISO 8601"),
        ({"frequency": {"hour": 1}}, "schedule.frequency", "unknown duration unit"),
        ({"frequency": "PT1H", "timeout": "soon"}, "schedule.timeout", "ISO 8601"),
        ({"frequency": "PT1H", "scope": "world"}, "schedule.scope", "'global' or 'local'"),
    ],
)
def test_bad_schedules_fail_when_read(schedule: dict, where: str, message: str) -> None:
    """A bad schedule is a config error (org check says so), not a crash of the job later."""
    with pytest.raises(Invalid) as err:
        _one({"target": "ldap://x", "schedule": schedule})
    assert err.value.where == f"catalog.providers.ldapOrg.c.{where}"
    assert message in err.value.message
