"""One model on one piece of hardware: every number the CLI, the API and the pages show, computed once here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rigfit.estimate.commands import run_commands, vllm_command
from rigfit.estimate.fit import (
    CPU_ONLY,
    EXPERT_OFFLOAD,
    FITS,
    FULL_GPU,
    LAYER_OFFLOAD,
    NO_FIT,
    OFFLOAD,
    TIGHT,
    MemoryNeed,
    Placement,
    layer_offload_only,
    memory_need,
    place,
)
from rigfit.estimate.grade import Grade, grade
from rigfit.estimate.memory import KV_PAD, usable_memory_bytes
from rigfit.estimate.speed import (
    batch_tokens_per_s,
    decode_tokens_per_s,
    default_backend,
    load_seconds,
    prefill_seconds,
)
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import GIB, Hardware
from rigfit.model.quant import Quant
from rigfit.model.scenario import Scenario
from rigfit.model.workload import Mode, Workload


@dataclass(frozen=True)
class Request:
    """Everything that selects one estimate."""

    arch: Architecture
    hw: Hardware
    quant: Quant
    workload: Workload
    mode: Mode
    context: int | None = None  # None: the workload's context, capped at the model's maximum
    kv_type: str = "f16"
    host: Hardware | None = None
    backend: str | None = None

    @property
    def effective_context(self) -> int:
        ctx = self.context if self.context else self.workload.context
        return max(1, min(ctx, self.arch.max_context))

    @property
    def effective_backend(self) -> str:
        return self.backend or default_backend(self.hw, self.quant)

    @property
    def tensor_parallel(self) -> bool:
        return self.effective_backend == "vLLM" and self.hw.count > 1

    def scenario(self, context: int | None = None, concurrency: int | None = None, quant: Quant | None = None) -> Scenario:
        return Scenario(
            quant=quant or self.quant,
            context=context or self.effective_context,
            kv_type=self.kv_type,
            concurrency=concurrency or self.mode.concurrency,
            host=self.host,
        )


@dataclass(frozen=True)
class Evaluation:
    """The core numbers of one (model, hardware, quant, context, workload, mode)."""

    context: int
    need: MemoryNeed
    placement: Placement
    decode_tps: float
    prefill_tps: float
    ttft_s: float
    cold_ttft_s: float
    throughput_tps: float
    safe_context: int
    grade: Grade
    backend: str


def _depths(workload: Workload, context: int) -> tuple[int, int, int]:
    """(prompt tokens processed, depth before them, mean decode depth) for a workload within a context."""
    prefix = min(workload.cached_prefix, max(0, context - 1))
    prompt = max(1, min(workload.prompt_tokens, context - prefix))
    decode_depth = min(context, prefix + prompt + workload.output_tokens // 2)
    return prompt, prefix, decode_depth


def safe_context(req: Request, quant: Quant | None = None, concurrency: int | None = None) -> int:
    """Largest context (multiple of 256, at most the model's maximum) that runs without any offload; 0 if none."""
    return _safe_context(req.arch, req.hw, quant or req.quant, req.kv_type, concurrency or req.mode.concurrency, req.host)


@lru_cache(maxsize=20000)
def _safe_context(arch: Architecture, hw: Hardware, quant: Quant, kv_type: str, concurrency: int,
                  host: Hardware | None) -> int:
    def ok(ctx: int) -> bool:
        p = place(arch, hw, Scenario(quant=quant, context=ctx, kv_type=kv_type, concurrency=concurrency, host=host))
        return p.status == FITS and p.strategy in (FULL_GPU, CPU_ONLY)

    top = max(KV_PAD, arch.max_context)
    if ok(top):
        return arch.max_context
    lo, hi = 0, top // KV_PAD  # in units of 256 tokens: ok(lo) holds (0 = nothing), ok(hi) fails
    if not ok(KV_PAD):
        return 0
    lo = 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid * KV_PAD):
            lo = mid
        else:
            hi = mid
    return lo * KV_PAD


def power_of_two_floor(n: int) -> int:
    return 0 if n < 1 else 1 << (n.bit_length() - 1)


def evaluate(req: Request, quant: Quant | None = None, workload: Workload | None = None, context: int | None = None) -> Evaluation:
    quant = quant or req.quant
    workload = workload or req.workload
    ctx = context or (min(workload.context, req.arch.max_context) if workload is not req.workload else req.effective_context)
    backend = req.backend or default_backend(req.hw, quant)
    tp = backend == "vLLM" and req.hw.count > 1
    scenario = req.scenario(context=ctx, quant=quant)
    single = req.scenario(context=ctx, quant=quant, concurrency=1)
    need = memory_need(req.arch, req.hw, scenario)
    placement = place(req.arch, req.hw, scenario)
    prompt, prefix, depth = _depths(workload, ctx)
    safe = safe_context(req, quant)
    if placement.status == NO_FIT:
        return Evaluation(ctx, need, placement, 0.0, 0.0, 0.0, 0.0, 0.0, safe, grade(placement, workload, req.mode, 0, 0, 0, 0), backend)
    decode = decode_tokens_per_s(req.arch, req.hw, single, placement, depth, backend, tp)
    prefill_t = prefill_seconds(req.arch, req.hw, single, placement, prompt, prefix, backend, tp)
    prefill = prompt / prefill_t if prefill_t > 0 else 0.0
    ttft = prefill_t + (1.0 / decode if decode > 0 else 0.0)
    cold = ttft + load_seconds(need.weights_file)
    throughput = batch_tokens_per_s(req.arch, req.hw, scenario, placement, depth, backend, tp)
    share = min(1.0, safe / ctx) if ctx else 0.0
    if placement.status in (TIGHT, OFFLOAD):
        share = max(share, 0.5)  # the context runs, without margin or from host RAM: half credit
    g = grade(placement, workload, req.mode, decode, ttft, share, throughput)
    return Evaluation(ctx, need, placement, decode, prefill, ttft, cold, throughput, safe, g, backend)


# ---------------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Bottleneck:
    kind: str  # capacity | host_ram | host_bandwidth | bandwidth | compute
    title: str
    detail: str
    fix_title: str
    fix_detail: str


def bottleneck(req: Request, ev: Evaluation) -> Bottleneck:
    p, need = ev.placement, ev.need
    have = usable_memory_bytes(req.hw) * req.hw.count / GIB
    if p.status == NO_FIT and (p.host_capacity <= 0 or p.strategy == FULL_GPU):
        return Bottleneck(
            "capacity", "Not enough usable memory",
            f"The model needs {need.total / GIB:.1f} GiB at {ev.context:,} tokens of context; "
            f"{req.hw.display_name} lets it use {have:.1f} GiB.",
            "More memory, or a smaller quantization",
            "Pick hardware with more memory (see the upgrade options) or a lower-bit quantization that fits.",
        )
    if p.status == NO_FIT:
        return Bottleneck(
            "host_ram", "Not enough host RAM for the offloaded part",
            f"Offloading needs {p.host_bytes / GIB:.1f} GiB of host RAM; the host has {p.host_capacity / GIB:.1f} GiB usable.",
            "More system RAM or more VRAM",
            "Either holds the part of the model that does not fit on the GPU (the host profile sets the RAM).",
        )
    if p.strategy in (EXPERT_OFFLOAD, LAYER_OFFLOAD):
        what = "routed experts of the first %d layers" % p.cpu_moe_layers if p.strategy == EXPERT_OFFLOAD else \
            f"{req.arch.num_layers - min(p.gpu_layers, req.arch.num_layers)} of {req.arch.num_layers} layers"
        return Bottleneck(
            "host_bandwidth", "Part of the model runs from host RAM",
            f"{p.offload_fraction * 100:.0f}% of the weights ({what}) stay in host RAM, read at host-memory bandwidth "
            "for every token.",
            "More VRAM",
            f"About {max(0.0, (p.host_weights) / GIB):.1f} GiB more device memory puts everything on the accelerator.",
        )
    if ev.grade.parts and dict(ev.grade.parts).get("ttft", 1.0) < dict(ev.grade.parts).get("decode", 1.0):
        return Bottleneck(
            "compute", "Prompt processing (compute)",
            f"Prefill runs at {ev.prefill_tps:,.0f} tok/s, so a {req.workload.prompt_tokens:,}-token prompt waits "
            f"{ev.ttft_s:.1f} s before the first token.",
            "More compute or prompt caching",
            "A GPU with more tensor throughput, or reusing cached prompt prefixes, cuts time to first token.",
        )
    return Bottleneck(
        "bandwidth", "Memory bandwidth",
        f"Every generated token reads about {_bytes_per_token(req, ev) / 1e9:.2f} GB; at {req.hw.bandwidth_gbs:,.0f} GB/s "
        f"that caps decode near {ev.decode_tps:.0f} tok/s.",
        "Faster memory or fewer bytes per token",
        "Hardware with more bandwidth, a smaller quantization, or a MoE model with fewer active parameters.",
    )


def _bytes_per_token(req: Request, ev: Evaluation) -> float:
    from rigfit.estimate.speed import decode_step

    single = req.scenario(context=ev.context, concurrency=1)
    _, _, depth = _depths(req.workload, ev.context)
    step = decode_step(req.arch, req.hw, single, ev.placement, depth, ev.backend, req.tensor_parallel)
    return step.device_bytes + step.host_bytes


BEST_QUANT_MARGIN = 8.0  # grade points


@dataclass(frozen=True)
class QuantRow:
    quant: Quant
    evaluation: Evaluation
    weights_gib: float
    best: bool = False


@dataclass(frozen=True)
class WorkloadRow:
    workload: Workload
    evaluation: Evaluation


@dataclass(frozen=True)
class Upgrade:
    pick: str  # budget | value | vendor
    hardware: Hardware
    evaluation: Evaluation
    why: tuple[str, ...]


@dataclass(frozen=True)
class Alternative:
    arch: Architecture
    quant: Quant
    evaluation: Evaluation


@dataclass(frozen=True)
class Report:
    request: Request
    main: Evaluation
    naive_offload: Evaluation | None  # whole-layer offload, for MoE models that use expert offload
    bottleneck: Bottleneck
    quants: tuple[QuantRow, ...]
    workloads: tuple[WorkloadRow, ...]
    upgrades: tuple[Upgrade, ...]
    alternatives: tuple[Alternative, ...]
    commands: dict[str, str]
    advice: tuple[str, ...] = field(default_factory=tuple)

    @property
    def best_quant(self) -> QuantRow | None:
        return next((r for r in self.quants if r.best), None)


def quant_supported(quant: Quant, hw: Hardware, vendors: tuple[str, ...]) -> bool:
    return (hw.vendor if hw.kind != "cpu" else "cpu") in vendors


def quant_rows(req: Request, quants: list[Quant]) -> tuple[QuantRow, ...]:
    from rigfit.estimate.memory import weight_bytes

    rows = [QuantRow(q, evaluate(req, quant=q), weight_bytes(req.arch, q).total / GIB) for q in quants]
    runnable = [r for r in rows if r.evaluation.placement.status != NO_FIT]
    if runnable:
        # the highest-quality quant that scores within BEST_QUANT_MARGIN of the best score: a few points of speed
        # are not worth a visibly worse model
        top_score = max(r.evaluation.grade.score for r in runnable)
        near = [r for r in runnable if r.evaluation.grade.score >= top_score - BEST_QUANT_MARGIN]
        top = max(near, key=lambda r: (r.quant.quality_rank, r.evaluation.grade.score))
        rows = [QuantRow(r.quant, r.evaluation, r.weights_gib, r is top) for r in rows]
    return tuple(rows)


def report(req: Request, table_quants: list[Quant], workloads: list[Workload], hardware: list[Hardware],
           models: list[Architecture], quant_vendors: dict[str, tuple[str, ...]], vllm_quant: Quant | None = None,
           upgrade_limit: int = 3, alternatives_limit: int = 5) -> Report:
    main = evaluate(req)
    naive = None
    if main.placement.strategy == EXPERT_OFFLOAD:
        p = layer_offload_only(req.arch, req.hw, req.scenario())
        single = req.scenario(concurrency=1)
        _, _, depth = _depths(req.workload, main.context)
        tps = decode_tokens_per_s(req.arch, req.hw, single, p, depth, main.backend) if p.status != NO_FIT else 0.0
        naive = Evaluation(main.context, main.need, p, tps, 0.0, 0.0, 0.0, 0.0, main.safe_context, main.grade, main.backend)
    supported = [q for q in table_quants if quant_supported(q, req.hw, quant_vendors[q.family])]
    qrows = quant_rows(req, supported)
    wrows = tuple(WorkloadRow(w, evaluate(req, workload=w)) for w in workloads)
    cmds: dict[str, str] = {}
    if main.placement.status != NO_FIT:  # a command for a setup that cannot run would be a wrong answer
        cmds = run_commands(req.arch, req.hw, req.quant, main.context, req.kv_type, main.placement, req.mode.concurrency)
    if vllm_quant and "vllm" not in cmds and req.hw.kind == "gpu" and req.hw.vendor in ("nvidia", "amd") and req.arch.hf_repo:
        # vLLM serves from device memory only: offer it where that quant fits
        if evaluate(req, quant=vllm_quant).placement.status in (FITS, TIGHT):
            cmds["vllm"] = vllm_command(req.arch, req.hw, vllm_quant, main.context, req.kv_type)
    return Report(
        request=req,
        main=main,
        naive_offload=naive,
        bottleneck=bottleneck(req, main),
        quants=qrows,
        workloads=wrows,
        upgrades=upgrades(req, main, hardware, upgrade_limit),
        alternatives=alternatives(req, models, table_quants, alternatives_limit),
        commands=cmds,
        advice=advice(req, main, qrows),
    )


def advice(req: Request, ev: Evaluation, qrows: tuple[QuantRow, ...]) -> tuple[str, ...]:
    out: list[str] = []
    p = ev.placement
    best = next((r for r in qrows if r.best), None)
    if best and best.quant.name != req.quant.name:
        out.append(f"{best.quant.name} is the best quantization for this hardware (grade {best.evaluation.grade.letter}, "
                   f"{best.evaluation.decode_tps:.1f} tok/s).")
    if p.strategy == EXPERT_OFFLOAD:
        out.append(f"Keep the routed experts of the first {p.cpu_moe_layers} layers in host RAM (--n-cpu-moe "
                   f"{p.cpu_moe_layers}) and everything else on the GPU: only the experts a token is routed to are read "
                   "from host RAM.")
    if p.strategy == LAYER_OFFLOAD:
        out.append(f"Offload {p.gpu_layers} of {req.arch.num_layers} layers to the GPU (-ngl {p.gpu_layers}); the rest "
                   "runs on the CPU.")
    if req.kv_type == "f16" and ev.need.kv_cache > 0.15 * ev.need.total and p.status != NO_FIT:
        out.append("A q8_0 KV cache (-ctk q8_0 -ctv q8_0) halves the KV cache with negligible quality loss.")
    if ev.safe_context and ev.safe_context < min(req.arch.max_context, req.workload.context):
        out.append(f"Contexts up to {ev.safe_context:,} tokens fit without offload; longer ones spill to host RAM.")
    if p.status == TIGHT:
        out.append("It fits only by using the 1 GiB llama.cpp normally keeps free: close other GPU applications.")
    if req.hw.kind == "apple" and p.status == NO_FIT:
        out.append("macOS caps GPU memory at about 3/4 of RAM by default; `sudo sysctl iogpu.wired_limit_mb=<MB>` raises it.")
    return tuple(out)


def upgrades(req: Request, current: Evaluation, hardware: list[Hardware], limit: int = 3) -> tuple[Upgrade, ...]:
    """Budget pick, best value and same-vendor upgrade among catalog devices with a launch price."""
    candidates: list[tuple[Hardware, Evaluation]] = []
    for hw in hardware:
        if hw.msrp_usd is None or hw.kind == "cpu" or hw.name == req.hw.name:
            continue
        if hw.vendor == "apple" and req.quant.family not in ("gguf", "mlx"):
            continue
        r = Request(req.arch, hw, req.quant, req.workload, req.mode, req.context, req.kv_type, req.host)
        ev = evaluate(r)
        if ev.placement.status == NO_FIT or ev.grade.score <= current.grade.score:
            continue
        candidates.append((hw, ev))
    if not candidates:
        return ()
    good = [c for c in candidates if c[1].grade.letter in ("S", "A")] or candidates
    picks: list[Upgrade] = []
    used: set[str] = set()

    def add(pick: str, item: tuple[Hardware, Evaluation] | None) -> None:
        if item and item[0].name not in used and len(picks) < limit:
            used.add(item[0].name)
            picks.append(Upgrade(pick, item[0], item[1], _why(req, current, item[0], item[1])))

    add("budget", min(good, key=lambda c: (c[0].msrp_usd or 0, -c[1].grade.score)))
    add("value", max((c for c in good if c[0].name not in used), key=lambda c: c[1].decode_tps / (c[0].msrp_usd or 1), default=None))
    # a same-vendor *upgrade*: no slower memory than what the user has
    same = [c for c in good if c[0].vendor == req.hw.vendor and c[0].name not in used
            and c[0].bandwidth_gbs >= req.hw.bandwidth_gbs]
    add("vendor", min(same, key=lambda c: (c[0].msrp_usd or 0)) if same else None)
    return tuple(picks)


def _why(req: Request, cur: Evaluation, hw: Hardware, ev: Evaluation) -> tuple[str, ...]:
    out = []
    if cur.placement.status == NO_FIT:
        out.append("Makes the model fit, where the current hardware cannot run it at all.")
    elif cur.placement.strategy in (EXPERT_OFFLOAD, LAYER_OFFLOAD) and ev.placement.strategy == FULL_GPU:
        out.append("Holds the whole model in device memory: no host-RAM offload.")
    if hw.bandwidth_gbs > req.hw.bandwidth_gbs:
        out.append(f"{hw.bandwidth_gbs / req.hw.bandwidth_gbs:.1f}× the memory bandwidth, which sets decode speed.")
    if ev.safe_context > cur.safe_context:
        out.append(f"Safe context {ev.safe_context:,} tokens (now {cur.safe_context:,}).")
    return tuple(out)


ALTERNATIVE_QUANTS = ("Q8_0", "Q6_K", "Q4_K_M", "IQ3_M")


def alternatives(req: Request, models: list[Architecture], quants: list[Quant], limit: int = 5) -> tuple[Alternative, ...]:
    """Other catalog models that run well (grade B or better) here, largest first, same family first."""
    ladder = [q for q in quants if q.name in ALTERNATIVE_QUANTS] if req.quant.family == "gguf" else [req.quant]
    found: list[Alternative] = []
    for arch in models:
        if arch.name == req.arch.name:
            continue
        best = None
        for q in ladder:
            r = Request(arch, req.hw, q, req.workload, req.mode, None, req.kv_type, req.host)
            ev = evaluate(r)
            if ev.grade.letter in ("S", "A", "B") and (best is None or ev.grade.score > best.evaluation.grade.score):
                best = Alternative(arch, q, ev)
            if best and best.evaluation.grade.letter in ("S", "A"):
                break
        if best:
            found.append(best)
    found.sort(key=lambda a: (a.arch.family != req.arch.family, -a.arch.params_b, -a.evaluation.grade.score))
    return tuple(found[:limit])
