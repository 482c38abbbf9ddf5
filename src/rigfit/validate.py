"""Replay measured runs through the engine and report how far the predictions are from the measurements.

Rows name their model, quant and hardware as people write them; they resolve through the normal catalog. Each
row's setting (test type and token count, depth, devices, -ngl, tensor overrides, backend) is replayed exactly.
Runtimes: the llama.cpp backends (CUDA, Metal, ROCm, Vulkan, SYCL, CPU), Ollama (llama.cpp underneath: the backend
the hardware implies), MLX, vLLM, SGLang, ExLlamaV2, ExLlamaV3 and TensorRT-LLM. For vLLM, SGLang and TensorRT-LLM
`n_devices` is the tensor-parallel degree. Optional columns: `batch` (sequences decoded together, default 1) and
`metric` (`decode`, the default, or `e2e`: generated tokens / total time including the prompt, for `tgN@dM` rows;
or `tpot`: batch x 1000 / mean TPOT of a closed-loop serving benchmark at concurrency = batch, `tgN@dM` rows).

Every problem with a row (unknown names, unknown backend, missing or non-numeric fields, absurd values, fields too
long) is an error for that row, reported and counted as unresolved; the file as a whole never crashes the replay.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from rigfit.catalog import NotFound, find_hardware, find_model, find_quant
from rigfit.catalog.loader import load_quants
from rigfit.estimate.fit import placement_for
from rigfit.estimate.memory import MIB, kv_cache_bytes, weight_bytes
from rigfit.estimate.speed import (
    batch_tokens_per_s,
    decode_tokens_per_s,
    default_backend,
    prefill_seconds,
    prefill_tokens_per_s,
)
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import GIB, Hardware
from rigfit.model.quant import Quant
from rigfit.model.scenario import Scenario

DEFAULT_HOST = "Desktop DDR5-5600 dual channel 64GB"
TEST = re.compile(r"^(pp|tg)(\d+)(?:@d(\d+))?$")

MAX_FIELD_CHARS = 2000  # longer than any real cell (notes quote one line of output); longer is a broken row
MAX_DEVICES = 64  # more devices than any published single-node or small-cluster run: a typo, not a measurement
MAX_BATCH = 4096  # vLLM's default max_num_seqs is 256-1024; beyond this the row is not a measurement we can replay
MAX_TOKENS = 10_000_000  # tokens in one test (prompt, generation or depth); above every model's context window
READ_FIELD_LIMIT = 64 * 1024 * 1024  # csv's own per-field limit while reading, so one huge cell fails only its row

# Runtimes other than llama.cpp: canonical name by normalised spelling (lower case, no spaces, '-', '_' or '.').
RUNTIMES = {
    "mlx": "MLX", "mlxlm": "MLX",
    "vllm": "vLLM",
    "sglang": "SGLang",
    "exllamav2": "ExLlamaV2", "exl2": "ExLlamaV2", "tabbyapi": "ExLlamaV2",
    "exllamav3": "ExLlamaV3", "exl3": "ExLlamaV3",
    "tensorrtllm": "TensorRT-LLM", "trtllm": "TensorRT-LLM",
    "ollama": "Ollama",
}
# The engine's constants per runtime (efficiency.yaml keys). ExLlamaV2 and V3 share one kernel family's constants.
ENGINE_KEY = {"MLX": "MLX", "vLLM": "vLLM", "SGLang": "SGLang", "ExLlamaV2": "ExLlama", "ExLlamaV3": "ExLlama",
              "TensorRT-LLM": "TensorRT-LLM"}
TENSOR_PARALLEL = {"vLLM", "SGLang", "TensorRT-LLM"}  # n_devices is the tensor-parallel degree
LLAMA_CPP_KEYS = (("cuda", "CUDA"), ("rocm", "ROCm"), ("hip", "ROCm"), ("vulkan", "Vulkan"), ("metal", "Metal"),
                  ("sycl", "SYCL"), ("cpu", "CPU"), ("blas", "CPU"))


@dataclass(frozen=True)
class RowResult:
    line: int
    kind: str  # decode | prefill | memory
    label: str
    measured: float
    predicted: float | None
    error: str = ""  # why the row could not be resolved
    backend: str = ""  # the runtime, canonical name ("CUDA", "MLX", "vLLM", ...); "" when it could not be read

    @property
    def pct_error(self) -> float | None:
        if self.predicted is None or not self.measured:
            return None
        return (self.predicted - self.measured) / self.measured * 100


def runtime_of(text: str) -> str:
    """Canonical runtime of a `backend` cell: a named runtime ("vLLM 0.6.3" -> "vLLM") or a llama.cpp backend
    ("ROCm (hip)" -> "ROCm"). Raises ValueError for anything else: an unknown runtime is never replayed as CPU."""
    t = (text or "").strip().lower()
    squashed = re.sub(r"[\s._-]", "", t)
    for key in sorted(RUNTIMES, key=len, reverse=True):  # "exllamav2" before "exl2"-like prefixes
        if squashed.startswith(key):
            return RUNTIMES[key]
    for key, name in LLAMA_CPP_KEYS:
        if key in t:
            return name
    raise ValueError(f"unknown backend {text!r} (llama.cpp backends: CUDA, Metal, ROCm, Vulkan, SYCL, CPU; "
                     f"runtimes: {', '.join(sorted(set(RUNTIMES.values())))})")


def backend_of(text: str) -> str:
    """The llama.cpp backend of a `backend` cell (benchmarks/calibrate.py's view: llama.cpp rows only)."""
    return runtime_of(text)


def engine_backend(runtime: str, hw: Hardware, quant) -> str:
    """The efficiency.yaml key the engine uses for a runtime on this hardware. Ollama runs llama.cpp: the backend
    its build uses on that hardware."""
    if runtime == "Ollama":
        return default_backend(hw, find_quant("Q4_K_M")) if quant.family != "gguf" else default_backend(hw, quant)
    key = ENGINE_KEY.get(runtime, runtime)
    from rigfit.catalog.loader import load_data

    if key not in load_data("efficiency")["backends"]:
        # SGLang and TensorRT-LLM run the same class of CUDA-graph'd fused kernels as vLLM: until measurements
        # give them constants of their own they use vLLM's (never the CPU fallback of estimate.speed.efficiency)
        return "vLLM"
    return key


def _int_field(row: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = row.get(name, "")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} {text[:40]!r} is not a number") from None
    if not math.isfinite(value) or value != int(value) or not low <= value <= high:
        raise ValueError(f"{name} {text[:40]!r} is not a whole number in {low}..{high}")
    return int(value)


def _measured(row: dict[str, str], name: str) -> float:
    text = row.get(name, "")
    if not text:
        raise ValueError(f"{name} is empty")
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise ValueError(f"{name} {text[:40]!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} {text[:40]!r} is not a positive finite number")
    return value


def _hardware(name: str, n: int) -> Hardware:
    hw = find_hardware(name)
    return hw.with_count(n) if n > 1 else hw


def _offload_layers(arch: Architecture, offload: str) -> int:
    """--n-cpu-moe equivalent of a tensor override: the number of layers whose expert FFNs stay in host RAM (which
    layers does not change bytes or time), every MoE layer when no range is named."""
    if not offload:
        return 0
    m = re.search(r"(\d+)\s*-\s*(\d+)", offload)
    if m:
        return int(m.group(2)) - int(m.group(1)) + 1
    return arch.num_layers


def _ngl(arch: Architecture, row: dict[str, str], hw: Hardware) -> int:
    """-ngl of the run: the column, or "0/N" in the override text (weights on the CPU). Old Metal builds offloaded
    the whole model with any -ngl >= 1, so on Apple any positive value means everything."""
    text = (row.get("ngl") or "").strip()
    m = re.match(r"^\s*(\d+)\s*/\s*\d+", row.get("offload") or "")
    if m:
        text = m.group(1)
    if not text.isdigit():
        return arch.num_layers + 1
    ngl = int(text)
    if ngl >= arch.num_layers or (hw.kind == "apple" and ngl >= 1):
        return arch.num_layers + 1
    return ngl


UBATCH_NOTE = re.compile(r"\bn_ubatch\s*[=:]\s*(\d+)|(?:^|\s)-ub\s+(\d+)")
FA_ON_NOTE = re.compile(r"\bfa\s*[=:]\s*1\b|(?:^|\s)-fa\s+(?:1|on)\b|flash[- ]attn(?:ention)?\s*(?:on|=\s*1|enabled)",
                        re.IGNORECASE)
FA_OFF_NOTE = re.compile(r"\bfa\s*[=:]\s*0\b|(?:^|\s)-fa\s+(?:0|off)\b|flash[- ]attn(?:ention)?\s*(?:off|=\s*0|disabled)",
                         re.IGNORECASE)


def run_settings(row: dict[str, str]) -> tuple[int, bool | None]:
    """(-ub, flash attention) of a llama-bench row: the `ubatch` / `flash_attn` columns where present, else what the
    notes quote ("n_ubatch=2048", "-ub 256", "fa=0", "flash-attn off"); 512 and None (not stated) otherwise."""
    notes = row.get("notes") or ""
    ub_text = (row.get("ubatch") or "").strip()
    m = UBATCH_NOTE.search(notes)
    ubatch = int(ub_text) if ub_text.isdigit() else int(m.group(1) or m.group(2)) if m else 512
    fa_text = (row.get("flash_attn") or "").strip().lower()
    if fa_text in ("1", "0", "on", "off", "true", "false"):
        return max(1, ubatch), fa_text in ("1", "on", "true")
    if FA_ON_NOTE.search(notes):
        return max(1, ubatch), True
    if FA_OFF_NOTE.search(notes):
        return max(1, ubatch), False
    return max(1, ubatch), None


def parse_test(text: str) -> tuple[str, int, int]:
    """("tg" | "pp", tokens, depth) of a test cell such as "tg128@d4096"."""
    m = TEST.match((text or "").strip())
    if not m:
        raise ValueError(f"unknown test {text[:40]!r}")
    kind, n, depth = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    if not 1 <= n <= MAX_TOKENS or depth > MAX_TOKENS:
        raise ValueError(f"test {text[:40]!r}: token counts must be 1..{MAX_TOKENS:,}")
    return kind, n, depth


def row_quant(row: dict[str, str], arch: Architecture) -> Quant:
    """The row's quant, with the file layout the printed model size shows. llama-bench prints one type name
    ("MXFP4 MoE") for both MXFP4 layouts in the catalog: the first ggml-org gpt-oss GGUFs keep every non-expert
    tensor BF16 (gpt-oss 20B 12.83 GiB, lhl/strix-halo-testing rows), later files hold them in Q8_0 (11.27 GiB:
    ggml-org/llama.cpp benches/dgx-spark.md, kyuz0/amd-strix-halo-toolboxes). Decode streams those tensors every
    token, so the layout matters as much as the expert type: pick the moe_only layout whose size is closest."""
    quant = find_quant(row.get("quant", ""))
    if not quant.moe_only or not row.get("model_size_gib"):
        return quant
    size = _measured(row, "model_size_gib") * GIB
    layouts = [q for q in load_quants() if q.moe_only and q.family == quant.family]
    return min(layouts, key=lambda q: abs(weight_bytes(arch, q).total - size))


def predict_speed_row(row: dict[str, str]) -> tuple[str, float]:
    return _predict_speed(row)[0:2]


def _predict_speed(row: dict[str, str]) -> tuple[str, float, str]:
    """(kind, predicted tok/s, runtime) of a speed.csv row."""
    kind, n, depth = parse_test(row.get("test", ""))
    runtime = runtime_of(row.get("backend", ""))
    n_devices = _int_field(row, "n_devices", 1, 1, MAX_DEVICES)
    batch = _int_field(row, "batch", 1, 1, MAX_BATCH)
    metric = (row.get("metric") or "decode").strip().lower()
    if metric not in ("decode", "e2e", "tpot"):
        raise ValueError(f"unknown metric {metric[:40]!r} (decode, e2e or tpot)")
    if metric in ("e2e", "tpot") and kind != "tg":
        raise ValueError(f"metric {metric} needs a tgN@dM test (N tokens generated after an M-token prompt)")
    if batch > 1 and kind != "tg":
        raise ValueError("batch > 1 is replayed for tg rows only")
    arch = find_model(row.get("model", ""))
    quant = row_quant(row, arch)
    hw = _hardware(row.get("hardware", ""), n_devices)
    host = find_hardware(row["host"]) if row.get("host") else find_hardware(DEFAULT_HOST)
    backend = engine_backend(runtime, hw, quant)
    llama_cpp = runtime not in ENGINE_KEY
    tensor_parallel = runtime in TENSOR_PARALLEL and n_devices > 1
    cpu_only = backend == "CPU" or hw.kind == "cpu"
    ubatch, flash = run_settings(row) if runtime not in ENGINE_KEY else (512, None)
    scenario = Scenario(quant=quant, context=max(depth + n, 512), host=host, concurrency=batch, ubatch=ubatch,
                        flash_attention=True if flash is None else flash)
    ngl = _ngl(arch, row, hw) if llama_cpp else arch.num_layers + 1  # other runtimes hold the whole model
    offload = row.get("offload", "") if llama_cpp else ""
    cpu_moe = _offload_layers(arch, offload) if arch.is_moe and "/" not in offload[:8] else 0
    placement = placement_for(arch, hw, scenario, 0 if cpu_only else ngl, min(cpu_moe, arch.num_layers), cpu_only,
                              engine=not llama_cpp)
    if kind == "pp":
        return "prefill", prefill_tokens_per_s(arch, hw, scenario, placement, n, depth, backend, tensor_parallel), runtime
    if batch > 1:
        tps = batch_tokens_per_s(arch, hw, scenario, placement, depth + n // 2, backend, tensor_parallel)
    else:
        tps = decode_tokens_per_s(arch, hw, scenario, placement, depth + n // 2, backend, tensor_parallel)
    if metric == "tpot" and batch > 1 and n > 1:
        # A serving benchmark keeps `batch` requests in flight: while one request generates its N tokens, each of
        # the other batch - 1 slots finishes and is refilled about once, and the engine runs the new request's
        # M-token prompt between decode steps (vLLM / SGLang schedulers put prefills first). That time lands in the
        # TPOT of every running request: (batch - 1) prefills per N steps. At concurrency 1 there is none.
        solo = Scenario(quant=quant, context=max(depth + n, 512), host=host, ubatch=ubatch, flash_attention=True)
        t_refill = (batch - 1) * prefill_seconds(arch, hw, solo, placement, depth, 0, backend, tensor_parallel) / n
        tps = batch / (batch / tps + t_refill)
    if metric == "e2e":
        # generated tokens / (prompt processing of the M-token prompt + generation of the N tokens)
        t_prompt = prefill_seconds(arch, hw, scenario, placement, depth, 0, backend, tensor_parallel)
        t_gen = n * batch / tps
        tps = n * batch / (t_prompt + t_gen)
    return "decode", tps, runtime


def predict_memory_row(row: dict[str, str]) -> list[tuple[str, float, float]]:
    """(label, measured MiB, predicted MiB) for the model buffer and the KV buffer of a memory.csv row."""
    arch = find_model(row.get("model", ""))
    quant = find_quant((re.split(r"\s|\(", row.get("quant", "").strip()) or [""])[0])
    kv = (row.get("type_kv") or "f16/f16").split("/")[0] or "f16"
    scenario = Scenario(quant=quant, context=_int_field(row, "n_ctx", 0, 1, MAX_TOKENS), kv_type=kv)
    out = []
    if row.get("model_buffer_mib"):
        w = weight_bytes(arch, quant)
        cpu = backend_of_or_cpu(row.get("backend", "")) == "CPU"
        pred = (w.total if cpu else w.device_total) / MIB
        out.append(("model buffer", _measured(row, "model_buffer_mib"), pred))
    if row.get("kv_buffer_mib"):
        out.append(("KV buffer", _measured(row, "kv_buffer_mib"), kv_cache_bytes(arch, scenario) / MIB))
    return out


def read_rows(path: Path) -> list[dict[str, str] | str]:
    """The file's data rows as {column: stripped text}; a row that cannot be read (more cells than the header,
    a cell over MAX_FIELD_CHARS, a csv syntax error) is the reason as a string, in its place."""
    text = path.read_text(encoding="utf-8", errors="replace").replace("\x00", "")  # bad bytes fail their row only
    old_limit = csv.field_size_limit()
    csv.field_size_limit(READ_FIELD_LIMIT)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip() for h in next(reader, [])]
        out: list[dict[str, str] | str] = []
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                out.append(f"unreadable row: {exc}")
                continue
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) > len(header):
                out.append(f"{len(cells)} cells for {len(header)} columns")
                continue
            long = [h for h, c in zip(header, cells) if len(c) > MAX_FIELD_CHARS]
            if long:
                out.append(f"field {long[0]!r} longer than {MAX_FIELD_CHARS} characters")
                continue
            out.append({h: c.strip() for h, c in zip(header, cells)})  # short rows: missing columns are absent
        return out
    finally:
        csv.field_size_limit(old_limit)


def validate_file(path: Path) -> list[RowResult]:
    rows = read_rows(path)
    if not rows:
        raise ValueError(f"{path}: no rows")
    results: list[RowResult] = []
    first = next((r for r in rows if isinstance(r, dict)), {})
    is_memory = "kv_buffer_mib" in first
    for i, row in enumerate(rows, start=2):
        if isinstance(row, str):
            results.append(RowResult(i, "memory" if is_memory else "decode", "(unreadable row)", 0.0, None, row))
            continue
        label = " | ".join(row[k][:60] for k in ("model", "quant", "hardware", "backend", "test", "n_ctx", "metric")
                           if row.get(k))
        try:
            runtime = ""
            if is_memory:
                for what, measured, pred in predict_memory_row(row):
                    results.append(RowResult(i, "memory", f"{label} | {what}", measured, pred))
            else:
                measured = _measured(row, "tok_s")
                kind, pred, runtime = _predict_speed(row)
                results.append(RowResult(i, kind, label, measured, pred, backend=runtime))
                if row.get("model_size_gib"):
                    arch = find_model(row["model"])
                    w = weight_bytes(arch, row_quant(row, arch))
                    size = _measured(row, "model_size_gib")
                    results.append(RowResult(i, "memory", f"{label} | model size", size, w.total / GIB, backend=runtime))
        except (NotFound, ValueError, KeyError, TypeError, ArithmeticError) as exc:
            kind = "memory" if is_memory else ("decode" if row.get("test", "").startswith("tg") else "prefill")
            try:
                runtime = runtime_of(row.get("backend", "")) if not is_memory else ""
            except ValueError:
                runtime = ""
            results.append(RowResult(i, kind, label, 0.0, None, str(exc)[:300], backend=runtime))
    return results


def summary(results: list[RowResult]) -> dict:
    out: dict = {}
    for kind in ("decode", "prefill", "memory"):
        errs = [r.pct_error for r in results if r.kind == kind and r.pct_error is not None]
        if not errs:
            out[kind] = {"n": 0, "median_ape": None, "p90_ape": None, "median_signed_pe": None}
            continue
        ape = sorted(abs(e) for e in errs)
        p90 = ape[min(len(ape) - 1, int(round(0.9 * (len(ape) - 1))))]
        out[kind] = {
            "n": len(errs),
            "median_ape": round(statistics.median(ape), 2),
            "p90_ape": round(p90, 2),
            "median_signed_pe": round(statistics.median(errs), 2),
        }
    return out


def backend_of_or_cpu(text: str) -> str:
    """memory.csv rows: a blank or unnamed backend is a CPU run (the old logs print no backend for CPU builds)."""
    try:
        return runtime_of(text)
    except ValueError:
        return "CPU"


def _stats(errs: list[float]) -> dict:
    ape = sorted(abs(e) for e in errs)
    p90 = ape[min(len(ape) - 1, int(round(0.9 * (len(ape) - 1))))]
    return {"n": len(errs), "median": round(statistics.median(ape), 2), "p90": round(p90, 2),
            "bias": round(statistics.median(errs), 2)}


def summary_by_backend(results: list[RowResult]) -> dict[str, dict[str, dict]]:
    """{runtime: {"decode": {n, median, p90, bias}, "prefill": {...}}}: median and p90 of |error| %, bias the
    median signed error %. Unresolved rows are not counted here (they are listed as unresolved)."""
    out: dict[str, dict[str, dict]] = {}
    for backend in sorted({r.backend for r in results if r.backend}):
        out[backend] = {}
        for kind in ("decode", "prefill"):
            errs = [r.pct_error for r in results if r.backend == backend and r.kind == kind and r.pct_error is not None]
            out[backend][kind] = _stats(errs) if errs else {"n": 0, "median": None, "p90": None, "bias": None}
    return out
