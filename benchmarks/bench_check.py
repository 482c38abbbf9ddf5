"""Time a full `rigfit check` report (all quant rows, workloads, upgrades over the hardware catalog, alternatives).

    .venv/bin/python benchmarks/bench_check.py

Target: a full report in under 3 s on the 2-core CI machine after catalogs are loaded; catalog load under 1 s.
"""

from __future__ import annotations

import time

from rigfit.catalog import load_hardware, load_models, load_quants
from rigfit.query import Query, run_query

PAIRS = [("Kimi Linear 48B A3B", "RTX 3090"), ("Llama 3.1 8B", "RTX 4090"), ("DeepSeek R1", "Apple M3 Ultra 80-core GPU 512GB"),
         ("Qwen3 30B A3B", "RTX 3060 12GB")]


def main() -> None:
    t0 = time.perf_counter()
    load_models(), load_hardware(), load_quants()
    print(f"catalog load: {time.perf_counter() - t0:.2f} s")
    for model, hw in PAIRS:
        t0 = time.perf_counter()
        try:
            run_query(Query(model, hw))
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
            print(f"{model} on {hw}: {exc}")
            continue
        print(f"{model} on {hw}: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
