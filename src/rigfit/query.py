"""From what a user typed to a Request, resolved once: names become catalog objects here and nowhere else.
CLI, API and pages call `resolve` and then `report` (estimate/report.py) on the Request."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rigfit.errors import UserError
from rigfit.catalog import NotFound, find_hardware, find_model, find_quant
from rigfit.catalog.catalog import Catalog, get_catalog
from rigfit.catalog.resolve import normalize
from rigfit.catalog.variants import variants
from rigfit.catalog.workloads import find_mode, find_workload
from rigfit.estimate.evaluate import Request
from rigfit.estimate.matrix import Settings
from rigfit.estimate.report import Report, build_report
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant
from rigfit.ingest.hub import looks_like_repo_id
from rigfit.ingest.resolve import looks_like_path, model_from_hub, model_from_path
from rigfit.model.scenario import KV_TYPE_BYTES

DEFAULT_HOST = "Desktop DDR5-5600 dual channel 64GB"
MAX_CONTEXT = 16 * 1024 * 1024
MAX_GPUS = 64



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


def resolve_hardware(name: str, allow_local: bool = True):  # type: ignore[no-untyped-def]
    """A catalog name, or "local" / "this": the detected machine (catalog GPU when one matches)."""
    if name.strip().lower() in LOCAL_NAMES:
        if not allow_local:
            raise UserError("this server does not check its own machine: name a catalog device instead")
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
    allow_local: bool = True  # "local" means this machine (a public server refuses it)


def resolve(q: Query, catalog: Catalog | None = None) -> Request:
    """Validate every value and turn every name into its catalog object (or a model read from a file or the hub)."""
    check_names(q)
    catalog = catalog or get_catalog()
    own_quant = None
    try:
        if looks_like_path(q.model):
            arch, own_quant = model_from_path(q.model)
        elif looks_like_repo_id(q.model) and catalog.model_index.find_exact(q.model) is None:
            arch = catalog.model_of_repo(q.model) or model_from_hub(q.model, offline=q.offline)
        else:
            arch = find_model(q.model)
        hw = resolve_hardware(q.hardware, q.allow_local)
    except NotFound as exc:
        raise UserError(str(exc)) from exc
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    return settle(arch, hw, q, catalog, own_quant)


def settle(arch: Architecture, hw: Hardware, q: Query, catalog: Catalog | None = None,
           own_quant: Quant | None = None) -> Request:
    """The Request for a model and hardware already resolved (pages resolve them from their URL): every other
    value of the query validated and resolved."""
    catalog = catalog or get_catalog()
    if q.context is not None and (q.context < 1 or q.context > MAX_CONTEXT):
        raise UserError(f"context must be between 1 and {MAX_CONTEXT:,} tokens, got {q.context}")
    if q.gpus is not None and not 1 <= q.gpus <= MAX_GPUS:
        raise UserError(f"gpus must be between 1 and {MAX_GPUS}, got {q.gpus}")
    if q.kv_type not in KV_TYPE_BYTES:
        raise UserError(f"unknown KV cache type {q.kv_type!r} (one of: {', '.join(KV_TYPE_BYTES)})")
    try:
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
            raise UserError(f"{hw.name} is not a discrete GPU; several devices apply to GPUs only")
        hw = hw.with_count(q.gpus)
    if quant.moe_only and not arch.is_moe:
        raise UserError(f"{quant.name} quantizes only the routed experts of a MoE model; {arch.name} is dense "
                        "(try Q4_K_M or Q8_0)")
    if not catalog.quant_runs_on(quant, hw):
        raise UserError(f"{quant.name} does not run on {hw.name}: its runtimes ({', '.join(quant.runtimes)}) "
                        f"support {', '.join(catalog.family_vendors[quant.family])} hardware; try a GGUF quant such as Q4_K_M")
    if host.kind != "cpu":
        raise UserError(f"the host must be a CPU/RAM profile (see `rigfit hardware --vendor cpu`), got {host.name}")
    return Request(arch=arch, hw=hw, quant=quant, workload=workload, mode=mode, context=q.context,
                   kv_type=q.kv_type, host=host, backend=q.backend)


def _named_exactly(text: str, entry: Architecture | Hardware) -> bool:
    key = normalize(text)
    repo = getattr(entry, "hf_repo", "")  # a model's own repository id names it exactly too
    return key in {normalize(entry.name), *(normalize(a) for a in entry.aliases), *([normalize(repo)] if repo else [])}


def resolved_from(q: Query, req: Request, catalog: Catalog | None = None) -> dict[str, dict] | None:
    """How names that are not an entry's own name or alias were read, so an answer never silently stands for its
    closest match: {"model": {"typed", "answered_for"}, "hardware": {"typed", "answered_for", "variants"}}, the
    variants being the product's other configurations ("m4 max" -> 36GB, also 48/64/128GB). None when every name
    was exact (or a file, a hub id, this machine or a device list)."""
    catalog = catalog or get_catalog()
    out: dict[str, dict] = {}
    if catalog.model_row(req.arch) is not None and not _named_exactly(q.model, req.arch):
        out["model"] = {"typed": q.model, "answered_for": req.arch.name}
    hw = req.hw
    if catalog.hardware_col(hw) is not None and hw.count == 1 and not _named_exactly(q.hardware, hw):
        out["hardware"] = {"typed": q.hardware, "answered_for": hw.name,
                           "variants": [v.name for v in variants(hw) if v.name != hw.name]}
    return out or None


def build_request(q: Query) -> Request:
    return resolve(q)


def report(req: Request, with_market: bool = True, catalog: Catalog | None = None, shared: bool = True) -> Report:
    return build_report(catalog or get_catalog(), req, with_market=with_market, shared=shared)


def run_query(q: Query, with_market: bool = True, shared: bool = True) -> Report:
    return report(resolve(q), with_market, shared=shared)


@dataclass(frozen=True)
class MatrixQuery:
    quants: tuple[str, ...] = ("Q4_K_M",)
    workloads: tuple[str, ...] = ("chat",)
    mode: str = "balanced"
    context: int | None = None
    hardware: tuple[str, ...] = ()  # empty: every catalog device
    kv_type: str = "f16"
    host: str | None = None


MAX_MATRIX_SETTINGS = 200  # quants × workloads in one request


def resolve_matrix(q: MatrixQuery, catalog: Catalog | None = None) -> tuple[list[Settings], tuple[Hardware, ...]]:
    """Each (quant, workload) setting of a matrix request, and the devices it covers."""
    catalog = catalog or get_catalog()
    if q.context is not None and not 1 <= q.context <= MAX_CONTEXT:
        raise UserError(f"context must be between 1 and {MAX_CONTEXT:,} tokens, got {q.context}")
    if q.kv_type not in KV_TYPE_BYTES:
        raise UserError(f"unknown KV cache type {q.kv_type!r} (one of: {', '.join(KV_TYPE_BYTES)})")
    if len(q.quants) * len(q.workloads) > MAX_MATRIX_SETTINGS:
        raise UserError(f"at most {MAX_MATRIX_SETTINGS} quant × workload combinations in one matrix")
    try:
        quants = [find_quant(n) for n in q.quants]
        workloads = [find_workload(n) for n in q.workloads]
        mode = find_mode(q.mode)
        host = find_hardware(q.host or DEFAULT_HOST)
        hardware = tuple(find_hardware(n) for n in q.hardware) if q.hardware else catalog.hardware
    except (NotFound, ValueError) as exc:
        raise UserError(str(exc)) from exc
    if host.kind != "cpu":
        raise UserError(f"host must be a CPU/RAM profile, got {host.name}")
    settings = [Settings(quant=qu, workload=w, mode=mode, kv_type=q.kv_type, host=host, context=q.context)
                for qu in quants for w in workloads]
    return settings, hardware
