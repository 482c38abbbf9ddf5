"""Where the model goes: all on the accelerator, experts in host RAM, layers in host RAM, or nowhere.

Placement follows llama.cpp's own `--fit` (common/fit.cpp): keep a margin free on each device, put dense layers
on the GPU first and let routed experts overflow to host RAM (`--n-cpu-moe`), and only then move whole layers
(`-ngl`). It runs on the computed memory model, so it answers for hardware the user does not own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rigfit.estimate.memory import (
    WeightBytes,
    compute_buffer_bytes,
    headroom_bytes,
    kv_cache_layer_bytes,
    output_buffer_bytes,
    recurrent_state_layer_bytes,
    runtime_overhead_bytes,
    usable_memory_bytes,
    weight_bytes,
)
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.scenario import Scenario

FULL_GPU = "full_gpu"
EXPERT_OFFLOAD = "expert_offload"
LAYER_OFFLOAD = "layer_offload"
CPU_ONLY = "cpu_only"
WONT_FIT = "wont_fit"

FITS, TIGHT, OFFLOAD, NO_FIT = "fits", "tight", "offload", "no_fit"


@dataclass(frozen=True)
class MemoryNeed:
    """Everything a full offload asks of the device(s), and the pieces it is made of (bytes)."""

    weights: float  # on the device(s)
    weights_file: float  # whole model as stored
    kv_cache: float
    recurrent_state: float
    compute_buffer: float  # all devices
    runtime_overhead: float  # all devices
    headroom: float  # all devices
    host_resident: float  # token embedding + logits buffer, always in host RAM

    @property
    def context_state(self) -> float:
        return self.kv_cache + self.recurrent_state

    @property
    def total(self) -> float:
        """What the device(s) must have for a full offload, headroom included."""
        return self.weights + self.context_state + self.compute_buffer + self.runtime_overhead + self.headroom


@dataclass(frozen=True)
class Placement:
    strategy: str
    status: str  # fits | tight | offload | no_fit
    gpu_layers: int  # llama.cpp -ngl: output layer + (ngl - 1) last repeating layers; num_layers + 1 = everything
    cpu_moe_layers: int  # llama.cpp --n-cpu-moe
    device_bytes: float  # per device, all of it: weights + state + buffers + runtime
    device_capacity: float  # per device usable (memory the runtime may take)
    device_weights: float  # all devices
    host_weights: float
    host_bytes: float  # host RAM this setup needs (weights, state, buffers held there)
    host_capacity: float
    offload_fraction: float  # of the model's weight bytes, share held in host RAM
    n_devices: int
    per_device: tuple[float, ...]

    @property
    def runs(self) -> bool:
        return self.status != NO_FIT

    @property
    def on_device(self) -> bool:
        return self.strategy == FULL_GPU


def memory_need(arch: Architecture, hw: Hardware, scenario: Scenario) -> MemoryNeed:
    return _need(arch, hw, scenario, weight_bytes(arch, scenario.quant), kv_cache_layer_bytes(arch, scenario),
                 compute_buffer_bytes(arch, scenario))


def _need(arch: Architecture, hw: Hardware, scenario: Scenario, w: WeightBytes, kv_layers: np.ndarray,
          compute: float) -> MemoryNeed:
    n = hw.count
    return MemoryNeed(
        weights=w.device_total,
        weights_file=w.total,
        kv_cache=float(kv_layers.sum()),
        recurrent_state=float(recurrent_state_layer_bytes(arch, scenario.concurrency).sum()),
        compute_buffer=compute * n,
        runtime_overhead=runtime_overhead_bytes(hw) * n,
        headroom=headroom_bytes(hw) * n,
        host_resident=w.host_resident + output_buffer_bytes(arch, scenario),
    )


def _host_capacity(hw: Hardware, scenario: Scenario) -> float:
    if hw.kind in ("apple", "apu", "cpu"):
        return 0.0  # unified memory: nothing to offload to
    if scenario.quant.family != "gguf":
        return 0.0  # vLLM / MLX / ExLlama serve from device memory; only llama.cpp splits with the CPU
    if scenario.host is None:
        return 0.0
    return usable_memory_bytes(scenario.host)


def device_room(hw: Hardware) -> float:
    """Bytes one device lets weights, context state and the compute buffer use: usable memory less llama.cpp's
    margin and the runtime's own overhead."""
    return usable_memory_bytes(hw) - headroom_bytes(hw) - runtime_overhead_bytes(hw)


def full_device_bytes(arch: Architecture, hw: Hardware, scenario: Scenario) -> float:
    """What everything on the device(s) asks for: weights, KV and recurrent state, one compute buffer per device."""
    state = kv_cache_layer_bytes(arch, scenario).sum() + recurrent_state_layer_bytes(arch, scenario.concurrency).sum()
    return weight_bytes(arch, scenario.quant).device_total + float(state) + compute_buffer_bytes(arch, scenario) * hw.count


def fits_on_device(arch: Architecture, hw: Hardware, scenario: Scenario) -> bool:
    """place()'s first test: the whole model with its context fits, margin kept (status fits, nothing offloaded)."""
    return full_device_bytes(arch, hw, scenario) <= device_room(hw) * hw.count


def place(arch: Architecture, hw: Hardware, scenario: Scenario, expert_offload: bool = True) -> Placement:
    w = weight_bytes(arch, scenario.quant)
    kv_layers = kv_cache_layer_bytes(arch, scenario)
    compute = compute_buffer_bytes(arch, scenario)
    need = _need(arch, hw, scenario, w, kv_layers, compute)
    n = hw.count
    cap = device_room(hw)  # per device
    margin = headroom_bytes(hw)
    layer_state = kv_layers + recurrent_state_layer_bytes(arch, scenario.concurrency)
    host_cap = _host_capacity(hw, scenario)
    total_w = w.total if w.total > 0 else 1.0

    def result(strategy: str, status: str, ngl: int, ncmoe: int, dev_w: float, dev_state: float, host_w: float,
               host_state: float, dev_compute: float) -> Placement:
        dev_total = dev_w + dev_state + dev_compute * n + runtime_overhead_bytes(hw) * n
        host_total = host_w + host_state + need.host_resident + (compute if host_w > 0 else 0.0)
        if strategy == CPU_ONLY:
            host_total = dev_total
        per = tuple(dev_total / n for _ in range(n))
        return Placement(
            strategy=strategy,
            status=status,
            gpu_layers=ngl,
            cpu_moe_layers=ncmoe,
            device_bytes=dev_total / n,
            device_capacity=cap + runtime_overhead_bytes(hw),
            device_weights=dev_w,
            host_weights=host_w,
            host_bytes=host_total,
            host_capacity=host_cap,
            offload_fraction=host_w / total_w if strategy != CPU_ONLY else 0.0,
            n_devices=n,
            per_device=per,
        )

    state_total = float(layer_state.sum())
    full = w.device_total + state_total + compute * n
    if hw.kind == "cpu":
        status = FITS if full <= cap * n else (TIGHT if full <= (cap + margin) * n else NO_FIT)
        return result(CPU_ONLY, status, 0, 0, w.device_total, state_total, 0.0, 0.0, compute)
    if full <= cap * n:
        return result(FULL_GPU, FITS, arch.num_layers + 1, 0, w.device_total, state_total, 0.0, 0.0, compute)
    if full <= (cap + margin) * n:
        return result(FULL_GPU, TIGHT, arch.num_layers + 1, 0, w.device_total, state_total, 0.0, 0.0, compute)
    if host_cap <= 0:
        return result(FULL_GPU, NO_FIT, arch.num_layers + 1, 0, w.device_total, state_total, 0.0, 0.0, compute)

    budget = cap * n
    # MoE: routed experts of the first layers go to host RAM, layer by layer (llama.cpp --n-cpu-moe N).
    if expert_offload and arch.is_moe and w.experts.sum() > 0:
        expert_cum = np.cumsum(w.experts)
        dev_needed = full - expert_cum
        ok = np.nonzero(dev_needed <= budget)[0]
        if ok.size:
            ncmoe = int(ok[0]) + 1
            host_w = float(expert_cum[ok[0]])
            placement = result(EXPERT_OFFLOAD, OFFLOAD, arch.num_layers + 1, ncmoe, w.device_total - host_w,
                               state_total, host_w + 0.0, 0.0, compute)
            if placement.host_bytes <= host_cap:
                return placement
            return _no_fit(placement)
    # Whole layers: llama.cpp's -ngl N puts the output layer and the last N-1 repeating layers on the GPU
    # (i_gpu_start = n_layer + 1 - N in llama-model.cpp).
    per_layer = w.layers + layer_state
    best = None
    for k in range(arch.num_layers, -1, -1):
        on_gpu = float(per_layer[arch.num_layers - k:].sum()) + w.output if k else w.output
        if on_gpu + compute * n <= budget:
            dev_w = (float(w.layers[arch.num_layers - k:].sum()) if k else 0.0) + w.output
            dev_state = float(layer_state[arch.num_layers - k:].sum()) if k else 0.0
            host_w = w.device_total - dev_w
            best = result(LAYER_OFFLOAD, OFFLOAD, k + 1, 0, dev_w, dev_state, host_w, state_total - dev_state, compute)
            break
    if best is None:  # not even the output layer fits: everything runs on the CPU (-ngl 0)
        best = result(LAYER_OFFLOAD, OFFLOAD, 0, 0, 0.0, 0.0, w.device_total, state_total, compute)
    if best.host_bytes > host_cap:
        return _no_fit(best)
    return best


def _no_fit(p: Placement) -> Placement:
    return Placement(**{**p.__dict__, "status": NO_FIT})


def layer_offload_only(arch: Architecture, hw: Hardware, scenario: Scenario) -> Placement:
    """What whole-layer offload alone gives (what tools without expert offload pick), to compare with."""
    return place(arch, hw, scenario, expert_offload=False)


def placement_for(arch: Architecture, hw: Hardware, scenario: Scenario, gpu_layers: int, cpu_moe_layers: int = 0,
                  cpu_only: bool = False, engine: bool = False) -> Placement:
    """A placement given as llama.cpp flags (-ngl, --n-cpu-moe), e.g. to replay a measured run. engine: a serving
    engine (vLLM, SGLang, TensorRT-LLM, ExLlama, MLX), which holds every tensor on the device, the token embedding
    included, whatever the checkpoint's format (BF16 weights are a GGUF type in the catalog)."""
    w = weight_bytes(arch, scenario.quant)
    n = hw.count
    L = arch.num_layers
    layer_state = kv_cache_layer_bytes(arch, scenario) + recurrent_state_layer_bytes(arch, scenario.concurrency)
    compute = compute_buffer_bytes(arch, scenario)
    need = memory_need(arch, hw, scenario)
    if cpu_only or hw.kind == "cpu":
        total = w.device_total + float(layer_state.sum()) + compute
        return Placement(CPU_ONLY, FITS, 0, 0, total, usable_memory_bytes(hw), w.device_total, 0.0, total,
                         usable_memory_bytes(hw), 0.0, 1, (total,))
    ngl = max(0, min(gpu_layers, L + 1))
    on = gpu_layer_mask(L, ngl)
    experts_on = on.copy()
    experts_on[:cpu_moe_layers] = False
    dev_w = float(w.dense[on].sum() + w.experts[experts_on].sum()) + (w.output if ngl >= 1 else 0.0)
    if (w.embedding_on_device or engine) and ngl > L:
        # vLLM / MLX / ExLlama hold the token embedding on the device (weight_bytes): without this it was counted
        # as host-held weights and a replayed prefill paid it over PCIe once per ubatch (Llama 2 7B FP8 on an H100,
        # pp2048: 42 ms of a 70 ms prediction, measured 36 ms in all)
        dev_w += w.embedding
    host_w = max(0.0, w.device_total - dev_w)
    dev_state = float(layer_state[on].sum())
    dev_total = dev_w + dev_state + (compute + runtime_overhead_bytes(hw)) * n
    cap = usable_memory_bytes(hw) - headroom_bytes(hw) - runtime_overhead_bytes(hw)
    if host_w <= 0:
        strategy = FULL_GPU
    elif cpu_moe_layers and ngl > L:
        strategy = EXPERT_OFFLOAD
    else:
        strategy = LAYER_OFFLOAD
    status = FITS if dev_total - runtime_overhead_bytes(hw) * n <= cap * n else NO_FIT
    if strategy != FULL_GPU and status == FITS:
        status = OFFLOAD
    host_total = host_w + float(layer_state[~on].sum()) + need.host_resident
    return Placement(strategy, status, ngl, cpu_moe_layers, dev_total / n, cap + runtime_overhead_bytes(hw), dev_w,
                     host_w, host_total, _host_capacity(hw, scenario), host_w / (w.total or 1.0), n,
                     tuple(dev_total / n for _ in range(n)))


def gpu_layer_mask(num_layers: int, ngl: int) -> np.ndarray:
    """Which repeating layers -ngl puts on the GPU: the last ngl-1 (the output layer takes one)."""
    on = np.zeros(num_layers, dtype=bool)
    k = max(0, min(ngl - 1, num_layers))
    if k:
        on[num_layers - k:] = True
    return on
