"""Memory a model needs: weights, KV cache, recurrent state, compute buffers, runtime overhead, headroom.

Every formula follows llama.cpp's allocator (src/llama-kv-cache.cpp, llama-memory-recurrent.cpp, ggml-alloc
graph reservation); docs/method.md gives each one with its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rigfit.estimate.structure import layer_params
from rigfit.model.architecture import COMPRESSED_KINDS, Architecture
from rigfit.model.hardware import GIB, Hardware
from rigfit.model.quant import Quant
from rigfit.model.scenario import Scenario

MIB = 1024**2
FILE_QUANT = "GGUF file"  # the quant of a model read from a GGUF: its own tensors, byte for byte
KV_PAD = 256  # llama.cpp pads the KV cache size to a multiple of 256 cells
STATE_BYTES = 4  # recurrent (Mamba / linear attention) states are F32 in llama.cpp


def pad(n: int, multiple: int = KV_PAD) -> int:
    return -(-n // multiple) * multiple


# ---------------------------------------------------------------------------------------------- weights


@dataclass(frozen=True)
class WeightBytes:
    """Bytes of each tensor group at a quantization, per layer where it matters."""

    dense: np.ndarray  # per layer: attention/SSM, dense FFN, shared experts
    experts: np.ndarray  # per layer: routed experts
    embedding: float  # token embedding (llama.cpp keeps it in host memory)
    output: float  # LM head as the device holds it
    output_in_file: bool = True  # False for tied embeddings: the device copy is made at load
    embedding_on_device: bool = False  # vLLM / MLX keep the embedding in device memory

    @property
    def layers(self) -> np.ndarray:
        return self.dense + self.experts

    @property
    def total(self) -> float:
        """Size of the model's tensors as stored (the GGUF / checkpoint)."""
        return float(self.layers.sum() + self.embedding + (self.output if self.output_in_file else 0.0))

    @property
    def device_total(self) -> float:
        """What a full offload puts in device memory."""
        return float(self.layers.sum() + self.output + (self.embedding if self.embedding_on_device else 0.0))

    @property
    def host_resident(self) -> float:
        """What stays in host memory even at full offload."""
        return 0.0 if self.embedding_on_device else self.embedding


@lru_cache(maxsize=16384)  # asked several times per cell (need, placement, speed): arrays kept read-only
def weight_bytes(arch: Architecture, quant: Quant) -> WeightBytes:
    """Tensor bytes at a quantization.

    GGUF (llama.cpp): token_embd stays in host memory (get_rows runs on the CPU; measured: Llama 3.1 8B Q4_K_M
    CPU buffer 281.81 MiB = 128,256 x 4,096 x 4.5 bits). A tied embedding is stored at the output type and
    duplicated onto the device as the LM head. Other runtimes keep every tensor on the device.
    """
    if arch.exact_weights is not None and quant.name == FILE_QUANT:
        emb, out, dense, experts = arch.exact_weights
        return WeightBytes(dense=_frozen(np.array(dense)), experts=_frozen(np.array(experts)), embedding=emb,
                           output=out if out else emb, output_in_file=bool(out))
    lp = layer_params(arch)
    gguf = quant.family == "gguf"
    if arch.tie_embeddings:
        embedding = lp.embedding * quant.output_bpw / 8
        output = embedding if gguf else 0.0
    else:
        embedding = lp.embedding * quant.embed_bpw / 8
        output = lp.output * quant.output_bpw / 8
    return WeightBytes(
        dense=_frozen(lp.dense * quant.body_bpw / 8),
        experts=_frozen(lp.experts * quant.expert_bpw / 8),
        embedding=embedding,
        output=output,
        output_in_file=not arch.tie_embeddings,
        embedding_on_device=not gguf,
    )


def _frozen(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


# ---------------------------------------------------------------------------------------------- context state


def kv_cells(arch: Architecture, kind: str, context: int, n_seq: int, ubatch: int) -> int:
    """Cells one layer of this kind keeps for n_seq sequences of `context` tokens.

    Full attention holds every token (padded to 256). Sliding-window and chunked layers keep a ring of
    min(n_ctx, pad(window·n_seq + n_ubatch)) cells (llama.cpp llama_kv_cache_iswa).
    """
    n_ctx = pad(context * n_seq)
    if kind in "SC":
        assert arch.sliding_window
        return min(n_ctx, pad(arch.sliding_window * n_seq + ubatch))
    return n_ctx


def kv_bytes_per_cell(arch: Architecture, kind: str, bytes_per_element: float) -> float:
    """K plus V bytes per cached token for one layer.

    MLA caches the compressed latent: K = kv_lora_rank + rope dims, V = kv_lora_rank (llama.cpp mainline
    deepseek2 cache, measured: DeepSeek-V3 61 layers x 16,384 cells = K 1,098 MiB + V 976 MiB).
    """
    if kind in "FSCH":
        return 2 * arch.num_kv_heads * arch.head_dim * bytes_per_element
    if kind == "M":
        assert arch.mla
        return (2 * arch.mla.kv_lora_rank + arch.mla.qk_rope_head_dim) * bytes_per_element
    return 0.0  # compressed-attention layers (W, X, Y) keep no per-token cache: ring_ and compressed_bytes_per_cell


# ---- DeepSeek V4 compressed attention (mixers W, X, Y; Architecture.compressed_attn) ----------------------------
# llama.cpp src/llama-kv-cache-dsv4.cpp (github:ggml-org/llama.cpp@035aa95b, llama_kv_cache_dsv4 ctor) keeps, per
# layer: a K-only "raw" cache of head_dim per token in a sliding-window ring (llama_kv_cache_iswa, dsv4_make_k_only:
# the key is the value); per CSA layer a compressed K-only cache of head_dim and a lightning-indexer cache of
# indexer_head_size, each GGML_PAD(ceil(kv_size / 4), 256) cells; per HCA layer a compressed cache of head_dim,
# GGML_PAD(ceil(kv_size / 128), 256) cells; and per compressing layer F32 compressor states (kv and score tensors
# of state_size x n_embd_state per sequence: CSA 2·4 x 2·head_dim, its indexer 2·4 x 2·indexer_head_size, HCA
# 128 x head_dim). The cached entries take the KV cache type (type_k) like every other cache here.


def ring_bytes_per_cell(arch: Architecture, kind: str, bytes_per_element: float) -> float:
    """Bytes per ring cell of a compressed-attention layer's sliding-window cache (one shared key=value vector)."""
    return arch.head_dim * bytes_per_element if kind in COMPRESSED_KINDS else 0.0


def compress_ratio(arch: Architecture, kind: str) -> int:
    """Tokens folded into one compressed entry: CSA (X) csa_ratio, HCA (Y) hca_ratio, else 0 (nothing compressed)."""
    ca = arch.compressed_attn
    if ca is None or kind not in "XY":
        return 0
    return ca.csa_ratio if kind == "X" else ca.hca_ratio


def compressed_bytes_per_cell(arch: Architecture, kind: str, bytes_per_element: float) -> float:
    """Bytes per compressed entry: the head_dim entry, plus the indexer key on CSA layers."""
    ca = arch.compressed_attn
    if ca is None or kind not in "XY":
        return 0.0
    return (arch.head_dim + (ca.index_head_dim if kind == "X" else 0)) * bytes_per_element


def compressed_cells(n_ctx: int | np.ndarray, ratio: int | np.ndarray) -> np.ndarray:
    """Cells of a compressed cache for n_ctx tokens: GGML_PAD(ceil(n_ctx / ratio), 256); 0 where ratio is 0."""
    r = np.maximum(np.asarray(ratio), 1)
    cells = -(-np.asarray(n_ctx) // r)
    return np.where(np.asarray(ratio) > 0, -(-cells // KV_PAD) * KV_PAD, 0)


def compressor_state_bytes(arch: Architecture, kind: str) -> float:
    """F32 compressor state of one sequence in one CSA / HCA layer (kv and score tensors; CSA windows overlap, so
    2·ratio rows of 2·width; plus the indexer's own compressor on CSA layers)."""
    ca = arch.compressed_attn
    if ca is None or kind not in "XY":
        return 0.0
    if kind == "X":
        rows = 2 * ca.csa_ratio
        return float(2 * rows * (2 * arch.head_dim + 2 * ca.index_head_dim) * STATE_BYTES)
    return float(2 * ca.hca_ratio * arch.head_dim * STATE_BYTES)


@dataclass(frozen=True)
class LayerCache:
    """Per layer: K+V elements per cached token, whether the layer keeps a sliding-window ring, the bytes of one
    sequence's recurrent state, and for compressed-attention layers the elements per ring cell, per compressed
    entry and the compression ratio."""

    kv_elements: np.ndarray
    windowed: np.ndarray
    recurrent: np.ndarray
    ring_elements: np.ndarray
    comp_elements: np.ndarray
    comp_ratio: np.ndarray


@lru_cache(maxsize=4096)
def layer_cache(arch: Architecture) -> LayerCache:
    return LayerCache(
        kv_elements=np.array([kv_bytes_per_cell(arch, k, 1.0) for k in arch.mixers]),
        windowed=np.array([k in "SC" for k in arch.mixers], dtype=bool),
        recurrent=np.array([recurrent_state_per_layer(arch, k) for k in arch.mixers]),
        ring_elements=np.array([ring_bytes_per_cell(arch, k, 1.0) for k in arch.mixers]),
        comp_elements=np.array([compressed_bytes_per_cell(arch, k, 1.0) for k in arch.mixers]),
        comp_ratio=np.array([compress_ratio(arch, k) for k in arch.mixers], dtype=np.int64),
    )


def kv_cache_layer_bytes(arch: Architecture, scenario: Scenario) -> np.ndarray:
    """Per-layer KV cache bytes (zero for recurrent layers): bytes per cell × cells (kv_cells, per layer kind);
    compressed-attention layers: their window ring plus their compressed caches (compressed_cells)."""
    lc = layer_cache(arch)
    n_ctx = pad(scenario.context * scenario.concurrency)
    ring = min(n_ctx, pad((arch.sliding_window or 0) * scenario.concurrency + scenario.ubatch))
    bpe = scenario.kv_bytes_per_element
    plain = lc.kv_elements * bpe * np.where(lc.windowed, ring, n_ctx)
    if arch.compressed_attn is None:  # no ring or compressed caches: their terms are zero (and cost a page ~0.2 ms)
        return plain
    return plain + lc.ring_elements * bpe * ring + lc.comp_elements * bpe * compressed_cells(n_ctx, lc.comp_ratio)


def kv_cache_bytes(arch: Architecture, scenario: Scenario) -> float:
    return float(kv_cache_layer_bytes(arch, scenario).sum())


def recurrent_state_per_layer(arch: Architecture, kind: str) -> float:
    """Bytes of one sequence's constant state in one linear-attention or SSM layer (F32).

    Mamba: conv state (d_conv-1)·(d_inner + 2·n_groups·d_state) plus SSM state d_inner·d_state
    (mamba1: conv over d_inner only). Linear attention (KDA, Gated DeltaNet): short-conv state over q, k, v plus
    a head_k_dim × head_v_dim matrix per value head.
    """
    if kind == "L":
        la = arch.linear_attn
        assert la
        conv_channels = 2 * la.num_k_heads * la.head_k_dim + la.num_v_heads * la.head_v_dim
        conv = (la.conv_kernel - 1) * conv_channels
        state = la.num_v_heads * la.head_k_dim * la.head_v_dim
        return float((conv + state) * STATE_BYTES)
    if kind in "RH":
        s = arch.ssm
        assert s
        if s.kind == "mamba1":
            conv = (s.d_conv - 1) * s.d_inner
        else:
            conv = (s.d_conv - 1) * (s.d_inner + 2 * s.n_groups * s.d_state)
        return float((conv + s.d_inner * s.d_state) * STATE_BYTES)
    return compressor_state_bytes(arch, kind)


def recurrent_state_layer_bytes(arch: Architecture, n_seq: int) -> np.ndarray:
    return layer_cache(arch).recurrent * n_seq


def recurrent_state_bytes(arch: Architecture, n_seq: int = 1) -> float:
    return float(recurrent_state_layer_bytes(arch, n_seq).sum())


def kv_bytes_per_token(arch: Architecture, bytes_per_element: float = 2.0) -> float:
    """KV bytes one more token of context adds (full-attention and MLA layers; windows are capped; compressed
    layers add one entry per `ratio` tokens: entry bytes / ratio, before the 256-cell padding)."""
    full = sum(kv_bytes_per_cell(arch, k, bytes_per_element) for k in arch.mixers if k not in "SC")
    compressed = sum(compressed_bytes_per_cell(arch, k, bytes_per_element) / compress_ratio(arch, k)
                     for k in arch.mixers if compress_ratio(arch, k))
    return float(full + compressed)


# ---------------------------------------------------------------------------------------------- buffers


def compute_buffer_bytes(arch: Architecture, scenario: Scenario, output_on_device: bool = True) -> float:
    """llama.cpp's reserved compute graph on the main device: the largest live set of one ubatch.

    Three candidates (ggml-alloc reuses memory between them, so the largest wins):
    - logits: vocab × n_ubatch F32 (+ one hidden-state tensor), when the output layer is on this device;
    - attention scores without flash attention: n_kv × n_ubatch × n_heads F32 (+ six hidden-state tensors);
    - FFN activations: n_ubatch × widest FFN × 3 F32.
    Checked against measured buffers in ../shared/benchmarks/memory.csv (Llama 3.1 8B, 8K, no FA: 560 MiB).
    """
    ub = min(scenario.ubatch, max(1, scenario.context * scenario.concurrency))
    act = ub * arch.hidden_size * 4.0
    logits = arch.vocab_size * ub * 4.0 + act if output_on_device else act
    n_kv = pad(scenario.context * scenario.concurrency) if arch.count("FCHM") else pad(scenario.ubatch)
    if arch.count("SC") and not arch.count("FHM"):
        n_kv = min(n_kv, pad((arch.sliding_window or 0) * scenario.concurrency + scenario.ubatch))
    heads = arch.num_heads
    if scenario.flash_attention:
        attention = n_kv * ub * 2.0 + 6 * act  # F16 mask only; scores stay in on-chip tiles
    else:
        attention = n_kv * ub * heads * 4.0 + 6 * act
    widest = arch.intermediate_size
    if arch.moe:
        widest = max(widest, arch.moe.expert_ffn * arch.moe.experts_per_token)
    ffn = ub * widest * 3 * 4.0
    return float(max(logits, attention, ffn))


def output_buffer_bytes(arch: Architecture, scenario: Scenario) -> float:
    """Logits kept in host memory: vocab × outputs F32 (gguf-parser-go #40: not device memory)."""
    return float(arch.vocab_size * scenario.concurrency * 4)


# Driver/runtime context per device that llama.cpp's buffer log does not show. The CUDA primary context alone
# takes 107 MiB on an RTX 4060 Ti and 555 MiB on an RTX PRO 6000 (grows with SM count; llama.cpp PR #23604);
# 0.3 GiB is the middle of that range (CUDA context + cuBLAS workspace,
# ROCm/HIP context, Vulkan/SYCL). Values in docs/method.md with sources.
RUNTIME_OVERHEAD_GIB = {"nvidia": 0.3, "amd": 0.3, "intel": 0.3, "apple": 0.0, "cpu": 0.0}

# llama.cpp --fit keeps 1024 MiB free per device (common/fit.cpp default margin), which also covers the desktop
# compositor on a GPU that drives a display.
DEVICE_MARGIN_GIB = 1.0


def runtime_overhead_bytes(hw: Hardware) -> float:
    return RUNTIME_OVERHEAD_GIB.get(hw.vendor, 0.35) * GIB


# Embedded boards (Jetson modules, Raspberry Pi, RK3588 boards: catalog form_factor "mini-pc" with at most 16 GiB) run
# a Linux image that keeps far less than a desktop PC's 4 GiB. NVIDIA/skills@7149a886 (the Jetson team's memory skills):
# an 8 GiB Orin Nano reports MemTotal 8,123,456 kB (0.25 GiB to firmware carveouts; jetson-memory-audit/SKILL.md), and
# the desktop holds up to 865 MB (graphical.target) plus ~200 MB per display manager (jetson-headless-mode/SKILL.md);
# 0.25 + 0.81 + 0.19 GiB + the base system leaves 1.5 GiB. Checked against a measurement: Ollama llama3.1:8b (Q4_K_M,
# 4.58 GiB) runs on a Pi 5 8GB CPU at 1.99 tok/s and llama2:13b (Q4_0, 6.9 GiB) does not (geerlingguy/ollama-benchmark
# README.md@0cc8abb5): 8 - 1.5 = 6.5 GiB holds the first and not the second; 8 - 4 = 4 GiB held neither.
EMBEDDED_FORM_FACTOR = "mini-pc"
EMBEDDED_MAX_GIB = 16
EMBEDDED_OS_GIB = 1.5


def os_reserve_gib(hw: Hardware) -> float:
    """What the OS keeps on an APU or CPU host: 1.5 GiB on an embedded board, else 4 GiB (8 GiB above 64 GiB)."""
    if hw.form_factor == EMBEDDED_FORM_FACTOR and hw.memory_gib <= EMBEDDED_MAX_GIB:
        return EMBEDDED_OS_GIB
    return 8.0 if hw.memory_gib > 64 else 4.0


def usable_memory_bytes(hw: Hardware) -> float:
    """Memory one device lets a model use.

    Discrete GPUs: all of it (the margin is counted as headroom). Apple: the GPU working-set limit macOS sets by
    default (recommendedMaxWorkingSetSize: about 2/3 of RAM up to 36 GB, 3/4 above; raisable with
    `sysctl iogpu.wired_limit_mb`). APUs and CPU hosts: RAM less what the OS and desktop keep (`os_reserve_gib`).
    """
    mem = hw.memory_bytes
    if hw.kind == "apple":
        return mem * (0.75 if hw.memory_gib > 36 else 2 / 3)
    if hw.kind in ("apu", "cpu"):
        return mem - os_reserve_gib(hw) * GIB
    return mem


def headroom_bytes(hw: Hardware) -> float:
    """Kept free on each device: llama.cpp --fit's margin on discrete GPUs; unified memory already excludes the OS."""
    if hw.kind in ("apple", "apu", "cpu"):
        return 0.5 * GIB
    return DEVICE_MARGIN_GIB * GIB
