"""Placement and speed: the cases competing calculators get wrong."""

from __future__ import annotations

from conftest import gpu, host_ram, kimi_linear, llama31_8b
from rigfit.catalog import find_quant
from rigfit.estimate.fit import EXPERT_OFFLOAD, FULL_GPU, LAYER_OFFLOAD, NO_FIT, layer_offload_only, place
from rigfit.estimate.speed import decode_tokens_per_s, expert_fraction, prefill_tokens_per_s
from rigfit.model import Architecture, Scenario


def scen(ctx: int = 8192, quant: str = "Q4_K_M", host=None) -> Scenario:
    return Scenario(quant=find_quant(quant), context=ctx, host=host or host_ram())


def test_small_model_fits_on_a_24gb_gpu():
    p = place(llama31_8b(), gpu(24), scen())
    assert p.strategy == FULL_GPU and p.status == "fits" and p.offload_fraction == 0


def test_moe_offloads_experts_before_layers_and_is_faster():
    arch, hw, s = kimi_linear(), gpu(24), scen()
    smart = place(arch, hw, s)
    naive = layer_offload_only(arch, hw, s)
    assert smart.strategy == EXPERT_OFFLOAD and smart.cpu_moe_layers > 0
    assert naive.strategy == LAYER_OFFLOAD
    fast = decode_tokens_per_s(arch, hw, s, smart, 1024, "CUDA")
    slow = decode_tokens_per_s(arch, hw, s, naive, 1024, "CUDA")
    assert fast > 1.3 * slow


def test_dense_model_partial_offload_counts_layers():
    arch = llama31_8b()
    p = place(arch, gpu(4), scen())
    assert p.strategy == LAYER_OFFLOAD
    assert 0 < p.gpu_layers < arch.num_layers
    assert 0 < p.offload_fraction < 1
    assert p.device_bytes <= 4 * 1024**3


def test_wont_run_when_host_ram_is_too_small_too():
    arch = kimi_linear()
    p = place(arch, gpu(8), scen(host=host_ram(8)))
    assert p.status == NO_FIT


def test_unified_memory_cannot_offload():
    from rigfit.model import Hardware

    mac = Hardware(name="Mac", vendor="apple", kind="apple", memory_gib=16, bandwidth_gbs=120, fp16_tflops=4, unified=True)
    assert place(kimi_linear(), mac, scen()).status == NO_FIT


def test_moe_decode_reads_active_not_total_parameters():
    arch = kimi_linear()
    dense_same_size = Architecture(
        name="dense 49B", params_b=arch.params_b, vocab_size=arch.vocab_size, hidden_size=6144, num_layers=48,
        num_heads=48, num_kv_heads=8, head_dim=128, intermediate_size=24576, max_context=131072, mixers="F" * 48,
    )
    hw = gpu(80, 2000, 300)
    moe_tps = decode_tokens_per_s(arch, hw, scen(), place(arch, hw, scen()), 1024, "CUDA")
    dense_tps = decode_tokens_per_s(dense_same_size, hw, scen(), place(dense_same_size, hw, scen()), 1024, "CUDA")
    assert moe_tps > 5 * dense_tps


def test_expert_fraction_grows_with_batch():
    arch = kimi_linear()
    assert expert_fraction(arch, 1) == 8 / 256
    assert expert_fraction(arch, 1) < expert_fraction(arch, 16) < 1


def test_prefill_slows_at_long_context():
    arch, hw = llama31_8b(), gpu(24)
    s = scen(32768)
    p = place(arch, hw, s)
    assert prefill_tokens_per_s(arch, hw, s, p, 512, 0, "CUDA") > prefill_tokens_per_s(arch, hw, s, p, 512, 30000, "CUDA")


def test_decode_slows_with_depth():
    arch, hw = llama31_8b(), gpu(24)
    s = scen(32768)
    p = place(arch, hw, s)
    assert decode_tokens_per_s(arch, hw, s, p, 128, "CUDA") > decode_tokens_per_s(arch, hw, s, p, 30000, "CUDA")
