"""How fast rigfit answers: one table of timings, each also as a ratio to a reference computation timed in the
same run (a 512×512 float64 numpy matmul, best of 20), so figures compare across machines of different speed.

    .venv/bin/python benchmarks/bench_speed.py [--export]

Targets (2 cores): full pair report warm ≤ 5 ms; `rigfit check` process ≤ 0.5 s; whole matrix at one quant ×
one workload ≤ 50 ms; every model × hardware × 15 table quants × 5 workloads ≤ 1 s; model and hardware page on
first visit after start-up ≤ 50 ms; pair page ≤ 10 ms; a request of the load benchmark's mix served in
process ≤ 6 ms; with --export, the whole catalog as static files ≤ 5 min.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from rigfit.estimate.report import TABLE_QUANTS

ROOT = Path(__file__).resolve().parents[1]
RIGFIT = str(Path(sys.executable).parent / "rigfit")
PAIRS = 50


def best_of(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def reference_seconds() -> float:
    a = np.random.default_rng(0).random((512, 512))
    return best_of(lambda: a @ a, 20)


def full_report_warm() -> float:
    """Median over PAIRS distinct pairs of a full report (upgrades and alternatives included), after a server's
    start-up (its shared default matrices computed) and one first report."""
    from rigfit.catalog.catalog import get_catalog
    from rigfit.estimate.report import warm_shared
    from rigfit.query import Query, report, resolve

    catalog = get_catalog()
    rng = np.random.default_rng(1)
    models = rng.choice(len(catalog.models), PAIRS + 1, replace=False)
    devices = [h for h in catalog.hardware if h.kind != "cpu"]
    hw = rng.choice(len(devices), PAIRS + 1, replace=True)
    reqs = [resolve(Query(catalog.models[m].name, devices[h].name)) for m, h in zip(models, hw)]
    warm_shared(catalog, reqs[0])
    report(reqs[0])
    times = []
    for req in reqs[1:]:
        t = time.perf_counter()
        report(req)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def check_process() -> float:
    """Wall time of a whole `rigfit check` process (median of 5), bytecode cached as after `pip install` (which
    compiles every module): an environment with PYTHONDONTWRITEBYTECODE set would otherwise time the compiler
    (~60 ms for rigfit's own modules on every run)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def run() -> None:
        subprocess.run([RIGFIT, "check", "Kimi Linear 48B A3B", "RTX 3090", "--json"], check=True,
                       stdout=subprocess.DEVNULL, env=env)
    run()  # writes the bytecode cache
    return statistics.median(best_of(run, 1) for _ in range(5))


def matrix_one() -> float:
    """The whole catalog at Q4_K_M × chat, computed afresh (best of 5)."""
    from rigfit.catalog.catalog import get_catalog
    from rigfit.estimate.matrix import Settings, compute
    from rigfit.estimate.tables import hardware_table, model_table

    c = get_catalog()
    host = c.hardware_index.find("Desktop DDR5-5600 dual channel 64GB")
    mt, ht = model_table(c.models), hardware_table(c.hardware)
    s = Settings(c.quant("Q4_K_M"), c.workload("chat"), c.mode("balanced"), host=host)
    return best_of(lambda: compute(mt, ht, s, c.family_vendors["gguf"]), 5)


def matrix_all() -> float:
    """The whole catalog at the 15 table quants × 5 workloads, in a fresh process (nothing cached)."""
    code = (
        "import time\n"
        "from rigfit.catalog.catalog import get_catalog\n"
        "from rigfit.estimate.matrix import Settings, compute\n"
        "from rigfit.estimate.report import TABLE_QUANTS\n"
        "from rigfit.estimate.tables import hardware_table, model_table\n"
        "c = get_catalog(); host = c.hardware_index.find('Desktop DDR5-5600 dual channel 64GB')\n"
        "t = time.perf_counter()\n"
        "mt, ht = model_table(c.models), hardware_table(c.hardware)\n"
        "for q in TABLE_QUANTS:\n"
        "    for w in c.workloads:\n"
        "        compute(mt, ht, Settings(c.quant(q), w, c.mode('balanced'), host=host), c.family_vendors[c.quant(q).family])\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def first_visits() -> dict[str, float]:
    """Model page, hardware page and a pair page, each the first request of its kind after start-up (the server's
    start-up computes the shared default matrices), in a fresh process."""
    code = (
        "import time\n"
        "from fastapi.testclient import TestClient\n"
        "from rigfit.web.app import create_app\n"
        "client = TestClient(create_app()).__enter__()  # start-up (lifespan) runs, as under a real server\n"
        "out = []\n"
        "for path in ('/models/kimi-linear-48b-a3b', '/hardware/rtx-3090', '/can-run/llama-3-1-8b-on-rtx-4090',\n"
        "             '/can-run/qwen3-30b-a3b-on-rtx-3060-12gb'):\n"
        "    t = time.perf_counter(); r = client.get(path); out.append(time.perf_counter() - t)\n"
        "    assert r.status_code == 200, (path, r.status_code)\n"
        "print(*out)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    model, hardware, pair_first, pair_next = (float(x) for x in out.split())
    return {"model page, first visit": model, "hardware page, first visit": hardware,
            "pair page, first pair": pair_first, "pair page, next pair": pair_next}


MIX_REQUESTS = 800


def load_mix_in_process() -> float:
    """Mean server time of one request of `benchmarks/load.py`'s mixed workload (distinct pair pages, API calls,
    model/hardware and index pages), the public app called directly over ASGI after its start-up: what the server
    spends per request without a client or network. At 200 req/s two workers on two cores, the load generator beside
    them, stay under 60 % busy (queues short, p99 well inside 200 ms) while this is at most 6 ms."""
    out = subprocess.run([sys.executable, __file__, "--mix"], check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def _serve_mix() -> None:
    import asyncio

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from load import workload

    from rigfit.web.app import create_app
    from rigfit.web.serving import ServeConfig

    app = create_app(ServeConfig(public=True))

    async def call(path: str) -> int:
        p, _, q = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": p, "raw_path": p.encode(), "query_string": q.encode(),
                 "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
                 "root_path": ""}
        sent: list[dict] = []
        body = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict:
            if body:
                return body.pop()
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"]

    async def main() -> float:
        started: list[dict] = []
        queue: asyncio.Queue = asyncio.Queue()
        await queue.put({"type": "lifespan.startup"})

        async def lifespan_send(message: dict) -> None:
            started.append(message)

        life = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, queue.get,
                                       lifespan_send))
        while not started:
            await asyncio.sleep(0.01)
        paths = workload(MIX_REQUESTS, seed=11)
        t = time.perf_counter()
        for path in paths:
            status = await call(path)
            assert status < 500, (path, status)
        seconds = (time.perf_counter() - t) / len(paths)
        life.cancel()
        return seconds

    print(asyncio.run(main()))


def export_all() -> float:
    """`rigfit export` of the whole catalog (every model on every device) into a temporary folder, 2 processes."""
    import shutil
    import tempfile

    out = Path(tempfile.mkdtemp()) / "site"
    t = time.perf_counter()
    subprocess.run([RIGFIT, "export", str(out), "--jobs", "2"], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    shutil.rmtree(out.parent)
    return seconds


def main() -> None:
    ref = reference_seconds()
    rows: list[tuple[str, float, float]] = [
        ("full pair report, warm (median of 50 pairs)", full_report_warm(), 0.005),
        ("`rigfit check` process wall time", check_process(), 0.5),
        ("whole matrix, Q4_K_M × chat", matrix_one(), 0.05),
        (f"whole matrix, {len(TABLE_QUANTS)} quants × 5 workloads", matrix_all(), 1.0),
    ]
    rows.append((f"load mix, one request served in process (mean of {MIX_REQUESTS})", load_mix_in_process(), 0.006))
    visits = first_visits()
    rows += [(k, v, 0.05 if "first visit" in k else 0.01) for k, v in visits.items()]
    if "--export" in sys.argv:  # minutes, and about 2 GB of files: on request
        rows.append(("static export, whole catalog (2 processes)", export_all(), 300.0))
    print(f"reference: 512×512 float64 matmul, best of 20 = {ref * 1e3:.2f} ms\n")
    print(f"| {'measure':<46} | {'time':>10} | {'× reference':>11} | {'target':>8} | met |")
    print(f"|{'-' * 48}|{'-' * 12}|{'-' * 13}|{'-' * 10}|-----|")
    for name, seconds, target in rows:
        print(f"| {name:<46} | {seconds * 1e3:>7.1f} ms | {seconds / ref:>11.1f} | {target * 1e3:>5.0f} ms | "
              f"{'yes' if seconds <= target else 'NO':>3} |")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    if "--mix" in sys.argv:
        _serve_mix()
    else:
        main()
