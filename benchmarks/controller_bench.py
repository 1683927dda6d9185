"""PinApp/PinScaler controller benchmark: a cold start over thousands of PinApps, then changes.

The sandbox emulator runs in a child process with its own controllers (Deployments, ReplicaSets,
pods, HPAs, garbage collector), seeded with PinApps (2 replicas, a port, so a Deployment and a
Service each) and a PinScaler for every tenth, no Deployment yet. The controller runs in this
process, reached through a generated kubeconfig exactly as in production. Measures:

- cold start: controller start until every PinApp's status reports its pods ready for the
  generation it has (Deployments, Services and HPAs made, the emulator's pods running);
- controller memory: this process's RSS growth from before the controller started;
- change to Deployment: a PinApp's replicas patched through the API until the controller's
  Deployment informer shows the Deployment with them (p50, p95).

Run: ``.venv/bin/python benchmarks/controller_bench.py [--pinapps 5000] [--changes 50]``; the
default (and ``make bench``) is 1,000 PinApps, about 15 s; 5,000 take a few minutes. Prints the
figures; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulated import rss_mb, start_emulator  # noqa: E402

TARGETS = {"cold_s_per_1000": 60.0, "memory_mb_per_1000": 100.0, "change_p95_ms": 2000.0}


def _seed(emulator, pinapps: int, namespaces: int) -> None:
    from pinconsole.sandbox import NAMESPACES, PINAPPS, PINSCALERS, pinapp_body, pinscaler_body

    for n in range(namespaces):
        emulator.create(NAMESPACES, None, {"metadata": {"name": f"ns-{n:03d}"}})
    for i in range(pinapps):
        ns, name = f"ns-{i % namespaces:03d}", f"app-{i:05d}"
        emulator.create(PINAPPS, ns, pinapp_body(name, replicas=2))
        if i % 10 == 0:
            emulator.create(PINSCALERS, ns, pinscaler_body(name, name, 2, 6))


def _serve(conn, directory: str, pinapps: int, namespaces: int) -> None:
    """Child process: seed, serve and run the emulator's controllers until told to stop."""
    from pinconsole.sandbox import Sandbox, SandboxEmulator

    emulator = SandboxEmulator(validate=False, event_log_size=400_000)
    sandbox = Sandbox(emulator, kubeconfig=Path(directory) / "kubeconfig").start()
    sandbox.call(_seed, emulator, pinapps, namespaces, timeout=600)
    sandbox.run_loops(controller_seconds=0.2, chaos_seconds=None)
    conn.send({"kubeconfig": str(sandbox.kubeconfig)})
    conn.recv()  # stop
    sandbox.stop()


def _converged(reconciler, pinapps: int) -> int:
    """How many PinApps report all their pods ready for the generation they have."""
    from pinconsole.compute.constants import PINAPP_PLURAL

    done = 0
    for app in reconciler.informers[PINAPP_PLURAL].items():
        status = app.get("status") or {}
        if (
            status.get("observedGeneration") == app["metadata"].get("generation")
            and status.get("readyReplicas") == app["spec"]["replicas"]
            and status.get("updatedReplicas") == app["spec"]["replicas"]
        ):
            done += 1
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pinapps", type=int, default=1000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="controller-bench-")
    os.environ["PINCONSOLE_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
    os.environ["PINCONSOLE_SANDBOX_CLUSTER"] = "false"
    os.environ["PINCONSOLE_CONTROLLER_WORKERS"] = str(args.workers)

    server, parent, info = start_emulator(_serve, tmp, args.pinapps, args.namespaces)
    if info is None:
        print("the emulator did not come up in 600 s")
        return 1
    load = os.getloadavg()[0]

    from kubernetes import client, config

    from pinconsole.compute.clusters import api_factory
    from pinconsole.compute.constants import GROUP, PINAPP_PLURAL, VERSION
    from pinconsole.compute.controller import Controller
    from pinconsole.settings import ClusterSettings

    factory = api_factory(ClusterSettings(name="bench", kubeconfig=info["kubeconfig"]))
    gc.collect()
    rss_before = rss_mb()
    started = time.perf_counter()
    controller = Controller([("bench", factory)], identity="bench").start()
    cluster = controller.clusters["bench"]
    deadline = started + 60 * max(1, args.pinapps / 100)
    while time.perf_counter() < deadline:
        reconciler = cluster.reconciler
        ready = reconciler is not None and reconciler.synced()
        if ready and _converged(reconciler, args.pinapps) == args.pinapps:
            break
        time.sleep(0.5)
    cold_s = time.perf_counter() - started
    reconciler = cluster.reconciler
    assert reconciler is not None
    converged = _converged(reconciler, args.pinapps)
    gc.collect()
    memory_mb = rss_mb() - rss_before
    print(
        f"cold start: {converged}/{args.pinapps} PinApps converged in {cold_s:.1f} s "
        f"({reconciler.reconciles} reconciles, {reconciler.failures} retried, "
        f"{reconciler.events.written} events; load average {load:.2f} at start)"
    )
    print(f"controller memory: {memory_mb:.0f} MB (RSS {rss_before:.0f} -> {rss_mb():.0f} MB)")

    api = client.CustomObjectsApi(config.new_client_from_config(info["kubeconfig"]))
    deployments = reconciler.informers["deployments"]
    latencies = []
    for i in range(args.changes):
        index = (i * 97) % args.pinapps
        ns, name = f"ns-{index % args.namespaces:03d}", f"app-{index:05d}"
        if index % 10 == 0:  # an HPA manages those replicas
            index += 1
            ns, name = f"ns-{index % args.namespaces:03d}", f"app-{index:05d}"
        replicas = 3 + i % 2
        t0 = time.perf_counter()
        api.patch_namespaced_custom_object(
            GROUP, VERSION, ns, PINAPP_PLURAL, name, {"spec": {"replicas": replicas}}
        )
        while time.perf_counter() - t0 < 30:
            deploy = deployments.get(ns, name)
            if deploy is not None and deploy["spec"]["replicas"] == replicas:
                break
            time.sleep(0.002)
        latencies.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.05)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(f"change to Deployment: p50 {p50:.0f} ms, p95 {p95:.0f} ms ({args.changes} changes)")

    controller.stop()
    parent.send("stop")
    server.join(30)

    scale = args.pinapps / 1000
    failed = []
    if converged < args.pinapps:
        failed.append("not every PinApp converged")
    if cold_s > TARGETS["cold_s_per_1000"] * scale:
        failed.append(f"cold start over {TARGETS['cold_s_per_1000'] * scale:.0f} s")
    if memory_mb > TARGETS["memory_mb_per_1000"] * max(1.0, scale):
        failed.append("controller memory over target")
    if p95 > TARGETS["change_p95_ms"]:
        failed.append("change p95 over 2 s")
    for line in failed:
        print("MISSED:", line)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
