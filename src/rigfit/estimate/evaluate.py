"""One cell: a model on hardware at one quant, context, workload and mode — the readable scalar reference.

The matrix engine (estimate/matrix.py) computes the same numbers for many cells at once with numpy; a test
(tests/estimate/test_matrix.py) keeps the two equal over the whole catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

from rigfit.estimate.fit import NO_FIT, OFFLOAD, TIGHT, MemoryNeed, Placement, fits_on_device, memory_need, place
from rigfit.estimate.grade import Grade, grade
from rigfit.estimate.memory import KV_PAD
from rigfit.estimate.speed import batch_tokens_per_s, decode_tokens_per_s, default_backend, load_seconds, prefill_seconds
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant
from rigfit.model.scenario import Scenario
from rigfit.model.workload import Mode, Workload


@dataclass(frozen=True)
class Request:
    """Everything that selects one estimate: resolved objects, never names."""

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
        return effective_context(self.arch, self.context or self.workload.context)

    @property
    def effective_backend(self) -> str:
        return self.backend or default_backend(self.hw, self.quant)

    @property
    def tensor_parallel(self) -> bool:
        return self.effective_backend == "vLLM" and self.hw.count > 1

    def scenario(self, context: int | None = None, concurrency: int | None = None, quant: Quant | None = None) -> Scenario:
        return Scenario(quant=quant or self.quant, context=context or self.effective_context, kv_type=self.kv_type,
                        concurrency=concurrency or self.mode.concurrency, host=self.host)


def effective_context(arch: Architecture, context: int) -> int:
    return max(1, min(context, arch.max_context))


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


@dataclass(frozen=True)
class WorkloadTokens:
    prompt: int  # prompt tokens processed
    prefix: int  # tokens already in the cache before them (prompt caching)
    decode_depth: int  # mean context depth while the answer is generated


def workload_tokens(workload: Workload, context: int) -> WorkloadTokens:
    """A workload's token budget within a context."""
    prefix = min(workload.cached_prefix, max(0, context - 1))
    prompt = max(1, min(workload.prompt_tokens, context - prefix))
    return WorkloadTokens(prompt, prefix, min(context, prefix + prompt + workload.output_tokens // 2))


def safe_context(req: Request, quant: Quant | None = None, concurrency: int | None = None) -> int:
    """Largest context (multiple of 256, at most the model's maximum) that runs without any offload; 0 if none."""
    return _safe_context(req.arch, req.hw, quant or req.quant, req.kv_type, concurrency or req.mode.concurrency, req.host)


@lru_cache(maxsize=20000)
def _safe_context(arch: Architecture, hw: Hardware, quant: Quant, kv_type: str, concurrency: int,
                  host: Hardware | None) -> int:
    """Bisection over place()'s on-device test (the matrix engine computes the same limit in closed form)."""
    def ok(ctx: int) -> bool:
        s = Scenario(quant=quant, context=ctx, kv_type=kv_type, concurrency=concurrency, host=host)
        return fits_on_device(arch, hw, s)

    return largest_context(arch.max_context, ok)


def largest_context(max_context: int, ok: Callable[[int], bool], start: int = 0) -> int:
    """The model's maximum when ok(max) holds, else the largest multiple of 256 in [start, max) where ok holds
    (0 when none), by bisection: ok must hold up to some context and fail past it (memory grows with context).
    `start`: a context already known to pass."""
    top = max(KV_PAD, max_context)
    if ok(top):
        return max_context
    lo, hi = start // KV_PAD, top // KV_PAD  # in units of 256 tokens: ok(lo) holds (or lo = 0), ok(hi) fails
    if lo == 0:
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


def context_share(safe: int, context: int, status: str) -> float:
    """The grade's context part: the share of the context that fits without offload; a context that runs, without
    margin or from host RAM, gets at least half credit."""
    share = min(1.0, safe / context) if context else 0.0
    return max(share, 0.5) if status in (TIGHT, OFFLOAD) else share


def evaluate(req: Request) -> Evaluation:
    """Every core number of the request's cell (its quant, workload, context and mode)."""
    ctx = req.effective_context
    backend = req.effective_backend
    tp = req.tensor_parallel
    scenario = req.scenario()
    single = req.scenario(concurrency=1)
    need = memory_need(req.arch, req.hw, scenario)
    placement = place(req.arch, req.hw, scenario)
    tokens = workload_tokens(req.workload, ctx)
    safe = safe_context(req)
    if placement.status == NO_FIT:
        no = grade(placement, req.workload, req.mode, 0, 0, 0, 0)
        return Evaluation(ctx, need, placement, 0.0, 0.0, 0.0, 0.0, 0.0, safe, no, backend)
    decode = decode_tokens_per_s(req.arch, req.hw, single, placement, tokens.decode_depth, backend, tp)
    prefill_t = prefill_seconds(req.arch, req.hw, single, placement, tokens.prompt, tokens.prefix, backend, tp)
    prefill = tokens.prompt / prefill_t if prefill_t > 0 else 0.0
    ttft = prefill_t + (1.0 / decode if decode > 0 else 0.0)
    cold = ttft + load_seconds(need.weights_file)
    throughput = batch_tokens_per_s(req.arch, req.hw, scenario, placement, tokens.decode_depth, backend, tp)
    share = context_share(safe, ctx, placement.status)
    g = grade(placement, req.workload, req.mode, decode, ttft, share, throughput)
    return Evaluation(ctx, need, placement, decode, prefill, ttft, cold, throughput, safe, g, backend)


def with_settings(req: Request, **changes: object) -> Request:
    """A variant of a request (another quant, workload, hardware...): dataclasses.replace keeps every other field."""
    return replace(req, **changes)  # type: ignore[arg-type]
