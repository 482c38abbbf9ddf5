"""Fit the efficiency constants of runtimes other than llama.cpp (MLX, vLLM, SGLang, ExLlama, TensorRT-LLM) and of the
Apple generations (Metal/apple_m1 .. m5) on part of benchmarks/data/*.csv; report on the rest.

    .venv/bin/python benchmarks/calibrate_runtimes.py [--shared ../shared/benchmarks/speed.csv] [--dry-run]

Split: a row is held out when crc32("source|model|hardware") % 3 == 0, so every (source, model, hardware) group sits on
one side: all tests of one model on one machine from one report are either fitted or checked, never both.

MLX (keys "MLX", "MLX/apple_m3"): the same fit as benchmarks/calibrate.py per key (1/tps = bytes/(bw·decode_bw) +
layers·layer_us [+ token_us] + attention/attn_eff; prefill FLOPs/(peak·mfu)), on single-device, batch-1 decode rows.
Serving engines (vLLM, TensorRT-LLM, ExLlama; SGLang once it has single-stream rows): one fit per runtime over all its
dense decode rows, a bandwidth efficiency per GPU generation and shared fixed costs (_fit_server_runtime), then the
extra cost per MoE layer from its MoE rows (_fit_moe_layer_cost), then the extra cost per MoE layer with shared
experts from the single-stream rows of such models, tensor-parallel ones included (fit_shared_moe_costs). Otherwise
tensor-parallel, batched and end-to-end rows are never fitted: they test the all-reduce, batching and prefill models.

Metal generations (fit_metal_generations): bandwidth efficiency and per-layer cost per generation from its decode rows
(the shared speed.csv rows, --shared, plus the calibration side here: llama.cpp#4167's F16 / Q8_0 / Q4_0 rows on
each chip separate the two); the attention efficiencies stay calibrate.py's; prefill MFU the median over its dense
prefill rows. A generation without enough rows inherits the previous generation's constants, and no generation gets a
larger per-layer cost than the one before it (newer GPUs launch kernels no slower): M1 >= M2 >= M3 >= M4 >= M5. Run it
after benchmarks/calibrate.py, which fits M1 and M2 on the shared rows alone: this script replaces those two entries'
decode constants and prefill MFU.

llama.cpp generations the shared speed.csv cannot fit (LLAMA_CPP_GENERATIONS: ROCm on gfx906, Vulkan on discrete
RDNA3 / RDNA4): per-layer cost, attention efficiency where depths allow, and prefill MFU on the generic backend's
bandwidth efficiency (fit_rocm_generations), from the calibration split only.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import zlib
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from calibrate import _UNIT_DEQUANT, MIN_ROWS, _fit_decode, _fit_group  # noqa: E402

from rigfit.catalog import NotFound, find_hardware, find_model  # noqa: E402
from rigfit.catalog.loader import data_dir  # noqa: E402
from rigfit.estimate import speed  # noqa: E402
from rigfit.estimate.fit import placement_for  # noqa: E402
from rigfit.estimate.speed import (  # noqa: E402
    attention_flops,
    decode_attention_efficiency,
    decode_step,
    dequant_factor,
    efficiency,
    efficiency_key,
    engine_forward_seconds,
    flops_per_token,
    matrix_tflops,
    noflash_decode,
    prefill_chunk,
    prefill_memory_seconds,
    shared_expert_layers,
)
from rigfit.estimate.speed import Efficiency  # noqa: E402
from rigfit.model.scenario import Scenario  # noqa: E402
from rigfit.validate import ENGINE_KEY, engine_backend, predict_speed_row, parse_test, row_quant, run_settings, runtime_of  # noqa: E402

DATA = Path(__file__).parent / "data"
APPLE_GENERATIONS = ("apple_m1", "apple_m2", "apple_m3", "apple_m4", "apple_m5")
FITTED_METAL = tuple(f"Metal/{g}" for g in APPLE_GENERATIONS)
# generations benchmarks/calibrate.py fits on the shared rows alone (enough M1 and M2 rows there): fit_metal_generations
# starts from those entries (their prefill attention efficiency stays calibrate.py's) and refits the rest with the
# benchmarks/data rows added
SHARED_FITTED_APPLE = ("apple_m1", "apple_m2")
# llama.cpp ROCm generations fitted here from benchmarks/data (speed.efficiency_key: Vega 10/20 are all HBM2, so
# "gcn5_hbm"); the shared speed.csv holds one gfx906 row only, too few for benchmarks/calibrate.py's per-generation fit
ROCM_GENERATIONS = ("gcn5_hbm",)
# llama.cpp Vulkan on discrete RDNA3 / RDNA4 (KHR_coopmat on the WMMA units): the shared speed.csv has no Vulkan row of
# either (its Vulkan rows are RDNA1/2 cards and the Strix Halo APU, which fit the generic Vulkan key and Vulkan/rdna3_5);
# the calibration side of llamacpp_scoreboard.csv fits them
VULKAN_GENERATIONS = ("rdna3", "rdna4")
# every llama.cpp key this script fits: backend -> generations
LLAMA_CPP_GENERATIONS = {"ROCm": ROCM_GENERATIONS, "Vulkan": VULKAN_GENERATIONS}
HOLD_OUT_MOD = 3
METAL_PASSES = 5  # refits of the Apple and llama.cpp generations until the constants they read are their own
IRLS_ITERATIONS = 50  # reweighting rounds of the absolute-error fit of the Apple generations (converged well before)


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
        arch, hw = find_model(row["model"]), find_hardware(row["hardware"])
        quant = row_quant(row, arch)
        runtime = runtime_of(row["backend"])
        backend = engine_backend(runtime, hw, quant)
    except (NotFound, ValueError, KeyError):
        return None
    # the rows of SGLang and TensorRT-LLM fit keys of their own (the engine borrows vLLM's until those exist)
    key = ENGINE_KEY.get(runtime, backend)
    tps = float(row["tok_s"])
    cpu = backend == "CPU" or hw.kind == "cpu"
    ubatch, flash = run_settings(row) if runtime_of(row["backend"]) not in ENGINE_KEY else (512, None)
    s = Scenario(quant=quant, context=max(512, depth + n), ubatch=ubatch, flash_attention=flash is not False)
    p = placement_for(arch, hw, s, arch.num_layers + 1, 0, cpu_only=cpu, engine=runtime in ENGINE_KEY)
    if kind == "tg":
        step = decode_step(arch, hw, s, p, depth + n // 2, backend)
        raw = step.device_bytes / hw.bandwidth_bytes
        if tps * raw > 1.1:
            return None  # above the bandwidth roofline: not a measurement the physics can fit
        peak = (hw.fp16_tflops if cpu else hw.matrix_tflops) or 0.5
        attn = attention_flops(arch, depth + n // 2, decode=True) / (peak * 1e12)
        if noflash_decode(s, cpu):
            # a row without flash attention attends at noflash_attn_eff (speed.noflash_decode): its attention counts
            # here in the flash path's units, so attn / attn_eff is its time at the current constants
            eff = efficiency(backend, efficiency_key(hw))
            attn *= eff.attn_eff / decode_attention_efficiency(eff, True)
        return "decode", key, efficiency_key(hw), (raw, float(arch.num_layers), attn, 1.0 / tps), arch.moe_layers
    peak = ((hw.fp16_tflops if cpu else matrix_tflops(hw, quant)) or 0.5) * 1e12
    linear = n * (flops_per_token(arch, 0) - attention_flops(arch, 0)) / peak
    attn = n * attention_flops(arch, depth + n / 2) / peak
    quantized = dequant_factor(_UNIT_DEQUANT, quant) != 1.0
    # a serving engine runs the prompt in chunks of its own size (speed.prefill_chunk), each paying the forward
    # pass's fixed kernel costs (speed.engine_forward_seconds): both come off the measured time with the streaming
    eff = efficiency(backend, efficiency_key(hw))
    chunk = prefill_chunk(backend, s.ubatch)
    s = replace(s, ubatch=chunk)
    t = (n / tps - prefill_memory_seconds(arch, hw, s, p, n, depth, eff)
         - engine_forward_seconds(arch, eff, backend, -(-n // chunk)))
    if t <= 0:
        return None
    return "prefill", key, efficiency_key(hw), (linear, attn, t, arch.is_moe, quantized), arch.moe_layers


def fit_runtimes(rows) -> dict[str, dict[str, float]]:
    """Constants per runtime key and per GPU generation under it. MLX keeps calibrate.py's per-key fit. The serving
    engines (SERVER_RUNTIMES) are fitted per runtime (_fit_server_runtime): one bandwidth efficiency per GPU
    generation, one per-layer, per-token and attention cost shared by all of them, then one extra cost per MoE
    layer from the MoE decode rows (_fit_moe_layer_cost)."""
    decode: dict[str, list] = {}
    moe_decode: dict[str, list] = {}
    prefill: dict[str, list] = {}
    runtime_keys = set(ENGINE_KEY.values()) | set(BORROWS_VLLM)
    for _, _, row in rows:
        t = _terms(row)
        if t is None or t[1] not in runtime_keys:
            continue
        kind, backend, arch_key, terms, moe_layers = t
        if kind == "decode" and moe_layers and backend in SERVER_RUNTIMES:
            moe_decode.setdefault(backend, []).append((f"{backend}/{arch_key}", terms, moe_layers))
            continue
        for key in (backend, f"{backend}/{arch_key}"):
            (prefill if kind == "prefill" else decode).setdefault(key, []).append(terms)
    out: dict[str, dict[str, float]] = {}
    # runtime keys before generation keys, vLLM before the engines that start from its constants
    order = lambda k: ("/" in k, k.split("/")[0] in BORROWS_VLLM, k)  # noqa: E731
    keys = sorted(set(decode) | set(prefill) | {gen for m in moe_decode.values() for gen, _, _ in m}, key=order)
    for key in (k for k in keys if k.split("/")[0] not in SERVER_RUNTIMES):
        base = dict(out.get(key.split("/")[0]) or efficiency(key.split("/")[0]).__dict__)
        vals = _fit_group(decode.get(key, []), prefill.get(key, []), base)
        if vals:
            merged = {**base, **vals}
            merged.update(_fit_token_cost(decode.get(key, []), merged))
            out[key] = merged
    for backend in sorted({k.split("/")[0] for k in keys} & set(SERVER_RUNTIMES), key=order):
        gens = [k for k in keys if k.startswith(backend + "/")]
        own_rows = sum(len(decode.get(g, [])) for g in gens)
        if backend in BORROWS_VLLM and own_rows < MIN_ROWS and len(prefill.get(backend, [])) < MIN_ROWS:
            continue  # nothing of its own to fit: no key, so validate.engine_backend keeps it on vLLM's constants
        out.update(_fit_server_runtime(backend, gens, decode, prefill, _base_constants(backend, out)))
        mrows = moe_decode.get(backend, [])
        moe = _fit_moe_layer_cost([(out.get(gen) or out[backend], terms, n) for gen, terms, n in mrows])
        if backend in BORROWS_VLLM and not mrows:  # no MoE rows of their own: vLLM's fused-MoE kernels
            moe = {"moe_layer_us": out.get("vLLM", {}).get("moe_layer_us", 0.0)}
        for key in [backend, *gens]:
            if key in out:
                out[key].update(moe)
    return out


def _fit_server_runtime(backend: str, gens: list[str], decode: dict, prefill: dict,
                        base: dict[str, float]) -> dict[str, dict[str, float]]:
    """One least-squares fit (relative error, non-negative terms) over all dense decode rows of a serving engine:
    1/tps = raw_g/bw_g + layers·layer_us [+ token_us] + attention/attn_eff, with one bandwidth efficiency bw_g per
    GPU generation g and the fixed costs shared. Kernel launch and host costs do not depend on the GPU's memory, and
    each source measures few models per GPU: fitted per generation, a harness's per-token overhead (HTTP streaming,
    scheduling) lands in whichever of bandwidth or per-layer cost that source's two or three models cannot tell
    apart. token_us is fitted only where the rows' depths differ by half or more (below that it is collinear with
    layer_us). The runtime key gets the median generation bandwidth (what a generation without rows uses)."""
    rows = [(gen, terms) for gen in gens for terms in decode.get(gen, [])]
    out: dict[str, dict[str, float]] = {}
    runtime = dict(base)
    bw: dict[str, float] = {}
    if len(rows) >= MIN_ROWS:
        layers = [terms[1] for _, terms in rows]
        fixed_cols = ["layer", "token"] if max(layers) >= 1.5 * min(layers) else ["layer"]
        deep = sum(1 for _, (r, n, at, t) in rows if at / t > 0.03 * 0.01) >= MIN_ROWS
        names = [*gens, *fixed_cols, *(["attn"] if deep else [])]
        # 1/bw_g = 1 + b_g with b_g >= 0 (no generation streams faster than its peak), likewise 1/attn_eff >= 1:
        # every unknown is then non-negative and the fit is one non-negative least squares
        x = np.array([[(r if g == gen else 0.0) / t for g in gens]
                      + [{"layer": n, "token": 1.0}[c] / t for c in fixed_cols]
                      + ([at / t] if deep else []) for gen, (r, n, at, t) in rows])
        y = np.array([1.0 - (r + (at if deep else 0.0)) / t for _, (r, n, at, t) in rows])
        sol = dict(zip(names, (float(v) for v in _nonnegative_lstsq(x, y))))
        bw = {g: round(1.0 / (1.0 + sol[g]), 3) for g in gens if any(gen == g for gen, _ in rows)}
        runtime["layer_us"] = round(sol["layer"] * 1e6, 1)
        runtime["token_us"] = round(sol.get("token", 0.0) * 1e6, 1)
        if deep:
            runtime["attn_eff"] = max(1e-4, round(1.0 / (1.0 + sol["attn"]), 4))
        if bw:
            runtime["decode_bw"] = round(float(statistics.median(bw.values())), 3)
    runtime.update(_fit_group([], prefill.get(backend, []), runtime))
    out[backend] = runtime
    for gen in gens:
        vals = {**runtime, **_fit_group([], prefill.get(gen, []), runtime)}
        if gen in bw:
            vals["decode_bw"] = bw[gen]
        out[gen] = vals
    return out


def _nonnegative_lstsq(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares with every coefficient >= 0: drop the most negative term and refit until none is negative."""
    active = list(range(x.shape[1]))
    coef = np.zeros(x.shape[1])
    while active:
        sol, *_ = np.linalg.lstsq(x[:, active], y, rcond=None)
        if (sol >= 0).all():
            coef[active] = sol
            break
        active.pop(int(np.argmin(sol)))
    return coef


SERVER_RUNTIMES = ("vLLM", "SGLang", "TensorRT-LLM", "ExLlama")  # keys this script owns beyond MLX and Metal
BORROWS_VLLM = ("SGLang", "TensorRT-LLM")  # same class of CUDA-graph'd fused kernels (validate.engine_backend)


def _base_constants(backend: str, fitted: dict[str, dict[str, float]]) -> dict[str, float]:
    """Starting constants of a runtime key: its own efficiency.yaml entry, else (SGLang, TensorRT-LLM) vLLM's."""
    from rigfit.catalog.loader import load_data

    if backend in load_data("efficiency")["backends"] or backend not in BORROWS_VLLM:
        return dict(efficiency(backend).__dict__)
    return dict(fitted.get("vLLM") or efficiency("vLLM").__dict__)


def _fit_moe_layer_cost(rows) -> dict[str, float]:
    """Extra fixed cost per MoE layer: the median over MoE decode rows of (measured step − the step of a dense
    model with its generation's constants) / MoE layers, never negative. The dense constants come from dense rows
    only, so the residual is what a routed FFN costs beyond the bytes it reads: router, top-k, token alignment and
    grouped-GEMM launches (vLLM fused_moe), kernel counts that are the same on every GPU to first order."""
    if len(rows) < MIN_ROWS:
        return {}
    per_layer = []
    for vals, (raw, layers, at, t), moe_layers in rows:
        fixed = (layers * vals["layer_us"] + vals.get("token_us", 0.0)) * 1e-6
        per_layer.append((t - raw / vals["decode_bw"] - at / vals["attn_eff"] - fixed) / moe_layers)
    return {"moe_layer_us": round(max(0.0, statistics.median(per_layer)) * 1e6, 1)}


@contextmanager
def _constants_as(fitted: dict[str, dict[str, float]]):
    """Within the block, speed.decode_step reads the constants just fitted (not efficiency.yaml's), with the
    shared-expert cost at 0: the step it returns is what the model predicts without that term."""
    real = speed.efficiency

    def patched(backend: str, arch_key: str = "") -> Efficiency:
        if backend in BORROWS_VLLM and backend not in fitted:
            backend = "vLLM"  # an engine without a fit of its own runs on vLLM's constants
        vals = fitted.get(f"{backend}/{arch_key}") or fitted.get(backend)
        return replace(Efficiency(**vals) if vals else real(backend, arch_key), shared_moe_layer_us=0.0)

    speed.efficiency = patched
    try:
        yield
    finally:
        speed.efficiency = real


def fit_shared_moe_costs(rows, fitted: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Extra fixed cost per MoE layer with shared experts (speed.Efficiency.shared_moe_layer_us), per serving
    engine: the median over its single-stream decode rows of shared-expert MoE models (DeepSeek, GLM) of
    (measured step - the step the fitted constants predict without the term) / shared-expert layers, never negative.
    Tensor-parallel rows join this fit (every such row in the data is tensor parallel, DeepSeek V3 / R1 at TP 4-8):
    their step includes the all-reduce term, a measured constant (efficiency.yaml host.tp_allreduce_us), and Qwen3
    235B A22B (MoE without shared experts) at TP 4 / 8 and Qwen2.5 72B at TP 2 fit within 10 % without any new
    term, so the residual is the shared-expert layers', not the tensor parallelism's. An engine with fewer than
    MIN_ROWS such rows fits on its batched TPOT rows instead (TensorRT-LLM: GLM-4.7 TP8 at concurrency 4-32,
    NVIDIA/TensorRT-LLM#11559): a TPOT is one decode step of the whole batch (batch / aggregate tok_s), and the
    per-step fixed costs do not depend on the batch. Borrowing vLLM's 140 us put those rows 18-23 % slow. E2e rows
    stay out. An engine with fewer than MIN_ROWS rows of either kind takes vLLM's figure (same class of fused
    kernels)."""
    per_layer: dict[str, list[float]] = {}
    batched: dict[str, list[float]] = {}  # per-step residuals of batched tpot rows (decode steps measured directly)
    with _constants_as(fitted):
        for _, _, row in rows:
            batch, metric = int(row.get("batch") or "1"), row.get("metric") or "decode"
            if (batch, metric) != (1, "decode") and not (batch > 1 and metric == "tpot"):
                continue
            try:
                kind, n, depth = parse_test(row["test"])
                runtime = runtime_of(row["backend"])
                arch = find_model(row["model"])
            except (NotFound, ValueError, KeyError):
                continue
            key = ENGINE_KEY.get(runtime)
            if kind != "tg" or key not in SERVER_RUNTIMES or not shared_expert_layers(arch):
                continue
            _, predicted = predict_speed_row(row)  # the row replayed exactly as rigfit validate does
            # tok_s is the aggregate of `batch` sequences: one step lasts batch / tok_s
            (per_layer if batch == 1 else batched).setdefault(key, []).append(
                batch * (1.0 / float(row["tok_s"]) - 1.0 / predicted) / shared_expert_layers(arch))
    for k, v in batched.items():  # an engine without single-stream rows: its batched steps (TPOT) instead
        if len(per_layer.get(k, [])) < MIN_ROWS <= len(v):
            per_layer[k] = v
    cost = {k: round(max(0.0, statistics.median(v)) * 1e6, 1) for k, v in per_layer.items() if len(v) >= MIN_ROWS}
    for k, v in per_layer.items():
        print(f"{k:22s} shared-expert MoE rows {len(v)} -> {cost.get(k, 'too few: borrows vLLM')} us/layer",
              file=sys.stderr)
    out = {}
    for key, vals in fitted.items():
        runtime = key.split("/")[0]
        if runtime in SERVER_RUNTIMES:
            c = cost.get(runtime, cost.get("vLLM", 0.0) if runtime in BORROWS_VLLM else 0.0)
            out[key] = {**vals, "shared_moe_layer_us": c}
    for runtime in BORROWS_VLLM:
        if runtime in cost and runtime not in fitted:
            # an engine with shared-expert rows of its own but too few dense rows for a fit: vLLM's constants for
            # everything else (validate.engine_backend's fallback), under keys of its own that carry its cost
            for key, vals in fitted.items():
                if key.split("/")[0] == "vLLM":
                    out[runtime + key[4:]] = {**vals, "shared_moe_layer_us": cost[runtime]}
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


def _fit_bandwidth_and_layer(rows, attn_eff: float, cap: float) -> tuple[float, float]:
    """(decode_bw, layer_us) with the attention efficiency given: t - attention/attn_eff = bytes/(peak·decode_bw) +
    layers·layer_us, least absolute relative error (iteratively reweighted least squares), decode_bw <= 1,
    0 <= layer_us <= cap (µs). A term that comes out negative or past its bound is pinned there and the other refitted
    alone. Absolute rather than squared error: the Apple rows come from builds two years apart whose kernels differ
    (M1 Max, Llama 7B F16 tg: 13.96 t/s in a 2023 build, 23.03 in the #4167 table), and a squared-error fit lets the
    few rows of one slow build set a generation's constants for every other build."""
    y = np.array([1.0 - at / attn_eff / t for _, _, at, t in rows])
    x = np.array([[raw / t, layers / t] for raw, layers, _, t in rows])
    w = np.ones(len(rows))
    for _ in range(IRLS_ITERATIONS):
        (a, c), *_ = np.linalg.lstsq(x * w[:, None], y * w, rcond=None)
        if c < 0 or c * 1e6 > cap:
            c = min(max(c, 0.0), cap * 1e-6)
            a = float((x[:, 0] * w) @ ((y - x[:, 1] * c) * w) / ((x[:, 0] * w) @ (x[:, 0] * w)))
        if a < 1.0:
            a = 1.0
            c = min(max(0.0, float((x[:, 1] * w) @ ((y - x[:, 0]) * w) / ((x[:, 1] * w) @ (x[:, 1] * w)))), cap * 1e-6)
        # weights 1/sqrt(|residual|) make the squared loss an absolute one (1 % floor against division by zero)
        w = 1.0 / np.sqrt(np.maximum(np.abs(x @ np.array([a, c]) - y), 0.01))
    return round(1.0 / float(a), 3), round(float(c) * 1e6, 1)


def fit_metal_generations(rows) -> dict[str, dict[str, float]]:
    """Decode constants per Apple generation from its single-device Metal decode rows (shared speed.csv rows and the
    calibration side of benchmarks/data): bandwidth efficiency and per-layer cost; the attention efficiencies are
    calibrate.py's (M1, M2) or the previous generation's.
    No generation gets a larger per-layer cost than the one before it (newer GPUs launch kernels no slower):
    M1 >= M2 >= M3 >= M4 >= M5. A generation with fewer than MIN_ROWS decode rows inherits the previous one's
    decode constants. Prefill: the dequantization factor (median quantized rate / median F16 rate, where both have
    MIN_ROWS rows, else the previous generation's) and the MFU (median over the dense prefill rows)."""
    terms_by_gen: dict[str, list] = {}
    for _, _, row in rows:
        t = _terms(row)
        if t is not None and t[1] == "Metal":
            terms_by_gen.setdefault(t[2], []).append((t[0], t[3]))
    out: dict[str, dict[str, float]] = {}
    previous: dict | None = None
    for gen in APPLE_GENERATIONS:
        vals = dict(efficiency("Metal", gen).__dict__ if gen in SHARED_FITTED_APPLE or previous is None else previous)
        cap = previous["layer_us"] if previous else float("inf")
        dec = [t for k, t in terms_by_gen.get(gen, []) if k == "decode"]
        if len(dec) >= MIN_ROWS:
            # the attention efficiencies stay calibrate.py's (M1, M2: fitted on the shared rows with flash and
            # no-flash attention as columns of their own) or the previous generation's: these rows are mostly
            # shallow and run without flash attention, so they cannot tell the flash path's efficiency
            vals["decode_bw"], vals["layer_us"] = _fit_bandwidth_and_layer(dec, vals["attn_eff"], cap)
        attn_eff = vals["prefill_attn_eff"] or vals["prefill_mfu"]
        dense = [(lin / (sec - attn / attn_eff), quant) for lin, attn, sec, moe, quant in
                 (t for k, t in terms_by_gen.get(gen, []) if k == "prefill") if not moe and sec > attn / attn_eff]
        # quantized weights run at dequant_prefill of the F16 rate: calibrate.py's rule (median quantized rate over
        # median F16 rate) per generation where both kinds have rows, else the previous generation's
        f16, quantized = [r for r, q in dense if not q], [r for r, q in dense if q]
        if len(f16) >= MIN_ROWS and len(quantized) >= MIN_ROWS:
            vals["dequant_prefill"] = round(min(1.0, statistics.median(quantized) / statistics.median(f16)), 3)
        dq = vals.get("dequant_prefill") or 1.0
        mfu = [r / (dq if quant else 1.0) for r, quant in dense]
        if mfu:
            vals["prefill_mfu"] = round(min(1.0, statistics.median(mfu)), 3)
        out[f"Metal/{gen}"] = vals
        previous = vals
        print(f"Metal/{gen:9s} decode rows {len(dec)}, prefill rows {len(mfu)} -> decode_bw {vals['decode_bw']}, "
              f"attn_eff {vals['attn_eff']}, layer_us {vals['layer_us']}, prefill_mfu {vals['prefill_mfu']}, "
              f"dequant_prefill {vals['dequant_prefill']}",
              file=sys.stderr)
    return out


def fit_llamacpp_generations(rows) -> dict[str, dict[str, float]]:
    """fit_rocm_generations for every backend of LLAMA_CPP_GENERATIONS."""
    out: dict[str, dict[str, float]] = {}
    for backend, gens in LLAMA_CPP_GENERATIONS.items():
        out.update(fit_rocm_generations(rows, backend, gens))
    return out


def fit_rocm_generations(rows, backend: str = "ROCm", generations: tuple[str, ...] = ROCM_GENERATIONS
                         ) -> dict[str, dict[str, float]]:
    """Per-layer cost, decode attention efficiency and prefill MFU of the ROCm generations in ROCM_GENERATIONS, the
    Metal-generation method (fit_metal_generations) on llama.cpp ROCm rows: the bandwidth efficiency stays the
    generic ROCm one (its split from the per-layer cost is not identifiable from the few model depths measured), the
    attention efficiency comes from rows at several depths (_fit_layer_and_attention), the per-layer cost is the
    median of the decode residuals and the prefill MFU the median over dense prefill rows. Only rows of the
    calibration split of benchmarks/data: the shared speed.csv's one gfx906 row (Radeon VII, 2023 build) stays held
    out, and the key is written only when the generation has >= MIN_ROWS decode rows. The same method fits the
    Vulkan generations of VULKAN_GENERATIONS (backend "Vulkan"), from the generic Vulkan constants."""
    terms_by_gen: dict[str, list] = {}
    for _, _, row in rows:
        t = _terms(row)
        if t is not None and t[1] == backend and t[2] in generations:
            terms_by_gen.setdefault(t[2], []).append((t[0], t[3], t[4]))
    out: dict[str, dict[str, float]] = {}
    for gen in generations:
        vals = dict(efficiency(backend).__dict__)
        dec = [t for k, t, _ in terms_by_gen.get(gen, []) if k == "decode"]
        if len(dec) < MIN_ROWS:
            continue
        own = _fit_layer_and_attention(dec, vals["decode_bw"])
        if own:
            vals["attn_eff"] = own[1]
        layer = [(sec - raw / vals["decode_bw"] - attn / vals["attn_eff"]) / layers * 1e6 for raw, layers, attn, sec in dec]
        vals["layer_us"] = round(max(0.0, statistics.median(layer)), 1)
        attn_eff = vals["prefill_attn_eff"] or vals["prefill_mfu"]
        dq = vals.get("dequant_prefill") or 1.0
        pre = [t for k, t, _ in terms_by_gen.get(gen, []) if k == "prefill"]
        mfu = [lin / (dq if quant else 1.0) / (sec - attn / attn_eff) for lin, attn, sec, moe, quant in pre
               if not moe and sec > attn / attn_eff]
        if len(mfu) >= MIN_ROWS:
            vals["prefill_mfu"] = round(min(1.0, statistics.median(mfu)), 3)
        out[f"{backend}/{gen}"] = vals
        print(f"{backend}/{gen:9s} decode rows {len(dec)}, prefill rows {len(mfu)} -> layer_us {vals['layer_us']}, "
              f"attn_eff {vals['attn_eff']}, prefill_mfu {vals['prefill_mfu']}", file=sys.stderr)
    return out


def write(fitted: dict[str, dict[str, float]]) -> None:
    path = data_dir() / "efficiency.yaml"
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    backends = data["backends"]
    for key, vals in fitted.items():
        # the MoE costs at their default (0) are left out: llama.cpp, MLX and Metal entries stay as they were
        backends[key] = {k: v for k, v in vals.items()
                         if v is not None and not (k in ("moe_layer_us", "shared_moe_layer_us") and not v)}
    header = text[: text.index("backends:")]
    body = yaml.safe_dump({"backends": backends}, sort_keys=False, default_flow_style=None, width=160)
    rest = text[text.index("\nhost:") + 1:]
    path.write_text(header + body + rest, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "speed.csv"
    ap.add_argument("--shared", type=Path, default=shared if shared.exists() else None,
                    help="llama-bench rows (default ../shared/benchmarks/speed.csv where present): their Metal rows "
                    "join the calibration side of the Apple generation fit")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    rows = data_rows(sorted(DATA.glob("*.csv")))
    calib = [r for r in rows if not held_out(r[2])]
    print(f"{len(rows)} rows: {len(calib)} calibration, {len(rows) - len(calib)} held out", file=sys.stderr)
    metal_rows = calib + (data_rows([args.shared]) if args.shared else [])
    engines = fit_runtimes(calib)
    engines.update(fit_shared_moe_costs(calib, engines))
    fitted = {**engines, **fit_metal_generations(metal_rows), **fit_llamacpp_generations(calib)}
    for key, vals in fitted.items():
        print(f"{key:22s} {vals}", file=sys.stderr)
    if len(calib) < MIN_ROWS:
        sys.exit("too few calibration rows")
    if not args.dry_run:
        write(fitted)
        # the prefill terms of the Apple and llama.cpp generation rows take the weight streaming off at the decode
        # constants efficiency.yaml holds (calibrate.py's entries on the first pass): refit until the constants read
        # are the ones written, so that these fits on their own output reproduce it
        for _ in range(METAL_PASSES):
            from rigfit.catalog.loader import load_data

            load_data.cache_clear()
            speed._constants.cache_clear()
            metal = {**fit_metal_generations(metal_rows), **fit_llamacpp_generations(calib)}
            if all(fitted[k] == v for k, v in metal.items()):
                break
            fitted.update(metal)
            write(fitted)


if __name__ == "__main__":
    main()
