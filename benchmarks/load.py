"""Open-loop load on loopback: a mixed, uncached workload against `rigfit serve`, bounded in count and time.

    .venv/bin/python benchmarks/load.py [--rate 200] [--seconds 60] [--workers 2] [--overload 1000]

Requests are sent at a fixed rate whatever the answers (open loop), to distinct pair pages, API estimates, model and
hardware pages and index pages, all on 127.0.0.1. Reports throughput, p50/p95/p99 latency, status counts and the
server's peak RSS; with --overload it then offers that rate for 10 s and checks that a probe is still answered
quickly and that the server recovers at once. Targets: at 200 req/s for 60 s, no errors but deliberate 503s,
at most 1 % 503s, p99 <= 200 ms; at 1,000 req/s offered, 503s and a probe answered within 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil

RIGFIT = str(Path(sys.executable).parent / "rigfit")
TIMEOUT_S = 5.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workload(n: int, seed: int = 7) -> list[str]:
    """n request paths, none repeated: 60 % pair pages (one in five at a chosen context), 25 % API estimates,
    10 % model/hardware pages, 5 % indexes."""
    from rigfit.catalog.catalog import get_catalog
    from rigfit.web.slugs import pair_url

    c = get_catalog()
    rng = random.Random(seed)
    models = [m.name for m in c.models]
    devices = [h.name for h in c.hardware if h.kind != "cpu"]
    quants = ("Q4_K_M", "Q8_0", "Q3_K_M", "Q5_K_M", "Q6_K")
    paths = []
    for i in range(n):
        r = rng.random()
        m, h = rng.choice(models), rng.choice(devices)
        if r < 0.48:
            paths.append(f"{pair_url(m, h)}?quant={rng.choice(quants)}")
        elif r < 0.60:
            paths.append(f"{pair_url(m, h)}?quant={rng.choice(quants)}&context={rng.choice((4096, 16384, 32768))}")
        elif r < 0.85:
            paths.append(f"/api/v1/estimate?model={quote(m)}&hardware={quote(h)}&quant={rng.choice(quants)}")
        elif r < 0.95:
            paths.append(f"/models/{pair_url(m, h).split('/')[2].split('-on-')[0]}" if i % 2 else
                         f"/hardware/{pair_url(m, h).split('-on-')[1]}")
        else:
            paths.append(rng.choice(("/", "/models", "/hardware")))
    return paths


async def fetch(host: str, port: int, path: str) -> int:
    """One GET over its own connection (Connection: close), read to the end; the status code. A bare client: the
    load generator shares the server's two cores, so it must cost far less per request than the server does."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readline()
        await reader.read()  # the rest, until the server closes
        return int(head.split()[1])
    finally:
        writer.close()


async def offer(base: str, paths: list[str], rate: float, seconds: float) -> tuple[list[float], Counter, float]:
    """Send len(paths) requests (at most rate × seconds) at a fixed rate whatever the answers (open loop); return
    the latencies of answered requests, status counts (0 = no answer within TIMEOUT_S) and the wall time."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    statuses: Counter = Counter()

    async def one(path: str) -> None:
        t = time.perf_counter()
        try:
            status = await asyncio.wait_for(fetch(host, int(port), path), TIMEOUT_S)
            statuses[status] += 1
            latencies.append(time.perf_counter() - t)
            if status == 503:
                refused_at.append(t - start)
        except (OSError, asyncio.TimeoutError, ValueError, IndexError):
            statuses[0] += 1

    tasks = []
    refused_at: list[float] = []
    start = time.perf_counter()
    count = min(len(paths), int(rate * seconds))
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(paths[i])))
    await asyncio.gather(*tasks)
    if refused_at:  # when in the run the 503s came: a cold start-up, or all along
        windows = Counter(int(x // 10) * 10 for x in refused_at)
        print("  503s by 10-s window from the start: " + ", ".join(f"{k}s {v}" for k, v in sorted(windows.items())))
    return latencies, statuses, time.perf_counter() - start


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100 * len(s)))]


def rss_mb(proc: psutil.Process) -> float:
    try:
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20
    except psutil.Error:
        return float("nan")


def cpu_s(proc: psutil.Process) -> float:
    """User + system CPU seconds of the server and its workers so far."""
    try:
        return sum(sum(p.cpu_times()[:2]) for p in [proc, *proc.children(recursive=True)])
    except psutil.Error:
        return float("nan")


async def probe(base: str) -> float:
    """Seconds for /healthz to answer; inf when it does not answer within TIMEOUT_S."""
    host, port = base.removeprefix("http://").split(":")
    t = time.perf_counter()
    try:
        await asyncio.wait_for(fetch(host, int(port), "/healthz"), TIMEOUT_S)
    except (OSError, asyncio.TimeoutError, ValueError, IndexError):
        return float("inf")
    return time.perf_counter() - t


def report(name: str, latencies: list[float], statuses: Counter, wall: float, rss: float) -> None:
    total = sum(statuses.values())
    errors = sum(v for k, v in statuses.items() if k not in (200, 503))
    print(f"{name}: {total} requests in {wall:.1f} s ({total / wall:.0f} req/s offered and answered), "
          f"statuses {dict(sorted(statuses.items()))}, 503s {100 * statuses[503] / max(total, 1):.2f} %, "
          f"other errors {errors}; latency p50 {pct(latencies, 50) * 1e3:.0f} ms, p95 {pct(latencies, 95) * 1e3:.0f} ms, "
          f"p99 {pct(latencies, 99) * 1e3:.0f} ms; server RSS peak {rss:.0f} MiB")


PROBE_EVERY_S = 0.25


def probe_loop(base: str, seconds: float) -> None:
    """Print the latency of a /healthz probe every PROBE_EVERY_S, starting after one second of load."""
    async def go() -> list[float]:
        await asyncio.sleep(1)
        out, end = [], time.perf_counter() + seconds - 1
        while time.perf_counter() < end:
            out.append(await probe(base))
            await asyncio.sleep(PROBE_EVERY_S)
        return out
    print(" ".join(f"{x:.4f}" for x in asyncio.run(go())))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        probe_loop(sys.argv[2], float(sys.argv[4]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--overload", type=float, default=1000)
    ap.add_argument("--max-active", type=int, default=1)
    ap.add_argument("--max-waiting", type=int, default=16)
    args = ap.parse_args()
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = tempfile.TemporaryFile()  # the server's log: a 500's traceback is printed at the end
    server = subprocess.Popen([RIGFIT, "serve", "--public", "--port", str(port), "--workers", str(args.workers),
                               "--max-active", str(args.max_active), "--max-waiting", str(args.max_waiting)],
                              env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        proc = psutil.Process(server.pid)
        paths = workload(int(args.rate * args.seconds) + 1)
        peak = [0.0]

        async def run(rate: float, seconds: float, ps: list[str]):  # type: ignore[no-untyped-def]
            async def watch() -> None:
                while True:
                    peak[0] = max(peak[0], rss_mb(proc))
                    await asyncio.sleep(0.5)
            w = asyncio.create_task(watch())
            try:
                return await offer(base, ps, rate, seconds)
            finally:
                w.cancel()

        cpu0 = cpu_s(proc)
        lat, st, wall = asyncio.run(run(args.rate, args.seconds, paths))
        report(f"{args.rate:.0f} req/s for {args.seconds:.0f} s", lat, st, wall, peak[0])
        # what the load costs the server, whatever else runs on the machine: capacity is about cores / this
        print(f"server CPU {1e3 * (cpu_s(proc) - cpu0) / max(1, st[200]):.2f} ms per 200 answer "
              f"(503s and everything else included), load average {os.getloadavg()[0]:.2f} at the end")
        if args.overload:
            over = workload(int(args.overload * 10), seed=8)

            # The health checker is its own process, as a load balancer's is: timed in the load generator's loop,
            # a probe would also measure that loop's lag at 1,000 req/s.
            prober = subprocess.Popen([sys.executable, __file__, "--probe", base, "--probe-seconds", "9"],
                                      stdout=subprocess.PIPE, text=True)

            async def overload():  # type: ignore[no-untyped-def]
                result = await run(args.overload, 10, over)
                after = await probe(base)
                return result, after

            (lat, st, wall), after = asyncio.run(overload())
            probes = [float(x) for x in prober.communicate(timeout=30)[0].split()]
            report(f"{args.overload:.0f} req/s offered for 10 s", lat, st, wall, peak[0])
            print(f"probe /healthz during overload (a separate process, every {PROBE_EVERY_S} s from second 1): "
                  f"{len(probes)} probes, median {pct(probes, 50) * 1e3:.0f} ms, max {max(probes) * 1e3:.0f} ms, "
                  f"within 100 ms {sum(p <= 0.1 for p in probes)}/{len(probes)}; right after {after * 1e3:.0f} ms")
    finally:
        server.terminate()
        t = time.perf_counter()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        print(f"SIGTERM to exit: {time.perf_counter() - t:.1f} s")
        log.seek(0)
        errors = [line for line in log.read().decode(errors="replace").splitlines() if "Error" in line]
        print(f"server log: {len(errors)} error lines" + "".join(f"\n  {e}" for e in errors[-10:]))


if __name__ == "__main__":
    main()
