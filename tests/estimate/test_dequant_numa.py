"""Two llama.cpp terms: the prefill dequantization factor of block-quantized weights (Efficiency.dequant_prefill)
and one NUMA node's bandwidth on multi-socket CPUs (speed.stream_bandwidth). Expected values by hand."""
from __future__ import annotations

import dataclasses

import pytest

from conftest import gpu, llama31_8b
from rigfit.catalog import find_hardware, find_quant
from rigfit.estimate import speed
from rigfit.estimate.fit import CPU_ONLY, place, placement_for
from rigfit.model import Scenario

EFF = speed.Efficiency(decode_bw=0.8, layer_us=0.0, prefill_mfu=0.5, moe_prefill=1.0, attn_eff=1.0,
                       prefill_attn_eff=0.5, dequant_prefill=0.8)


@pytest.fixture
def flat_constants(monkeypatch):
    table, host = speed._constants()
    monkeypatch.setattr(speed, "_constants", lambda: ({k: EFF for k in table}, host))


def test_dequant_factor_applies_to_block_quantized_gguf_only():
    assert speed.dequant_factor(EFF, find_quant("Q4_K_M")) == 0.8
    assert speed.dequant_factor(EFF, find_quant("IQ4_XS")) == 0.8
    assert speed.dequant_factor(EFF, find_quant("F16")) == 1.0
    assert speed.dequant_factor(EFF, find_quant("BF16")) == 1.0
    assert speed.dequant_factor(EFF, find_quant("MLX-4bit")) == 1.0  # MLX: fitted on its own rows


def test_quantized_prefill_pays_one_over_dequant_on_the_linear_flops(flat_constants):
    """pp512 of Llama 3.1 8B on a 142-TFLOPS GPU, compute-bound (weights stream in < 20 ms per ubatch).
    Linear params (config.json): 32 layers × (2·4096² + 2·4096·1024 + 3·4096·14336 + 2·4096) + 4096 + lm_head
    128256·4096 = 7,504,924,672, so 512 tokens run 512 × 2 × 7,504,924,672 = 7.685042864128e12 FLOPs; at
    142e12 × 0.5 that is 0.10823999... s for F16 weights and that / 0.8 for Q4_K_M: 0.25 × 0.10824 = 0.02706 s more.
    The attention part (prefill_attn_eff) is the same for both; the one ubatch streams each quant's weights once
    (weight_stream_seconds: device weights / (936e9 × 0.8)), F16's more than Q4_K_M's."""
    arch, hw = llama31_8b(), gpu()
    t, w = {}, {}
    for q in ("F16", "Q4_K_M"):
        s = Scenario(context=4096, quant=find_quant(q))
        p = place(arch, hw, s)
        t[q] = speed.prefill_seconds(arch, hw, s, p, 512, 0, "CUDA")
        w[q] = p.device_weights / (936e9 * 0.8)
    linear_f16 = 512 * 2 * 7_504_924_672 / (142e12 * 0.5)
    assert abs(linear_f16 - 0.1082400) < 1e-6
    expected = linear_f16 * (1 / 0.8 - 1) + (w["Q4_K_M"] - w["F16"])
    assert t["Q4_K_M"] - t["F16"] == pytest.approx(expected, rel=1e-9)


def test_smaller_ubatches_stream_the_weights_more_often(flat_constants):
    """pp2048 at -ub 512 streams the weights 4 times, at -ub 2048 once: 3 × weights / (936e9 × 0.8) apart."""
    arch, hw = llama31_8b(), gpu()
    s512 = Scenario(context=4096, quant=find_quant("Q4_K_M"))
    s2048 = dataclasses.replace(s512, ubatch=2048)
    p = place(arch, hw, s512)
    t512 = speed.prefill_seconds(arch, hw, s512, p, 2048, 0, "CUDA")
    t2048 = speed.prefill_seconds(arch, hw, s2048, p, 2048, 0, "CUDA")
    assert t512 - t2048 == pytest.approx(3 * p.device_weights / (936e9 * 0.8), rel=1e-9)


def test_prefill_without_flash_attention_moves_the_scores_through_memory(flat_constants):
    """Llama 3.1 8B, pp512 from an empty cache, fa off: 512 tokens × 32 layers × 32 heads × 256 cells (mean depth)
    = 134,217,728 scores × 16 bytes = 2,147,483,648 bytes at 936e9 × 0.8 B/s = 2.8679 ms more than with fa on."""
    arch, hw = llama31_8b(), gpu()
    on = Scenario(context=4096, quant=find_quant("Q4_K_M"))
    off = dataclasses.replace(on, flash_attention=False)
    p = place(arch, hw, on)
    extra = speed.prefill_seconds(arch, hw, off, p, 512, 0, "CUDA") - speed.prefill_seconds(arch, hw, on, p, 512, 0, "CUDA")
    assert extra == pytest.approx(2_147_483_648 / (936e9 * 0.8), rel=1e-9)
    assert abs(extra - 0.0028679) < 1e-6


def test_dual_socket_cpu_streams_at_one_nodes_bandwidth():
    epyc = find_hardware("CPU: 2x AMD EPYC 9R14 (DDR5 24ch)")  # 2 sockets × 12 ch DDR5-4800 = 921.6 GB/s
    assert speed.numa_nodes(epyc) == 2
    assert speed.stream_bandwidth(epyc) == pytest.approx(460.8e9)
    one = find_hardware("CPU: AMD Ryzen 9 7950X (DDR5 2ch)")
    assert speed.numa_nodes(one) == 1 and speed.stream_bandwidth(one) == one.bandwidth_bytes


def test_numa_decode_reads_the_weights_at_half_the_summed_bandwidth(flat_constants):
    """CPU-only decode on the dual EPYC: the bytes term is bytes / (460.8e9 × 0.8) instead of / (921.6e9 × 0.8),
    so the step is longer by exactly bytes / (921.6e9 × 0.8) (every other term is unchanged)."""
    arch = llama31_8b()
    epyc = find_hardware("CPU: 2x AMD EPYC 9R14 (DDR5 24ch)")
    flat = dataclasses.replace(epyc, memory_type="DDR5-4800 RDIMM (24 channels)")
    s = Scenario(context=4096, quant=find_quant("Q4_K_M"))
    p = placement_for(arch, epyc, s, 0, 0, cpu_only=True)
    assert p.strategy == CPU_ONLY
    numa = speed.decode_step(arch, epyc, s, p, 512, "CPU")
    single = speed.decode_step(arch, flat, s, p, 512, "CPU")
    assert numa.seconds - single.seconds == pytest.approx(numa.device_bytes / (921.6e9 * 0.8), rel=1e-9)
