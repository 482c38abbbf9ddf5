"""Two decode terms of the serving engines: the tile bound of their tensor-core GEMMs (speed.decode_gemm_rows,
speed.tile_compute_seconds) and the extra fixed cost of a MoE layer with shared experts (speed.shared_expert_layers,
Efficiency.shared_moe_layer_us). Every expected value is worked by hand in the comments; the matrix engine must
give the scalar figures on the cells these terms reach."""
from __future__ import annotations

import dataclasses

import pytest

from rigfit.catalog import find_hardware, find_model, find_quant
from rigfit.catalog.catalog import get_catalog
from rigfit.estimate import speed
from rigfit.estimate.fit import place
from rigfit.estimate.matrix import Settings
from rigfit.model import Scenario
from tests.estimate.test_matrix import HOST, check


@pytest.mark.parametrize("hardware, quant, backend, rows", [
    ("H20", "BF16", "vLLM", 64),  # Hopper: cuBLAS / CUTLASS wgmma, M = 64 in every shape
    ("H20", "FP8", "SGLang", 64),
    ("H100 SXM", "FP8", "TensorRT-LLM", 64),
    ("H20", "AWQ-INT4", "vLLM", 16),  # Marlin: mma.sync m16n8k16 on every generation
    ("RTX 4090", "FP8", "vLLM", 16),  # Ada: mma.sync
    ("A100 80GB SXM", "BF16", "vLLM", 16),
    ("H20", "Q4_K_M", "CUDA", 0),  # llama.cpp: matrix-vector kernels at batch 1
    ("RTX 4090", "EXL2-4.0bpw", "ExLlama", 0),
])
def test_decode_gemm_rows(hardware, quant, backend, rows):
    assert speed.decode_gemm_rows(find_hardware(hardware), find_quant(quant), backend) == rows


def test_decode_tile_efficiency_is_the_measured_small_m_fraction():
    """DeepGEMM's FP8 GEMM on the H20 (294 FP8 TFLOPS), 64-row tiles, n=4096, k=7168: 16 x 32 tokens in 257 us
    (deepseek-ai/DeepGEMM#192), 4 x 16 in 65 us and 32 x 64 in 485 us (#114): 2 x groups x 64 x 4096 x 7168 FLOPs
    of tiles (60.13e9, 15.03e9, 120.26e9) over those times are 234.0, 231.3, 248.0 TFLOPS = 0.796, 0.787, 0.843 of
    the peak; the median rounds to 0.80. Hopper's 64-row tiles run at it; the 16-row mma.sync tiles keep the engine's MFU."""
    fractions = sorted(2 * g * 64 * 4096 * 7168 / t / 294e12 for g, t in ((16, 257e-6), (4, 65e-6), (32, 485e-6)))
    assert [round(f, 3) for f in fractions] == [0.787, 0.796, 0.843]
    assert speed.DECODE_TILE_EFF == round(fractions[1], 2) == 0.80
    assert speed.decode_tile_efficiency(64, 0.55) == 0.80
    assert speed.decode_tile_efficiency(16, 0.55) == 0.55


def test_tile_compute_seconds_qwen3_32b_bf16_on_h20():
    """Qwen3 32B: 32.76 B params (catalog), embedding 151936 x 5120 = 777,912,320, so 31,982,087,680 matrix weights.
    64 rows x 2 FLOPs x 31,982,087,680 = 4.0937e12 FLOPs at 148 TFLOPS (H20 BF16 dense) x 0.80 = 34.58 ms, whatever
    the engine's prefill MFU (0.5 here)."""
    t = speed.tile_compute_seconds(find_model("Qwen3 32B"), find_hardware("H20"), find_quant("BF16"), "vLLM", 1, 1, 0.5)
    assert t == pytest.approx(64 * 2 * 31_982_087_680 / (148e12 * 0.80), rel=1e-9)
    assert t == pytest.approx(0.034575, rel=1e-4)
    # FP8 runs on the H20's FP8 tensor cores (294 TFLOPS, NVIDIA aiconfigurator h20_sxm.yaml): about half the time
    t8 = speed.tile_compute_seconds(find_model("Qwen3 32B"), find_hardware("H20"), find_quant("FP8"), "vLLM", 1, 1, 0.5)
    assert t8 == pytest.approx(64 * 2 * 31_982_087_680 / (294e12 * 0.80), rel=1e-9)
    # 128 sequences fill two tiles: the bound doubles; 8-way tensor parallelism divides it by 8
    t128 = speed.tile_compute_seconds(find_model("Qwen3 32B"), find_hardware("H20"), find_quant("BF16"), "vLLM",
                                      128, 8, 0.5)
    assert t128 == pytest.approx(2 * t / 8, rel=1e-12)


def test_marlin_tiles_keep_the_engine_mfu():
    """AWQ (Marlin, mma.sync m16n8k16) on the H20: 16 rows x 2 x 31,982,087,680 = 1.0234e12 FLOPs at the FP16 rate
    (148 TFLOPS) x the engine's MFU 0.5 = 13.83 ms."""
    t = speed.tile_compute_seconds(find_model("Qwen3 32B"), find_hardware("H20"), find_quant("AWQ-INT4"), "vLLM", 1, 1,
                                   0.5)
    assert t == pytest.approx(16 * 2 * 31_982_087_680 / (148e12 * 0.5), rel=1e-9)
    assert t == pytest.approx(0.013830, rel=1e-4)


def test_tile_bound_sets_the_h20_bf16_step_but_not_the_h100s(monkeypatch):
    """With no fixed costs and peak bandwidth, Qwen3 32B BF16 (65.5 GB of weights) streams in 16.4 ms on an H20
    (4.0 TB/s) but its 64-row tiles take 34.6 ms at 0.80 of 148 TFLOPS: the step is the tile time. On an H100 SXM
    (3.35 TB/s, 989 TFLOPS) the tiles take 5.2 ms and the 19.6 ms of streaming stay the step."""
    table, host = speed._constants()
    flat = speed.Efficiency(decode_bw=1.0, layer_us=0.0, prefill_mfu=0.5, moe_prefill=0.5, attn_eff=1.0)
    monkeypatch.setattr(speed, "_constants", lambda: ({k: flat for k in table}, host))
    arch, q = find_model("Qwen3 32B"), find_quant("BF16")
    s = Scenario(context=512, quant=q)
    h20, h100 = find_hardware("H20"), find_hardware("H100 SXM")
    step = speed.decode_step(arch, h20, s, place(arch, h20, s), 0, "vLLM")
    assert step.seconds == pytest.approx(speed.tile_compute_seconds(arch, h20, q, "vLLM", 1, 1, 0.5), rel=1e-9)
    assert step.seconds == pytest.approx(0.034575, rel=1e-4)
    step = speed.decode_step(arch, h100, s, place(arch, h100, s), 0, "vLLM")
    assert step.seconds == pytest.approx(step.device_bytes / h100.bandwidth_bytes, rel=1e-9)
    assert step.seconds > speed.tile_compute_seconds(arch, h100, q, "vLLM", 1, 1, 0.5)


@pytest.mark.parametrize("model, layers", [
    ("DeepSeek V3", 58),  # 61 layers, first_k_dense_replace 3, n_shared_experts 1 (config.json)
    ("DeepSeek V2 Lite", 26),  # 27 layers, first_k_dense_replace 1, n_shared_experts 2
    ("GLM-4.7", 89),  # 92 layers, first_k_dense_replace 3, n_shared_experts 1
    ("Qwen3 30B A3B", 0),  # 48 MoE layers, no shared expert
    ("Qwen3 32B", 0),  # dense
])
def test_shared_expert_layers(model, layers):
    assert speed.shared_expert_layers(find_model(model)) == layers


def test_shared_expert_cost_adds_per_shared_layer(monkeypatch):
    """DeepSeek V3 AWQ on 8x H100, vLLM TP8: a shared_moe_layer_us of 100 adds 58 layers x 100 us = 5.8 ms to the
    step, and nothing to Qwen3 235B A22B (MoE without shared experts)."""
    table, host = speed._constants()

    def constants(shared: float):
        flat = speed.Efficiency(decode_bw=1.0, layer_us=50.0, prefill_mfu=0.5, moe_prefill=0.5, attn_eff=1.0,
                                moe_layer_us=20.0, shared_moe_layer_us=shared)
        return lambda: ({k: flat for k in table}, host)

    hw = find_hardware("H100 SXM").with_count(8)
    for model, extra in (("DeepSeek V3", 58 * 100e-6), ("Qwen3 235B A22B", 0.0)):
        arch = find_model(model)
        s = Scenario(context=4096, quant=find_quant("AWQ-INT4"))
        p = place(arch, hw, s)
        monkeypatch.setattr(speed, "_constants", constants(0.0))
        base = speed.decode_step(arch, hw, s, p, 1024, "vLLM", tensor_parallel=True).seconds
        monkeypatch.setattr(speed, "_constants", constants(100.0))
        with_cost = speed.decode_step(arch, hw, s, p, 1024, "vLLM", tensor_parallel=True).seconds
        assert with_cost - base == pytest.approx(extra, abs=1e-12)


def test_fitted_shared_expert_costs_are_in_the_catalog():
    """benchmarks/calibrate_runtimes.py writes the cost to every serving-engine key; llama.cpp keys stay at 0."""
    assert speed.efficiency("vLLM", "hopper_hbm").shared_moe_layer_us > 0
    assert speed.efficiency("SGLang", "hopper_hbm").shared_moe_layer_us > 0
    assert speed.efficiency("CUDA", "hopper_hbm").shared_moe_layer_us == 0


@pytest.mark.parametrize("quant", ["FP8", "BF16", "AWQ-INT4"])
def test_matrix_equals_scalar_where_the_new_terms_apply(quant):
    """Every model on the Hopper GPUs (H20 included) and an Ada and Ampere part, at a serving-engine quant."""
    catalog = get_catalog()
    names = {"H20", "H100 SXM", "H200", "RTX 4090", "A100 80GB SXM"}
    cols = [j for j, h in enumerate(catalog.hardware) if h.name in names]
    assert len(cols) == len(names)
    settings = Settings(catalog.quant(quant), catalog.workload("chat"), catalog.mode("balanced"), host=HOST)
    failures = check(settings, [(i, j) for i in range(len(catalog.models)) for j in cols])
    assert not failures, failures[:5]
