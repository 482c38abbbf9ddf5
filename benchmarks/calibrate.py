"""Refit the runtime efficiency constants from measured llama-bench rows and write catalog/data/efficiency.yaml.

    .venv/bin/python benchmarks/calibrate.py ../shared/benchmarks/speed.csv [--data benchmarks/data] [--dry-run]

Rows: the shared llama-bench rows plus, for decode, the llama.cpp rows of benchmarks/data/*.csv on the calibration
side of calibrate_runtimes' crc32 split (current builds next to the shared file's 2023-2024 ones; the held-out third
is never read). Then run calibrate_runtimes.py, which re-adds the Apple and LLAMA_CPP_GENERATIONS keys.

Physics kept fixed; only efficiencies are fitted, per backend:
- decode: 1/tps = a · bytes_read/peak_bw + c · n_layers over rows that run fully on the device, as a least
  absolute relative error fit (IRLS); decode_bw = 1/a (clamped to (0, 1]), layer_us = c. A generation whose rows
  are all one model depth keeps the backend's decode_bw and fits layer_us alone.
- prefill: prefill_mfu = median over dense-model rows of FLOPs / (peak × t_measured) for prompts up to 4K tokens,
  moe_prefill = the same median over MoE rows divided by the dense one.
Rows with host offload, multiple devices or RPC are left to validation (they test the offload and split models).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import re
import statistics
import sys
from pathlib import Path

import numpy as np
import yaml

from rigfit.catalog import NotFound, find_hardware, find_model
from rigfit.catalog.loader import data_dir
from rigfit.estimate.fit import placement_for
from rigfit.estimate.fit import CPU_ONLY
from rigfit.estimate.speed import (
    constants_backend,
    Efficiency,
    attention_flops,
    decode_step,
    efficiency,
    efficiency_key,
    dequant_factor,
    flops_per_token,
    matrix_tflops,
    noflash_decode,
    prefill_memory_seconds,
    stream_bandwidth,
)
from rigfit.model.scenario import Scenario
from rigfit.validate import LLAMA_CPP_KEYS, TEST, backend_of, row_quant, run_settings

MIN_ROWS = 3
DATA = Path(__file__).parent / "data"
IRLS_ITERATIONS = 50  # reweighting rounds of the absolute-error decode fit (as calibrate_runtimes' Apple fit)


def rows_for_fit(path: Path):
    for row in csv.DictReader(path.open(encoding="utf-8")):
        yield from _usable(row)


def data_rows_for_fit(data: Path):
    """The llama.cpp rows of benchmarks/data/*.csv on the calibration side of calibrate_runtimes' split
    (crc32(source|model|hardware) % 3 != 0), with the file they come from: current builds (the scoreboard, DGX Spark,
    the RTX 4090 controls, llama.cpp#4167) next to the shared rows' 2023-2024 ones. The held-out third is never read."""
    from calibrate_runtimes import held_out

    for path in sorted(data.glob("*.csv")):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            row = {k: (v or "").strip() for k, v in row.items() if k}
            if held_out(row) or (row.get("batch") or "1") != "1" or row.get("metric"):
                continue
            try:
                if backend_of(row["backend"]) not in {name for _, name in LLAMA_CPP_KEYS}:
                    continue
            except ValueError:
                continue
            for fit_row in _usable(row):
                yield (*fit_row, path.name)


def _usable(row: dict[str, str]):
    """(row, test match, arch, quant, hardware, backend) of a single-device, fully offloaded llama-bench row."""
    if row.get("offload") or row.get("host") or int(row.get("n_devices") or 1) != 1 or "RPC" in row["backend"]:
        return
    m = TEST.match(row["test"].strip())
    if not m:
        return
    try:
        arch, hw = find_model(row["model"]), find_hardware(row["hardware"])
        quant = row_quant(row, arch)
    except NotFound:
        return
    ngl = (row.get("ngl") or "").strip()
    if ngl.isdigit() and int(ngl) < arch.num_layers and backend_of(row["backend"]) != "CPU":
        return
    yield row, m, arch, quant, hw, backend_of(row["backend"])


def _fit_decode(rows: list[tuple], absolute: bool = False) -> tuple[float, float, float, float]:
    """Fit 1/tps = a·raw_bytes_time + c·layers + g·raw_attention_time + h·raw_noflash_attention_time in relative
    error, every term non-negative and a >= 1 (bandwidth efficiency <= 1), g, h >= 1 (attention efficiencies <= 1).
    Rows are (raw, layers, attention, seconds) or (raw, layers, attention, noflash attention, seconds): the attention
    of a row run without flash attention is its own column (speed.noflash_decode: another kernel path, whose cache
    reads are attention work). Terms that come out negative are dropped (their constant keeps its default) and the
    rest refit. Where the no-flash column cannot stand on its own (too few deep rows, or negative), its rows join the
    flash column and h is 0: the prediction then uses attn_eff for both (speed.decode_attention_efficiency), as here."""
    rows = [r if len(r) == 5 else (r[0], r[1], r[2], 0.0, r[3]) for r in rows]
    a, c, g, h = _fit_decode_columns(rows, absolute)
    if h == 0.0 and any(r[3] > 0 for r in rows):
        a, c, g, _ = _fit_decode_columns([(r, layers, at + an, 0.0, t) for r, layers, at, an, t in rows], absolute)
    return a, c, g, h


def _fit_decode_columns(rows: list[tuple[float, float, float, float, float]], absolute: bool
                        ) -> tuple[float, float, float, float]:
    """_fit_decode's fit over the columns (raw, layers, attention, noflash attention): least squared relative error,
    or with `absolute` (benchmarks/calibrate.py's llama.cpp fit) least absolute relative error by iteratively
    reweighted least squares. Absolute rather than squared error (calibrate_runtimes'
    _fit_bandwidth_and_layer does the same for the Apple rows): a generation's rows come from builds two years apart
    (the shared rows' May 2024 CUDA builds run 14-16 % slower than the scoreboard's current ones on the same cards),
    and a squared-error fit lets the rows of one build cluster pull the constants off every other build."""
    # an attention term is identifiable only from rows deep enough for it to matter (> 3 % of the step)
    active0 = [0, 1] + [j for j in (2, 3) if sum(1 for r in rows if r[j] / r[4] > 0.03 * 0.01) >= MIN_ROWS]
    x = np.array([[r / t, layers / t, at / t, an / t] for r, layers, at, an, t in rows])
    w = np.ones(len(rows))
    for _ in range(IRLS_ITERATIONS if absolute else 1):
        active = list(active0)
        coef = np.zeros(4)
        while active:
            sol, *_ = np.linalg.lstsq(x[:, active] * w[:, None], w, rcond=None)
            if (sol >= 0).all():
                coef[active] = sol
                break
            active.pop(int(np.argmin(sol)))
        # weights 1/sqrt(|residual|) make the squared loss an absolute one (1 % floor against division by zero)
        w = 1.0 / np.sqrt(np.maximum(np.abs(x @ coef - 1.0), 0.01))
    a, c, g, h = (float(v) for v in coef)
    if a < 1.0:  # faster than peak bandwidth is unphysical: pin a at 1 and put the rest in the fixed cost
        a = 1.0
        c = max(0.0, float(np.median([(t - r - g * at - h * an) / layers for r, layers, at, an, t in rows])))
    return a, c, g, h


def fit(path: Path, data: Path | None = DATA) -> dict[str, dict[str, float]]:
    decode: dict[str, list[tuple[float, float, float]]] = {}
    prefill: dict[str, list[tuple[float, float, float, bool]]] = {}
    shared = ((*r, "shared") for r in rows_for_fit(path))
    for row, m, arch, quant, hw, backend, source in itertools.chain(shared, data_rows_for_fit(data) if data else ()):
        kind, n, depth = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        tps = float(row["tok_s"])
        cpu = backend == "CPU" or hw.kind == "cpu"
        ubatch, flash = run_settings(row)
        s = Scenario(quant=quant, context=max(512, depth + n), ubatch=ubatch, flash_attention=flash is not False)
        p = placement_for(arch, hw, s, arch.num_layers + 1, 0, cpu_only=cpu)
        if constants_backend(backend, efficiency_key(hw)) != backend:
            continue  # Vulkan on NVIDIA runs on the CUDA constants (speed.constants_backend): its rows check them
        keys = (backend, f"{backend}/{efficiency_key(hw)}")
        if kind == "tg":
            step = decode_step(arch, hw, s, p, depth + n // 2, backend)
            raw = step.device_bytes / stream_bandwidth(hw)  # seconds at 100 % of peak bandwidth (one NUMA node)
            if tps * raw > 1.1:  # faster than the memory can deliver the weights: a broken row, not physics
                print(f"skipped (above the bandwidth roofline): {row['hardware']} {row['model']} {row['test']} "
                      f"{tps} tok/s", file=sys.stderr)
                continue
            peak = (hw.fp16_tflops if cpu else hw.matrix_tflops) or 0.5
            attn = attention_flops(arch, depth + n // 2, decode=True) / (peak * 1e12)  # seconds at 100 % of peak
            noflash = noflash_decode(s, p.strategy == CPU_ONLY)  # its attention is a column of its own
            for k in keys:
                decode.setdefault(k, []).append((raw, float(arch.num_layers), 0.0 if noflash else attn,
                                                 attn if noflash else 0.0, 1.0 / tps))
        elif source == "shared":  # prefill: the shared rows only (the benchmarks/data rows fit decode, above)
            peak = ((hw.fp16_tflops if cpu else matrix_tflops(hw, quant)) or 0.5) * 1e12
            linear = n * (flops_per_token(arch, 0) - attention_flops(arch, 0)) / peak  # seconds at 100 % of peak
            attn = n * attention_flops(arch, depth + n / 2) / peak
            quantized = dequant_factor(_UNIT_DEQUANT, quant) != 1.0
            # the score-matrix traffic of a run without flash attention is memory time, not FLOPs: taken off first
            t = n / tps - prefill_memory_seconds(arch, hw, s, p, n, depth, efficiency(backend, efficiency_key(hw)))
            if t <= 0:
                continue
            for k in keys:
                prefill.setdefault(k, []).append((linear, attn, t, arch.is_moe, quantized))
    # Per architecture generation first; the backend-wide constants (used for generations with no measurements)
    # are the median over generations, so one heavily measured chip does not stand in for all.
    dequant = {b: _fit_dequant([rows for k, rows in prefill.items() if k.startswith(b + "/")])
               for b in prefill if "/" not in b}
    for b, dq in sorted(dequant.items()):
        print(f"{b:16s} dequant_prefill -> {dq}", file=sys.stderr)
    # a generation whose decode rows are all one model depth (the scoreboard's Llama 2 7B on a generation the shared
    # rows lack) cannot split the bandwidth term from the per-layer cost: it gets the backend's bandwidth efficiency
    # and its own per-layer cost only (below), and takes no part in the backend-wide medians of those two
    one_depth = {k for k, rows in decode.items() if "/" in k and len({r[1] for r in rows}) < 2}
    per_arch: dict[str, dict[str, float]] = {}
    for key in sorted(k for k in set(decode) | set(prefill) if "/" in k):
        backend = key.split("/")[0]
        defaults = {**efficiency(backend).__dict__, "dequant_prefill": dequant.get(backend, 1.0)}
        drows = [] if key in one_depth else decode.get(key, [])
        vals = _fit_group(drows, prefill.get(key, []), defaults, absolute=True)
        if vals:
            per_arch[key] = vals
    out: dict[str, dict[str, float]] = {}
    for backend in sorted({k.split("/")[0] for k in per_arch} | {k for k in decode if "/" not in k}):
        archs = [v for k, v in per_arch.items() if k.split("/")[0] == backend]
        base = {**efficiency(backend).__dict__, "dequant_prefill": dequant.get(backend, 1.0)}
        if archs:
            for field in base:
                measured = [a[field] for a in archs if a.get(field) is not None]
                # attention efficiency shows only in rows at depth: one generation's value is no backend default
                if measured and (field not in ("attn_eff", "prefill_attn_eff", "noflash_attn_eff") or len(measured) >= 2):
                    base[field] = round(float(statistics.median(measured)), 4)
        out[backend] = base
    for key in sorted(one_depth):
        if len(decode[key]) >= MIN_ROWS:
            per_arch.setdefault(key, {})["layer_us"] = _layer_cost(decode[key], out[key.split("/")[0]])
    for key, vals in per_arch.items():
        merged = {**out[key.split("/")[0]], **vals}
        if merged != out[key.split("/")[0]]:
            out[key] = merged
    for key, vals in out.items():
        print(f"{key:16s} -> {vals}", file=sys.stderr)
    return out


def _layer_cost(rows: list[tuple], base: dict[str, float]) -> float:
    """Per-layer cost (µs) of decode rows of one model depth with the backend's bandwidth and attention efficiencies:
    the median of the per-layer residuals (the least-absolute-error fit of that one term)."""
    flash = base["attn_eff"]
    noflash = base.get("noflash_attn_eff") or flash
    residual = [(t - raw / base["decode_bw"] - at / flash - an / noflash) / layers for raw, layers, at, an, t in rows]
    return round(max(0.0, float(statistics.median(residual))) * 1e6, 1)


_UNIT_DEQUANT = Efficiency(decode_bw=1.0, layer_us=0.0, prefill_mfu=1.0, moe_prefill=1.0, dequant_prefill=0.5)


def _fit_dequant(groups: list[list[tuple]]) -> float:
    """Rate of quantized-weight linear layers relative to F16 ones on one backend. Within each generation (one
    list of prefill rows), the median rate FLOPs/(peak·t) of dense quantized rows over that of dense F16 rows, for
    prompts whose attention is under 10 % of the FLOPs; the backend's factor is the median over generations that
    have both kinds (a ratio of medians: one broken row cannot move it). 1.0 (no cost) without such generations."""
    ratios = []
    for rows in groups:
        light = [r for r in rows if not r[3] and r[1] < 0.1 * r[0]]
        q = [(lin + at) / t for lin, at, t, _, quant in light if quant]
        f = [(lin + at) / t for lin, at, t, _, quant in light if not quant]
        if len(q) >= MIN_ROWS and len(f) >= MIN_ROWS:
            ratios.append(statistics.median(q) / statistics.median(f))
    return round(float(min(1.0, statistics.median(ratios))), 3) if ratios else 1.0


def _fit_group(drows, prows, defaults, absolute: bool = False) -> dict[str, float]:
    """Constants one group of rows supports (only those with enough rows). Prefill rows are (linear, attention,
    seconds, is_moe[, quantized]); quantized linear work is scaled by 1/defaults["dequant_prefill"]."""
    new: dict[str, float] = {}
    dq = defaults.get("dequant_prefill") or 1.0
    prows = [(lin / (dq if len(r) > 4 and r[4] else 1.0), at, t, moe) for r in prows for lin, at, t, moe in [r[:4]]]
    if len(drows) >= MIN_ROWS:
        a, c, g, h = _fit_decode(drows, absolute)
        new["decode_bw"] = round(min(1.0, 1.0 / a), 3)
        new["layer_us"] = round(c * 1e6, 1)
        if g > 0:
            new["attn_eff"] = max(1e-4, round(min(1.0, 1.0 / g), 4))
        if h > 0:
            new["noflash_attn_eff"] = max(1e-4, round(min(1.0, 1.0 / h), 4))
    dense = [r for r in prows if not r[3]]
    if len(dense) >= MIN_ROWS:
        # t = linear/mfu + attn/attn_eff, least squares in relative error, both terms non-negative
        x = np.array([[lin / t, at / t] for lin, at, t, _ in dense])
        deep = sum(1 for lin, at, t, _ in dense if at > 0.05 * lin)
        if deep >= MIN_ROWS:
            sol, *_ = np.linalg.lstsq(x, np.ones(len(dense)), rcond=None)
        else:
            sol = np.array([-1.0, -1.0])
        if (sol > 0).all():
            new["prefill_mfu"] = round(float(min(1.0, 1.0 / sol[0])), 3)
            new["prefill_attn_eff"] = round(float(min(1.0, 1.0 / sol[1])), 4)
        else:
            new["prefill_mfu"] = round(float(min(1.0, statistics.median((lin + at) / t for lin, at, t, _ in dense))), 3)
    mfu = new.get("prefill_mfu", defaults["prefill_mfu"])
    attn_eff = new.get("prefill_attn_eff") or defaults.get("prefill_attn_eff") or mfu
    moe = [(lin, at, t) for lin, at, t, is_moe in prows if is_moe and t > at / attn_eff]
    if len(moe) >= MIN_ROWS and mfu > 0:
        new["moe_prefill"] = round(float(min(1.0, statistics.median((lin / mfu) / (t - at / attn_eff) for lin, at, t in moe))), 3)
    return new


def fit_device_hop_us(path: Path) -> float | None:
    """Per-token cost of each extra device in a llama.cpp layer split (activation copy + sync at each boundary):
    the median over multi-device decode rows of (measured step − predicted step without hops) / (devices − 1)."""
    from rigfit.estimate.speed import host_constants

    hops = []
    current = host_constants().device_hop_us * 1e-6
    for row in csv.DictReader(path.open(encoding="utf-8")):
        n = int(row.get("n_devices") or 1)
        m = TEST.match(row["test"].strip())
        if n < 2 or not m or m.group(1) != "tg" or row.get("offload") or row.get("host") or "RPC" in row["backend"]:
            continue
        try:
            arch = find_model(row["model"])
            quant = row_quant(row, arch)
            hw = find_hardware(row["hardware"]).with_count(n)
        except NotFound:
            continue
        size, depth = int(m.group(2)), int(m.group(3) or 0)
        s = Scenario(quant=quant, context=max(512, size + depth))
        p = placement_for(arch, hw, s, arch.num_layers + 1, 0)
        step = decode_step(arch, hw, s, p, depth + size // 2, backend_of(row["backend"]))
        hops.append((1.0 / float(row["tok_s"]) - (step.seconds - (n - 1) * current)) / (n - 1))
    return max(0.0, statistics.median(hops)) * 1e6 if len(hops) >= MIN_ROWS else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("--data", type=Path, default=DATA,
                    help="folder whose llama.cpp rows join the fit, calibration side only (default benchmarks/data)")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    fitted = fit(args.csv, args.data)
    path = data_dir() / "efficiency.yaml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["backends"] = {k: v for k, v in data["backends"].items() if "/" not in k}
    for key, values in fitted.items():
        data["backends"][key] = {k: v for k, v in values.items() if v is not None}
    header = text[: text.index("backends:")]
    body = yaml.safe_dump({"backends": data["backends"]}, sort_keys=False, default_flow_style=None, width=120)
    host = text[text.index("\nhost:") + 1:]
    hop = fit_device_hop_us(args.csv)
    if hop is not None:
        host = re.sub(r"device_hop_us: [0-9.]+", f"device_hop_us: {hop:.0f}", host)
        print(f"device_hop_us -> {hop:.0f}", file=sys.stderr)
    if args.dry_run:
        print(body)
        return
    path.write_text(header + body + host, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    write_uncertainty(args.csv, path)


def write_uncertainty(csv_path: Path, path: Path) -> None:
    """Second pass: replay every row with the new constants; the 10th/90th percentiles of the signed error give the
    'likely' range shown next to each estimate (measured = predicted / (1 + error))."""
    from rigfit.catalog.loader import load_data
    from rigfit.estimate import speed
    from rigfit.validate import validate_file

    load_data.cache_clear()
    speed._constants.cache_clear()
    results = validate_file(csv_path)
    text = path.read_text(encoding="utf-8")
    if "\nuncertainty:" in text:
        text = text[: text.index("\nuncertainty:")] + "\n"
    lines = ["uncertainty:  # signed error quantiles (predicted/measured - 1) of benchmarks/calibrate.py's replay"]
    for kind in ("decode", "prefill"):
        errs = sorted(r.pct_error / 100 for r in results if r.kind == kind and r.pct_error is not None)
        if len(errs) < 10:
            continue
        q = lambda f: errs[min(len(errs) - 1, int(round(f * (len(errs) - 1))))]  # noqa: E731
        lines.append(f"  {kind}: {{p10: {q(0.1):.3f}, p90: {q(0.9):.3f}, n: {len(errs)}}}")
    path.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    main()
