"""A whole pair report: the request's cell, every table quant and workload, limits, verdict, best quant, upgrades,
alternatives and commands — assembled from the matrix, so every number comes from one computation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from rigfit.estimate.commands import model_sources, run_commands, vllm_command, vllm_repo
from rigfit.estimate.evaluate import Evaluation, Request, effective_context, evaluate, largest_context, workload_tokens
from rigfit.estimate.explain import Bottleneck, Note, advice, bottleneck, note
from rigfit.estimate.fit import EXPERT_OFFLOAD, FITS, LAYER_OFFLOAD, NO_FIT, TIGHT, layer_offload_only, place
from rigfit.estimate.market import RANK_LADDER, Ranked, Upgrade, rank_models, settings_of, upgrades
from rigfit.estimate.matrix import (
    Cells,
    RowTokens,
    Settings,
    ST_NO_FIT,
    catalog_cells,
    cell_evaluation,
    compute,
    hardware_row,
    kept_evaluation,
    model_column,
)
from rigfit.estimate.speed import decode_tokens_per_s
from rigfit.estimate.tables import hardware_table, model_table, repeat_rows
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant
from rigfit.model.scenario import Scenario
from rigfit.model.workload import Workload

TABLE_QUANTS = ("Q2_K", "Q3_K_S", "Q3_K_M", "IQ4_XS", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16", "MXFP4",
                "MXFP4_MOE", "FP8", "NVFP4", "AWQ-INT4", "MLX-4bit", "MLX-8bit")
# Best quant: nothing below IQ3_M's quality (the smallest quant commonly recommended for large models), and among
# quants within this much quality of the best that reach the workload's speed, the fastest.
QUALITY_FLOOR = 0.45
QUALITY_BAND = 0.01

VERDICTS = ("yes", "yes_with_offload", "runs_too_slow", "no")
SLOW_LETTERS = ("D", "F")


@dataclass(frozen=True)
class QuantRow:
    quant: Quant
    evaluation: Evaluation
    reason: Note | None  # why it cannot run (None when it runs)
    best: bool = False


@dataclass(frozen=True)
class WorkloadRow:
    workload: Workload
    evaluation: Evaluation


@dataclass(frozen=True)
class ContextLimits:
    max_context: int  # the largest context that runs at all (rigfit's placement, the host RAM it has)
    max_context_on_device: int  # the largest with everything on the accelerator


@dataclass(frozen=True)
class Report:
    request: Request
    main: Evaluation
    limits: ContextLimits
    verdict: str
    naive_offload: Evaluation | None  # whole-layer offload, for MoE models that use expert offload
    bottleneck: Bottleneck
    quants: tuple[QuantRow, ...]
    best_quant: Note | None  # code "best_quant" with the rule that picked it
    workloads: tuple[WorkloadRow, ...]
    upgrades: tuple[Upgrade, ...]
    alternatives: tuple[Ranked, ...]
    commands: dict[str, str]
    sources: dict[str, str]  # where the commands' files come from (estimate.commands.model_sources)
    advice: tuple[Note, ...]
    repos: tuple[tuple[str, str, str], ...] = ()  # verified repositories: (format key, repository id, where seen)


def verdict(ev: Evaluation) -> str:
    """One word tied to the grade: a setup graded D or F runs, but too slowly to call it a yes."""
    if ev.placement.status == NO_FIT:
        return "no"
    if ev.grade.letter in SLOW_LETTERS:
        return "runs_too_slow"
    if ev.placement.strategy in (EXPERT_OFFLOAD, LAYER_OFFLOAD):
        return "yes_with_offload"
    return "yes"


def cell(catalog, req: Request, shared: bool = True) -> Evaluation:  # type: ignore[no-untyped-def]
    """One evaluation: read from the whole-catalog matrix kept for this setting when there is one; otherwise the
    scalar reference, which for a single cell costs less than a 1x1 matrix (tests/estimate/test_matrix.py holds
    the two paths equal over the whole catalog)."""
    kept = kept_evaluation(catalog, req.arch, req.hw, settings_of(req)) if shared else None
    return kept if kept is not None else _evaluated(req)


@lru_cache(maxsize=1024)  # a page asks for its main cell again as one of its quant rows
def _evaluated(req: Request) -> Evaluation:
    return evaluate(req)


def no_fit_reason(ev: Evaluation, quant: Quant) -> Note:
    p = ev.placement
    if p.host_capacity <= 0 and quant.family != "gguf":
        return note("needs_memory_no_offload", need_gib=ev.need.total / 2**30,
                    have_gib=(p.device_capacity * p.n_devices + ev.need.headroom) / 2**30, runtime=ev.backend)
    if p.host_capacity > 0:
        return note("needs_host_ram", host_need_gib=p.host_bytes / 2**30, host_have_gib=p.host_capacity / 2**30)
    return note("needs_memory", need_gib=ev.need.total / 2**30,
                have_gib=(p.device_capacity * p.n_devices + ev.need.headroom) / 2**30)


def quant_rows(catalog, req: Request, quants: list[Quant], shared: bool = True) -> tuple[QuantRow, ...]:  # type: ignore[no-untyped-def]
    """A row per quant whose runtimes run on this hardware (MLX rows on an NVIDIA page would only be noise) and
    that applies to the model (no MXFP4 for a model without routed experts)."""
    rows = []
    for q in quants:
        if not catalog.quant_runs_on(q, req.hw) or (q.moe_only and not req.arch.is_moe):
            continue
        ev = cell(catalog, replace(req, quant=q), shared)
        rows.append(QuantRow(q, ev, no_fit_reason(ev, q) if ev.placement.status == NO_FIT else None))
    return tuple(rows)


def best_quant(req: Request, rows: tuple[QuantRow, ...]) -> Note | None:
    """The highest-quality quant that reaches the workload's targets (decode speed and time to first token), taking
    the fastest among those within QUALITY_BAND of it; when none reaches them, the fastest; never below
    QUALITY_FLOOR."""
    runs = [r for r in rows if r.evaluation and r.evaluation.placement.status != NO_FIT
            and r.quant.quality_rank >= QUALITY_FLOOR]
    if not runs:
        return None
    target = req.workload.decode_target
    meets = [r for r in runs if r.evaluation.decode_tps >= target  # type: ignore[union-attr]
             and r.evaluation.ttft_s <= req.workload.ttft_target_s]  # type: ignore[union-attr]
    pool, rule = (meets, "meets_target") if meets else (runs, "fastest_below_target")
    top = max(r.quant.quality_rank for r in pool) if meets else 0.0
    band = [r for r in pool if r.quant.quality_rank >= top - QUALITY_BAND]
    pick = max(band, key=lambda r: (r.evaluation.decode_tps, r.quant.quality_rank))  # type: ignore[union-attr]
    ev = pick.evaluation
    assert ev is not None
    return note("best_quant", quant=pick.quant.name, rule=rule, decode_tps=ev.decode_tps, target_tps=target,
                ttft_s=ev.ttft_s, target_ttft_s=req.workload.ttft_target_s, quality=pick.quant.quality,
                letter=ev.grade.letter)


def best_quant_picks(quants: list[Quant], decode: np.ndarray, ttft: np.ndarray, runs: np.ndarray,
                     workload: Workload) -> np.ndarray:
    """best_quant over many cells at once. decode, ttft, runs: (Q, N) arrays of each quant's decode tok/s, time to
    first token and whether it runs there; the index of the picked quant per cell, -1 where none runs. The same
    rule step by step (tests/estimate/test_report.py holds the two equal over whole catalog rows)."""
    quality = np.array([q.quality_rank for q in quants])[:, None]
    runs = runs & (quality >= QUALITY_FLOOR)
    meets = runs & (decode >= workload.decode_target) & (ttft <= workload.ttft_target_s)
    any_meets = meets.any(axis=0)
    pool = np.where(any_meets, meets, runs)
    top = np.where(any_meets, np.max(np.where(pool, quality, -np.inf), axis=0), 0.0)
    band = pool & (quality >= top - QUALITY_BAND)
    fastest = np.max(np.where(band, decode, -np.inf), axis=0)
    pick = np.argmax(np.where(band & (decode == fastest), quality, -np.inf), axis=0)  # ties: the higher quality
    return np.where(pool.any(axis=0), pick, -1)


def best_quants(catalog, req: Request, every: str) -> tuple[str | None, ...]:  # type: ignore[no-untyped-def]
    """The best quant at the request's settings for its model on every catalog device (every="hardware") or for
    every catalog model on its device (every="model"): the pair page's rule over the pair page's quant table, read
    from the whole-catalog matrices a server keeps for those settings."""
    quants = table_quants(catalog, req.quant)
    decode, ttft, runs = [], [], []
    for q in quants:
        s = settings_of(req, q)
        if every == "hardware":
            cells, i = hardware_row(catalog, req.arch, s)
            sel: tuple = (i, slice(None))
            applies = cells.supported & (not q.moe_only or req.arch.is_moe)
        else:
            cells, j = model_column(catalog, req.hw, s)
            sel = (slice(None), j)
            applies = bool(cells.supported[j]) & (~np.bool_(q.moe_only) | cells.models.is_moe)
        decode.append(cells.decode_tps[sel])
        ttft.append(cells.ttft_s[sel])
        runs.append(applies & (cells.status[sel] != ST_NO_FIT))
    picks = best_quant_picks(quants, np.array(decode), np.array(ttft), np.array(runs), req.workload)
    return tuple(quants[k].name if k >= 0 else None for k in picks)


def context_limits(req: Request, main: Evaluation) -> ContextLimits:
    on_device = main.safe_context
    if on_device >= req.arch.max_context:
        return ContextLimits(req.arch.max_context, on_device)
    return ContextLimits(_max_running_context(req.arch, req.hw, req.quant, req.kv_type, req.mode.concurrency,
                                              req.host, on_device), on_device)


@lru_cache(maxsize=4096)
def _max_running_context(arch: Architecture, hw: Hardware, quant: Quant, kv_type: str, concurrency: int,
                         host: Hardware | None, start: int) -> int:
    """Largest context (multiple of 256, or the model's maximum) whose placement runs at all: binary search from
    the on-device limit, where placement grows monotonically with context."""
    def runs(ctx: int) -> bool:
        s = Scenario(quant=quant, context=ctx, kv_type=kv_type, concurrency=concurrency, host=host)
        return place(arch, hw, s).status != NO_FIT

    return largest_context(arch.max_context, runs, start)


def naive_offload(req: Request, main: Evaluation) -> Evaluation | None:
    """What whole-layer offload alone would give (what tools without expert offload pick), to compare with."""
    if main.placement.strategy != EXPERT_OFFLOAD:
        return None
    p = layer_offload_only(req.arch, req.hw, req.scenario())
    depth = workload_tokens(req.workload, main.context).decode_depth
    tps = decode_tokens_per_s(req.arch, req.hw, req.scenario(concurrency=1), p, depth, main.backend) \
        if p.status != NO_FIT else 0.0
    return replace(main, placement=p, decode_tps=tps, prefill_tps=0.0, ttft_s=0.0, cold_ttft_s=0.0, throughput_tps=0.0)


def repo_ids(catalog, req: Request) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Format key -> verified repository id of the request's model (catalog/data/repos.yaml)."""
    return {k: r.repo for k, r in catalog.repos_for(req.arch).items()}


# vLLM formats tried, best quality first, when the chosen quant has no vLLM command: the model's own checkpoint
# quantized to FP8 at load, then a verified pre-quantized 4-bit checkpoint where FP8 does not fit: NVFP4 where the
# GPU runs it natively (Blackwell, quants.yaml native_arch), else AWQ.
VLLM_FALLBACKS = ("FP8", "NVFP4", "AWQ-INT4")


def commands(catalog, req: Request, main: Evaluation, shared: bool = True) -> dict[str, str]:  # type: ignore[no-untyped-def]
    if main.placement.status == NO_FIT:  # a command for a setup that cannot run would be a wrong answer
        return {}
    repos = repo_ids(catalog, req)
    cmds = run_commands(req.arch, req.hw, req.quant, main.context, req.kv_type, main.placement, req.mode.concurrency,
                        repos)
    if "vllm" in cmds or req.hw.kind != "gpu" or req.hw.vendor not in ("nvidia", "amd"):
        return cmds
    # vLLM quantizes any BF16 checkpoint to FP8 at load (--quantization fp8: native on Ada/Hopper/Blackwell,
    # weight-only Marlin kernels on Ampere), and serves a verified AWQ checkpoint as it is; it serves from device
    # memory only, so a format is offered where it fits there
    for name in VLLM_FALLBACKS:
        q = catalog.quant(name)
        if not vllm_repo(req.arch, q, repos) or (q.family == "nvfp4" and req.hw.arch_key not in q.native_arch):
            continue
        if cell(catalog, replace(req, quant=q, backend=None), shared).placement.status in (FITS, TIGHT):
            cmds["vllm"] = vllm_command(req.arch, req.hw, q, main.context, req.kv_type, repos)
            break
    return cmds


def alternatives(catalog, req: Request, main: Evaluation, limit: int, shared: bool) -> tuple[Ranked, ...]:  # type: ignore[no-untyped-def]
    """The best-ranked other models, one per family, with a faster choice always on the list (market.rank_models)."""
    return rank_models(catalog, req, limit, exclude=req.arch.name, one_per_family=True, shared=shared,
                       faster_than=main.decode_tps if main.placement.status != NO_FIT else None)


def table_quants(catalog, own: Quant | None = None) -> list[Quant]:  # type: ignore[no-untyped-def]
    by_name = {q.name: q for q in catalog.quants}
    return ([own] if own and own.name not in TABLE_QUANTS else []) + [by_name[n] for n in TABLE_QUANTS if n in by_name]


def build_report(catalog, req: Request, with_market: bool = True, upgrade_limit: int = 3,  # type: ignore[no-untyped-def]
                 alternatives_limit: int = 5, shared: bool = True) -> Report:
    """shared: read whole-catalog matrices (a server answering many pages); False computes just the rows and
    columns this report needs (a one-off such as the CLI)."""
    main = cell(catalog, req, shared)
    qrows = quant_rows(catalog, req, table_quants(catalog, req.quant), shared)
    best = best_quant(req, qrows)
    qrows = tuple(replace(r, best=best is not None and r.quant.name == best["quant"]) for r in qrows)
    limits = context_limits(req, main)
    wrows = tuple(WorkloadRow(w, cell(catalog, replace(req, workload=w, context=None), shared))
                  for w in catalog.workloads)
    cmds = commands(catalog, req, main, shared)
    return Report(
        request=req, main=main, limits=limits, verdict=verdict(main), naive_offload=naive_offload(req, main),
        bottleneck=bottleneck(req, main), quants=qrows, best_quant=best, workloads=wrows,
        upgrades=upgrades(catalog, req, main, upgrade_limit, shared) if with_market else (),
        alternatives=alternatives(catalog, req, main, alternatives_limit, shared) if with_market else (),
        commands=cmds, sources=model_sources(req.arch, req.quant, repo_ids(catalog, req), cmds),
        advice=advice(req, main, best, limits.max_context),
        repos=tuple((k, r.repo, r.seen) for k, r in catalog.repos_for(req.arch).items()),
    )


def warm_shared(catalog, base: Request) -> int:  # type: ignore[no-untyped-def]
    """Compute the whole-catalog matrices that default pages read (every table quant and the alternatives' ladder at
    the base workload, every workload at the base quant), so a server's first visitors pay what later ones do."""
    settings = {settings_of(replace(base, quant=q)) for q in table_quants(catalog)}
    settings |= {replace(settings_of(base, catalog.quant(n)), context=None) for n in RANK_LADDER}
    settings |= {settings_of(replace(base, workload=w, context=None)) for w in catalog.workloads}
    for s in settings:
        catalog_cells(catalog, s)
    return len(settings)


# ---------------------------------------------------------------------------------------------- context sweep


@dataclass(frozen=True)
class SweepPoint:
    context: int
    fit: str
    decode_tps: float  # at a context of this size (decode depth = the context)
    ttft_s: float  # for a prompt of this size
    total_gib: float
    available_gib: float


@lru_cache(maxsize=64)  # a sweep over the whole catalog's devices is ~0.5 MB of arrays
def _sweep_cells(catalog, arch: Architecture, hardware: tuple[Hardware, ...], settings: Settings,  # type: ignore[no-untyped-def]
                 ctxs: tuple[int, ...]) -> Cells:
    models = repeat_rows(model_table((arch,)), len(ctxs))
    c = np.array([effective_context(arch, x) for x in ctxs])
    rows = RowTokens(context=c, prompt=c, prefix=np.zeros_like(c), depth=c)
    return compute(models, hardware_table(hardware), settings, catalog.family_vendors[settings.quant.family], rows)


def context_sweep(catalog, req: Request, contexts: tuple[int, ...],  # type: ignore[no-untyped-def]
                  every_device: bool = False) -> tuple[SweepPoint, ...]:
    """Decode at a full context of each size and TTFT for a prompt of that size: one matrix computation over the
    model repeated once per context. every_device: sweep the model on every catalog device at once and keep it
    (a static export asks for all of them in turn; a server's visitors ask for pairs at random)."""
    ctxs = tuple(c for c in contexts if c <= req.arch.max_context)
    if not ctxs:
        return ()
    j = catalog.hardware_col(req.hw) if every_device else None
    if j is not None:
        cells = _sweep_cells(catalog, req.arch, catalog.hardware, settings_of(req), ctxs)
    else:
        cells, j = _sweep_cells(catalog, req.arch, (req.hw,), settings_of(req), ctxs), 0
    out = []
    for k, ctx in enumerate(ctxs):
        ev = cell_evaluation(cells, k, j)
        p = ev.placement
        out.append(SweepPoint(ctx, p.status, ev.decode_tps, ev.ttft_s, ev.need.total / 2**30,
                              (p.device_capacity * p.n_devices + ev.need.headroom) / 2**30))
    return tuple(out)


__all__ = ["Report", "QuantRow", "WorkloadRow", "ContextLimits", "build_report", "context_sweep", "verdict",
           "table_quants", "TABLE_QUANTS", "VERDICTS", "RANK_LADDER"]
