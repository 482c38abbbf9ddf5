"""Build catalog/data/measurements.yaml: measured llama-bench speeds for exact settings, resolved to catalog names.

    .venv/bin/python scripts/build_measurements.py ../shared/benchmarks/speed.csv

Keeps single-device, all-on-device runs of tg128/tg512 (decode) and pp512 (prefill) from an empty cache, averaged
over repeats of the same setting; each entry keeps its source. The pages label a number "measured" when the
estimate's model, quant, hardware and backend match an entry.
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from rigfit.catalog import NotFound, find_hardware, find_model, find_quant
from rigfit.catalog.loader import data_dir
from rigfit.validate import backend_of

TESTS = {"tg128": "decode", "tg512": "decode", "pp512": "prefill"}


def main() -> None:
    src = Path(sys.argv[1])
    groups: dict[tuple, list[tuple[float, str]]] = defaultdict(list)
    for row in csv.DictReader(src.open(encoding="utf-8")):
        test = row["test"].strip()
        if test not in TESTS or row.get("offload") or row.get("host") or int(row.get("n_devices") or 1) != 1:
            continue
        if "RPC" in row["backend"]:
            continue
        try:
            model, quant, hw = find_model(row["model"]), find_quant(row["quant"]), find_hardware(row["hardware"])
        except (NotFound, ValueError):
            continue
        ngl = (row.get("ngl") or "").strip()
        if ngl.isdigit() and int(ngl) < model.num_layers and hw.kind != "apple":
            continue
        key = (model.name, quant.name, hw.name, backend_of(row["backend"]), TESTS[test], test)
        groups[key].append((float(row["tok_s"]), row["source"]))
    out = []
    for (model, quant, hw, backend, kind, test), vals in sorted(groups.items()):
        out.append({"model": model, "quant": quant, "hardware": hw, "backend": backend, "kind": kind, "test": test,
                    "tok_s": round(statistics.median(v for v, _ in vals), 2), "runs": len(vals),
                    "source": sorted({s for _, s in vals})[0]})
    header = ("# Measured llama-bench speeds for exact settings (median over runs), built by scripts/build_measurements.py\n"
              "# from ../shared/benchmarks/speed.csv; each entry names the public source it was transcribed from.\n")
    (data_dir() / "measurements.yaml").write_text(header + yaml.safe_dump({"measurements": out}, sort_keys=False, width=200),
                                                   encoding="utf-8")
    print(f"{len(out)} measurements", file=sys.stderr)


if __name__ == "__main__":
    main()
