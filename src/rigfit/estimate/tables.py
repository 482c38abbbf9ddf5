"""Models and hardware as tables of numpy arrays, built once, for the matrix engine.

A ModelTable pads every model's per-layer figures to the deepest model (padding layers hold zeros); a
HardwareTable holds one array per hardware figure. Both are cached per tuple of entries, so the whole catalog is
turned into arrays once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rigfit.estimate.memory import (
    compress_ratio,
    compressed_bytes_per_cell,
    headroom_bytes,
    kv_bytes_per_cell,
    ring_bytes_per_cell,
    recurrent_state_per_layer,
    runtime_overhead_bytes,
    usable_memory_bytes,
)
from rigfit.estimate.speed import (
    ENGINE_PREFILL_CHUNK,
    attend_terms,
    attention_entry_flops,
    attention_entry_scores,
    index_entry_flops,
    index_key_elements,
    index_scale,
    read_elements_per_cell,
    decode_gemm_rows,
    kv_shards,
    default_backend,
    dequant_factor,
    efficiency,
    efficiency_key,
    matrix_tflops,
    shared_expert_layers,
    stream_bandwidth,
)
from rigfit.estimate.structure import layer_params
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant

WINDOWED = "SC"  # sliding-window and chunked layers keep a ring of cells
FULL_KV_KINDS = "FCHM"  # compute buffer: layers whose scores span the whole context (llama.cpp graph reservation)


@dataclass(frozen=True, eq=False)
class ModelTable:
    models: tuple[Architecture, ...]
    n_layers: np.ndarray  # (M,)
    dense_params: np.ndarray  # (M, Lmax) attention/SSM + dense FFN + shared experts, scaled to the cited total
    expert_params: np.ndarray  # (M, Lmax) routed experts
    embedding_params: np.ndarray  # (M,)
    output_params: np.ndarray  # (M,) zero when tied
    tied: np.ndarray  # (M,) bool
    kv_elements: np.ndarray  # (M, Lmax) K+V elements per cached token (MLA: the latent as llama.cpp stores it)
    kv_read_elements: np.ndarray  # (M, Lmax) elements one decode step reads per cached token
    windowed: np.ndarray  # (M, Lmax) bool
    ring_elements: np.ndarray  # (M, Lmax) elements per window-ring cell of a compressed-attention layer (W, X, Y)
    comp_elements: np.ndarray  # (M, Lmax) elements per compressed entry (memory.compressed_bytes_per_cell)
    comp_ratio: np.ndarray  # (M, Lmax) tokens per compressed entry (0: none)
    att_scale: np.ndarray  # (M, Lmax) speed.attend_terms: attended = min(d·scale, cap) + min(d, win)
    att_cap: np.ndarray  # (M, Lmax)
    att_win: np.ndarray  # (M, Lmax)
    index_scale: np.ndarray  # (M, Lmax) indexer keys scored per token of context (speed.index_scale)
    index_read: np.ndarray  # (M, Lmax) elements of one indexer key (speed.index_key_elements)
    index_coef: np.ndarray  # (M, Lmax) FLOPs of scoring one indexer key (speed.index_entry_flops)
    kv_shards: np.ndarray  # (M,) ways tensor parallelism can split the KV cache (speed.kv_shards)
    window: np.ndarray  # (M,) sliding window (0: none)
    recurrent: np.ndarray  # (M, Lmax) bytes of one sequence's recurrent state
    attention_coef: np.ndarray  # (M, Lmax) attention FLOPs per token per attended entry
    decode_attention_coef: np.ndarray  # (M, Lmax) the same in a decode step (MLA absorbed: speed.mla_cell_dims)
    score_coef: np.ndarray  # (M, Lmax) attention scores per token per cached token (speed.attention_layer_scores)
    full_kv: np.ndarray  # (M,) bool: any F/C/H/M layer
    windowed_only: np.ndarray  # (M,) bool: S/C layers and no F/H/M layer
    vocab: np.ndarray
    hidden: np.ndarray
    heads: np.ndarray
    widest_ffn: np.ndarray  # (M,) widest FFN activation of one token (MoE: experts_per_token x expert width)
    linear_params: np.ndarray  # (M,) active parameters less the embedding: 2x this is a token's matrix FLOPs
    is_moe: np.ndarray
    moe_layers: np.ndarray  # (M,) layers with a routed FFN (Architecture.moe_layers)
    shared_moe_layers: np.ndarray  # (M,) of those, layers with shared experts too (speed.shared_expert_layers)
    experts_per_token: np.ndarray
    num_experts: np.ndarray
    max_context: np.ndarray
    exact: tuple[tuple[float, float, np.ndarray, np.ndarray] | None, ...]  # GGUF files: padded exact bytes

    @property
    def size(self) -> int:
        return len(self.models)


def _row(values: list[float], width: int) -> np.ndarray:
    out = np.zeros(width)
    out[: len(values)] = values
    return out


@lru_cache(maxsize=1024)  # one-model tables of a whole catalog, plus the catalog's own
def model_table(models: tuple[Architecture, ...]) -> ModelTable:
    width = max((a.num_layers for a in models), default=1)

    # every per-layer quantity depends on the model and the layer's kind only: one call per kind a model has, spread
    # over its layers by index
    kinds = []
    for a in models:
        uniq, inverse = np.unique(np.frombuffer(a.mixers.encode(), dtype=np.uint8), return_inverse=True)
        kinds.append(([chr(c) for c in uniq], inverse))

    def per_layer(fn) -> np.ndarray:  # type: ignore[no-untyped-def]
        out = np.zeros((len(models), width))
        for m, (a, (uniq, inverse)) in enumerate(zip(models, kinds)):
            out[m, : len(inverse)] = np.array([fn(a, k) for k in uniq], dtype=float)[inverse]
        return out

    lps = [layer_params(a) for a in models]
    exact = []
    for a in models:
        if a.exact_weights is None:
            exact.append(None)
            continue
        emb, out, dense, experts = a.exact_weights
        exact.append((emb, out, _row(list(dense), width), _row(list(experts), width)))
    return ModelTable(
        models=models,
        n_layers=np.array([a.num_layers for a in models]),
        dense_params=np.array([_row(list(lp.dense), width) for lp in lps]).reshape(len(models), width),
        expert_params=np.array([_row(list(lp.experts), width) for lp in lps]).reshape(len(models), width),
        embedding_params=np.array([lp.embedding for lp in lps], dtype=float),
        output_params=np.array([lp.output for lp in lps], dtype=float),
        tied=np.array([a.tie_embeddings for a in models]),
        kv_elements=per_layer(lambda a, k: kv_bytes_per_cell(a, k, 1.0)),
        kv_read_elements=per_layer(read_elements_per_cell),
        windowed=per_layer(lambda a, k: float(k in WINDOWED)).astype(bool),
        ring_elements=per_layer(lambda a, k: ring_bytes_per_cell(a, k, 1.0)),
        comp_elements=per_layer(lambda a, k: compressed_bytes_per_cell(a, k, 1.0)),
        comp_ratio=per_layer(compress_ratio).astype(np.int64),
        att_scale=per_layer(lambda a, k: attend_terms(a, k)[0]),
        att_cap=per_layer(lambda a, k: attend_terms(a, k)[1]),
        att_win=per_layer(lambda a, k: attend_terms(a, k)[2]),
        index_scale=per_layer(index_scale),
        index_read=per_layer(index_key_elements),
        index_coef=per_layer(index_entry_flops),
        kv_shards=np.array([kv_shards(a) for a in models], dtype=float),
        window=np.array([float(a.sliding_window or 0) for a in models]),
        recurrent=per_layer(recurrent_state_per_layer),
        attention_coef=per_layer(attention_entry_flops),
        decode_attention_coef=per_layer(lambda a, k: attention_entry_flops(a, k, decode=True)),
        score_coef=per_layer(attention_entry_scores),
        full_kv=np.array([a.count(FULL_KV_KINDS) > 0 for a in models]),
        windowed_only=np.array([a.count(WINDOWED) > 0 and a.count("FHM") == 0 for a in models]),
        vocab=np.array([a.vocab_size for a in models], dtype=float),
        hidden=np.array([a.hidden_size for a in models], dtype=float),
        heads=np.array([a.num_heads for a in models], dtype=float),
        widest_ffn=np.array([max(a.intermediate_size, a.moe.expert_ffn * a.moe.experts_per_token if a.moe else 0)
                             for a in models], dtype=float),
        linear_params=np.array([a.active_params - lp.embedding for a, lp in zip(models, lps)]),
        is_moe=np.array([a.is_moe for a in models]),
        moe_layers=np.array([a.moe_layers for a in models], dtype=float),
        shared_moe_layers=np.array([shared_expert_layers(a) for a in models], dtype=float),
        experts_per_token=np.array([a.moe.experts_per_token if a.moe else 1 for a in models], dtype=float),
        num_experts=np.array([a.moe.num_experts if a.moe else 1 for a in models], dtype=float),
        max_context=np.array([a.max_context for a in models]),
        exact=tuple(exact),
    )


@dataclass(frozen=True, eq=False)
class HardwareTable:
    hardware: tuple[Hardware, ...]
    count: np.ndarray  # (H,) devices used together
    cpu: np.ndarray  # (H,) bool: a CPU/RAM profile (the model runs on the CPU)
    unified: np.ndarray  # (H,) bool: Apple, APU or CPU (nothing to offload to)
    usable: np.ndarray  # (H,) per device
    headroom: np.ndarray
    overhead: np.ndarray
    bandwidth: np.ndarray  # bytes/s
    stream_bw: np.ndarray  # bytes/s one process streams weights at (speed.stream_bandwidth: one NUMA node)
    matrix: np.ndarray  # TFLOPS a quantized-GGUF path uses (Hardware.matrix_tflops: FP16, else BF16)
    vendor_key: tuple[str, ...]  # "cpu" for CPU profiles, else the vendor

    @property
    def size(self) -> int:
        return len(self.hardware)


@lru_cache(maxsize=64)
def hardware_table(hardware: tuple[Hardware, ...]) -> HardwareTable:
    def arr(fn) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.array([fn(h) for h in hardware], dtype=float)

    return HardwareTable(
        hardware=hardware,
        count=arr(lambda h: h.count),
        cpu=np.array([h.kind == "cpu" for h in hardware], dtype=bool),
        unified=np.array([h.kind in ("apple", "apu", "cpu") for h in hardware], dtype=bool),
        usable=arr(usable_memory_bytes),
        headroom=arr(headroom_bytes),
        overhead=arr(runtime_overhead_bytes),
        bandwidth=arr(lambda h: h.bandwidth_bytes),
        stream_bw=arr(stream_bandwidth),
        matrix=arr(lambda h: h.matrix_tflops),
        vendor_key=tuple("cpu" if h.kind == "cpu" else h.vendor for h in hardware),
    )


@dataclass(frozen=True, eq=False)
class RuntimeColumns:
    """Per hardware column, what the quant's runtime reaches there (efficiency constants, matrix peak)."""

    backend: tuple[str, ...]
    decode_bw: np.ndarray
    layer_us: np.ndarray
    token_us: np.ndarray  # fixed host-side cost per generated token (speed.Efficiency.token_us)
    moe_layer_us: np.ndarray  # extra fixed cost per MoE layer per step (speed.Efficiency.moe_layer_us)
    shared_moe_layer_us: np.ndarray  # extra per shared-expert MoE layer (speed.Efficiency.shared_moe_layer_us)
    prefill_mfu: np.ndarray
    moe_prefill: np.ndarray
    attn_eff: np.ndarray
    noflash_attn_eff: np.ndarray  # speed.decode_attention_efficiency without flash attention
    prefill_attn_eff: np.ndarray
    dequant: np.ndarray  # prefill rate factor of the quant's weights (speed.dequant_factor)
    prefill_peak: np.ndarray  # TFLOPS a prefill of this quant can use (FP8/FP4 where native)
    vllm: np.ndarray  # (H,) bool: vLLM (tensor parallel over several devices)
    chunk: np.ndarray  # (H,) a serving engine's prompt chunk (speed.ENGINE_PREFILL_CHUNK), 0: llama.cpp's -ub
    gemm_rows: np.ndarray  # (H,) rows a decode GEMM computes at least (speed.decode_gemm_rows), 0: no such bound


@lru_cache(maxsize=256)
def runtime_columns(table: HardwareTable, quant: Quant, backend: str | None = None) -> RuntimeColumns:
    backends = tuple(backend or default_backend(h, quant) for h in table.hardware)
    effs = [efficiency(b, efficiency_key(h)) for b, h in zip(backends, table.hardware)]
    return RuntimeColumns(
        backend=backends,
        decode_bw=np.array([e.decode_bw for e in effs]),
        layer_us=np.array([e.layer_us for e in effs]),
        token_us=np.array([e.token_us for e in effs]),
        moe_layer_us=np.array([e.moe_layer_us for e in effs]),
        shared_moe_layer_us=np.array([e.shared_moe_layer_us for e in effs]),
        prefill_mfu=np.array([e.prefill_mfu for e in effs]),
        moe_prefill=np.array([e.moe_prefill for e in effs]),
        attn_eff=np.array([e.attn_eff for e in effs]),
        noflash_attn_eff=np.array([e.noflash_attn_eff or e.attn_eff for e in effs]),
        prefill_attn_eff=np.array([e.prefill_attn_eff or e.prefill_mfu for e in effs]),
        dequant=np.array([dequant_factor(e, quant) for e in effs]),
        prefill_peak=np.array([matrix_tflops(h, quant) for h in table.hardware]),
        vllm=np.array([b == "vLLM" for b in backends], dtype=bool),
        chunk=np.array([float(ENGINE_PREFILL_CHUNK.get(b.split("/")[0], 0)) for b in backends]),
        gemm_rows=np.array([float(decode_gemm_rows(h, quant, b)) for h, b in zip(table.hardware, backends)]),
    )


def repeat_rows(table: ModelTable, n: int) -> ModelTable:
    """A table of n copies of a one-model table (a sweep over contexts of one model)."""
    fields = {}
    for f in table.__dataclass_fields__:
        v = getattr(table, f)
        fields[f] = np.repeat(v, n, axis=0) if isinstance(v, np.ndarray) else (v * n if isinstance(v, tuple) else v)
    return ModelTable(**fields)
