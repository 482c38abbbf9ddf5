"""From what a user typed to a Report: resolve names, validate values, run the engine. CLI, API and pages call this."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rigfit.catalog import NotFound, find_hardware, find_model, find_quant, load_hardware, load_models, load_quants
from rigfit.catalog.loader import load_data
from rigfit.catalog.workloads import find_mode, find_workload, load_workloads
from rigfit.estimate.check import Report, Request, report
from rigfit.estimate.memory import FILE_QUANT
from rigfit.model.quant import Quant
from rigfit.catalog.resolve import model_index
from rigfit.ingest.hub import looks_like_repo_id
from rigfit.ingest.resolve import looks_like_path, model_from_hub, model_from_path
from rigfit.model.scenario import KV_TYPE_BYTES

DEFAULT_HOST = "Desktop DDR5-5600 dual channel 64GB"
TABLE_QUANTS = ("Q2_K", "Q3_K_S", "Q3_K_M", "IQ4_XS", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16", "MXFP4",
                "FP8", "NVFP4", "AWQ-INT4", "MLX-4bit", "MLX-8bit")
MAX_CONTEXT = 16 * 1024 * 1024
MAX_GPUS = 64


class UserError(ValueError):
    """Bad input: shown to the user as one line, exit code 2."""


# Catalog names are all far shorter; a longer text cannot match one, and fuzzy matching it costs time per name.
MAX_NAME_CHARS = 200
MAX_PATH_CHARS = 4096  # Linux PATH_MAX: a model given as a file path may be longer than a name
_DEVICE_COUNT = re.compile(r"^\s*(\d+)\s*[x×*]\s", re.I)
_PLUS = re.compile(r"\s\+\s")


def check_name(text: str, what: str, limit: int = MAX_NAME_CHARS) -> None:
    """Refuse text that no name can be: empty, too long, or with control characters ("a\\nb" is not a model)."""
    if not text.strip():
        raise UserError(f"{what} name is empty")
    if len(text) > limit:
        raise UserError(f"{what} name is {len(text):,} characters; the limit is {limit:,}")
    if not text.isprintable():
        raise UserError(f"{what} name contains control characters: {text[:60]!r}")


def check_device_text(text: str) -> None:
    """Refuse "99x A + 99x B ..." before resolving it: the total count, summed over the parts, is at most MAX_GPUS."""
    parts = [p for p in _PLUS.split(text) if p.strip()]
    counts = [int(m.group(1)) if (m := _DEVICE_COUNT.match(p)) else 1 for p in parts]  # digits: at most 200
    total = sum(counts)
    if total > MAX_GPUS:
        shown = f"{total:,}" if total < 10**9 else "far more"
        raise UserError(f"at most {MAX_GPUS} devices in total, got {shown} in {len(parts)} part(s)")


def check_names(q: "Query") -> None:
    """Every name of a query, at the input edge, before any lookup, file probe or fuzzy match."""
    check_name(q.model, "model", len(q.model))  # first: control characters never reach the file system
    check_name(q.model, "model", MAX_PATH_CHARS if looks_like_path(q.model) else MAX_NAME_CHARS)
    check_name(q.hardware, "hardware")
    check_device_text(q.hardware)
    for what, value in (("quant", q.quant), ("workload", q.workload), ("mode", q.mode), ("KV cache type", q.kv_type),
                        ("host", q.host), ("backend", q.backend)):
        if value is not None:
            check_name(value, what)


LOCAL_NAMES = frozenset({"local", "this", "this machine", "my machine"})


def resolve_hardware(name: str):  # type: ignore[no-untyped-def]
    """A catalog name, or "local" / "this": the detected machine (catalog GPU when one matches)."""
    if name.strip().lower() in LOCAL_NAMES:
        from rigfit.ingest.detect import detect, detected_hardware

        return detected_hardware(detect())
    return find_hardware(name)


@dataclass(frozen=True)
class Query:
    model: str
    hardware: str
    quant: str = "Q4_K_M"
    context: int | None = None
    workload: str = "chat"
    mode: str = "balanced"
    gpus: int | None = None
    kv_type: str = "f16"
    host: str | None = None
    backend: str | None = None
    offline: bool = False  # hub models from the local cache only


def build_request(q: Query) -> Request:
    check_names(q)
    if q.context is not None and (q.context < 1 or q.context > MAX_CONTEXT):
        raise UserError(f"context must be between 1 and {MAX_CONTEXT:,} tokens, got {q.context}")
    if q.gpus is not None and not 1 <= q.gpus <= MAX_GPUS:
        raise UserError(f"--gpus must be between 1 and {MAX_GPUS}, got {q.gpus}")
    if q.kv_type not in KV_TYPE_BYTES:
        raise UserError(f"unknown KV cache type {q.kv_type!r} (one of: {', '.join(KV_TYPE_BYTES)})")
    own_quant = None
    try:
        if looks_like_path(q.model):
            arch, own_quant = model_from_path(q.model)
        elif looks_like_repo_id(q.model) and model_index().find_exact(q.model) is None:
            arch = model_from_hub(q.model, offline=q.offline)
        else:
            arch = find_model(q.model)
        hw = resolve_hardware(q.hardware)
        quant = own_quant or find_quant(q.quant)
        workload = find_workload(q.workload)
        mode = find_mode(q.mode)
        host = find_hardware(q.host or DEFAULT_HOST)
    except NotFound as exc:
        raise UserError(str(exc)) from exc
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if hw.count > MAX_GPUS:
        raise UserError(f"at most {MAX_GPUS} devices in total, got {hw.count}")
    if q.gpus:
        if hw.kind != "gpu" and q.gpus > 1:
            raise UserError(f"{hw.name} is not a discrete GPU; --gpus applies to GPUs only")
        hw = hw.with_count(q.gpus)
    vendors = load_data("quants")["families"][quant.family]["vendors"]
    hw_vendor = "cpu" if hw.kind == "cpu" else hw.vendor
    if hw_vendor not in vendors and hw_vendor != "mixed":
        raise UserError(f"{quant.name} does not run on {hw.name}: its runtimes ({', '.join(quant.runtimes)}) "
                        f"support {', '.join(vendors)} hardware; try a GGUF quant such as Q4_K_M")
    if host.kind != "cpu":
        raise UserError(f"--host must be a CPU/RAM profile (see `rigfit hardware --vendor cpu`), got {host.name}")
    return Request(arch=arch, hw=hw, quant=quant, workload=workload, mode=mode, context=q.context,
                   kv_type=q.kv_type, host=host, backend=q.backend)


def table_quants(own: Quant | None = None) -> list[Quant]:
    by_name = {x.name: x for x in load_quants()}
    return ([own] if own else []) + [by_name[n] for n in TABLE_QUANTS if n in by_name]


def run_query(q: Query, with_market: bool = True) -> Report:
    req = build_request(q)
    families = load_data("quants")["families"]
    vendors = {k: tuple(v["vendors"]) for k, v in families.items()}
    # vLLM quantizes any BF16 checkpoint to FP8 at load (--quantization fp8: native on Ada/Hopper/Blackwell,
    # weight-only Marlin kernels on Ampere), so its command needs no pre-quantized repository.
    vllm_quant = find_quant("FP8")
    return report(
        req,
        table_quants(req.quant if req.quant.name == FILE_QUANT else None),
        list(load_workloads()),
        list(load_hardware()) if with_market else [],
        list(load_models()) if with_market else [],
        vendors,
        vllm_quant=vllm_quant,
    )
