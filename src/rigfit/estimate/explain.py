"""What limits a setup and what to do about it, as codes with the numbers behind them.

The estimate layer writes no English: renderers (rigfit/wording.py) turn each Note into a sentence, and every
number such a sentence shows is one of the note's values.
"""

from __future__ import annotations

from dataclasses import dataclass

from rigfit.estimate.evaluate import Evaluation, Request, workload_tokens
from rigfit.estimate.fit import EXPERT_OFFLOAD, FULL_GPU, LAYER_OFFLOAD, NO_FIT, TIGHT
from rigfit.estimate.memory import usable_memory_bytes
from rigfit.estimate.speed import decode_step, efficiency, efficiency_key, stream_bandwidth
from rigfit.model.hardware import GIB

Value = float | int | str


@dataclass(frozen=True)
class Note:
    code: str
    values: tuple[tuple[str, Value], ...] = ()

    def __getitem__(self, key: str) -> Value:
        return dict(self.values)[key]

    @property
    def as_dict(self) -> dict[str, Value]:
        return dict(self.values)


def note(code: str, **values: Value) -> Note:
    return Note(code, tuple(values.items()))


# Bottleneck kinds, each with the fix that removes it.
FIX = {
    "capacity": "more_memory_or_smaller_quant",
    "host_ram": "more_host_ram_or_vram",
    "host_bandwidth": "more_vram",
    "compute": "more_compute_or_prompt_cache",
    "bandwidth": "faster_memory_or_fewer_bytes",
}


@dataclass(frozen=True)
class Bottleneck:
    what: Note  # the limit, with its numbers
    fix: Note  # what removes it, with its numbers


def bottleneck(req: Request, ev: Evaluation) -> Bottleneck:
    p, need = ev.placement, ev.need
    if p.status == NO_FIT and (p.host_capacity <= 0 or p.strategy == FULL_GPU):
        have = usable_memory_bytes(req.hw) * req.hw.count
        what = note("capacity", need_gib=need.total / GIB, have_gib=have / GIB, context=ev.context)
        return Bottleneck(what, note(FIX["capacity"], short_gib=max(0.0, (need.total - have) / GIB)))
    if p.status == NO_FIT:
        what = note("host_ram", host_need_gib=p.host_bytes / GIB, host_have_gib=p.host_capacity / GIB)
        return Bottleneck(what, note(FIX["host_ram"], short_gib=max(0.0, (p.host_bytes - p.host_capacity) / GIB)))
    if p.strategy in (EXPERT_OFFLOAD, LAYER_OFFLOAD):
        layers_off = req.arch.num_layers - min(max(p.gpu_layers - 1, 0), req.arch.num_layers)
        what = note("host_bandwidth", strategy=p.strategy, offload_percent=p.offload_fraction * 100,
                    cpu_moe_layers=p.cpu_moe_layers, layers_on_host=layers_off, layers=req.arch.num_layers,
                    host_weights_gib=p.host_weights / GIB)
        return Bottleneck(what, note(FIX["host_bandwidth"], extra_vram_gib=p.host_weights / GIB))
    parts = dict(ev.grade.parts)
    if parts and parts.get("ttft", 1.0) < parts.get("decode", 1.0):
        tokens = workload_tokens(req.workload, ev.context)
        what = note("compute", prefill_tps=ev.prefill_tps, prompt_tokens=tokens.prompt, ttft_s=ev.ttft_s)
        return Bottleneck(what, note(FIX["compute"]))
    read = bytes_per_token(req, ev)
    eff = efficiency(ev.backend, efficiency_key(req.hw))
    # one token's time, split so the sentence adds up: streaming the bytes at the bandwidth the kernels reach, the
    # fixed per-layer cost, and the rest (attention over the cache, device hops)
    token_ms = 1e3 / ev.decode_tps if ev.decode_tps else 0.0
    # the bandwidth the engine streams from (speed.stream_bandwidth: a measured read rate where the catalog has
    # one, one NUMA node of a multi-socket host), so the sentence states the figure the estimate used
    streamed = stream_bandwidth(req.hw) * req.hw.count
    stream_ms = read / (streamed * eff.decode_bw) * 1e3
    fixed_ms = req.arch.num_layers * eff.layer_us / 1e3
    what = note("bandwidth", gb_per_token=read / 1e9, bandwidth_gbs=streamed / 1e9,
                roofline_tps=streamed / read if read else 0.0,
                efficiency_percent=eff.decode_bw * 100, stream_ms=stream_ms, layers=req.arch.num_layers,
                fixed_ms=fixed_ms, other_ms=max(0.0, token_ms - stream_ms - fixed_ms), token_ms=token_ms,
                decode_tps=ev.decode_tps)
    return Bottleneck(what, note(FIX["bandwidth"]))


def bytes_per_token(req: Request, ev: Evaluation) -> float:
    """Bytes one decode step of one sequence reads at the workload's mean depth (device and host)."""
    single = req.scenario(context=ev.context, concurrency=1)
    depth = workload_tokens(req.workload, ev.context).decode_depth
    step = decode_step(req.arch, req.hw, single, ev.placement, depth, ev.backend, req.tensor_parallel)
    return step.device_bytes + step.host_bytes


KV_SHARE_FOR_ADVICE = 0.15  # suggest a q8_0 KV cache when the cache is more than this share of the memory need


def advice(req: Request, ev: Evaluation, best_quant: Note | None, max_context: int) -> tuple[Note, ...]:
    """What to change, most useful first."""
    out: list[Note] = []
    p = ev.placement
    if best_quant is not None and best_quant["quant"] != req.quant.name:
        out.append(best_quant)
    if p.strategy == EXPERT_OFFLOAD:
        out.append(note("expert_offload", cpu_moe_layers=p.cpu_moe_layers))
    if p.strategy == LAYER_OFFLOAD:
        out.append(note("layer_offload", gpu_layers=p.gpu_layers, layers=req.arch.num_layers))
    if req.kv_type == "f16" and ev.need.kv_cache > KV_SHARE_FOR_ADVICE * ev.need.total and p.status != NO_FIT:
        out.append(note("kv_q8", kv_gib=ev.need.kv_cache / GIB, saved_gib=ev.need.kv_cache / GIB * (1 - 34 / 64)))
    if ev.safe_context < ev.context and p.status != NO_FIT:
        out.append(note("context_on_device", max_context_on_device=ev.safe_context, max_context=max_context))
    if p.status == TIGHT:
        out.append(note("tight"))
    if req.hw.kind == "apple" and p.status == NO_FIT:
        out.append(note("apple_wired_limit", memory_gib=req.hw.memory_gib))
    return tuple(out)
