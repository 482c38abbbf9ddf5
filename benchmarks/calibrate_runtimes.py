"""Fit the efficiency constants of runtimes other than llama.cpp (MLX, vLLM, SGLang, ExLlama, TensorRT-LLM) and of the
Apple generations after M2 (Metal/apple_m3, m4, m5) on part of benchmarks/data/*.csv; report on the rest.

    .venv/bin/python benchmarks/calibrate_runtimes.py [--shared ../shared/benchmarks/speed.csv] [--dry-run]

Split: a row is held out when crc32("source|model|hardware") % 3 == 0, so every (source, model, hardware) group sits on
one side: all tests of one model on one machine from one report are either fitted or checked, never both.

Runtimes (key "MLX", "MLX/apple_m3", "vLLM/ampere_hbm", ...): the same fit as benchmarks/calibrate.py (1/tps =
bytes/(bw·decode_bw) + layers·layer_us + attention/attn_eff; prefill FLOPs/(peak·mfu)), on single-device, batch-1
decode-metric rows. Tensor-parallel rows are never fitted (they test the all-reduce model).

Metal generations: llama.cpp's Metal kernels are the same on every Apple GPU, so bandwidth and attention efficiency stay
the Metal ones and only the per-layer cost and the prefill MFU are refitted per generation (median of the rows'
residuals). A generation without calibration rows inherits the previous generation's constants, and no generation
gets a larger per-layer cost than the one before it (newer GPUs launch kernels no slower): M1 >= M2 >= M3 >= M4 >= M5.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import zlib
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from calibrate import _UNIT_DEQUANT, MIN_ROWS, _fit_group  # noqa: E402

from rigfit.catalog import NotFound, find_hardware, find_model, find_quant  # noqa: E402
from rigfit.catalog.loader import data_dir  # noqa: E402
from rigfit.estimate.fit import placement_for  # noqa: E402
from rigfit.estimate.speed import (  # noqa: E402
    attention_flops,
    decode_step,
    dequant_factor,
    efficiency,
    efficiency_key,
    flops_per_token,
    matrix_tflops,
    prefill_memory_seconds,
)
from rigfit.model.scenario import Scenario  # noqa: E402
from rigfit.validate import ENGINE_KEY, engine_backend, parse_test, run_settings, runtime_of  # noqa: E402

DATA = Path(__file__).parent / "data"
APPLE_GENERATIONS = ("apple_m1", "apple_m2", "apple_m3", "apple_m4", "apple_m5")
FITTED_METAL = tuple(f"Metal/{g}" for g in APPLE_GENERATIONS[2:])
HOLD_OUT_MOD = 3


def held_out(row: dict[str, str]) -> bool:
    key = f"{row.get('source', '')}|{row.get('model', '')}|{row.get('hardware', '')}"
    return zlib.crc32(key.encode("utf-8")) % HOLD_OUT_MOD == 0


def data_rows(paths: list[Path]) -> list[tuple[Path, int, dict[str, str]]]:
    out = []
    for path in paths:
        with path.open(newline="", encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                out.append((path, i, {k: (v or "").strip() for k, v in row.items() if k}))
    return out


def _terms(row: dict[str, str]):
    """(kind, engine key, arch key, term tuple) of a row the fit can use, or None."""
    if int(row.get("n_devices") or 1) != 1 or (row.get("batch") or "1") != "1" or (row.get("metric") or "decode") != "decode":
        return None
    if row.get("offload") or row.get("host"):
        return None
    try:
        kind, n, depth = parse_test(row["test"])
        arch, quant, hw = find_model(row["model"]), find_quant(row["quant"]), find_hardware(row["hardware"])
        backend = engine_backend(runtime_of(row["backend"]), hw, quant)
    except (NotFound, ValueError, KeyError):
        return None
    tps = float(row["tok_s"])
    cpu = backend == "CPU" or hw.kind == "cpu"
    ubatch, flash = run_settings(row) if runtime_of(row["backend"]) not in ENGINE_KEY else (512, None)
    s = Scenario(quant=quant, context=max(512, depth + n), ubatch=ubatch, flash_attention=flash is not False)
    p = placement_for(arch, hw, s, arch.num_layers + 1, 0, cpu_only=cpu)
    if kind == "tg":
        step = decode_step(arch, hw, s, p, depth + n // 2, backend)
        raw = step.device_bytes / hw.bandwidth_bytes
        if tps * raw > 1.1:
            return None  # above the bandwidth roofline: not a measurement the physics can fit
        peak = (hw.fp16_tflops if cpu else hw.matrix_tflops) or 0.5
        attn = attention_flops(arch, depth + n // 2) / (peak * 1e12)
        return "decode", backend, efficiency_key(hw), (raw, float(arch.num_layers), attn, 1.0 / tps)
    peak = ((hw.fp16_tflops if cpu else matrix_tflops(hw, quant)) or 0.5) * 1e12
    linear = n * (flops_per_token(arch, 0) - attention_flops(arch, 0)) / peak
    attn = n * attention_flops(arch, depth + n / 2) / peak
    quantized = dequant_factor(_UNIT_DEQUANT, quant) != 1.0
    t = n / tps - prefill_memory_seconds(arch, hw, s, p, n, depth, efficiency(backend, efficiency_key(hw)))
    if t <= 0:
        return None
    return "prefill", backend, efficiency_key(hw), (linear, attn, t, arch.is_moe, quantized)


def fit_runtimes(rows) -> dict[str, dict[str, float]]:
    decode: dict[str, list] = {}
    prefill: dict[str, list] = {}
    runtime_keys = set(ENGINE_KEY.values()) | {"SGLang", "TensorRT-LLM"}
    for _, _, row in rows:
        t = _terms(row)
        if t is None or t[1] not in runtime_keys:
            continue
        kind, backend, arch_key, terms = t
        for key in (backend, f"{backend}/{arch_key}"):
            (decode if kind == "decode" else prefill).setdefault(key, []).append(terms)
    out: dict[str, dict[str, float]] = {}
    for key in sorted(set(decode) | set(prefill), key=lambda k: ("/" in k, k)):
        backend = key.split("/")[0]
        base = dict(out.get(backend) or efficiency(backend).__dict__)
        vals = _fit_group(decode.get(key, []), prefill.get(key, []), base)
        if vals:
            merged = {**base, **vals}
            merged.update(_fit_token_cost(decode.get(key, []), merged))
            out[key] = merged
    return out


def _fit_token_cost(rows, vals: dict[str, float]) -> dict[str, float]:
    """Split the fixed decode cost into per-layer and per-token parts: with bandwidth and attention efficiency as
    fitted, the residual t - bytes/decode_bw - attention/attn_eff = layers·layer_us + token_us, least squares in
    relative error. Identifiable only when the rows span models of different depth; kept only when both parts come
    out non-negative (otherwise token_us stays as it was)."""
    if len(rows) < MIN_ROWS or len({layers for _, layers, _, _ in rows}) < 2:
        return {}
    bw, attn_eff = vals["decode_bw"], vals["attn_eff"]
    x = np.array([[layers / t, 1.0 / t] for _, layers, _, t in rows])
    y = np.array([(t - raw / bw - at / attn_eff) / t for raw, _, at, t in rows])
    sol, *_ = np.linalg.lstsq(x, y, rcond=None)
    if (sol < 0).any():
        return {}
    return {"layer_us": round(float(sol[0]) * 1e6, 1), "token_us": round(float(sol[1]) * 1e6, 1)}


def _fit_layer_and_attention(rows, decode_bw: float) -> tuple[float, float] | None:
    """(layer_us, attn_eff) of one Apple generation with llama.cpp Metal's bandwidth efficiency kept (same kernels):
    t - bytes/(peak·decode_bw) = layers·layer_us + attention/attn_eff, least squares in relative error. Only with
    >= MIN_ROWS rows that span models of different depth and contexts, and only when both parts come out positive
    (attn_eff <= 1); None otherwise (the generation keeps the previous attention efficiency)."""
    if len(rows) < MIN_ROWS or len({layers for _, layers, _, _ in rows}) < 2:
        return None
    x = np.array([[layers / t, at / t] for _, layers, at, t in rows])
    y = np.array([(t - raw / decode_bw) / t for raw, _, _, t in rows])
    sol, *_ = np.linalg.lstsq(x, y, rcond=None)
    if (sol <= 0).any() or sol[1] < 1.0:
        return None
    return round(float(sol[0]) * 1e6, 1), round(1.0 / float(sol[1]), 4)


def fit_metal_generations(rows) -> dict[str, dict[str, float]]:
    """Per-layer cost and prefill MFU per Apple generation; the other constants are the previous generation's."""
    terms_by_gen: dict[str, list] = {}
    for _, _, row in rows:
        t = _terms(row)
        if t is not None and t[1] == "Metal":
            terms_by_gen.setdefault(t[2], []).append((t[0], t[3]))
    out: dict[str, dict[str, float]] = {}
    previous = efficiency("Metal", "apple_m2").__dict__
    for gen in APPLE_GENERATIONS[2:]:
        vals = dict(previous)
        attn_eff = vals["prefill_attn_eff"] or vals["prefill_mfu"]
        dec = [t for k, t in terms_by_gen.get(gen, []) if k == "decode"]
        own = _fit_layer_and_attention(dec, vals["decode_bw"])
        if own:  # rows of different depths: this generation's own attention efficiency (and its layer cost below)
            vals["attn_eff"] = own[1]
        layer = [(sec - raw / vals["decode_bw"] - attn / vals["attn_eff"]) / layers * 1e6
                 for kind, (raw, layers, attn, sec) in ((k, t) for k, t in terms_by_gen.get(gen, []) if k == "decode")]
        # quantized weights run at dequant_prefill of the F16 rate (calibrate.py): their FLOPs count 1/dequant
        dq = vals.get("dequant_prefill") or 1.0
        mfu = [lin / (dq if quant else 1.0) / (sec - attn / attn_eff) for kind, (lin, attn, sec, moe, quant) in
               ((k, t) for k, t in terms_by_gen.get(gen, []) if k == "prefill") if not moe and sec > attn / attn_eff]
        if layer:
            vals["layer_us"] = round(max(0.0, min(previous["layer_us"], statistics.median(layer))), 1)
        if mfu:
            vals["prefill_mfu"] = round(min(1.0, statistics.median(mfu)), 3)
        out[f"Metal/{gen}"] = vals
        previous = vals
        print(f"Metal/{gen:9s} decode rows {len(layer)}, prefill rows {len(mfu)} -> "
              f"layer_us {vals['layer_us']}, prefill_mfu {vals['prefill_mfu']}", file=sys.stderr)
    return out


def write(fitted: dict[str, dict[str, float]]) -> None:
    path = data_dir() / "efficiency.yaml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    backends = data["backends"]
    for key, vals in fitted.items():
        backends[key] = {k: v for k, v in vals.items() if v is not None}
    header = text[: text.index("backends:")]
    body = yaml.safe_dump({"backends": backends}, sort_keys=False, default_flow_style=None, width=160)
    rest = text[text.index("\nhost:") + 1:]
    path.write_text(header + body + rest, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, help="llama-bench rows (../shared/benchmarks/speed.csv): Metal rows of "
                    "the M3+ generations join the calibration side")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    rows = data_rows(sorted(DATA.glob("*.csv")))
    calib = [r for r in rows if not held_out(r[2])]
    print(f"{len(rows)} rows: {len(calib)} calibration, {len(rows) - len(calib)} held out", file=sys.stderr)
    metal_rows = calib + (data_rows([args.shared]) if args.shared else [])
    fitted = {**fit_runtimes(calib), **fit_metal_generations(metal_rows)}
    for key, vals in fitted.items():
        print(f"{key:22s} {vals}", file=sys.stderr)
    if len(calib) < MIN_ROWS:
        sys.exit("too few calibration rows")
    if not args.dry_run:
        write(fitted)


if __name__ == "__main__":
    main()
