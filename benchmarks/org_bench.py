"""Org sync benchmark: 20,000 users and 2,000 groups of 10 members from a real slapd.

Loads the directory offline with slapadd (memberOf lines written here: overlays do not run
under slapadd), then measures on SQLite and/or PostgreSQL:

- the LDAP read alone (paged search, entity building);
- a full sync into an empty catalog (target < 20 s);
- a re-sync with no change (target < 5 s and zero row writes), as scheduled (the snapshot equals
  the last one: the apply is skipped) and forced to compare every entity with the catalog;
- a re-sync after 10 changed users;
- peak memory: the process's peak resident set size (ru_maxrss) after each phase;
- next to each wall time, this process's CPU time (the box is shared: under load the wall time
  swings, the CPU time much less; slapd's own share of a read is ~0.2 s).

Run: ``.venv/bin/python benchmarks/org_bench.py [--users 20000] [--groups 2000]
[--backend sqlite|postgres|both]``. Prints the figures; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.ldap import ADMIN_DN, ADMIN_PW, BASE, SKELETON, Slapd, start_slapd  # noqa: E402

PG_ADMIN_URL = os.environ.get("PINCONSOLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def write_ldif(path: Path, users: int, groups: int, per_group: int) -> None:
    """Users u00000.. and groups team-0000.. (group g holds users g*10 .. g*10+9)."""
    member_of: dict[int, list[int]] = {}
    for g in range(groups):
        for k in range(per_group):
            member_of.setdefault((g * per_group + k) % users, []).append(g)
    with path.open("w", encoding="utf-8") as f:
        f.write(SKELETON)
        for i in range(users):
            uid = f"u{i:05d}"
            f.write(
                f"dn: uid={uid},ou=people,{BASE}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
                f"cn: User {i} Ünïcode\nsn: {i}\nmail: {uid}@example.org\n"
                f"entryUUID: {uuid.UUID(int=i + 1)}\n"
            )
            for g in member_of.get(i, []):
                f.write(f"memberOf: cn=team-{g:04d},ou=groups,{BASE}\n")
            f.write("\n")
        for g in range(groups):
            f.write(
                f"dn: cn=team-{g:04d},ou=groups,{BASE}\nobjectClass: groupOfNames\n"
                f"cn: team-{g:04d}\ndescription: Team number {g}\n"
                f"entryUUID: {uuid.UUID(int=10_000_000 + g)}\n"
            )
            for k in range(per_group):
                f.write(f"member: uid=u{(g * per_group + k) % users:05d},ou=people,{BASE}\n")
            f.write("\n")


CONFIG = """
catalog:
  providers:
    ldapOrg:
      bench:
        target: {url}
        bind: {{dn: "{dn}", secret: "${{BENCH_LDAP_SECRET}}"}}
        timeouts: {{connect: 5, read: 120}}
        users:
          dn: ou=people,{base}
          options: {{filter: (objectClass=inetOrgPerson), paged: {{pageSize: 1000}}}}
        groups:
          dn: ou=groups,{base}
          options: {{filter: (objectClass=groupOfNames), paged: {{pageSize: 1000}}}}
          set: {{spec.type: team}}
"""


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_database(backend: str, tmp: Path) -> tuple[str, object]:
    """A migrated empty database; returns its URL and a cleanup callable."""
    from pinconsole.migrations import upgrade_database

    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade_database(url)
        return url, lambda: None
    import psycopg

    name = f"pc_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{base}/{name}"
    upgrade_database(url)

    def drop() -> None:
        from pinconsole.db import dispose_engines

        dispose_engines()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url, drop


def bench_backend(
    backend: str, server: Slapd, config: Path, tmp: Path, users: int
) -> dict[str, float]:
    from pinconsole.db import get_engine
    from pinconsole.settings import get_settings

    url, cleanup = fresh_database(backend, tmp)
    os.environ["PINCONSOLE_DATABASE_URL"] = url
    get_settings.cache_clear()
    from pinconsole.org.sync import count_row_writes, sync_org

    out: dict[str, float] = {}
    try:
        rss_before = rss_mb()
        t, c = time.perf_counter(), time.process_time()
        run = sync_org(config, triggered_by="bench")
        out["full_sync_s"] = time.perf_counter() - t
        out["full_sync_cpu_s"] = time.process_time() - c
        out["full_sync_rss_peak_mb"] = rss_mb()
        out["full_sync_rss_growth_mb"] = rss_mb() - rss_before
        assert run.status == "ok", run.error
        out["users_added"], out["groups_added"] = run.users_added, run.groups_added

        with count_row_writes(get_engine(url)) as writes:
            t, c = time.perf_counter(), time.process_time()
            again = sync_org(config, triggered_by="bench")
            out["resync_s"] = time.perf_counter() - t
            out["resync_cpu_s"] = time.process_time() - c
        assert again.status == "ok", again.error
        out["resync_row_writes"] = writes.rows
        out["resync_changed"] = again.users_updated + again.groups_updated
        out["resync_mode_unchanged"] = float(again.mode == "unchanged")

        # the same, forced past the unchanged-snapshot shortcut: every entity is compared
        with count_row_writes(get_engine(url)) as writes:
            t, c = time.perf_counter(), time.process_time()
            compared = sync_org(config, force=True, triggered_by="bench")
            out["resync_full_compare_s"] = time.perf_counter() - t
            out["resync_full_compare_cpu_s"] = time.process_time() - c
        assert compared.status == "ok" and compared.mode == "full", compared.error
        out["resync_full_compare_row_writes"] = writes.rows

        server.modify(
            "".join(
                f"dn: uid=u{i:05d},ou=people,{BASE}\nchangetype: modify\n"
                f"replace: mail\nmail: changed{i}@example.org\n\n"
                for i in range(0, users, max(1, users // 10))
            )
        )
        with count_row_writes(get_engine(url)) as writes:
            t, c = time.perf_counter(), time.process_time()
            changed = sync_org(config, triggered_by="bench")
            out["resync_10_changed_s"] = time.perf_counter() - t
            out["resync_10_changed_cpu_s"] = time.process_time() - c
        out["resync_10_changed_updated"] = changed.users_updated
        out["resync_10_changed_row_writes"] = writes.rows
        server.modify(  # put it back for the next backend
            "".join(
                f"dn: uid=u{i:05d},ou=people,{BASE}\nchangetype: modify\n"
                f"replace: mail\nmail: u{i:05d}@example.org\n\n"
                for i in range(0, users, max(1, users // 10))
            )
        )
    finally:
        cleanup()
    return out


def cpu_s() -> float:
    """CPU seconds of this process (the box is shared: wall time swings with its load)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--groups", type=int, default=2_000)
    parser.add_argument("--per-group", type=int, default=10)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    os.environ["BENCH_LDAP_SECRET"] = ADMIN_PW
    os.environ["PINCONSOLE_JOBS_ENABLED"] = "false"

    with tempfile.TemporaryDirectory(prefix="org-bench-") as tmpdir:
        tmp = Path(tmpdir)
        ldif = tmp / "data.ldif"
        t = time.perf_counter()
        write_ldif(ldif, args.users, args.groups, args.per_group)
        server = start_slapd(tmp / "slapd", offline_ldif=ldif)
        load_s = time.perf_counter() - t
        try:
            config = tmp / "app-config.yaml"
            config.write_text(CONFIG.format(url=server.url, dn=ADMIN_DN, base=BASE))
            from pinconsole.org.config import load_config
            from pinconsole.org.reader import read_org

            [provider] = load_config(config)
            t, c = time.perf_counter(), time.process_time()
            snap = read_org(provider)
            read_s, read_cpu = time.perf_counter() - t, time.process_time() - c
            assert len(snap.users) == args.users and len(snap.groups) == args.groups
            assert all(len(g["spec"]["members"]) == args.per_group for g in snap.groups)
            del snap

            print(f"org sync benchmark: {args.users:,} users, {args.groups:,} groups "
                  f"of {args.per_group} members (slapd, slapadd load {load_s:.1f} s)")  # fmt: skip
            print(f"  LDAP read + entity build: {read_s:.2f} s (CPU {read_cpu:.2f} s)")
            backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
            failed = False
            for backend in backends:
                r = bench_backend(backend, server, config, tmp, args.users)
                ok_full = r["full_sync_s"] < 20
                ok_re = r["resync_s"] < 5 and r["resync_row_writes"] == 0
                failed = failed or not (ok_full and ok_re)
                print(f"  [{backend}] full sync: {r['full_sync_s']:.2f} s "
                      f"(CPU {r['full_sync_cpu_s']:.2f} s) "
                      f"(+{int(r['users_added']):,} users, +{int(r['groups_added']):,} groups; "
                      f"target < 20 s: {'ok' if ok_full else 'MISSED'})")  # fmt: skip
                print(f"  [{backend}] re-sync, no change: {r['resync_s']:.2f} s "
                      f"(CPU {r['resync_cpu_s']:.2f} s), "
                      f"{int(r['resync_row_writes'])} row writes, "
                      f"{int(r['resync_changed'])} entities changed, "
                      f"apply {'skipped' if r['resync_mode_unchanged'] else 'run'} "
                      f"(target < 5 s and 0 writes: {'ok' if ok_re else 'MISSED'})")  # fmt: skip
                print(f"  [{backend}] re-sync, no change, every entity compared (--force): "
                      f"{r['resync_full_compare_s']:.2f} s "
                      f"(CPU {r['resync_full_compare_cpu_s']:.2f} s), "
                      f"{int(r['resync_full_compare_row_writes'])} row writes")  # fmt: skip
                print(f"  [{backend}] re-sync, 10 users changed: {r['resync_10_changed_s']:.2f} s "
                      f"(CPU {r['resync_10_changed_cpu_s']:.2f} s), "
                      f"{int(r['resync_10_changed_updated'])} updated, "
                      f"{int(r['resync_10_changed_row_writes'])} row writes")  # fmt: skip
                print(f"  [{backend}] peak RSS after full sync: "
                      f"{r['full_sync_rss_peak_mb']:.0f} MB "
                      f"(grew {r['full_sync_rss_growth_mb']:.0f} MB)")  # fmt: skip
            print(f"  peak RSS of the process: {rss_mb():.0f} MB; CPU time {cpu_s():.1f} s; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
        finally:
            server.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
