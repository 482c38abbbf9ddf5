"""Where a model's parameters sit, layer by layer, from its config.

The catalog cites each model's total parameter count; the config gives the shapes. The per-layer split computed
here from the shapes is scaled so the parts add up to the cited total, which keeps weights exact in sum while
layer placement (offload, expert offload) follows the real structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rigfit.model.architecture import Architecture


def mixer_params(arch: Architecture, kind: str) -> float:
    """Parameters of one layer's token mixer (attention / SSM), from the config's shapes."""
    h = arch.hidden_size
    gqa = h * arch.num_heads * arch.head_dim * 2 + h * arch.num_kv_heads * arch.head_dim * 2
    if kind in "FSC":
        return float(gqa)
    if kind == "M":
        m = arch.mla
        assert m is not None
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        q = h * m.q_lora_rank + m.q_lora_rank * arch.num_heads * qk if m.q_lora_rank else h * arch.num_heads * qk
        kv = h * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank * arch.num_heads * (m.qk_nope_head_dim + m.v_head_dim)
        return float(q + kv + arch.num_heads * m.v_head_dim * h)
    if kind in "WXY":
        return float(_compressed_attention_params(arch, kind))
    if kind == "L":
        la = arch.linear_attn
        assert la is not None
        k_width = la.num_k_heads * la.head_k_dim
        v_width = la.num_v_heads * la.head_v_dim
        # q, k, v, output gate and output projections (gates/decay vectors are negligible)
        return float(h * (2 * k_width + 2 * v_width) + v_width * h)
    if kind in "RH":
        s = arch.ssm
        assert s is not None
        if s.kind == "mamba1":
            dt_rank = -(-h // 16)
            ssm = h * 2 * s.d_inner + s.d_inner * (dt_rank + 2 * s.d_state) + dt_rank * s.d_inner + s.d_inner * h
        else:
            ssm = h * (2 * s.d_inner + 2 * s.n_groups * s.d_state + s.n_heads) + s.d_inner * h
        return float(ssm + (gqa if kind == "H" else 0))
    return 0.0


def _compressed_attention_params(arch: Architecture, kind: str) -> int:
    """DeepSeek V4 attention (DeepSeek-V4 inference model.py Attention / Compressor / Indexer): low-rank query
    wq_a (hidden x q_lora) and wq_b (q_lora x heads·head_dim), one shared key=value projection wkv (hidden x
    head_dim), grouped low-rank output wo_a (heads·head_dim/o_groups -> o_groups·o_lora, i.e. heads·head_dim·o_lora
    weights) and wo_b (o_groups·o_lora x hidden). A compressing layer adds its compressor's wkv and wgate (hidden x
    coff·head_dim each; coff 2 where CSA windows overlap, 1 for HCA); a CSA layer adds the lightning indexer: wq_b
    (q_lora x index_heads·index_head_dim), weights_proj (hidden x index_heads) and its own overlapping compressor
    (2 x hidden x 2·index_head_dim). Norms, attention sinks and the compressors' position biases are left out (tiny)."""
    ca = arch.compressed_attn
    assert ca is not None
    h, heads, hd = arch.hidden_size, arch.num_heads, arch.head_dim
    q = h * ca.q_lora_rank + ca.q_lora_rank * heads * hd
    out = heads * hd * ca.o_lora_rank + ca.o_groups * ca.o_lora_rank * h
    total = q + h * hd + out
    if kind == "X":
        total += 2 * h * 2 * hd  # overlapping compressor
        total += ca.q_lora_rank * ca.index_n_heads * ca.index_head_dim + h * ca.index_n_heads
        total += 2 * h * 2 * ca.index_head_dim
    elif kind == "Y":
        total += 2 * h * hd
    return total


def ffn_params(arch: Architecture, kind: str) -> tuple[float, float]:
    """(dense part, routed-expert part) of one layer's FFN. Gated FFNs: gate, up, down = 3·hidden·width; plain MLPs
    (relu², gelu) 2·hidden·width, experts included (Nemotron 3's relu² experts)."""
    h = arch.hidden_size
    mats = float(arch.ffn_matrices)
    if kind == "D":
        return mats * h * arch.intermediate_size, 0.0
    if kind == "E":
        moe = arch.moe
        assert moe is not None
        shared = mats * h * moe.shared_experts * (moe.shared_expert_ffn or moe.expert_ffn)
        router = float(h * moe.num_experts)
        return shared + router, mats * h * moe.num_experts * moe.expert_ffn
    return 0.0, 0.0


@dataclass(frozen=True)
class LayerParams:
    """Per-layer parameter counts (numpy arrays of length num_layers) plus the embedding and output head."""

    dense: np.ndarray  # attention/SSM + dense FFN + shared experts + router, scaled to the cited total
    experts: np.ndarray  # routed experts (exact from the config)
    embedding: float
    output: float
    scale: float  # cited body params / structural body params (1.0 = config and cited total agree)

    @property
    def total(self) -> float:
        return float(self.dense.sum() + self.experts.sum() + self.embedding + self.output)


@lru_cache(maxsize=4096)
def layer_params(arch: Architecture) -> LayerParams:
    ffn_kinds = arch.moe.ffn if arch.moe else "D" * arch.num_layers
    dense = np.zeros(arch.num_layers)
    experts = np.zeros(arch.num_layers)
    mixer_only = arch.moe is None and bool(arch.intermediate_size) and _mixer_only_blocks(arch)
    by_kind: dict[tuple[str, str], tuple[float, float]] = {}  # a layer's counts depend only on its two kinds
    for i, kinds in enumerate(zip(arch.mixers, ffn_kinds)):
        if kinds not in by_kind:
            mixer, ffn = kinds
            d, e = ffn_params(arch, ffn)
            # Nemotron-H style blocks: a layer is a mixer *or* an FFN; attention/SSM blocks carry no FFN.
            if mixer_only and mixer != "N":
                d = 0.0
            by_kind[kinds] = (mixer_params(arch, mixer) + d, e)
        dense[i], experts[i] = by_kind[kinds]
    embedding = arch.embedding_params
    output = arch.output_params
    body_cited = arch.total_params - embedding - output - experts.sum()
    structural = dense.sum()
    scale = body_cited / structural if structural > 0 else 1.0
    if scale <= 0:  # cited total smaller than the experts alone: trust the structure
        scale = 1.0
    return LayerParams(dense=dense * scale, experts=experts, embedding=embedding, output=output, scale=scale)


def _mixer_only_blocks(arch: Architecture) -> bool:
    """Hybrid stacks written with FFN-only blocks (N) put no FFN in their mixer blocks."""
    return "N" in arch.mixers


def shape_params_b(arch: Architecture) -> float:
    """Parameter count (billions) from the shapes alone: embeddings, output, every layer's mixer and FFN/experts and
    its two norms (what a config says when nobody cites a total; the final norm is not counted)."""
    lp = layer_params(arch)
    structural = float(lp.dense.sum() / lp.scale + lp.experts.sum() + lp.embedding + lp.output)
    return (structural + arch.num_layers * 2 * arch.hidden_size) / 1e9
