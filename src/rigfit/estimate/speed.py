"""How fast: decode as a bandwidth roofline over the bytes each token reads, prefill as a compute roofline.

Decode time per token = Σ over where weights live (device, host) of bytes read there / (peak bandwidth × efficiency)
+ a fixed per-layer cost. Bytes read are the *active* weights (for MoE: dense part + the experts routed to),
plus the KV cache up to the current depth, plus recurrent state. Prefill time = FLOPs / (matrix peak × MFU),
bounded below by streaming the weights once per ubatch; host-held weights cross PCIe once per ubatch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import re
from functools import lru_cache

import numpy as np

from rigfit.estimate.fit import CPU_ONLY, Placement, gpu_layer_mask
from rigfit.estimate.memory import (
    compress_ratio,
    kv_bytes_per_cell,
    recurrent_state_per_layer,
    ring_bytes_per_cell,
    weight_bytes,
)
from rigfit.estimate.structure import layer_params
from rigfit.model.architecture import MLA, Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant
from rigfit.model.scenario import Scenario


@dataclass(frozen=True)
class Efficiency:
    decode_bw: float
    layer_us: float
    prefill_mfu: float
    moe_prefill: float
    attn_eff: float = 1.0  # fraction of matrix peak the single-token attention over the cache reaches
    # The same for a decode run without flash attention (llama.cpp -fa 0), a different kernel path: ggml multiplies
    # every query head by its KV head's cache as a separate matrix-vector product (see noflash_decode), so the cache
    # is streamed once per query head and its reads are this term, not bytes. None: attn_eff (not fitted apart).
    noflash_attn_eff: float | None = None
    prefill_attn_eff: float | None = None  # fraction of matrix peak the prompt's attention reaches (None: prefill_mfu)
    # Fixed host-side cost per generated token, independent of layers and bytes: Python sampling, scheduling and
    # streaming in serving engines (vLLM, MLX, ExLlama). 0 where unfitted (llama.cpp backends).
    token_us: float = 0.0
    # Extra fixed cost per MoE layer per decode step, on top of layer_us: a routed FFN is several dependent kernels
    # (router GEMM, top-k, token-to-expert alignment, two grouped expert GEMMs, weighted sum: vLLM's fused_moe) where
    # a dense FFN is two or three GEMMs. 0 where unfitted (the llama.cpp backends fit MoE rows with layer_us alone).
    moe_layer_us: float = 0.0
    # Extra fixed cost per MoE layer that also runs shared experts (DeepSeek V2/V3/R1, GLM-4.5/4.7, Qwen2 MoE), on top
    # of moe_layer_us: the shared expert is a dense MLP of its own (gate/up GEMM, activation, down GEMM) beside the
    # routed grouped GEMM, and these models route with extra small ops (DeepSeek V3 / GLM: sigmoid scores plus a
    # correction bias, group-limited top-k). Fitted on the shared-expert decode rows (benchmarks/calibrate_runtimes.py);
    # 0 where unfitted.
    shared_moe_layer_us: float = 0.0
    # Fraction of the F16 matrix rate a prefill reaches when the weights are block-quantized (GGUF Q*/IQ*/MXFP4):
    # the kernels dequantize every weight tile before the multiply (llama.cpp ggml-cuda/mmq.cuh, ggml-metal
    # kernel_mul_mm: dequantize into shared memory per tile of tokens), work that F16 weights skip. 1.0 = no cost.
    dequant_prefill: float = 1.0


@dataclass(frozen=True)
class HostConstants:
    pcie_gbs: float
    device_hop_us: float
    tp_allreduce_us: float
    disk_gbs: float
    cpu_layer_us: float
    cpu_moe_layer_us: float


# Megatron-style tensor parallelism (Shoeybi et al. 2019, arXiv:1909.08053 §3) all-reduces the activations twice per
# layer in the forward pass: after the attention output projection and after the FFN down projection.
ALLREDUCES_PER_LAYER = 2


def tensor_parallel_sync_seconds(num_layers: float | np.ndarray) -> float | np.ndarray:
    """Per decode step, the all-reduces of a tensor-parallel forward pass: two per layer at tp_allreduce_us each
    (small-message latency, independent of the bytes at decode batch sizes). Scalar or numpy array of layer counts."""
    return num_layers * ALLREDUCES_PER_LAYER * host_constants().tp_allreduce_us * 1e-6


def shared_expert_layers(arch: Architecture) -> int:
    """MoE layers that run shared experts beside the routed ones (Efficiency.shared_moe_layer_us applies to each)."""
    return arch.moe_layers if arch.moe and arch.moe.shared_experts > 0 else 0


def kernel_chain_seconds(arch: Architecture, eff: Efficiency) -> float:
    """Fixed cost of one forward pass's kernel chain, whatever its bytes: per layer, per MoE layer, per layer with
    shared experts, and per step (a decode step pays it once; a serving engine's prompt pays it per chunk)."""
    return (arch.num_layers * eff.layer_us + arch.moe_layers * eff.moe_layer_us
            + shared_expert_layers(arch) * eff.shared_moe_layer_us + eff.token_us) * 1e-6


# A serving engine's decode GEMMs run on tensor cores (cuBLAS / CUTLASS / Marlin kernels), which compute whole tiles
# of token rows: Hopper's warpgroup MMA has M = 64 in every shape (PTX ISA, wgmma.mma_async: m64nNk16), and the
# mma.sync instruction of Ampere / Ada kernels and of the Marlin INT4 kernels (AWQ / GPTQ, every generation) has
# M = 16 (m16n8k16). A batch-1 step therefore does the matrix FLOPs of 64 (or 16) rows. On most GPUs that is a small
# part of the weight streaming time, but on a part with few FLOPs per byte it bounds the step: H20, 148 TFLOPS BF16
# over 4.0 TB/s (37 FLOP/B, H100 SXM 295) runs Qwen3 32B BF16 at 20.7 tok/s in SGLang, 2.6x slower than its weights
# stream (benchmarks/data/sglang_qwen3_h20.csv), and FP8 (twice the FLOP rate) about twice as fast as BF16, where
# 4-bit AWQ (Marlin, 16 rows) is no faster than FP8 though it reads half the bytes. llama.cpp's and ExLlama's
# batch-1 kernels are matrix-vector kernels (no tile of rows): no such bound.
TILE_ENGINES = ("vLLM", "SGLang", "TensorRT-LLM")
WGMMA_ROWS = 64
MMA_SYNC_ROWS = 16
MARLIN_FAMILIES = ("awq", "gptq")
# The tensor-core fraction such a small-M Hopper kernel reaches on its padded tiles: the math overlaps the weight
# stream, so it is not the prefill MFU (which also pays prompt-sized epilogues, attention and launch gaps). Measured
# on the H20 with DeepGEMM's FP8 grouped GEMM without swap-AB (BLOCK_M 64, n=4096, k=7168): 16 groups of 32 tokens
# 257 us (deepseek-ai/DeepGEMM#192, "117 TFLOPS" of real rows), 4 groups of 16 tokens 65 us and 32 groups of 64
# tokens 485 us (deepseek-ai/DeepGEMM#114, 2025-06-24 comment, "248 TFLOPS"): 234, 231 and 248 TFLOPS of 64-row
# tiles, 0.796 / 0.787 / 0.843 of the H20's 294 FP8 TFLOPS; the median, rounded. SGLang's SM90 FP8 linear used the
# same 64-row tile (<_64, _64, _128>) "for all small-M paths" until sgl-project/sglang#25532 (swap-AB, +5.8-18.5 %
# end-to-end decode on H200).
DECODE_TILE_EFF = 0.80


def decode_gemm_rows(hw: Hardware, quant: Quant, backend: str) -> int:
    """Token rows a serving engine's decode GEMM computes per step however few sequences run: 64 (Hopper warpgroup
    MMA), 16 (mma.sync: Ampere / Ada, Marlin INT4 kernels), 0 where the kernels are matrix-vector (llama.cpp,
    ExLlama, MLX) or the device is no NVIDIA GPU."""
    if backend.split("/")[0] not in TILE_ENGINES or hw.vendor != "nvidia" or hw.kind != "gpu":
        return 0
    return WGMMA_ROWS if hw.arch_key == "hopper" and quant.family not in MARLIN_FAMILIES else MMA_SYNC_ROWS


def decode_tile_efficiency(rows: int, prefill_mfu: float) -> float:
    """Fraction of the matrix peak at which a decode step's tiles run: DECODE_TILE_EFF for Hopper's 64-row warpgroup
    tiles (a measured small-M wgmma kernel), the engine's prefill_mfu for the 16-row mma.sync tiles."""
    return DECODE_TILE_EFF if rows == WGMMA_ROWS else prefill_mfu


def tile_compute_seconds(arch: Architecture, hw: Hardware, quant: Quant, backend: str, n_seq: int, devices: int,
                         prefill_mfu: float) -> float:
    """Matrix time of one decode step whose GEMMs compute max(n_seq, decode_gemm_rows) rows (2 FLOPs per active
    weight per row, embedding lookup excluded) at decode_tile_efficiency of the quant's matrix peak, over `devices`
    tensor-parallel devices. 0 where decode_gemm_rows is 0."""
    rows = decode_gemm_rows(hw, quant, backend)
    if not rows:
        return 0.0
    linear = arch.active_params - layer_params(arch).embedding
    return max(rows, n_seq) * 2 * linear / (matrix_tflops(hw, quant) * 1e12 * devices
                                             * decode_tile_efficiency(rows, prefill_mfu))


def kv_shards(arch: Architecture) -> int:
    """How many ways tensor parallelism can split a layer's KV cache: one KV head per device at most (vLLM / SGLang
    shard attention by KV head and replicate a KV head on every device that shares it); an MLA layer caches one
    latent that all heads read, so every device holds and reads the whole of it (DeepSeek V3 / R1 under TP 8)."""
    return 1 if arch.mla else max(1, arch.num_kv_heads)


def tensor_parallel_kv_copies(shards: float | np.ndarray, devices: float | np.ndarray) -> float | np.ndarray:
    """Copies of the KV cache a tensor-parallel group of `devices` reads per step: 1 while every device holds its own
    KV heads, devices / shards once the devices outnumber the KV heads. Scalar or numpy arrays."""
    return np.maximum(1.0, np.asarray(devices, dtype=float) / shards)


@lru_cache(maxsize=1)
def _constants() -> tuple[dict[str, Efficiency], HostConstants]:
    from rigfit.catalog.loader import load_data

    data = load_data("efficiency")
    return {k: Efficiency(**v) for k, v in data["backends"].items()}, HostConstants(**data["host"])


UNQUANTIZED_GGUF = ("F32", "F16", "BF16")  # GGUF types the matmul reads as they are (no dequantization)
NUMA_SOCKETS = re.compile(r"(\d+)\s*sockets", re.IGNORECASE)


def dequant_factor(eff: Efficiency, quant: Quant) -> float:
    """Prefill rate factor for the quant's weights: eff.dequant_prefill for block-quantized GGUF, else 1."""
    if quant.family == "gguf" and quant.name.upper() not in UNQUANTIZED_GGUF:
        return eff.dequant_prefill
    return 1.0


def numa_nodes(hw: Hardware) -> int:
    """Memory nodes of a multi-socket CPU profile (catalog memory_type "... (2 sockets x 12 channels)"), else 1."""
    m = NUMA_SOCKETS.search(hw.memory_type or "") if hw.kind == "cpu" else None
    return max(1, int(m.group(1))) if m else 1


def stream_bandwidth(hw: Hardware) -> float:
    """Bytes/s one llama.cpp process streams its weights at. On a multi-socket CPU the weights are read into the
    page cache by one thread (mmap), so they sit in one socket's memory; threads on the other sockets read them
    across the socket link, and decode runs at one node's bandwidth, not the sum of all nodes (llama.cpp `--numa`
    help, common/arg.cpp: pages already cached stay where they are, "drop the system page cache"; ggml-org/llama.cpp#1437).
    Where the catalog has a measured device read bandwidth (hw.read_bandwidth_gbs: LPDDR5X unified memory sustains
    ~85 % of its spec peak, where the GDDR and HBM parts the decode efficiencies are fitted on do not fall short of it
    in the same way), the stream starts from that figure: the decode efficiency then measures the kernels, not the DRAM."""
    peak = hw.read_bandwidth_gbs * 1e9 if hw.read_bandwidth_gbs else hw.bandwidth_bytes
    return peak / numa_nodes(hw)


def efficiency_key(hw: Hardware) -> str:
    """Architecture generation and memory technology: llama.cpp's latency-bound decode kernels keep too few bytes
    in flight to saturate HBM (Little's law: achieved bandwidth = bytes in flight / latency), so HBM parts of a
    generation (A100, H100) reach a lower fraction of peak than its GDDR parts."""
    return hw.arch_key + ("_hbm" if "hbm" in hw.memory_type.lower() else "")


# NVIDIA generations (Hardware.arch_key, without the "_hbm" suffix of efficiency_key)
NVIDIA_GENERATIONS = ("maxwell", "pascal", "volta", "turing", "ampere", "ada", "hopper", "blackwell")


def constants_backend(backend: str, arch_key: str) -> str:
    """The backend whose fitted constants a backend uses on a generation. llama.cpp's Vulkan backend on an NVIDIA
    GPU runs its matrix multiplications on the tensor cores through NV_coopmat2 / KHR_coopmat (the scoreboard's
    "matrix cores: NV_coopmat2" column, ggml-org/llama.cpp#10879) and its mat-vec shaders stream the weights as the
    CUDA kernels do: measured, it runs at CUDA's speed on the same card (RTX 3090 Llama 3.1 8B Q4_0 pp512 4753 t/s on
    Vulkan, ggml-org/llama.cpp#21024; 5175 t/s for the smaller Llama 2 7B on CUDA, #15013). So it takes the CUDA
    constants of the generation; the generic Vulkan constants are fitted on AMD and Intel GPUs, whose Vulkan
    drivers expose other matrix paths (RADV/AMDVLK KHR_coopmat on RDNA3, none on older chips)."""
    if backend == "Vulkan" and arch_key.removesuffix("_hbm") in NVIDIA_GENERATIONS:
        return "CUDA"
    return backend


def efficiency(backend: str, arch_key: str = "") -> Efficiency:
    """Constants for a backend, refined per architecture generation where measurements allow ("ROCm/rdna3")."""
    table, _ = _constants()
    backend = constants_backend(backend, arch_key)
    return table.get(f"{backend}/{arch_key}") or table.get(backend) or table["CPU"]


def likely_range(value: float, kind: str) -> tuple[float, float]:
    """The range the measured value likely falls in, from the validation error quantiles (p10..p90).

    measured = predicted / (1 + error); with no calibration data for this kind, ±30 %.
    """
    from rigfit.catalog.loader import load_data

    q = (load_data("efficiency").get("uncertainty") or {}).get(kind)
    if not q or value <= 0:
        return (value * 0.7, value * 1.3) if value > 0 else (0.0, 0.0)
    return value / (1 + q["p90"]), value / (1 + q["p10"])


def host_constants() -> HostConstants:
    return _constants()[1]


def default_backend(hw: Hardware, quant: Quant) -> str:
    """The runtime backend a user would run this quant with on this hardware."""
    if quant.family == "mlx":
        return "MLX"
    if quant.family in ("exl2", "exl3"):
        return "ExLlama"
    if quant.family != "gguf":
        return "vLLM"
    if hw.kind == "cpu":
        return "CPU"
    return {"nvidia": "CUDA", "apple": "Metal", "intel": "SYCL"}.get(
        hw.vendor, "Vulkan" if hw.kind == "apu" else "ROCm"
    )


def expert_fraction(arch: Architecture, n_seq: int) -> float:
    """Share of a MoE layer's routed experts read for one decode step of n_seq sequences (uniform routing)."""
    if not arch.moe:
        return 1.0
    k, e = arch.moe.experts_per_token, arch.moe.num_experts
    return 1.0 - (1.0 - k / e) ** n_seq


def context_read_bytes(arch: Architecture, depth: int, bytes_per_element: float, cache: bool = True) -> np.ndarray:
    """Per-layer bytes one decode step reads from the context state at a given depth (one sequence): the KV cache
    (read once: the flash-attention path) and the recurrent state (read and written back). cache=False: the
    recurrent state only (a decode without flash attention, whose cache reads are attention work: noflash_decode)."""
    lr = layer_reads(arch)
    if not cache:
        return lr.state_rw.copy()
    la = layer_attention(arch)
    return (lr.cell_elements * bytes_per_element * la.attended(depth)
            + lr.index_elements * bytes_per_element * depth * la.index_scale + lr.state_rw)


@dataclass(frozen=True, eq=False)
class LayerReads:
    """Per-layer constants of context_read_bytes, worked out once per model."""

    cell_elements: np.ndarray  # elements read per attended cell (kv_bytes_per_cell at one byte per element)
    index_elements: np.ndarray  # indexer key elements per compressed entry (CSA layers)
    state_rw: np.ndarray  # the recurrent state, read and written back


def read_elements_per_cell(arch: Architecture, kind: str) -> float:
    """Elements one decode step reads per attended cell of a layer (its cache at one byte per element)."""
    if kind in "WXY":  # the attended ring / compressed entries (ring_bytes_per_cell)
        return ring_bytes_per_cell(arch, kind, 1.0)
    if kind == "M" and arch.mla:  # the decode kernel reads the latent once (V is a view of it)
        return float(arch.mla.kv_lora_rank + arch.mla.qk_rope_head_dim)
    return kv_bytes_per_cell(arch, kind, 1.0)


@lru_cache(maxsize=4096)
def layer_reads(arch: Architecture) -> LayerReads:
    kinds = arch.mixers
    return LayerReads(np.array([read_elements_per_cell(arch, k) for k in kinds], dtype=float),
                      np.array([index_key_elements(arch, k) for k in kinds], dtype=float),
                      np.array([2 * recurrent_state_per_layer(arch, k) for k in kinds], dtype=float))


def attend_terms(arch: Architecture, kind: str) -> tuple[float, float, float]:
    """(scale, cap, window) of a layer: at context depth d a query attends min(d·scale, cap) + min(d, window)
    cached entries. Full attention and MLA: (1, inf, 0); sliding-window and chunked: (0, 0, window). DeepSeek V4
    (compressed_attn): every layer attends its window of raw tokens; a CSA layer (X) also the indexer's top
    index_topk of its d/csa_ratio compressed entries, an HCA layer (Y) all d/hca_ratio of its entries (DeepSeek-V4
    inference model.py Attention.forward: window top-k indices concatenated with the compressed ones)."""
    window = float(arch.sliding_window or 0)
    if kind in "SC":
        return (0.0, 0.0, window) if window else (1.0, float("inf"), 0.0)
    if kind in "WXY":
        ca = arch.compressed_attn
        assert ca is not None
        if kind == "W":
            return 0.0, 0.0, window
        if kind == "X":
            return 1.0 / ca.csa_ratio, float(ca.index_topk), window
        return 1.0 / ca.hca_ratio, float("inf"), window
    return 1.0, float("inf"), 0.0


def attended_entries(arch: Architecture, kind: str, depth: float) -> float:
    """Cached entries one query of a layer attends at a context depth (attend_terms)."""
    scale, cap, window = attend_terms(arch, kind)
    return min(depth * scale, cap) + min(depth, window)


@dataclass(frozen=True, eq=False)
class LayerAttention:
    """Per-layer constants of the attention formulas below, one array entry per layer: a decode step evaluates them
    at every placement a page looks at, so they are worked out once per model instead of layer by layer each time."""

    scale: np.ndarray  # attend_terms
    cap: np.ndarray
    window: np.ndarray
    entry_flops: np.ndarray  # attention_entry_flops (prefill form)
    entry_flops_decode: np.ndarray  # attention_entry_flops (decode form)
    index_entry_flops: np.ndarray
    index_scale: np.ndarray
    entry_scores: np.ndarray  # attention_entry_scores

    def attended(self, depth: float) -> np.ndarray:
        """attended_entries of every layer at a context depth."""
        return np.minimum(depth * self.scale, self.cap) + np.minimum(depth, self.window)


@lru_cache(maxsize=4096)
def layer_attention(arch: Architecture) -> LayerAttention:
    kinds = arch.mixers
    terms = np.array([attend_terms(arch, k) for k in kinds], dtype=float).reshape(len(kinds), 3)

    def column(f) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.array([f(k) for k in kinds], dtype=float)

    return LayerAttention(terms[:, 0], terms[:, 1], terms[:, 2],
                          column(lambda k: attention_entry_flops(arch, k, False)),
                          column(lambda k: attention_entry_flops(arch, k, True)),
                          column(lambda k: index_entry_flops(arch, k)), column(lambda k: index_scale(arch, k)),
                          column(lambda k: attention_entry_scores(arch, k)))


def index_scale(arch: Architecture, kind: str) -> float:
    """Indexer keys scored per token of context: a CSA layer's lightning indexer scores every compressed entry."""
    r = compress_ratio(arch, kind) if kind == "X" else 0
    return 1.0 / r if r else 0.0


def index_key_elements(arch: Architecture, kind: str) -> float:
    return float(arch.compressed_attn.index_head_dim) if kind == "X" and arch.compressed_attn else 0.0


def index_entry_flops(arch: Architecture, kind: str) -> float:
    """FLOPs of one query scoring one indexer key: index_n_heads dot products of index_head_dim."""
    ca = arch.compressed_attn
    return 2.0 * ca.index_n_heads * ca.index_head_dim if kind == "X" and ca else 0.0


def noflash_decode(scenario: Scenario, cpu_only: bool) -> bool:
    """Whether a decode step takes llama.cpp's attention path without flash attention on a GPU (-fa 0).

    That path (src/llama-graph.cpp build_attn_mha, github:ggml-org/llama.cpp@434f71a5) is kq = ggml_mul_mat(k, q),
    ggml_soft_max_ext, kqv = ggml_mul_mat(v, kq) with the query heads broadcast over the KV heads: for one token
    every query head is its own matrix-vector product over its KV head's cache, so the cache is streamed once per
    query head (a GQA group of 4: 4 times; MLA, whose one latent serves all heads as MQA: n_heads times). Per f16
    cell that is one multiply-add per element read, so the attention FLOPs (attention_layer_flops) measure those
    reads and their time is attention work at noflash_attn_eff (partly from L2), not a single bandwidth-bound pass
    over the cache. The flash-attention kernel reads each KV head once for its whole group (the cache bytes of
    context_read_bytes) and computes on chip. CPU threads attend row by row in cache: unchanged."""
    return not scenario.flash_attention and not cpu_only


def decode_attention_efficiency(eff: Efficiency, noflash: bool) -> float:
    """Fraction of matrix peak a batch-1 decode attention reaches: noflash_attn_eff on the path without flash
    attention where it was fitted, attn_eff otherwise."""
    return (eff.noflash_attn_eff or eff.attn_eff) if noflash else eff.attn_eff


@dataclass(frozen=True)
class DecodeSplit:
    device_bytes: float
    host_bytes: float
    seconds: float

    @property
    def tokens_per_s(self) -> float:
        return 1.0 / self.seconds if self.seconds > 0 else 0.0


def decode_step(arch: Architecture, hw: Hardware, scenario: Scenario, placement: Placement, depth: int,
                backend: str, tensor_parallel: bool = False) -> DecodeSplit:
    """Seconds for one decode step of all `scenario.concurrency` sequences at a context depth."""
    w = weight_bytes(arch, scenario.quant)
    n_seq = scenario.concurrency
    L = arch.num_layers
    cpu_only = placement.strategy == CPU_ONLY
    on_gpu = gpu_layer_mask(L, placement.gpu_layers) if not cpu_only else np.zeros(L, dtype=bool)
    expert_on_gpu = on_gpu.copy()
    expert_on_gpu[: placement.cpu_moe_layers] = False
    frac = expert_fraction(arch, n_seq)
    ctx = context_read_bytes(arch, depth, scenario.kv_bytes_per_element) * n_seq
    noflash = noflash_decode(scenario, cpu_only)
    if noflash:  # device layers read their cache per query head, inside the attention term (noflash_decode)
        ctx = np.where(on_gpu, context_read_bytes(arch, depth, scenario.kv_bytes_per_element, cache=False) * n_seq, ctx)
    dense = w.dense + ctx
    experts = w.experts * frac
    output_on_gpu = placement.gpu_layers >= 1 and not cpu_only
    dev = float(dense[on_gpu].sum() + experts[expert_on_gpu].sum()) + (w.output if output_on_gpu else 0.0)
    host = float(dense[~on_gpu].sum() + experts[~expert_on_gpu].sum()) + (0.0 if output_on_gpu else w.output)
    if placement.strategy == CPU_ONLY:
        dev, host = dev + host, 0.0
    eff = efficiency(backend, efficiency_key(hw))
    hc = host_constants()
    devices = placement.n_devices
    bw = stream_bandwidth(hw) * eff.decode_bw
    if tensor_parallel and devices > 1:
        # bytes are split over the devices, except the KV heads that more than one device must hold (kv_shards)
        copies = float(tensor_parallel_kv_copies(kv_shards(arch), devices))
        t_dev = (dev + float(ctx[on_gpu].sum()) * (copies - 1.0)) / (bw * devices) + tensor_parallel_sync_seconds(L)
    else:
        t_dev = dev / bw + (devices - 1) * hc.device_hop_us * 1e-6
    if not cpu_only:  # a step's GEMMs cannot finish before their tiles' FLOPs (decode_gemm_rows)
        t_dev = max(t_dev, tile_compute_seconds(arch, hw, scenario.quant, backend, n_seq,
                                                devices if tensor_parallel else 1, eff.prefill_mfu))
    t_host = 0.0
    host_hw = scenario.host
    host_eff = efficiency("CPU", host_hw.arch_key if host_hw else "")
    if host > 0 and placement.strategy != CPU_ONLY:
        # the CPU reads host-held weights with the same kernels as a CPU-only run on that host
        host_bw = (stream_bandwidth(host_hw) if host_hw else 50e9) * host_eff.decode_bw
        t_host = host / host_bw
    # Layers computed on the CPU pay ggml's per-op thread synchronisation: a whole layer (attention + FFN) costs
    # more than a layer whose routed experts alone run there.
    cpu_full = int((~on_gpu).sum()) if not cpu_only else 0
    cpu_experts = int((on_gpu & ~expert_on_gpu).sum()) if arch.is_moe and not cpu_only else 0
    t_cpu_layers = (cpu_full * hc.cpu_layer_us + cpu_experts * hc.cpu_moe_layer_us) * 1e-6
    # Attention of one new token over the cache is small, latency-bound work: its FLOPs run at a low fraction of
    # peak (large on CPUs), which is why generation slows with depth faster than the KV bytes alone explain.
    # Layers whose KV lives in host RAM attend on the CPU, at the host's rate.
    peak = hw.matrix_tflops
    attn = attention_layer_flops(arch, depth, decode=True) * n_seq
    gpu_eff = batched_attention_efficiency(decode_attention_efficiency(eff, noflash), n_seq)
    t_attn = float(attn[on_gpu].sum()) / (peak * 1e12 * gpu_eff) if not cpu_only else float(attn.sum()) / (peak * 1e12 * gpu_eff)
    if not cpu_only and (~on_gpu).any():
        host_peak = (host_hw.fp16_tflops if host_hw and host_hw.fp16_tflops else 1.0) * 1e12
        t_attn += float(attn[~on_gpu].sum()) / (host_peak * batched_attention_efficiency(host_eff.attn_eff, n_seq))
    t = t_dev + t_host + t_cpu_layers + t_attn + kernel_chain_seconds(arch, eff)
    return DecodeSplit(device_bytes=dev, host_bytes=host, seconds=t)


def batched_attention_efficiency(attn_eff: float, n_seq: int) -> float:
    """Fraction of peak reached by the decode attention of n_seq sequences in one step. attn_eff is measured on one
    sequence (batch-1 rows), where the work is too small to fill the device: latency-bound. Sequences attend
    independently and the kernels run them side by side (llama.cpp's flash-attention decode kernels and vLLM's paged
    attention grid over sequences x heads), so n sequences take the time of one until the device is full: the
    efficiency grows with n up to peak. Without this, attention at the batch-1 rate made a step of 8 sequences on a
    small GPU slower than the same layers' attention on the host CPU, so a card with more memory (more layers on the
    GPU) graded lower."""
    return min(1.0, attn_eff * n_seq)


def decode_tokens_per_s(arch: Architecture, hw: Hardware, scenario: Scenario, placement: Placement, depth: int,
                        backend: str, tensor_parallel: bool = False) -> float:
    """Tokens per second for one sequence (at concurrency 1) at a context depth."""
    return decode_step(arch, hw, scenario, placement, depth, backend, tensor_parallel).tokens_per_s


def flops_per_token(arch: Architecture, depth: float) -> float:
    """Forward FLOPs for one token at a context depth: 2·active params (no embedding lookup) + attention."""
    lp = layer_params(arch)
    return 2 * (arch.active_params - lp.embedding) + attention_flops(arch, depth)


def mla_cell_dims(mla: MLA, decode: bool) -> int:
    """Query-key plus value dimensions one MLA head multiplies per cached token. A decode step runs MLA in its
    weight-absorbed form: W_UK is folded into the query and W_UV applied after attention, so every head attends over
    the cached latent itself, scores over kv_lora_rank + rope dims and values over kv_lora_rank dims (llama.cpp
    src/models/deepseek2.cpp@07bede6: "MLA with the absorption optimzation converts into MQA", Q and K of
    kv_lora_rank + n_rot, V of kv_lora_rank; vLLM vllm/v1/attention/backends/mla/common.py@37fa5c0: the
    "data-movement friendly approach" for decode). Prefill keeps the per-head form (vLLM's "compute friendly
    approach": nope + rope dims for scores, v_head_dim for values). DeepSeek V3: 2·512 + 64 = 1088 per head in
    decode vs 128 + 64 + 128 = 320 in prefill."""
    if decode:
        return 2 * mla.kv_lora_rank + mla.qk_rope_head_dim
    return mla.qk_nope_head_dim + mla.qk_rope_head_dim + mla.v_head_dim


def attention_layer_flops(arch: Architecture, depth: float, decode: bool = False) -> np.ndarray:
    """FLOPs of one token's attention over `depth` cached tokens (QK^T and PV), per layer; `decode` counts MLA layers
    in the absorbed form a decode step runs (mla_cell_dims)."""
    la = layer_attention(arch)
    entry = la.entry_flops_decode if decode else la.entry_flops
    return entry * la.attended(depth) + la.index_entry_flops * depth * la.index_scale


def attention_entry_flops(arch: Architecture, kind: str, decode: bool = False) -> float:
    """FLOPs of one query attending one cached entry (QK^T and PV over all heads). DeepSeek V4 layers: every head
    scores and sums the shared head_dim key=value entry, as full attention does over head_dim."""
    if kind in "FHSC" + "WXY":
        return 4.0 * arch.num_heads * arch.head_dim
    if kind == "M" and arch.mla:
        return 2.0 * arch.num_heads * mla_cell_dims(arch.mla, decode)
    return 0.0


# Without flash attention llama.cpp materialises the f32 score matrix of each layer: written by KQ, read and written
# by the softmax, read by KQ·V (src/llama-graph.cpp build_attn_mha: ggml_mul_mat(k, q) -> ggml_soft_max_ext ->
# ggml_mul_mat(v, kq)); a ubatch × n_kv × n_head block (512 × 4096 × 32 × 4 B = 268 MB for Llama 3 8B at 4K) is far
# larger than any cache, so those 4 passes of 4 bytes go to memory. Flash attention (-fa 1) keeps them on chip.
SCORE_BYTES_NO_FLASH = 16


def attention_layer_scores(arch: Architecture, depth: float) -> np.ndarray:
    """Attention scores (query heads × attended cells) of one token at a context depth, per layer."""
    la = layer_attention(arch)
    return la.entry_scores * la.attended(depth)


def attention_entry_scores(arch: Architecture, kind: str) -> float:
    """Scores of one query over one attended entry: one per query head (the indexer's scores are not counted)."""
    return float(arch.num_heads) if kind in "FHMSC" + "WXY" else 0.0


def score_traffic_seconds(arch: Architecture, hw: Hardware, scenario: Scenario, placement: Placement, n_tokens: int,
                          start_depth: int, eff: Efficiency, devices: int) -> float:
    """Memory time of the materialised score matrices of a prompt run without flash attention (0 with it, and on
    CPUs, whose threads work through the scores row by row in cache)."""
    if scenario.flash_attention or placement.strategy == CPU_ONLY:
        return 0.0
    scores = n_tokens * float(attention_layer_scores(arch, start_depth + n_tokens / 2).sum())
    return scores * SCORE_BYTES_NO_FLASH / (stream_bandwidth(hw) * eff.decode_bw * max(1, devices))


def weight_stream_seconds(hw: Hardware, scenario: Scenario, placement: Placement, n_tokens: int, eff: Efficiency,
                         devices: int) -> float:
    """Each ubatch streams the device-held weights once more (-ub: fewer, larger ubatches stream them less often)."""
    n_ubatch = -(-n_tokens // scenario.ubatch)
    return n_ubatch * placement.device_weights / (stream_bandwidth(hw) * eff.decode_bw * max(1, devices))


def prefill_memory_seconds(arch: Architecture, hw: Hardware, scenario: Scenario, placement: Placement, n_tokens: int,
                           start_depth: int, eff: Efficiency) -> float:
    """The memory-bound part of one device's prefill (weight streaming per ubatch + score traffic without flash
    attention): what benchmarks/calibrate.py takes off a measured time before fitting the FLOP efficiencies."""
    return (weight_stream_seconds(hw, scenario, placement, n_tokens, eff, 1)
            + score_traffic_seconds(arch, hw, scenario, placement, n_tokens, start_depth, eff, 1))


def attention_flops(arch: Architecture, depth: float, decode: bool = False) -> float:
    """FLOPs of one token's attention over `depth` cached tokens, all layers (`decode`: attention_layer_flops)."""
    return float(attention_layer_flops(arch, depth, decode).sum())


# Pascal chips with the DP4A instruction (compute capability 6.1: GP102/GP104/GP106/GP107/GP108; GP100 is 6.0 and
# has none). llama.cpp multiplies block-quantized weights on them with int8 dot products (CUDA MMQ needs
# MIN_CC_DP4A = 610, ggml/src/ggml-cuda/common.cuh), at 4 int8 MACs per lane per clock: 4x the FP32 rate the catalog
# holds as their matrix_tflops (Tesla P40 datasheet: 47 TOPS INT8, 11.8 TFLOPS FP32).
DP4A_CHIPS = ("GP102", "GP104", "GP106", "GP107", "GP108")
DP4A_OVER_FP32 = 4.0
# The prefill constants are fitted on tensor-core GPUs, where MMQ runs int8 MMA at twice the FP16 tensor rate their
# matrix_tflops holds (RTX 4090: 660.6 int8 TOPS vs 330.3 FP16 TFLOPS, Ada whitepaper appendix A): prefill_mfu x
# dequant_prefill is a fraction of half the int8 peak, so a DP4A chip's quantized prefill peak in those units is
# DP4A_OVER_FP32 / INT8_OVER_FP16_TENSOR = 2x its FP32 rate.
INT8_OVER_FP16_TENSOR = 2.0


def matrix_tflops(hw: Hardware, quant: Quant) -> float:
    """Peak matrix rate a prefill of this quant can use on this hardware (FP8/FP4 only where native; int8 dot
    products for block-quantized GGUF weights on the DP4A Pascal chips)."""
    if quant.compute == "fp4" and hw.fp4_tflops and hw.arch_key in quant.native_arch:
        return hw.fp4_tflops
    if quant.compute in ("fp8", "fp4") and hw.fp8_tflops and hw.arch_key in quant.native_arch:
        return hw.fp8_tflops
    if hw.chip in DP4A_CHIPS and quant.family == "gguf" and quant.name.upper() not in UNQUANTIZED_GGUF:
        return hw.matrix_tflops * DP4A_OVER_FP32 / INT8_OVER_FP16_TENSOR
    return hw.matrix_tflops


# Prompt tokens a serving engine runs through one forward pass (its prefill chunk); llama.cpp backends use -ub. Each
# chunk streams the weights once and pays the forward pass's fixed kernel costs once. vLLM: max_num_batched_tokens
# for the API server on GPUs under 70 GiB and on A100 (vllm/engine/arg_utils.py get_batch_defaults: 2048; 8192 on
# larger GPUs); SGLang uses vLLM's constants; TensorRT-LLM: BuildConfig.max_num_tokens 8192; ExLlamaV2 dynamic
# generator max_chunk_size 2048; mlx-lm generate_step prefill_step_size 2048.
ENGINE_PREFILL_CHUNK = {"vLLM": 2048, "SGLang": 2048, "TensorRT-LLM": 8192, "ExLlama": 2048, "MLX": 2048}


def prefill_chunk(backend: str, ubatch: int) -> int:
    """Tokens per forward pass of a prompt: the engine's chunk, or llama.cpp's -ub."""
    return ENGINE_PREFILL_CHUNK.get(backend.split("/")[0], ubatch)


def engine_forward_seconds(arch: Architecture, eff: Efficiency, backend: str, n_forward: int,
                           tp_devices: int = 1) -> float:
    """Fixed cost of a serving engine's prompt forward passes: each runs every layer's kernel chain once, like a
    decode step (layers x layer_us, MoE layers x moe_layer_us, shared-expert layers x shared_moe_layer_us, token_us) plus a tensor-parallel group's all-reduces.
    A short prompt's time-to-first-token is mostly this and one pass over the weights (TensorRT-LLM, Llama 2 7B FP8
    on an H100, 128 tokens: 7 ms measured, 1 ms of FLOPs at peak). 0 for llama.cpp backends: calibrate.py's prefill
    efficiencies already hold their per-ubatch costs."""
    if backend.split("/")[0] not in ENGINE_PREFILL_CHUNK or n_forward <= 0:
        return 0.0
    fixed = kernel_chain_seconds(arch, eff)
    sync = float(tensor_parallel_sync_seconds(arch.num_layers)) if tp_devices > 1 else 0.0
    return n_forward * (fixed + sync)


N_BATCH = 2048  # llama.cpp -b default: the logical batch that is split into ubatches (and pipelined across GPUs)


def pipeline_speedup(n_devices: int, n_tokens: int, ubatch: int) -> float:
    """llama.cpp layer split runs the ubatches of one batch as a pipeline over the devices: with S stages and M
    ubatches in flight the batch takes (M + S - 1) stage-times instead of M·S, a speedup of M·S / (M + S - 1)."""
    if n_devices <= 1:
        return 1.0
    m = max(1, min(-(-n_tokens // ubatch), N_BATCH // ubatch))
    return m * n_devices / (m + n_devices - 1)


def prefill_seconds(arch: Architecture, hw: Hardware, scenario: Scenario, placement: Placement, n_tokens: int,
                    start_depth: int, backend: str, tensor_parallel: bool = False) -> float:
    """Seconds to process n_tokens of prompt after start_depth tokens already in the cache.

    Linear layers run at prefill_mfu of the matrix peak; the attention over the cache at its own efficiency
    (prefill_attn_eff), which is why prompt processing slows at depth more than the FLOPs alone say.
    """
    if n_tokens <= 0:
        return 0.0
    eff = efficiency(backend, efficiency_key(hw))
    chunk = prefill_chunk(backend, scenario.ubatch)
    if chunk != scenario.ubatch:
        scenario = replace(scenario, ubatch=chunk)
    hc = host_constants()
    lp = layer_params(arch)
    linear = n_tokens * 2 * (arch.active_params - lp.embedding)
    attn = n_tokens * attention_flops(arch, start_depth + n_tokens / 2)
    mfu = eff.prefill_mfu * (eff.moe_prefill if arch.is_moe else 1.0) * dequant_factor(eff, scenario.quant)
    attn_eff = eff.prefill_attn_eff or eff.prefill_mfu
    devices = placement.n_devices if tensor_parallel else 1
    if placement.strategy == CPU_ONLY:
        peak = hw.matrix_tflops * 1e12
    else:
        peak = matrix_tflops(hw, scenario.quant) * 1e12 * devices
    t_compute = linear / (peak * mfu) + attn / (peak * attn_eff)
    t_compute += score_traffic_seconds(arch, hw, scenario, placement, n_tokens, start_depth, eff, devices)
    n_ubatch = -(-n_tokens // scenario.ubatch)
    t_device = t_compute + weight_stream_seconds(hw, scenario, placement, n_tokens, eff, devices)
    if not tensor_parallel and placement.host_weights <= 0:
        t_device /= pipeline_speedup(placement.n_devices, n_tokens, scenario.ubatch)
    t_device += engine_forward_seconds(arch, eff, backend, n_ubatch, devices)
    t_host = 0.0
    if placement.host_weights > 0 and placement.strategy != CPU_ONLY:
        t_host = n_ubatch * placement.host_weights / (hc.pcie_gbs * 1e9)
    return t_device + t_host


def prefill_tokens_per_s(arch: Architecture, hw: Hardware, scenario: Scenario, placement: Placement,
                         n_tokens: int, start_depth: int, backend: str, tensor_parallel: bool = False) -> float:
    t = prefill_seconds(arch, hw, scenario, placement, n_tokens, start_depth, backend, tensor_parallel)
    return n_tokens / t if t > 0 else 0.0


def load_seconds(weights_file_bytes: float) -> float:
    """Cold start: reading the model file once from disk."""
    return weights_file_bytes / (host_constants().disk_gbs * 1e9)


def batch_tokens_per_s(arch: Architecture, hw: Hardware, scenario: Scenario, placement: Placement, depth: int,
                       backend: str, tensor_parallel: bool = False) -> float:
    """Aggregate decode tokens/s of scenario.concurrency sequences: bandwidth- or compute-bound, whichever is slower."""
    step = decode_step(arch, hw, scenario, placement, depth, backend, tensor_parallel)
    eff = efficiency(backend, efficiency_key(hw))
    peak = hw.matrix_tflops if placement.strategy == CPU_ONLY else matrix_tflops(hw, scenario.quant)
    devices = placement.n_devices if tensor_parallel else 1
    t_compute = scenario.concurrency * flops_per_token(arch, depth) / (peak * 1e12 * devices * eff.prefill_mfu)
    return scenario.concurrency / max(step.seconds, t_compute)
