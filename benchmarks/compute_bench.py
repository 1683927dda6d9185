"""PinCompute benchmark: one emulated cluster with 5,000 PinApps and 50,000 pods.

The sandbox emulator runs in a child process (so its own memory is not counted) and is reached
through a generated kubeconfig by the real cache, exactly as in production. Measures:

- initial sync: cache start until PinApps, PinScalers, pods and events are listed (target < 30 s);
- cache memory: this process's RSS growth from before the cache started (target < 500 MB);
- filtered ``list_pinapps`` (the /workloads page query) p50 and p95 (target p50 < 10 ms);
- watch event to page state: a PinApp patched through the API until ``list_pinapps`` shows it
  (target < 2 s).

Run: ``.venv/bin/python benchmarks/compute_bench.py [--apps 5000] [--pods-per-app 10]``.
Prints the figures; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulated import rss_mb as _rss_mb  # noqa: E402


def _seed(emulator, apps: int, pods_per_app: int, namespaces: int) -> None:
    from pinconsole.sandbox import (
        NAMESPACES,
        PINAPPS,
        PINSCALERS,
        pinapp_body,
        pinscaler_body,
    )

    rng = random.Random(1)
    tiers = ["reserved", "on-demand", "preemptible"]
    for n in range(namespaces):
        emulator.create(NAMESPACES, None, {"metadata": {"name": f"ns-{n:03d}"}})
    for i in range(apps):
        ns = f"ns-{i % namespaces:03d}"
        body = pinapp_body(
            f"app-{i:05d}",
            replicas=pods_per_app,
            tier=rng.choice(tiers),
            service=f"component:default/service-{i:05d}",
        )
        ready = pods_per_app if rng.random() > 0.1 else rng.randint(0, pods_per_app - 1)
        body["status"] = {"replicas": pods_per_app, "readyReplicas": ready}
        app = emulator.create(PINAPPS, ns, body)
        if i % 2 == 0:
            emulator.create(PINSCALERS, ns, pinscaler_body(f"app-{i:05d}", f"app-{i:05d}"))
        for _ in range(pods_per_app):
            emulator.add_pod(ns, app)


def _serve(conn, directory: str, apps: int, pods_per_app: int, namespaces: int) -> None:
    """Child process: seed and serve the emulator until told to stop."""
    from pinconsole.sandbox import Sandbox, SandboxEmulator

    emulator = SandboxEmulator(validate=False, event_log_size=200_000)
    sandbox = Sandbox(emulator, kubeconfig=Path(directory) / "kubeconfig").start()
    started = time.perf_counter()
    try:
        sandbox.call(_seed, emulator, apps, pods_per_app, namespaces, timeout=600)
    except Exception as exc:
        conn.send({"error": repr(exc)})
        sandbox.stop()
        return
    conn.send({"kubeconfig": str(sandbox.kubeconfig), "seed_s": time.perf_counter() - started})
    conn.recv()  # stop
    sandbox.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=5000)
    parser.add_argument("--pods-per-app", type=int, default=10)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--events", type=int, default=30)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="compute-bench-")
    owners = {f"ns-{n:03d}": f"team-{n % 10}" for n in range(args.namespaces)}
    os.environ["PINCONSOLE_NAMESPACE_OWNERS"] = json.dumps(owners)
    os.environ["PINCONSOLE_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
    os.environ["PINCONSOLE_SANDBOX_CLUSTER"] = "false"

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(
        target=_serve, args=(child, tmp, args.apps, args.pods_per_app, args.namespaces)
    )
    server.start()
    if not parent.poll(600):
        server.kill()
        print("the emulator did not come up in 600 s")
        return 1
    info = parent.recv()
    if "error" in info:
        print("seeding failed:", info["error"])
        server.join(10)
        return 1
    print(
        f"seeded {args.apps} PinApps, {args.apps * args.pods_per_app} pods "
        f"in {info['seed_s']:.1f} s (emulator process)"
    )

    from kubernetes import client, config

    from pinconsole.compute import queries
    from pinconsole.compute.cache import ClusterCache
    from pinconsole.compute.clusters import ClusterManager, api_factory
    from pinconsole.compute.constants import GROUP, PINAPP_PLURAL, VERSION
    from pinconsole.settings import ClusterSettings

    cluster = ClusterSettings(name="bench", kubeconfig=info["kubeconfig"], context="sandbox")
    manager = ClusterManager()
    gc.collect()
    rss_before = _rss_mb()
    started = time.perf_counter()
    cache = manager.add(
        ClusterCache(name="bench", api_factory=api_factory(cluster), metrics_interval=3600),
        sampler=False,
    )
    ok = cache.wait_synced(120)
    sync_s = time.perf_counter() - started
    gc.collect()
    rss_after = _rss_mb()
    cache_mb = rss_after - rss_before
    print(
        f"initial sync: {sync_s:.2f} s ({len(cache.pinapps)} PinApps, {len(cache.pods)} pods, "
        f"{len(cache.events)} events, {len(cache.pinscalers)} PinScalers){'' if ok else ' TIMEOUT'}"
    )
    print(f"cache memory: {cache_mb:.0f} MB (RSS {rss_before:.0f} -> {rss_after:.0f} MB)")

    rng = random.Random(2)
    filters = [
        lambda: {"namespace": f"ns-{rng.randrange(args.namespaces):03d}"},
        lambda: {"health": rng.choice(["healthy", "degraded", "down"])},
        lambda: {"team": f"team-{rng.randrange(10)}"},
        lambda: {"text": f"app-0{rng.randrange(10)}"},
        lambda: {"team": f"team-{rng.randrange(10)}", "health": "degraded"},
        lambda: {},
    ]
    queries.list_pinapps(manager=manager)  # warm the sort order
    times = []
    for i in range(args.queries):
        kwargs = filters[i % len(filters)]()
        t0 = time.perf_counter()
        queries.list_pinapps(**kwargs, limit=50, offset=0, manager=manager)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p50 = statistics.median(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"filtered list_pinapps: p50 {p50:.2f} ms, p95 {p95:.2f} ms ({args.queries} queries)")

    api = client.CustomObjectsApi(config.new_client_from_config(info["kubeconfig"], "sandbox"))
    latencies = []
    for i in range(args.events):
        ns, name = f"ns-{i % args.namespaces:03d}", f"app-{i:05d}"
        replicas = 20 + i
        t0 = time.perf_counter()
        api.patch_namespaced_custom_object(
            GROUP, VERSION, ns, PINAPP_PLURAL, name, {"spec": {"replicas": replicas}}
        )
        while True:
            rows, _, _ = queries.list_pinapps(namespace=ns, text=name, manager=manager)
            if rows and rows[0]["desired"] == replicas:
                break
            if time.perf_counter() - t0 > 10:
                break
            time.sleep(0.002)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    w50 = statistics.median(latencies)
    wmax = latencies[-1]
    print(f"watch event to page state: p50 {w50:.1f} ms, max {wmax:.1f} ms ({args.events} patches)")

    manager.stop()
    parent.send("stop")
    server.join(30)

    failed = []
    if sync_s >= 30:
        failed.append("initial sync >= 30 s")
    if cache_mb >= 500:
        failed.append("cache memory >= 500 MB")
    if p50 >= 10:
        failed.append("list p50 >= 10 ms")
    if wmax >= 2000:
        failed.append("watch to page >= 2 s")
    print("targets:", "all met" if not failed else "MISSED: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
