"""Catalog benchmark: import and REST latency at 20,000 components scale (issue 3, item 10).

Generates Backstage descriptors (components, APIs, groups, users) into a temporary directory,
imports them through the write side (``import_locations``) into a throwaway PostgreSQL database
and a SQLite file, starts the backend as production does (``pinconsole serve --backend-only``:
Reflex's app with the API, under granian, one worker) on a free loopback port and measures it
with one keep-alive client: a filtered list, facets, text search, entity by ref, the same list
while a second import of the whole set runs in another process, and the backend's memory.
Prints figures against the targets.

    .venv/bin/python benchmarks/catalog_bench.py                 # both backends, full scale
    .venv/bin/python benchmarks/catalog_bench.py --backend postgres --scale 0.1
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("PINCONSOLE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

TARGETS = {
    "import_s": 20.0,
    "list_p50_ms": 5.0,
    "list_p95_ms": 15.0,
    "facets_p50_ms": 20.0,
    "search_p50_ms": 20.0,
    "by_ref_p50_ms": 2.0,
    "import_slowdown": 2.0,
    "rss_mb": 300.0,
}

WORDS = [
    "payment",
    "checkout",
    "ledger",
    "invoice",
    "billing",
    "search",
    "index",
    "catalog",
    "inventory",
    "shipping",
    "order",
    "cart",
    "pricing",
    "fraud",
    "identity",
    "login",
    "session",
    "profile",
    "notification",
    "email",
    "sms",
    "push",
    "report",
    "analytics",
    "metrics",
    "tracing",
    "logging",
    "gateway",
    "proxy",
    "cache",
    "queue",
    "stream",
    "batch",
    "scheduler",
    "recommendation",
    "ranking",
    "ads",
    "auction",
    "media",
    "image",
    "video",
    "upload",
    "storage",
    "backup",
    "archive",
]
TAGS = [f"tag-{w}" for w in WORDS[:40]] + ["python", "go", "java", "kotlin", "rust", "node"]
TYPES = ("service", "service", "service", "website", "library")
LIFECYCLES = ("production", "production", "experimental", "deprecated")


# --------------------------------------------------------------------------- descriptors


def _team(i: int) -> str:
    return f"team-{i:03d}"


def generate(
    out: Path, components: int, apis: int, groups: int, users: int, seed: int = 7
) -> dict[str, Any]:
    """Write the catalog as ``catalog-info.yaml`` files; returns names the probes use."""
    rng = random.Random(seed)
    departments = max(1, groups // 5)  # one group in five is a department, the rest teams
    teams = groups - departments
    group_docs: list[dict[str, Any]] = []
    for d in range(departments):
        group_docs.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Group",
                "metadata": {"name": f"dept-{d:03d}", "description": f"Department {d}"},
                "spec": {
                    "type": "department",
                    "children": [_team(t) for t in range(teams) if t % departments == d],
                },
            }
        )
    for t in range(teams):
        group_docs.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Group",
                "metadata": {"name": _team(t), "title": f"Team {t}"},
                "spec": {"type": "team", "parent": f"dept-{t % departments:03d}", "children": []},
            }
        )
    _write(out / "org" / "catalog-info.yaml", group_docs)

    for chunk in range(0, users, 500):
        docs = []
        for u in range(chunk, min(users, chunk + 500)):
            docs.append(
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "User",
                    "metadata": {"name": f"user-{u:05d}"},
                    "spec": {
                        "profile": {
                            "displayName": f"User {u}",
                            "email": f"user-{u:05d}@example.com",
                        },
                        "memberOf": [_team(u % teams)],
                    },
                }
            )
        _write(out / "people" / f"p{chunk // 500:03d}" / "catalog-info.yaml", docs)

    per_team: dict[int, list[dict[str, Any]]] = {t: [] for t in range(teams)}
    for a in range(apis):
        owner = a % teams
        definition = (
            f"openapi: 3.0.0\ninfo: {{title: api-{a:05d}, version: '1'}}\n"
            f"paths:\n  /v1/{WORDS[a % len(WORDS)]}:\n    get: {{responses: {{'200': "
            f"{{description: ok}}}}}}\n"
        )
        per_team[owner].append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "API",
                "metadata": {
                    "name": f"api-{a:05d}",
                    "description": f"{WORDS[a % len(WORDS)]} API",
                    "tags": [TAGS[a % len(TAGS)]],
                },
                "spec": {
                    "type": "openapi",
                    "lifecycle": LIFECYCLES[a % len(LIFECYCLES)],
                    "owner": _team(owner),
                    "definition": definition,
                },
            }
        )
    for c in range(components):
        owner = c % teams
        w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
        spec: dict[str, Any] = {
            "type": TYPES[c % len(TYPES)],
            "lifecycle": LIFECYCLES[c % len(LIFECYCLES)],
            "owner": _team(owner),
        }
        if c % 10 == 0 and c // 10 < apis:
            spec["providesApis"] = [f"api-{c // 10:05d}"]
        if apis:
            spec["consumesApis"] = [f"api-{rng.randrange(apis):05d}"]
        if c > 0:
            spec["dependsOn"] = [f"component:svc-{rng.randrange(c):05d}"]
        links = [{"url": f"https://runbooks.example.com/svc-{c:05d}", "title": "Runbook"}]
        per_team[owner].append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {
                    "name": f"svc-{c:05d}",
                    "title": f"{w1.title()} {w2} service {c}",
                    "description": f"Handles {w1} and {w2} for {WORDS[owner % len(WORDS)]}",
                    "tags": sorted({rng.choice(TAGS), rng.choice(TAGS)}),
                    "links": links if c % 3 else [],
                },
                "spec": spec,
            }
        )
    for t, docs in per_team.items():
        if docs:
            _write(out / "teams" / _team(t) / "catalog-info.yaml", docs)
    return {"teams": [_team(t) for t in range(teams)], "components": components}


def _write(path: Path, docs: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


# --------------------------------------------------------------------------- databases


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    name = f"pc_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        from pinconsole.db import dispose_engines

        dispose_engines()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def sqlite_database(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / 'bench.db'}"


def _use(url: str) -> None:
    from pinconsole.settings import get_settings

    os.environ["PINCONSOLE_DATABASE_URL"] = url
    os.environ["PINCONSOLE_JOBS_ENABLED"] = "false"
    get_settings.cache_clear()


def run_import(url: str, directory: Path) -> tuple[float, Any]:
    from pinconsole.catalog.ingest import import_locations

    _use(url)
    started = time.perf_counter()
    # As a user runs it: the import scores what it added (run_scores times a full rescore).
    summary = import_locations([str(directory)], actor="bench")
    return time.perf_counter() - started, summary


def run_scores(url: str) -> float:
    from pinconsole.catalog.scorecards import compute_scores
    from pinconsole.db import session_scope

    _use(url)
    started = time.perf_counter()
    with session_scope() as session:
        compute_scores(session)
    return time.perf_counter() - started


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_app() -> Any:
    """The FastAPI app alone (granian's factory target for ``--server api``)."""
    from pinconsole.api.app import create_api
    from pinconsole.plugins.registry import get_registry

    return create_api(get_registry())


def serve(port: int) -> None:
    """Only the FastAPI app under granian (``--server api``): the API without Reflex around it."""
    from granian.constants import Interfaces
    from granian.server import Server

    Server(
        target="benchmarks.catalog_bench:api_app",
        factory=True,
        address="127.0.0.1",
        port=port,
        interface=Interfaces.ASGI,
        workers=1,
        log_access=False,
    ).serve()


def make_token(url: str) -> str | None:
    """An API token for the bench user through the access core, when it exists."""
    _use(url)
    try:
        from pinconsole.access.tokens import create_token
    except ImportError:
        return None
    return create_token("bench", description="catalog benchmark", actor="bench")


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@contextlib.contextmanager
def server(url: str, mode: str) -> Iterator[tuple[str, int]]:
    """The backend on a free port; yields its base URL and the pid of the process serving.

    ``mode="production"`` is what ``pinconsole serve --backend-only`` runs (Reflex's app with
    the API mounted, under granian), with one worker so its memory is one process's.
    """
    port = _free_port()
    env = {
        **os.environ,
        "PINCONSOLE_DATABASE_URL": url,
        "PINCONSOLE_JOBS_ENABLED": "false",
        "PINCONSOLE_AUTH_MODE": "header",  # the bench authenticates with a token anyway
        "PINCONSOLE_TRUSTED_PROXIES": '["127.0.0.1"]',
        "PINCONSOLE_SESSION_SECRET": "bench-" + "s" * 26,
        "GRANIAN_WORKERS": "1",
        "REFLEX_USE_GRANIAN": "1",
        "GRANIAN_LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
    }
    if mode == "production":
        command = [str(Path(sys.executable).parent / "pinconsole"), "serve", "--backend-only"]
        command += ["--port", str(port)]
    else:
        command = [sys.executable, __file__, "--serve", str(port)]
    proc = subprocess.Popen(command, env=env, cwd=str(ROOT), start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.5)
        # The worker answering requests is granian's worker: the leaf of the process tree
        # (above it: granian's supervisor inside `reflex run`, and `pinconsole serve`).
        tree = _descendants(proc.pid)
        leaves = [pid for pid in tree if not _descendants(pid)]
        yield base, leaves[-1] if leaves else proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of ``pid`` in MB (Linux /proc)."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


# --------------------------------------------------------------------------- measuring


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection (the standard library's client).

    httpx costs 0.6-0.9 ms of its own per request on this machine, more than the API's cached
    answers take: the figures are meant to be the API's, so the client stays lean.
    """

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = headers

    def get(self, path: str, params: dict[str, Any]) -> tuple[int, bytes]:
        self.conn.request("GET", f"{path}?{urlencode(params)}", headers=self.headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def __enter__(self) -> KeepAliveClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def measure(call: Callable[[int], Any], n: int, warmup: int = 20) -> list[float]:
    for i in range(warmup):
        call(i)
    out = []
    for i in range(n):
        started = time.perf_counter()
        call(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def pct(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_backend(
    label: str, url: str, directory: Path, names: dict[str, Any], n: int, mode: str
) -> dict[str, Any]:
    from pinconsole.migrations import upgrade_database

    upgrade_database(url)
    import_s, summary = run_import(url, directory)
    if summary.errors:
        print(f"[{label}] import errors: {len(summary.errors)}; first: {summary.errors[0]}")
    scores_s = run_scores(url)
    print(
        f"[{label}] import with scoring {import_s:.1f} s (added {summary.added}), "
        f"full rescore {scores_s:.1f} s",
        flush=True,
    )
    if "postgresql" in url:
        from sqlalchemy import text

        from pinconsole.db import get_engine

        # What autovacuum does within a minute of a bulk load: statistics and the visibility
        # map (index-only scans for facets).
        with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    token = make_token(url)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    teams: list[str] = names["teams"]
    rng = random.Random(11)
    words = [w[:5] for w in WORDS]
    lifecycles = ["", *LIFECYCLES[1:]]
    fig: dict[str, Any] = {"import_s": import_s, "scores_s": scores_s}
    unique = iter(range(10**9))
    with server(url, mode) as (base, pid), KeepAliveClient(base, headers) as client:

        def get(path: str, cold: bool, **params: Any) -> Any:
            if cold:  # a parameter the API ignores: a cache miss doing the full work
                params["_bench"] = next(unique)
            status, body = client.get(path, params)
            if status != 200:
                raise RuntimeError(f"{path} {params}: {status} {body[:300]!r}")
            return body

        def list_call(i: int, cold: bool) -> None:
            team = teams[i % len(teams)] if cold else teams[i % 20]
            raw = get("/api/v1/entities", cold, kind="component", owner=team, limit=50)
            if i == 0:
                body = json.loads(raw)
                assert len(body["items"]) == min(50, body["totalItems"]), body["totalItems"]

        def facets_call(i: int, cold: bool) -> None:
            params = {"kind": "component", "facets": "kind,type,owner,lifecycle,tag", "limit": 20}
            if lifecycles[i % len(lifecycles)]:
                params["lifecycle"] = lifecycles[i % len(lifecycles)]
            get("/api/v1/entities", cold, **params)

        def search_call(i: int, cold: bool) -> None:
            get("/api/v1/entities", cold, text=words[i % len(words)], limit=20)

        def by_ref_call(i: int, cold: bool) -> None:
            n = rng.randrange(names["components"]) if cold else i % 20
            get(f"/api/v1/entities/by-ref/component/default/svc-{n:05d}", cold)

        samples: dict[str, list[float]] = {}
        for name, call in (
            ("list", list_call),
            ("facets", facets_call),
            ("search", search_call),
            ("by_ref", by_ref_call),
        ):
            samples[f"{name}_cold"] = measure(lambda i, c=call: c(i, True), n)
            samples[f"{name}_warm"] = measure(lambda i, c=call: c(i, False), n)
        fig["rss_idle_mb"], _ = rss_mb(pid)

        env = {**os.environ, "PINCONSOLE_DATABASE_URL": url}
        importer = subprocess.Popen(
            [sys.executable, __file__, "--import-only", str(directory)], env=env, cwd=str(ROOT)
        )
        during: list[float] = []
        i = 0
        while importer.poll() is None:
            started = time.perf_counter()
            list_call(i, True)
            during.append((time.perf_counter() - started) * 1000)
            i += 1
        if importer.returncode != 0:
            raise RuntimeError("the concurrent re-import failed")
        fig["rss_mb"], fig["rss_peak_mb"] = rss_mb(pid)
    for key, values in samples.items():
        fig[f"{key}_p50_ms"] = pct(values, 0.5)
        fig[f"{key}_p95_ms"] = pct(values, 0.95)
    # Targets are judged on the cold path (every request a cache miss).
    for name in ("list", "facets", "search", "by_ref"):
        fig[f"{name}_p50_ms"] = fig[f"{name}_cold_p50_ms"]
        fig[f"{name}_p95_ms"] = fig[f"{name}_cold_p95_ms"]
    fig.update(
        during_p50_ms=pct(during, 0.5), during_p95_ms=pct(during, 0.95), during_n=len(during)
    )
    fig["import_slowdown"] = max(
        fig["during_p50_ms"] / fig["list_p50_ms"], fig["during_p95_ms"] / fig["list_p95_ms"]
    )
    return fig


ROWS = [
    ("full import (with scoring)", "import_s", "s", "< 20 s"),
    ("full rescore (all entities)", "scores_s", "s", ""),
    ("list kind+owner, 50 rows, cold p50", "list_p50_ms", "ms", "< 5 ms"),
    ("list kind+owner, 50 rows, cold p95", "list_p95_ms", "ms", "< 15 ms"),
    ("list kind+owner, 50 rows, cached p50", "list_warm_p50_ms", "ms", ""),
    ("facets (5 fields), cold p50", "facets_p50_ms", "ms", "< 20 ms"),
    ("facets (5 fields), cold p95", "facets_p95_ms", "ms", ""),
    ("facets (5 fields), cached p50", "facets_warm_p50_ms", "ms", ""),
    ("text search, cold p50", "search_p50_ms", "ms", "< 20 ms"),
    ("text search, cold p95", "search_p95_ms", "ms", ""),
    ("text search, cached p50", "search_warm_p50_ms", "ms", ""),
    ("entity by ref, cold p50", "by_ref_p50_ms", "ms", "< 2 ms"),
    ("entity by ref, cold p95", "by_ref_p95_ms", "ms", ""),
    ("entity by ref, cached p50", "by_ref_warm_p50_ms", "ms", ""),
    ("list during re-import (cold) p50", "during_p50_ms", "ms", ""),
    ("list during re-import (cold) p95", "during_p95_ms", "ms", ""),
    ("slowdown during import (max of p50, p95)", "import_slowdown", "x", "<= 2x"),
    ("backend RSS after runs", "rss_mb", "MB", "< 300 MB"),
    ("backend peak RSS", "rss_peak_mb", "MB", ""),
]


def verdict(key: str, value: float) -> str:
    target = TARGETS.get(key)
    if target is None:
        return ""
    return "ok" if value <= target else "MISSED"


def print_table(results: dict[str, dict[str, Any]]) -> None:
    backends = list(results)
    print(flush=True)
    head = f"| {'measure':42} | {'target':9} | " + " | ".join(f"{b:>16}" for b in backends) + " |"
    print(head)
    print("|" + "-" * 44 + "|" + "-" * 11 + "|" + "|".join("-" * 18 for _ in backends) + "|")
    for label, key, unit, target in ROWS:
        cells = []
        for b in backends:
            value = results[b].get(key)
            if value is None:
                cells.append(f"{'-':>16}")
                continue
            mark = verdict(key, value) if b == "postgresql" else ""
            cells.append(f"{value:>9.2f} {unit:2} {mark:>3}".rjust(16))
        print(f"| {label:42} | {target:9} | " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full set")
    parser.add_argument("--requests", type=int, default=300, help="samples per measure")
    parser.add_argument(
        "--server",
        choices=("production", "api"),
        default="production",
        help="production: `pinconsole serve --backend-only` (Reflex + API under granian, one "
        "worker); api: the FastAPI app alone under granian",
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--import-only", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.serve:
        serve(args.serve)
        return 0
    if args.import_only:
        seconds, summary = run_import(os.environ["PINCONSOLE_DATABASE_URL"], Path(args.import_only))
        print(
            f"[re-import] {seconds:.1f} s, updated {summary.updated}, unchanged {summary.unchanged}"
        )
        return 0

    counts = {
        "components": int(20_000 * args.scale),
        "apis": int(2_000 * args.scale),
        "groups": max(5, int(500 * args.scale)),
        "users": int(5_000 * args.scale),
    }
    tmp = Path(tempfile.mkdtemp(prefix="pc-catalog-bench-"))
    try:
        directory = tmp / "catalog"
        started = time.perf_counter()
        names = generate(directory, **counts)
        print(
            f"generated {sum(counts.values())} descriptors ({counts}) in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        results: dict[str, dict[str, Any]] = {}
        if args.backend in ("postgres", "both"):
            with postgres_database() as url:
                results["postgresql"] = bench_backend(
                    "postgresql", url, directory, names, args.requests, args.server
                )
            print_table({"postgresql": results["postgresql"]})
        if args.backend in ("sqlite", "both"):
            with sqlite_database(tmp) as url:
                results["sqlite"] = bench_backend(
                    "sqlite", url, directory, names, args.requests, args.server
                )
            print_table({"sqlite": results["sqlite"]})
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print_table(results)
        missed = [
            k
            for k in TARGETS
            if "postgresql" in results and verdict(k, results["postgresql"].get(k, 0)) == "MISSED"
        ]
        if missed:
            print(f"\nmissed on PostgreSQL: {', '.join(missed)}")
        return 1 if missed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
