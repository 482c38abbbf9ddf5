"""Write a catalog hardware entry from a spec-table row, through the same code rigfit uses to load catalog hardware
(rigfit.catalog.loader.hardware_from_entry -> rigfit.model.Hardware), and check it before printing the YAML.

    python scripts/add_hardware.py --name "RTX 4090" --vendor nvidia --kind gpu --memory-gib 24 \\
        --bus-width-bits 384 --data-rate-gbps 21 --tensor ada 512 2520 --msrp-usd 1599 --alias "GeForce RTX 4090" \\
        --specs-source "https://www.nvidia.com/... (24GB GDDR6X, 384-bit, 21 Gbps)" \\
        --msrp-source "https://nvidianews.nvidia.com/... ($1,599)" [--set architecture=Ada --set year=2022 ...]
    python scripts/add_hardware.py --json row.json        # one object (or a list) with the YAML field names
    python scripts/add_hardware.py --csv rows.csv         # header row with the YAML field names; aliases ";"-separated

A row uses the YAML field names (docs/catalog-schema.md) plus these inputs:
  bus_width_bits + data_rate_gbps   bandwidth_gbs = bus x rate / 8; a bandwidth_gbs given as well must agree
                                    within BANDWIDTH_TOLERANCE (a published figure rounded from the same bus x rate)
  tensor_arch, tensor_cores, boost_mhz [, workstation]
                                    NVIDIA tensor TFLOPS through scripts/derive_tensor_tflops.py
  gpu_cores with vendor apple       Apple GPU FP16 TFLOPS through scripts/derive_apple_tflops.py (chip = "M4 Pro" ...)
  specs_source, compute_source, msrp_source   (or a `sources` mapping) -- one source per field group

It refuses, with one line on stderr and exit status 2: bandwidth that disagrees with bus x rate, no bandwidth at
all, a figure without its source (memory/bandwidth, TFLOPS, price), and a name or alias that normalizes to a name or
alias of an entry already in the catalog. It prints the YAML to paste under a data/hardware/*.yaml file's
"hardware:" (or appends it with --append).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any, Iterable

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the derivation scripts beside this one

import derive_apple_tflops  # noqa: E402
import derive_tensor_tflops  # noqa: E402

from rigfit.catalog.loader import hardware_from_entry, load_hardware  # noqa: E402
from rigfit.catalog.resolve import normalize  # noqa: E402
from rigfit.model import Hardware  # noqa: E402

# Published bandwidth vs bus x rate / 8: vendors round the per-pin rate (RTX 3090: 19.5 Gbps x 384 / 8 = 936.0,
# page says 936.2 GB/s); the catalog lint test allows the same 0.5%.
BANDWIDTH_TOLERANCE = 0.005
# A given TFLOPS figure vs the derivation from its tensor cores and clock: the derivation rounds to 0.1 TFLOPS.
TFLOPS_TOLERANCE = 0.01
FIELD_ORDER = ("name", "aliases", "vendor", "kind", "architecture", "arch_key", "chip", "year", "form_factor",
               "memory_gib", "memory_type", "bandwidth_gbs", "bus_width_bits", "data_rate_gbps", "fp16_tflops",
               "bf16_tflops", "fp8_tflops", "fp4_tflops", "unified", "msrp_usd", "gpu_cores", "cpu_cores", "sources",
               "notes", "verified")
INT_FIELDS = ("year", "bus_width_bits", "gpu_cores", "cpu_cores", "tensor_cores")
FLOAT_FIELDS = ("memory_gib", "bandwidth_gbs", "data_rate_gbps", "fp16_tflops", "bf16_tflops", "fp8_tflops",
                "fp4_tflops", "msrp_usd", "boost_mhz")
BOOL_FIELDS = ("unified", "verified", "workstation")
INPUT_ONLY = ("tensor_arch", "tensor_cores", "boost_mhz", "workstation", "specs_source", "compute_source",
              "msrp_source")


class RowError(ValueError):
    """The row cannot become a catalog entry; the message is the one line shown to the user."""


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """Strings from a CSV cell or a --set option to the types the YAML holds; empty cells dropped."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if v is None or v == "":
            continue
        if isinstance(v, str):
            if k in INT_FIELDS:
                v = int(float(v))
            elif k in FLOAT_FIELDS:
                v = float(v)
            elif k in BOOL_FIELDS:
                v = v.strip().lower() in ("1", "true", "yes")
            elif k == "aliases":
                v = [a.strip() for a in v.split(";") if a.strip()]
        out[k] = v
    return out


def _number(v: float) -> float | int:
    return int(v) if float(v).is_integer() else round(float(v), 3)


def _bandwidth(row: dict[str, Any]) -> float:
    bus, rate, given = row.get("bus_width_bits"), row.get("data_rate_gbps"), row.get("bandwidth_gbs")
    if bus and rate:
        derived = bus * rate / 8
        if given is not None and abs(given / derived - 1) > BANDWIDTH_TOLERANCE:
            raise RowError(f"{row['name']}: bandwidth_gbs {given} != bus_width_bits {bus} x data_rate_gbps {rate} / 8 "
                           f"= {derived:g} GB/s")
        return float(given) if given is not None else _number(derived)
    if given is None:
        raise RowError(f"{row['name']}: no bandwidth: give bus_width_bits and data_rate_gbps, or bandwidth_gbs")
    return float(given)


def _check_tflops(row: dict[str, Any], key: str, derived: float | None, how: str) -> None:
    given = row.get(key)
    if given is not None and derived is not None and abs(given / derived - 1) > TFLOPS_TOLERANCE:
        raise RowError(f"{row['name']}: {key} {given} disagrees with {how} = {derived}")


def _compute(row: dict[str, Any], sources: dict[str, str]) -> None:
    """Fill TFLOPS from the derivation inputs (NVIDIA tensor cores x clock, Apple GPU cores x clock) when given."""
    if row.get("tensor_arch"):
        arch, tc, mhz = row["tensor_arch"], int(row["tensor_cores"]), float(row["boost_mhz"])
        ws = bool(row.get("workstation"))
        d = derive_tensor_tflops.derive(arch, tc, mhz, ws)
        how = f"scripts/derive_tensor_tflops.py {arch} {tc} {mhz:g}{' --workstation' if ws else ''}"
        for kind in ("fp16", "bf16", "fp8", "fp4"):
            _check_tflops(row, f"{kind}_tflops", d[kind], how)
            row.setdefault(f"{kind}_tflops", d[kind])
        inputs = sources.get("compute") or sources.get("specs", "")
        sources["compute"] = (f"derivation: {how}: {tc} tensor cores x {mhz:g} MHz x "
                              f"{derive_tensor_tflops.FP16_FLOP_PER_TC_CLK[arch]} FLOP/clk = {d['fp16']} TFLOPS "
                              f"dense FP16; tensor cores and clock: {inputs}")
    elif row.get("vendor") == "apple" and row.get("gpu_cores") and row.get("chip") in derive_apple_tflops.CLOCK_GHZ:
        d = derive_apple_tflops.derive(row["chip"], int(row["gpu_cores"]))
        _check_tflops(row, "fp16_tflops", d, f"scripts/derive_apple_tflops.py {row['chip']!r} {row['gpu_cores']}")
        if row.get("fp16_tflops") is None:
            row["fp16_tflops"] = d
            sources["compute"] = derive_apple_tflops.source_text(row["chip"], int(row["gpu_cores"])).replace('"', "'")


def _sources(row: dict[str, Any]) -> dict[str, str]:
    sources = {str(k): str(v) for k, v in (row.get("sources") or {}).items()}
    for key in ("specs", "compute", "msrp"):
        if row.get(f"{key}_source"):
            sources[key] = str(row[f"{key}_source"])
    return sources


def _require_sources(row: dict[str, Any], sources: dict[str, str]) -> None:
    if not sources.get("specs"):
        raise RowError(f"{row['name']}: memory and bandwidth need a source (specs_source)")
    if (row.get("fp16_tflops") or row.get("bf16_tflops")) and not sources.get("compute"):
        raise RowError(f"{row['name']}: TFLOPS need a source (compute_source) or derivation inputs")
    if row.get("msrp_usd") and not sources.get("msrp"):
        raise RowError(f"{row['name']}: a price needs a source (msrp_source)")


def clashes(entry: dict[str, Any], existing: Iterable[Hardware]) -> list[str]:
    """'alias' -> 'catalog entry' for each name or alias of the entry that another entry already answers to."""
    owner = {normalize(n): hw.name for hw in existing for n in (hw.name, *hw.aliases)}
    return [f"{n!r} is already {owner[normalize(n)]!r}" for n in (entry["name"], *entry.get("aliases", ()))
            if normalize(n) in owner]


def build_entry(row: dict[str, Any], existing: Iterable[Hardware] | None = None) -> dict[str, Any]:
    """The catalog entry (a plain dict in catalog-schema order) for one spec row; raises RowError.

    `existing`: the entries the new one must not clash with (the catalog, for a new device)."""
    row = _typed(dict(row))
    for key in ("name", "vendor", "kind", "memory_gib"):
        if row.get(key) in (None, ""):
            raise RowError(f"{row.get('name', '?')}: missing {key}")
    sources = _sources(row)
    row["bandwidth_gbs"] = _bandwidth(row)
    _compute(row, sources)
    _require_sources(row, sources)
    row["sources"] = sources
    if not row.get("aliases"):
        row.pop("aliases", None)
    entry = {k: (_number(row[k]) if k in FLOAT_FIELDS and row[k] is not None else row[k]) for k in FIELD_ORDER
             if k in row}
    entry |= {k: v for k, v in row.items() if k not in FIELD_ORDER and k not in INPUT_ONLY}
    if existing is not None and (found := clashes(entry, existing)):
        raise RowError(f"{entry['name']}: name clash: {'; '.join(found)}")
    try:
        hardware_from_entry(entry)  # the loader must accept it: the same code that reads the shipped catalog
    except (KeyError, TypeError, ValueError) as exc:
        raise RowError(f"{entry['name']}: {exc}") from exc
    return entry


def to_yaml(entry: dict[str, Any]) -> str:
    text = yaml.safe_dump([entry], sort_keys=False, width=120, allow_unicode=True)
    return "".join("  " + line + "\n" for line in text.splitlines())  # indented to sit under a file's "hardware:"


def _rows(a: argparse.Namespace) -> list[dict[str, Any]]:
    if a.json:
        text = Path(a.json).read_text() if Path(a.json).exists() else a.json
        data = json.loads(text)
        return data if isinstance(data, list) else [data]
    if a.csv:
        with Path(a.csv).open(newline="") as f:
            return list(csv.DictReader(f))
    row: dict[str, Any] = {k: getattr(a, k) for k in (
        "name", "vendor", "kind", "memory_gib", "bandwidth_gbs", "bus_width_bits", "data_rate_gbps", "fp16_tflops",
        "bf16_tflops", "msrp_usd", "gpu_cores", "chip", "specs_source", "compute_source", "msrp_source")}
    row["aliases"] = a.alias or []
    if a.tensor:
        row["tensor_arch"], row["tensor_cores"], row["boost_mhz"] = a.tensor
        row["workstation"] = a.workstation
    for kv in a.set or []:
        k, _, v = kv.partition("=")
        row[k] = v
    return [row]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--json", help="a JSON file or string: one row object or a list of them")
    src.add_argument("--csv", help="a CSV file with a header row of field names")
    ap.add_argument("--name")
    ap.add_argument("--vendor", choices=("nvidia", "amd", "intel", "apple", "cpu", "qualcomm"))
    ap.add_argument("--kind", choices=("gpu", "apple", "apu", "cpu"))
    ap.add_argument("--memory-gib")
    ap.add_argument("--bandwidth-gbs")
    ap.add_argument("--bus-width-bits")
    ap.add_argument("--data-rate-gbps")
    ap.add_argument("--fp16-tflops")
    ap.add_argument("--bf16-tflops")
    ap.add_argument("--tensor", nargs=3, metavar=("ARCH", "TENSOR_CORES", "BOOST_MHZ"),
                    help="NVIDIA tensor TFLOPS via scripts/derive_tensor_tflops.py")
    ap.add_argument("--workstation", action="store_true", help="with --tensor: full-rate FP32 accumulate")
    ap.add_argument("--chip", help="Apple chip ('M4 Pro'): with --gpu-cores, FP16 via scripts/derive_apple_tflops.py")
    ap.add_argument("--gpu-cores")
    ap.add_argument("--msrp-usd")
    ap.add_argument("--alias", action="append")
    ap.add_argument("--specs-source")
    ap.add_argument("--compute-source")
    ap.add_argument("--msrp-source")
    ap.add_argument("--set", action="append", metavar="FIELD=VALUE", help="any other YAML field (year, memory_type...)")
    ap.add_argument("--append", type=Path, help="append the entries to this data/hardware/*.yaml file")
    a = ap.parse_args(argv)
    existing = list(load_hardware())
    texts = []
    try:
        for row in _rows(a):
            entry = build_entry(row, existing)
            existing.append(hardware_from_entry(entry))  # rows of one table must not clash with each other either
            texts.append(to_yaml(entry))
    except (RowError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if a.append:
        with a.append.open("a") as f:
            f.write("".join("\n" + t for t in texts))
        print(f"appended {len(texts)} entries to {a.append}")
    else:
        sys.stdout.write("\n".join(texts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
