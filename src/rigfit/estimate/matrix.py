"""Every cell at once: models × hardware for one quant, workload and mode, as numpy arrays.

Each formula here is the vectorized form of the scalar reference (memory.py, fit.py, speed.py, grade.py,
evaluate.py): the same terms in the same order, over (models, hardware) arrays. Placement searches (how many
layers' experts or whole layers go to host RAM) are one `searchsorted` per model over cumulative sums, and the
largest on-device context is closed-form over a 256-token grid (KV and state are piecewise linear in context).
tests/estimate/test_matrix.py holds the two paths equal over the whole catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from rigfit.estimate.fit import (
    CPU_ONLY,
    EXPERT_OFFLOAD,
    FITS,
    FULL_GPU,
    LAYER_OFFLOAD,
    NO_FIT,
    OFFLOAD,
    TIGHT,
)
from rigfit.estimate.grade import GRADES, PLACEMENT_FACTOR, TIGHT_FACTOR
from rigfit.estimate.memory import FILE_QUANT, KV_PAD, compressed_cells, usable_memory_bytes
from rigfit.estimate.speed import (DECODE_TILE_EFF, WGMMA_ROWS, 
    N_BATCH,
    SCORE_BYTES_NO_FLASH,
    batched_attention_efficiency,
    efficiency,
    host_constants,
    stream_bandwidth,
    tensor_parallel_kv_copies,
    tensor_parallel_sync_seconds,
)
from rigfit.estimate.evaluate import Evaluation
from rigfit.estimate.fit import MemoryNeed, Placement
from rigfit.estimate.grade import Grade
from rigfit.estimate.tables import HardwareTable, ModelTable, RuntimeColumns, hardware_table, model_table, runtime_columns
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant
from rigfit.model.scenario import KV_TYPE_BYTES
from rigfit.model.workload import Mode, Workload

if TYPE_CHECKING:
    from rigfit.catalog.catalog import Catalog

STRATEGIES = (FULL_GPU, EXPERT_OFFLOAD, LAYER_OFFLOAD, CPU_ONLY)
STATUSES = (FITS, TIGHT, OFFLOAD, NO_FIT)
LETTERS = tuple(name for name, _ in GRADES) + ("F",)
S_FULL, S_EXPERT, S_LAYER, S_CPU = range(4)
ST_FITS, ST_TIGHT, ST_OFFLOAD, ST_NO_FIT = range(4)
FALLBACK_HOST_BW = 50e9  # bytes/s of host RAM when no host profile is given (speed.decode_step)


@dataclass(frozen=True)
class Settings:
    """What selects one matrix: everything of a request except the model and the hardware."""

    quant: Quant
    workload: Workload
    mode: Mode
    kv_type: str = "f16"
    host: Hardware | None = None
    context: int | None = None  # None: each model's workload context, capped at its maximum
    backend: str | None = None  # None: the runtime a user would pick for the quant on each device
    ubatch: int = 512
    flash_attention: bool = True


@dataclass(frozen=True)
class RowTokens:
    """Per model row: context, prompt tokens, cached prefix and mean decode depth."""

    context: np.ndarray
    prompt: np.ndarray
    prefix: np.ndarray
    depth: np.ndarray


def workload_rows(models: ModelTable, workload: Workload, context: int | None) -> RowTokens:
    """evaluate.workload_tokens for every model row (contexts capped at each model's maximum)."""
    ctx = np.maximum(1, np.minimum(context or workload.context, models.max_context))
    prefix = np.minimum(workload.cached_prefix, np.maximum(0, ctx - 1))
    prompt = np.maximum(1, np.minimum(workload.prompt_tokens, ctx - prefix))
    depth = np.minimum(ctx, prefix + prompt + workload.output_tokens // 2)
    return RowTokens(ctx, prompt, prefix, depth)


@dataclass(frozen=True, eq=False)
class Cells:
    """Every figure of every cell, arrays of shape (models, hardware)."""

    models: ModelTable
    hardware: HardwareTable
    settings: Settings
    runtime: RuntimeColumns
    supported: np.ndarray  # (H,) the quant's runtimes run on this device
    context: np.ndarray  # (M,)
    # memory need
    weights: np.ndarray
    weights_file: np.ndarray
    kv_cache: np.ndarray
    recurrent_state: np.ndarray
    compute_buffer: np.ndarray
    runtime_overhead: np.ndarray
    headroom: np.ndarray
    host_resident: np.ndarray
    # placement
    strategy: np.ndarray
    status: np.ndarray
    gpu_layers: np.ndarray
    cpu_moe_layers: np.ndarray
    device_bytes: np.ndarray
    device_capacity: np.ndarray
    device_weights: np.ndarray
    host_weights: np.ndarray
    host_bytes: np.ndarray
    host_capacity: np.ndarray
    offload_fraction: np.ndarray
    n_devices: np.ndarray
    # speed and grade
    decode_tps: np.ndarray
    prefill_tps: np.ndarray
    ttft_s: np.ndarray
    cold_ttft_s: np.ndarray
    throughput_tps: np.ndarray
    safe_context: np.ndarray
    score: np.ndarray
    letter: np.ndarray  # index into LETTERS
    parts: dict[str, np.ndarray]

    @property
    def need_total(self) -> np.ndarray:
        return (self.weights + self.kv_cache + self.recurrent_state + self.compute_buffer + self.runtime_overhead
                + self.headroom)

    @property
    def runs(self) -> np.ndarray:
        return (self.status != ST_NO_FIT) & self.supported[None, :]


def _pad(n: np.ndarray | int) -> np.ndarray:
    return -(-np.asarray(n) // KV_PAD) * KV_PAD


@dataclass(frozen=True)
class _Weights:
    dense: np.ndarray  # (M, L)
    experts: np.ndarray  # (M, L)
    embedding: np.ndarray
    output: np.ndarray
    device_total: np.ndarray
    file_total: np.ndarray
    host_resident: np.ndarray


@lru_cache(maxsize=512)
def _weights(models: ModelTable, quant: Quant) -> _Weights:
    """memory.weight_bytes for every row."""
    gguf = quant.family == "gguf"
    tied = models.tied
    embedding = np.where(tied, models.embedding_params * quant.output_bpw / 8, models.embedding_params * quant.embed_bpw / 8)
    output = np.where(tied, embedding if gguf else 0.0, models.output_params * quant.output_bpw / 8)
    dense = models.dense_params * quant.body_bpw / 8
    experts = models.expert_params * quant.expert_bpw / 8
    in_file = ~tied
    if quant.name == FILE_QUANT:
        dense, experts = dense.copy(), experts.copy()
        embedding, output, in_file = embedding.copy(), output.copy(), in_file.copy()
        for i, ex in enumerate(models.exact):
            if ex is not None:
                emb, out, d, e = ex
                dense[i], experts[i], embedding[i] = d, e, emb
                output[i], in_file[i] = (out if out else emb), bool(out)
    layers = (dense + experts).sum(axis=1)
    device_total = layers + output + (0.0 if gguf else embedding)
    file_total = layers + embedding + np.where(in_file, output, 0.0)
    host_resident = embedding if gguf else np.zeros_like(embedding)
    return _Weights(dense, experts, embedding, output, device_total, file_total, host_resident)


def _compute_buffer(models: ModelTable, context: np.ndarray, n_seq: int, ubatch: int, flash: bool) -> np.ndarray:
    """memory.compute_buffer_bytes per row (the output layer on the device)."""
    ub = np.minimum(ubatch, np.maximum(1, context * n_seq))
    act = ub * models.hidden * 4.0
    logits = models.vocab * ub * 4.0 + act
    n_kv = np.where(models.full_kv, _pad(context * n_seq), _pad(ubatch))
    ring = _pad(models.window * n_seq + ubatch)
    n_kv = np.where(models.windowed_only, np.minimum(n_kv, ring), n_kv)
    attention = n_kv * ub * 2.0 + 6 * act if flash else n_kv * ub * models.heads * 4.0 + 6 * act
    ffn = ub * models.widest_ffn * 3 * 4.0
    return np.maximum(np.maximum(logits, attention), ffn)


def _layer_state(models: ModelTable, context: np.ndarray, n_seq: int, bpe: float, ubatch: int) -> np.ndarray:
    """memory.kv_cache_layer_bytes + recurrent_state_layer_bytes per row, per layer."""
    n_ctx = _pad(context * n_seq)[:, None]
    ring = np.minimum(n_ctx, _pad(models.window * n_seq + ubatch)[:, None])
    cells = np.where(models.windowed, ring, n_ctx)
    return (models.kv_elements * bpe * cells + models.ring_elements * bpe * ring
            + models.comp_elements * bpe * compressed_cells(n_ctx, models.comp_ratio) + models.recurrent * n_seq)


def _prefix(a: np.ndarray) -> np.ndarray:
    """Cumulative sums along layers with a leading zero: prefix[:, i] = sum of the first i layers."""
    return np.concatenate([np.zeros((a.shape[0], 1)), np.cumsum(a, axis=1)], axis=1)


def _take(prefix: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.take_along_axis(prefix, index.astype(np.intp), axis=1)


@dataclass(frozen=True)
class _Place:
    strategy: np.ndarray
    status: np.ndarray
    ngl: np.ndarray
    ncmoe: np.ndarray
    dev_w: np.ndarray
    dev_state: np.ndarray
    host_w: np.ndarray
    host_state: np.ndarray


def _place(models: ModelTable, hw: HardwareTable, w: _Weights, state: np.ndarray, compute: np.ndarray,
           host_cap: np.ndarray) -> tuple[_Place, np.ndarray]:
    """fit.place for every cell: returns the placement arrays and the per-device capacity."""
    M, H = models.size, hw.size
    n = hw.count[None, :]
    cap = (hw.usable - hw.headroom - hw.overhead)[None, :]
    margin = hw.headroom[None, :]
    L = models.n_layers[:, None]
    state_total = state.sum(axis=1)[:, None]
    full = w.device_total[:, None] + state_total + compute[:, None] * n
    fits = full <= cap * n
    tight = ~fits & (full <= (cap + margin) * n)
    cpu = np.broadcast_to(hw.cpu[None, :], (M, H))
    strategy = np.where(cpu, S_CPU, S_FULL)
    status = np.where(fits, ST_FITS, np.where(tight, ST_TIGHT, ST_NO_FIT))
    ngl = np.where(cpu, 0, L + 1) * np.ones((1, H), dtype=int)
    ncmoe = np.zeros((M, H), dtype=int)
    dev_w = np.broadcast_to(w.device_total[:, None], (M, H)).copy()
    dev_state = np.broadcast_to(state_total, (M, H)).copy()
    host_w = np.zeros((M, H))
    host_state = np.zeros((M, H))
    offload = ~cpu & ~fits & ~tight & (host_cap[None, :] > 0)
    budget = cap * n
    for m in np.nonzero(offload.any(axis=1))[0]:
        cols = np.nonzero(offload[m])[0]
        Lm = int(models.n_layers[m])
        remaining = cols
        experts = w.experts[m, :Lm]
        if models.is_moe[m] and experts.sum() > 0:
            # routed experts of the first layers go to host RAM (--n-cpu-moe N): the first N that frees enough
            cum = np.cumsum(experts)
            first = np.searchsorted(cum, full[m, cols] - budget[0, cols], side="left")
            found = first < Lm
            c = cols[found]
            strategy[m, c], ngl[m, c], ncmoe[m, c] = S_EXPERT, Lm + 1, first[found] + 1
            host_w[m, c] = cum[first[found]]
            dev_w[m, c] = w.device_total[m] - host_w[m, c]
            remaining = cols[~found]
        if remaining.size:
            # whole layers: -ngl k+1 holds the output layer and the last k repeating layers
            per_layer = (w.dense[m, :Lm] + w.experts[m, :Lm] + state[m, :Lm])[::-1]
            suffix = np.concatenate([[0.0], np.cumsum(per_layer)])
            limit = budget[0, remaining] - compute[m] * n[0, remaining] - w.output[m]
            k = np.searchsorted(suffix, limit, side="right") - 1
            wl = np.concatenate([[0.0], np.cumsum((w.dense[m, :Lm] + w.experts[m, :Lm])[::-1])])
            st = np.concatenate([[0.0], np.cumsum(state[m, :Lm][::-1])])
            some = k >= 0
            kk = np.maximum(k, 0)
            strategy[m, remaining] = S_LAYER
            ngl[m, remaining] = np.where(some, kk + 1, 0)
            dev_w[m, remaining] = np.where(some, wl[kk] + w.output[m], 0.0)
            dev_state[m, remaining] = np.where(some, st[kk], 0.0)
            host_w[m, remaining] = w.device_total[m] - dev_w[m, remaining]
            host_state[m, remaining] = state_total[m, 0] - dev_state[m, remaining]
        status[m, cols] = ST_OFFLOAD
    return _Place(strategy, status, ngl, ncmoe, dev_w, dev_state, host_w, host_state), cap


def _host_capacity(hw: HardwareTable, quant: Quant, host: Hardware | None) -> np.ndarray:
    """fit._host_capacity per column: only llama.cpp (GGUF) on a discrete device splits with host RAM."""
    if quant.family != "gguf" or host is None:
        return np.zeros(hw.size)
    return np.where(hw.unified, 0.0, usable_memory_bytes(host))


def _decode_seconds(models: ModelTable, hw: HardwareTable, rt: RuntimeColumns, w: _Weights, p: _Place,
                    depth: np.ndarray, n_seq: int, bpe: float, host: Hardware | None, tp: np.ndarray,
                    flash: bool = True) -> np.ndarray:
    """speed.decode_step for every cell: seconds for one step of n_seq sequences at each row's depth. Without flash
    attention (speed.noflash_decode) the device layers' cache reads are attention work at noflash_attn_eff."""
    L = models.n_layers[:, None]
    cpu = p.strategy == S_CPU
    k_on = np.where(cpu, 0, np.clip(p.ngl - 1, 0, L))
    first_on = L - k_on  # the first repeating layer on the device
    first_expert_on = np.maximum(first_on, p.ncmoe)
    cells = _attended(models, depth.astype(float))
    indexed = _indexed(models, depth.astype(float))
    ctx = (models.kv_read_elements * bpe * cells + models.index_read * bpe * indexed + 2 * models.recurrent) * n_seq
    # device layers without flash attention: recurrent state only (speed.noflash_decode); CPU cells keep the reads
    ctx_gpu = ctx if flash else 2 * models.recurrent * n_seq
    frac = np.where(models.is_moe, 1.0 - (1.0 - models.experts_per_token / models.num_experts) ** n_seq, 1.0)[:, None]
    dense_pre = _prefix(w.dense + ctx)
    dense_gpu_pre = _prefix(w.dense + ctx_gpu)
    expert_pre = _prefix(w.experts)
    dense_total = dense_pre[:, -1:]
    expert_total = expert_pre[:, -1:] * frac
    dense_off = _take(dense_pre, first_on)
    expert_off = _take(expert_pre, first_expert_on) * frac
    out = w.output[:, None]
    output_on = (p.ngl >= 1) & ~cpu
    dev = (dense_gpu_pre[:, -1:] - _take(dense_gpu_pre, first_on)) + (expert_total - expert_off) + np.where(output_on, out, 0.0)
    host_bytes = dense_off + expert_off + np.where(output_on, 0.0, out)
    dev = np.where(cpu, dense_total + expert_total + out, dev)
    host_bytes = np.where(cpu, 0.0, host_bytes)
    hc = host_constants()
    devices = hw.count[None, :]
    bw = hw.stream_bw[None, :] * rt.decode_bw[None, :]
    ctx_pre = _prefix(ctx_gpu)
    ctx_dev = ctx_pre[:, -1:] - _take(ctx_pre, first_on)
    copies = tensor_parallel_kv_copies(models.kv_shards[:, None], devices)
    t_dev = np.where(tp[None, :], (dev + ctx_dev * (copies - 1.0)) / (bw * devices) + tensor_parallel_sync_seconds(L),
                     dev / bw + (devices - 1) * hc.device_hop_us * 1e-6)
    # speed.tile_compute_seconds: the decode GEMMs' tiles of max(n_seq, gemm_rows) rows
    rows = np.maximum(rt.gemm_rows, n_seq)[None, :]
    t_tile = rows * 2 * models.linear_params[:, None] / (rt.prefill_peak[None, :] * 1e12 * np.where(tp, devices, 1)
                                                         * np.where(rt.gemm_rows == WGMMA_ROWS, DECODE_TILE_EFF,
                                                                    rt.prefill_mfu)[None, :])
    t_dev = np.where(~cpu & (rt.gemm_rows[None, :] > 0), np.maximum(t_dev, t_tile), t_dev)
    host_eff = efficiency("CPU", host.arch_key if host else "")
    host_bw = (stream_bandwidth(host) if host else FALLBACK_HOST_BW) * host_eff.decode_bw
    t_host = np.where((host_bytes > 0) & ~cpu, host_bytes / host_bw, 0.0)
    cpu_full = np.where(cpu, 0, L - k_on)
    cpu_experts = np.where(models.is_moe[:, None] & ~cpu, first_expert_on - first_on, 0)
    t_cpu_layers = (cpu_full * hc.cpu_layer_us + cpu_experts * hc.cpu_moe_layer_us) * 1e-6
    attn = (models.decode_attention_coef * cells + models.index_coef * indexed) * n_seq  # speed.attention_layer_flops(decode=True)
    attn_pre = _prefix(attn)
    attn_total = attn_pre[:, -1:]
    attn_off = _take(attn_pre, first_on)
    # speed.batched_attention_efficiency
    attn_eff = rt.attn_eff if flash else rt.noflash_attn_eff  # speed.decode_attention_efficiency
    peak = hw.matrix[None, :] * 1e12 * np.minimum(1.0, attn_eff[None, :] * n_seq)
    peak_cpu = hw.matrix[None, :] * 1e12 * np.minimum(1.0, rt.attn_eff[None, :] * n_seq)  # CPU-only: flash path
    host_peak = ((host.fp16_tflops if host and host.fp16_tflops else 1.0) * 1e12
                 * batched_attention_efficiency(host_eff.attn_eff, n_seq))
    t_attn = np.where(cpu, attn_total / peak_cpu, (attn_total - attn_off) / peak + np.where(k_on < L, attn_off / host_peak, 0.0))
    t_fixed = (L * rt.layer_us[None, :] + models.moe_layers[:, None] * rt.moe_layer_us[None, :]
               + models.shared_moe_layers[:, None] * rt.shared_moe_layer_us[None, :] + rt.token_us[None, :]) * 1e-6
    return t_dev + t_host + t_cpu_layers + t_attn + t_fixed


def _prefill_seconds(models: ModelTable, hw: HardwareTable, rt: RuntimeColumns, p: _Place, tokens: np.ndarray,
                     start: np.ndarray, ubatch: int, tp: np.ndarray, flash: bool = True) -> np.ndarray:
    """speed.prefill_seconds for every cell."""
    n_tok = tokens[:, None].astype(float)
    attn_flops = _attention_flops(models, start + tokens / 2)[:, None]
    linear = n_tok * 2 * models.linear_params[:, None]
    attn = n_tok * attn_flops
    mfu = rt.prefill_mfu[None, :] * np.where(models.is_moe[:, None], rt.moe_prefill[None, :], 1.0) * rt.dequant[None, :]
    cpu = p.strategy == S_CPU
    devices = np.where(tp, hw.count, 1)[None, :]
    peak = np.where(cpu, hw.matrix[None, :] * 1e12, rt.prefill_peak[None, :] * 1e12 * devices)
    t_compute = linear / (peak * mfu) + attn / (peak * rt.prefill_attn_eff[None, :])
    stream = hw.stream_bw[None, :] * rt.decode_bw[None, :] * np.maximum(1, devices)
    if not flash:  # speed.score_traffic_seconds: the materialised f32 scores, 4 passes (not on CPUs)
        scores = n_tok * (models.score_coef * _attended(models, start + tokens / 2)).sum(axis=1)[:, None]
        t_compute = t_compute + np.where(cpu, 0.0, scores * SCORE_BYTES_NO_FLASH / stream)
    ub = np.where(rt.chunk > 0, rt.chunk, float(ubatch))[None, :]  # speed.prefill_chunk
    n_ubatch = np.ceil(tokens[:, None] / ub)
    t_weights = n_ubatch * p.dev_w / stream
    t_device = t_compute + t_weights  # speed.weight_stream_seconds: each ubatch streams the weights again
    nd = hw.count[None, :]
    m = np.maximum(1, np.minimum(n_ubatch, np.floor(N_BATCH / ub)))
    speedup = np.where(nd > 1, m * nd / (m + nd - 1), 1.0)
    t_device = np.where(~tp[None, :] & (p.host_w <= 0), t_device / speedup, t_device)
    # speed.engine_forward_seconds: a serving engine's fixed kernel costs (and all-reduces) once per prompt chunk
    L = models.n_layers[:, None]
    fixed = (L * rt.layer_us[None, :] + models.moe_layers[:, None] * rt.moe_layer_us[None, :]
             + models.shared_moe_layers[:, None] * rt.shared_moe_layer_us[None, :] + rt.token_us[None, :]) * 1e-6 + np.where(devices > 1, tensor_parallel_sync_seconds(L), 0.0)
    t_device = t_device + np.where(rt.chunk[None, :] > 0, n_ubatch * fixed, 0.0)
    t_host = np.where((p.host_w > 0) & ~cpu, n_ubatch * p.host_w / (host_constants().pcie_gbs * 1e9), 0.0)
    return np.where(tokens[:, None] > 0, t_device + t_host, 0.0)


def _log_score(value: np.ndarray, target: np.ndarray | float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = 1.0 + np.log10(value / target)
    return np.where((value <= 0) | (np.asarray(target) <= 0), 0.0, np.clip(raw, 0.0, 1.0))


def _grade(settings: Settings, status: np.ndarray, strategy: np.ndarray, decode: np.ndarray, ttft: np.ndarray,
           share: np.ndarray, throughput: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """grade.grade for every cell."""
    wl, mode = settings.workload, settings.mode
    with np.errstate(divide="ignore"):
        ttft_part = np.where(ttft > 0, _log_score(np.full_like(ttft, wl.ttft_target_s), ttft), 1.0)
    parts = {
        "decode": _log_score(decode, wl.decode_target),
        "ttft": ttft_part,
        "context": np.clip(share, 0.0, 1.0),
        "throughput": _log_score(throughput, wl.decode_target * mode.concurrency / 2),
    }
    total = sum(mode.weight(k) * v for k, v in parts.items())
    weight_sum = sum(w for _, w in mode.weights) or 1.0
    factor = np.array([PLACEMENT_FACTOR.get(s, 1.0) for s in STRATEGIES])[strategy]
    score = 100.0 * total / weight_sum * factor
    score = np.where(status == ST_TIGHT, score * TIGHT_FACTOR, score)
    score = np.floor(score * 10 + 0.5) / 10  # grade.round_score
    score = np.where(status == ST_NO_FIT, 0.0, score)
    letter = np.full(score.shape, len(LETTERS) - 1)
    for i, (_, floor) in reversed(list(enumerate(GRADES))):
        letter = np.where(score >= floor, i, letter)
    letter = np.where(status == ST_NO_FIT, len(LETTERS) - 1, letter)
    return score, letter, {k: v for k, v in parts.items() if mode.weight(k)}


def compute(models: ModelTable, hw: HardwareTable, settings: Settings, vendors: tuple[str, ...],
            rows: RowTokens | None = None) -> Cells:
    """Every cell of models × hardware under one setting. `vendors`: the hardware vendors the quant's runtimes
    support (cells elsewhere are computed but marked unsupported)."""
    q = settings.quant
    rows = rows or workload_rows(models, settings.workload, settings.context)
    conc = settings.mode.concurrency
    bpe = KV_TYPE_BYTES[settings.kv_type]
    rt = runtime_columns(hw, q, settings.backend)
    w = _weights(models, q)
    state = _layer_state(models, rows.context, conc, bpe, settings.ubatch)
    compute_buf = _compute_buffer(models, rows.context, conc, settings.ubatch, settings.flash_attention)
    host_cap = _host_capacity(hw, q, settings.host)
    p, cap = _place(models, hw, w, state, compute_buf, host_cap)
    n = hw.count[None, :]
    n_ctx = _pad(rows.context * conc)[:, None]
    ring = np.minimum(n_ctx, _pad(models.window * conc + settings.ubatch)[:, None])
    kv = (models.kv_elements * bpe * np.where(models.windowed, ring, n_ctx) + models.ring_elements * bpe * ring
          + models.comp_elements * bpe * compressed_cells(n_ctx, models.comp_ratio)).sum(axis=1)
    recurrent = (models.recurrent * conc).sum(axis=1)
    cpu = p.strategy == S_CPU
    dev_total = p.dev_w + p.dev_state + (compute_buf[:, None] + hw.overhead[None, :]) * n
    host_resident = w.host_resident + models.vocab * conc * 4
    host_total = p.host_w + p.host_state + host_resident[:, None] + np.where(p.host_w > 0, compute_buf[:, None], 0.0)
    host_total = np.where(cpu, dev_total, host_total)
    status = np.where((p.strategy != S_FULL) & (p.strategy != S_CPU) & (host_total > host_cap[None, :]), ST_NO_FIT,
                      p.status)
    total_w = np.where(w.file_total > 0, w.file_total, 1.0)[:, None]
    tp = rt.vllm & (hw.count > 1)
    fa = settings.flash_attention
    single = _decode_seconds(models, hw, rt, w, p, rows.depth, 1, bpe, settings.host, tp, fa)
    batch = single if conc == 1 else _decode_seconds(models, hw, rt, w, p, rows.depth, conc, bpe, settings.host, tp, fa)
    decode = 1.0 / single
    prefill_t = _prefill_seconds(models, hw, rt, p, rows.prompt, rows.prefix, settings.ubatch, tp,
                                 settings.flash_attention)
    prefill = np.where(prefill_t > 0, rows.prompt[:, None] / np.where(prefill_t > 0, prefill_t, 1.0), 0.0)
    ttft = prefill_t + 1.0 / decode
    cold = ttft + (w.file_total / (host_constants().disk_gbs * 1e9))[:, None]
    # speed.batch_tokens_per_s: bandwidth- or compute-bound, whichever is slower
    flops = 2 * models.linear_params + _attention_flops(models, rows.depth.astype(float))
    peak = np.where(cpu, hw.matrix[None, :], rt.prefill_peak[None, :])
    devices = np.where(tp, hw.count, 1)[None, :]
    t_compute = conc * flops[:, None] / (peak * 1e12 * devices * rt.prefill_mfu[None, :])
    throughput = conc / np.maximum(batch, t_compute)
    safe = safe_contexts(models, hw, q, settings.kv_type, conc, settings.ubatch, settings.flash_attention)
    ctx = rows.context[:, None]
    share = np.where(ctx > 0, np.minimum(1.0, safe / ctx), 0.0)
    share = np.where((status == ST_TIGHT) | (status == ST_OFFLOAD), np.maximum(share, 0.5), share)
    runs = status != ST_NO_FIT
    decode, prefill, ttft, cold, throughput = (np.where(runs, x, 0.0) for x in (decode, prefill, ttft, cold, throughput))
    score, letter, parts = _grade(settings, status, p.strategy, decode, ttft, share, throughput)
    shape = status.shape
    return Cells(
        models=models, hardware=hw, settings=settings, runtime=rt,
        supported=np.array([v == "mixed" or v in vendors for v in hw.vendor_key], dtype=bool),
        context=rows.context,
        weights=np.broadcast_to(w.device_total[:, None], shape),
        weights_file=np.broadcast_to(w.file_total[:, None], shape),
        kv_cache=np.broadcast_to(kv[:, None], shape),
        recurrent_state=np.broadcast_to(recurrent[:, None], shape),
        compute_buffer=compute_buf[:, None] * n,
        runtime_overhead=np.broadcast_to(hw.overhead[None, :] * n, shape),
        headroom=np.broadcast_to(hw.headroom[None, :] * n, shape),
        host_resident=np.broadcast_to(host_resident[:, None], shape),
        strategy=p.strategy, status=status, gpu_layers=p.ngl, cpu_moe_layers=p.ncmoe,
        device_bytes=dev_total / n,
        device_capacity=np.broadcast_to(cap + hw.overhead[None, :], shape),
        device_weights=p.dev_w, host_weights=p.host_w, host_bytes=host_total,
        host_capacity=np.broadcast_to(host_cap[None, :], shape),
        offload_fraction=np.where(cpu, 0.0, p.host_w / total_w),
        n_devices=np.broadcast_to(n, shape),
        decode_tps=decode, prefill_tps=prefill, ttft_s=ttft, cold_ttft_s=cold, throughput_tps=throughput,
        safe_context=safe, score=score, letter=letter, parts=parts,
    )


def _attended(models: ModelTable, depth: np.ndarray) -> np.ndarray:
    """Cached tokens each layer attends to at each row's depth (sliding-window layers: at most the window)."""
    d = depth[:, None]
    return np.minimum(d * models.att_scale, models.att_cap) + np.minimum(d, models.att_win)  # speed.attended_entries


def _indexed(models: ModelTable, depth: np.ndarray) -> np.ndarray:
    """Indexer keys each layer scores at each row's depth (speed.index_scale: CSA layers only)."""
    return depth[:, None] * models.index_scale


def _attention_flops(models: ModelTable, depth: np.ndarray) -> np.ndarray:
    """speed.attention_flops per row at each row's depth."""
    return (models.attention_coef * _attended(models, depth) + models.index_coef * _indexed(models, depth)).sum(axis=1)


# ---------------------------------------------------------------------------------------------- context limits


@lru_cache(maxsize=4096)
def _state_curve(models: ModelTable, row: int, kv_type: str, n_seq: int, ubatch: int, flash: bool,
                 n: int) -> np.ndarray:
    """Device bytes beyond the weights at each context 256·j (j = 1..top/256) with everything on the device:
    KV + recurrent state + n compute buffers. Non-decreasing in j."""
    a = models.models[row]
    top = max(KV_PAD, a.max_context)
    grid = np.arange(1, top // KV_PAD + 1) * KV_PAD
    bpe = KV_TYPE_BYTES[kv_type]
    sub = _row_table(models, row)
    n_ctx = _pad(grid * n_seq)
    ring = _pad(sub.window * n_seq + ubatch)
    kv_full = float((sub.kv_elements[0] * ~sub.windowed[0]).sum()) * bpe
    kv_ring = float((sub.kv_elements[0] * sub.windowed[0]).sum() + sub.ring_elements[0].sum()) * bpe
    state = kv_full * n_ctx + kv_ring * np.minimum(n_ctx, ring[0]) + float(sub.recurrent[0].sum()) * n_seq
    for r in np.unique(sub.comp_ratio[0][sub.comp_ratio[0] > 0]):  # compressed caches, one padding per ratio
        state = state + float(sub.comp_elements[0][sub.comp_ratio[0] == r].sum()) * bpe * compressed_cells(n_ctx, int(r))
    return state + _compute_buffer(sub, grid, n_seq, ubatch, flash) * n


@lru_cache(maxsize=8192)
def _row_table(models: ModelTable, row: int) -> ModelTable:
    """One row of a table, as a table (array slices: no per-layer work)."""
    sl = slice(row, row + 1)
    fields = {f: (getattr(models, f)[sl] if isinstance(getattr(models, f), (np.ndarray, tuple)) else getattr(models, f))
              for f in models.__dataclass_fields__}
    return ModelTable(**fields)


@lru_cache(maxsize=256)
def safe_contexts(models: ModelTable, hw: HardwareTable, quant: Quant, kv_type: str, n_seq: int, ubatch: int = 512,
                  flash: bool = True) -> np.ndarray:
    """evaluate.safe_context for every cell, in closed form: the largest 256-multiple context whose full placement
    fits (the model's maximum when that fits), 0 when none. It depends on the quant, KV type and concurrency, not
    on the workload, so one result serves every workload."""
    w = _weights(models, quant)
    cap = hw.usable - hw.headroom - hw.overhead
    out = np.zeros((models.size, hw.size), dtype=np.int64)
    first: dict[Architecture, int] = {}  # a sweep repeats one model per context: its limit is the same on each row
    for m, a in enumerate(models.models):
        first.setdefault(a, m)
    for n in sorted(set(hw.count.tolist())):  # (np.unique would import numpy.ma, ~10 ms of a CLI run)
        cols = np.nonzero(hw.count == n)[0]
        room = cap[cols] * n
        for m, a in enumerate(models.models):
            if first[a] != m:
                out[m, cols] = out[first[a], cols]
                continue
            curve = _state_curve(models, m, kv_type, n_seq, ubatch, flash, int(n))
            top = max(KV_PAD, a.max_context)
            limit = room - w.device_total[m]
            top_ok = _top_fits(models, m, top, kv_type, n_seq, ubatch, flash, int(n)) <= limit
            j = np.searchsorted(curve[: top // KV_PAD - 1], limit, side="right")
            out[m, cols] = np.where(top_ok, a.max_context, j * KV_PAD)
    return out


@lru_cache(maxsize=4096)
def _top_fits(models: ModelTable, m: int, top: int, kv_type: str, n_seq: int, ubatch: int, flash: bool,
              n: int) -> float:
    """Device bytes beyond the weights at the model's own maximum context (not always a multiple of 256)."""
    sub = _row_table(models, m)
    ctx = np.array([top])
    state = _layer_state(sub, ctx, n_seq, KV_TYPE_BYTES[kv_type], ubatch).sum()
    return float(state + _compute_buffer(sub, ctx, n_seq, ubatch, flash)[0] * n)


# ---------------------------------------------------------------------------------------------- one cell


def cell_evaluation(cells: Cells, i: int, j: int) -> Evaluation:
    """The scalar path's Evaluation of one cell, read from the arrays."""
    n = int(cells.n_devices[i, j])
    need = MemoryNeed(
        weights=float(cells.weights[i, j]), weights_file=float(cells.weights_file[i, j]),
        kv_cache=float(cells.kv_cache[i, j]), recurrent_state=float(cells.recurrent_state[i, j]),
        compute_buffer=float(cells.compute_buffer[i, j]), runtime_overhead=float(cells.runtime_overhead[i, j]),
        headroom=float(cells.headroom[i, j]), host_resident=float(cells.host_resident[i, j]),
    )
    device = float(cells.device_bytes[i, j])
    placement = Placement(
        strategy=STRATEGIES[cells.strategy[i, j]], status=STATUSES[cells.status[i, j]],
        gpu_layers=int(cells.gpu_layers[i, j]), cpu_moe_layers=int(cells.cpu_moe_layers[i, j]),
        device_bytes=device, device_capacity=float(cells.device_capacity[i, j]),
        device_weights=float(cells.device_weights[i, j]), host_weights=float(cells.host_weights[i, j]),
        host_bytes=float(cells.host_bytes[i, j]), host_capacity=float(cells.host_capacity[i, j]),
        offload_fraction=float(cells.offload_fraction[i, j]), n_devices=n, per_device=tuple(device for _ in range(n)),
    )
    parts = tuple((k, round(float(v[i, j]), 3)) for k, v in cells.parts.items())
    score = float(cells.score[i, j])
    grade = Grade(LETTERS[cells.letter[i, j]], score, parts if placement.status != NO_FIT else ())
    return Evaluation(
        context=int(cells.context[i]), need=need, placement=placement,
        decode_tps=float(cells.decode_tps[i, j]), prefill_tps=float(cells.prefill_tps[i, j]),
        ttft_s=float(cells.ttft_s[i, j]), cold_ttft_s=float(cells.cold_ttft_s[i, j]),
        throughput_tps=float(cells.throughput_tps[i, j]), safe_context=int(cells.safe_context[i, j]),
        grade=grade, backend=cells.runtime.backend[j],
    )


# ---------------------------------------------------------------------------------------------- lookups
# Pages ask for one pair, one model across the hardware, or one device across the models. A server (shared=True)
# reads those from whole-catalog matrices where one is already kept for the setting (the start-up computes the
# default ones; `rigfit matrix` and /api/v1/matrix compute others); anything else (another setting, a model from a
# file, a device group, a one-off such as the CLI) is computed over just the rows and columns asked, so a page never
# pays for, nor keeps, a whole matrix it did not need.


class _SharedCells:
    """Whole-catalog matrices by setting, least recently used dropped past `limit` (each holds ~25 arrays of
    models × hardware float64: a few MB)."""

    def __init__(self, limit: int = 48) -> None:
        self.limit = limit
        self.items: OrderedDict[tuple[int, Settings], Cells] = OrderedDict()
        self.lock = threading.Lock()

    def peek(self, catalog: "Catalog", settings: Settings) -> Cells | None:
        with self.lock:
            cells = self.items.get((id(catalog), settings))
            if cells is not None:
                self.items.move_to_end((id(catalog), settings))
            return cells

    def put(self, catalog: "Catalog", settings: Settings, cells: Cells) -> None:
        with self.lock:
            self.items[(id(catalog), settings)] = cells
            while len(self.items) > self.limit:
                self.items.popitem(last=False)


SHARED = _SharedCells()


def catalog_cells(catalog: "Catalog", settings: Settings) -> Cells:
    """Every catalog model on every catalog device under one setting, computed once and kept (SHARED)."""
    cells = SHARED.peek(catalog, settings)
    if cells is None:
        cells = compute(model_table(catalog.models), hardware_table(catalog.hardware), settings,
                        catalog.family_vendors[settings.quant.family])
        SHARED.put(catalog, settings, cells)
    return cells


@lru_cache(maxsize=512)
def subset_cells(catalog: "Catalog", models: tuple[Architecture, ...], hardware: tuple[Hardware, ...],
                 settings: Settings) -> Cells:
    return compute(model_table(models), hardware_table(hardware), settings, catalog.family_vendors[settings.quant.family])


def _kept(catalog: "Catalog", settings: Settings, shared: bool) -> Cells | None:
    return SHARED.peek(catalog, settings) if shared else None


def kept_evaluation(catalog: "Catalog", arch: Architecture, hw: Hardware, settings: Settings) -> Evaluation | None:
    """The cell of a whole-catalog matrix already kept for this setting, or None (nothing is computed)."""
    i, j = catalog.model_row(arch), catalog.hardware_col(hw)
    kept = SHARED.peek(catalog, settings) if i is not None and j is not None else None
    return cell_evaluation(kept, i, j) if kept is not None else None  # type: ignore[arg-type]


def pair_cell(catalog: "Catalog", arch: Architecture, hw: Hardware, settings: Settings,
              shared: bool = True) -> tuple[Cells, int, int]:
    i, j = catalog.model_row(arch), catalog.hardware_col(hw)
    kept = _kept(catalog, settings, shared) if i is not None and j is not None else None
    if kept is not None:
        return kept, i, j  # type: ignore[return-value]
    return subset_cells(catalog, (arch,), (hw,), settings), 0, 0


def hardware_row(catalog: "Catalog", arch: Architecture, settings: Settings,
                 shared: bool = True) -> tuple[Cells, int]:
    """One model on every catalog device."""
    i = catalog.model_row(arch)
    kept = _kept(catalog, settings, shared) if i is not None else None
    if kept is not None:
        return kept, i  # type: ignore[return-value]
    return subset_cells(catalog, (arch,), catalog.hardware, settings), 0


def model_column(catalog: "Catalog", hw: Hardware, settings: Settings, shared: bool = True) -> tuple[Cells, int]:
    """Every catalog model on one device."""
    j = catalog.hardware_col(hw)
    kept = _kept(catalog, settings, shared) if j is not None else None
    if kept is not None:
        return kept, j  # type: ignore[return-value]
    return subset_cells(catalog, catalog.models, (hw,), settings), 0


def hardware_cells(catalog: "Catalog", hardware: tuple[Hardware, ...], settings: Settings) -> Cells:
    """Every catalog model on the given devices (the whole catalog's shared matrix when they are all of it)."""
    if hardware == catalog.hardware:
        return catalog_cells(catalog, settings)
    return subset_cells(catalog, catalog.models, hardware, settings)
