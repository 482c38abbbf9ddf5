"""Replay measured llama.cpp runs through the engine and report how far the predictions are from the measurements.

Rows name their model, quant and hardware as people write them; they resolve through the normal catalog. Each
row's setting (test type and token count, depth, devices, -ngl, tensor overrides, backend) is replayed exactly.
"""

from __future__ import annotations

import csv
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from rigfit.catalog import NotFound, find_hardware, find_model, find_quant
from rigfit.estimate.fit import placement_for
from rigfit.estimate.memory import MIB, kv_cache_bytes, weight_bytes
from rigfit.estimate.speed import decode_tokens_per_s, prefill_tokens_per_s
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import GIB, Hardware
from rigfit.model.scenario import Scenario

DEFAULT_HOST = "Desktop DDR5-5600 dual channel 64GB"
TEST = re.compile(r"^(pp|tg)(\d+)(?:@d(\d+))?$")


@dataclass(frozen=True)
class RowResult:
    line: int
    kind: str  # decode | prefill | memory
    label: str
    measured: float
    predicted: float | None
    error: str = ""  # why the row could not be resolved

    @property
    def pct_error(self) -> float | None:
        if self.predicted is None or not self.measured:
            return None
        return (self.predicted - self.measured) / self.measured * 100


def backend_of(text: str) -> str:
    t = text.lower()
    for key, name in (("cuda", "CUDA"), ("rocm", "ROCm"), ("hip", "ROCm"), ("vulkan", "Vulkan"), ("metal", "Metal"),
                      ("sycl", "SYCL")):
        if key in t:
            return name
    return "CPU"


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


def predict_speed_row(row: dict[str, str]) -> tuple[str, float]:
    m = TEST.match(row["test"].strip())
    if not m:
        raise ValueError(f"unknown test {row['test']!r}")
    kind, n, depth = m.group(1), int(m.group(2)), int(m.group(3) or 0)
    arch = find_model(row["model"])
    quant = find_quant(row["quant"])
    hw = _hardware(row["hardware"], int(row.get("n_devices") or 1))
    host = find_hardware(row["host"]) if row.get("host") else find_hardware(DEFAULT_HOST)
    backend = backend_of(row["backend"])
    cpu_only = backend == "CPU" or hw.kind == "cpu"
    ctx = depth + n + (0 if kind == "tg" else 0)
    scenario = Scenario(quant=quant, context=max(ctx, 512), host=host)
    ngl = _ngl(arch, row, hw)
    offload = row.get("offload", "") or ""
    cpu_moe = _offload_layers(arch, offload) if arch.is_moe and "/" not in offload[:8] else 0
    placement = placement_for(arch, hw, scenario, 0 if cpu_only else ngl, min(cpu_moe, arch.num_layers), cpu_only)
    if kind == "tg":
        return "decode", decode_tokens_per_s(arch, hw, scenario, placement, depth + n // 2, backend)
    return "prefill", prefill_tokens_per_s(arch, hw, scenario, placement, n, depth, backend)


def predict_memory_row(row: dict[str, str]) -> list[tuple[str, float, float]]:
    """(label, measured MiB, predicted MiB) for the model buffer and the KV buffer of a memory.csv row."""
    arch = find_model(row["model"])
    quant = find_quant(re.split(r"\s|\(", row["quant"].strip())[0])
    kv = row.get("type_kv", "f16/f16").split("/")[0] or "f16"
    scenario = Scenario(quant=quant, context=int(row["n_ctx"]), kv_type=kv)
    out = []
    if row.get("model_buffer_mib"):
        w = weight_bytes(arch, quant)
        cpu = backend_of(row.get("backend", "")) == "CPU"
        pred = (w.total if cpu else w.device_total) / MIB
        out.append(("model buffer", float(row["model_buffer_mib"]), pred))
    if row.get("kv_buffer_mib"):
        out.append(("KV buffer", float(row["kv_buffer_mib"]), kv_cache_bytes(arch, scenario) / MIB))
    return out


def validate_file(path: Path) -> list[RowResult]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ValueError(f"{path}: no rows")
    results: list[RowResult] = []
    is_memory = "kv_buffer_mib" in rows[0]
    for i, row in enumerate(rows, start=2):
        label = " | ".join(row.get(k, "") for k in ("model", "quant", "hardware", "backend", "test", "n_ctx") if row.get(k))
        try:
            if is_memory:
                for what, measured, pred in predict_memory_row(row):
                    results.append(RowResult(i, "memory", f"{label} | {what}", measured, pred))
            else:
                kind, pred = predict_speed_row(row)
                results.append(RowResult(i, kind, label, float(row["tok_s"]), pred))
                if row.get("model_size_gib"):
                    w = weight_bytes(find_model(row["model"]), find_quant(row["quant"]))
                    results.append(RowResult(i, "memory", f"{label} | model size", float(row["model_size_gib"]), w.total / GIB))
        except (NotFound, ValueError, KeyError) as exc:
            kind = "memory" if is_memory else ("decode" if row.get("test", "").startswith("tg") else "prefill")
            results.append(RowResult(i, kind, label, 0.0, None, str(exc)))
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
