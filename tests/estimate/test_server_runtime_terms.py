"""Decode terms of the serving engines (vLLM, SGLang, TensorRT-LLM): tensor-parallel all-reduces, the extra fixed
cost of a MoE layer, and weight-only FP8/NVFP4 (Marlin) on GPUs without FP8/FP4 tensor cores. Every expected value
is worked by hand in the comments."""
from __future__ import annotations

import dataclasses

import pytest

from conftest import gpu, kimi_linear, llama31_8b
from rigfit.catalog import find_hardware, find_quant
from rigfit.estimate import speed
from rigfit.estimate.fit import place
from rigfit.model import Scenario


def _plain_constants(monkeypatch, **changes):
    """Every backend at peak bandwidth with no fixed costs (hand arithmetic is bytes / bandwidth), then `changes`."""
    table, host = speed._constants()
    flat = speed.Efficiency(decode_bw=1.0, layer_us=0.0, prefill_mfu=0.5, moe_prefill=0.5, attn_eff=1.0)
    monkeypatch.setattr(speed, "_constants", lambda: ({k: dataclasses.replace(flat, **changes) for k in table},
                                                      dataclasses.replace(host, tp_allreduce_us=10.0)))


def test_tensor_parallel_step_worked_on_paper(monkeypatch):
    """Llama 3.1 8B FP8 on two 2000 GB/s GPUs, vLLM TP2, first token (no cache to read).
    Bytes: the 32 layers and final norm, 8,030,261,248 - 2 x 525,336,576 (embedding, LM head: 128256 x 4096)
    = 6,979,588,096 params at 1 byte, + LM head 525,336,576 x 2 bytes (BF16) = 8,030,261,248 bytes.
    Each GPU reads half: 8,030,261,248 / (2 x 2000e9) = 2.007565312 ms.
    All-reduces: 32 layers x 2 x 10 us = 0.64 ms. Step = 2.647565312 ms."""
    _plain_constants(monkeypatch)
    arch, hw = llama31_8b(), gpu(memory_gib=80, bandwidth_gbs=2000, tflops=312).with_count(2)
    s = Scenario(context=4096, quant=find_quant("FP8"))
    step = speed.decode_step(arch, hw, s, place(arch, hw, s), 0, "vLLM", tensor_parallel=True)
    assert step.device_bytes == 8_030_261_248
    assert step.seconds == pytest.approx(2.647565312e-3, rel=1e-12)


def test_two_allreduces_per_layer():
    # Megatron TP: one all-reduce after attention, one after the FFN; 80 layers x 2 x 10 us = 1.6 ms
    assert speed.ALLREDUCES_PER_LAYER == 2
    assert speed.tensor_parallel_sync_seconds(80) == pytest.approx(80 * 2 * speed.host_constants().tp_allreduce_us * 1e-6)
    assert speed.host_constants().tp_allreduce_us == 10.0  # sgl-project/sglang#2904: 8.5-11.8 us on H100, TP 2-8


def test_moe_layer_cost_is_per_moe_layer(monkeypatch):
    """Kimi Linear has 26 MoE layers (ffn 'D' + 26 x 'E'): 50 us each adds 1.3 ms; a dense model adds nothing."""
    s = Scenario(context=4096, quant=find_quant("BF16"))
    hw = gpu(memory_gib=192, bandwidth_gbs=2000, tflops=312)
    steps = {}
    for cost in (0.0, 50.0):
        _plain_constants(monkeypatch, moe_layer_us=cost)
        for arch in (kimi_linear(), llama31_8b()):
            steps[arch.name, cost] = speed.decode_step(arch, hw, s, place(arch, hw, s), 1024, "vLLM").seconds
    assert steps["Test Kimi Linear", 50.0] - steps["Test Kimi Linear", 0.0] == pytest.approx(26 * 50e-6, rel=1e-9)
    assert steps["Test Llama 3.1 8B", 50.0] == steps["Test Llama 3.1 8B", 0.0]


def test_moe_layer_cost_defaults_to_zero():
    assert speed.Efficiency(decode_bw=1.0, layer_us=0.0, prefill_mfu=0.5, moe_prefill=0.5).moe_layer_us == 0.0


@pytest.mark.parametrize("hardware, quant, tflops", [
    # vLLM runs FP8 and NVFP4 checkpoints weight-only (W8A16 / W4A16 Marlin) where the GPU has no FP8 / FP4 tensor
    # cores: prompt GEMMs at the FP16 rate, decode still reads 1 or 0.5625 bytes per weight.
    ("A100 80GB SXM", "FP8", 312.0),     # Ampere: FP8 Marlin, A100 dense FP16 312 TFLOPS
    ("A100 80GB SXM", "NVFP4", 312.0),   # Ampere: FP4 Marlin
    ("H100 SXM", "NVFP4", 989.4),        # Hopper has FP8 but no FP4 tensor cores: FP16 989.4 TFLOPS
    ("H100 SXM", "FP8", 1978.9),         # native FP8 (H100 SXM datasheet, dense)
    ("B200", "NVFP4", 9000.0),           # native FP4
])
def test_weight_only_marlin_prefill_runs_at_the_fp16_rate(hardware, quant, tflops):
    assert speed.matrix_tflops(find_hardware(hardware), find_quant(quant)) == tflops


def test_weight_only_fp8_decode_reads_one_byte_per_weight():
    """FP8 Marlin keeps the weights in FP8 on an Ampere GPU: the same 8,030,261,248 bytes as on a GPU with FP8
    tensor cores (Llama 3.1 8B, worked above), so decode is as fast as the bytes say."""
    arch = llama31_8b()
    s = Scenario(context=4096, quant=find_quant("FP8"))
    for hw in (gpu(memory_gib=80, bandwidth_gbs=2039, tflops=312), find_hardware("A100 80GB SXM")):
        assert speed.decode_step(arch, hw, s, place(arch, hw, s), 0, "vLLM").device_bytes == 8_030_261_248


def test_batched_decode_attention_fills_the_device_up_to_peak():
    from rigfit.estimate.speed import batched_attention_efficiency

    # one sequence: the measured batch-1 fraction (CUDA's fitted attn_eff); 8 sequences side by side: 8x that,
    # 0.0169 x 8 = 0.1352; a CPU's 0.58 x 8 would pass peak and stops at 1.0
    assert batched_attention_efficiency(0.0169, 1) == 0.0169
    assert abs(batched_attention_efficiency(0.0169, 8) - 0.1352) < 1e-12
    assert batched_attention_efficiency(0.58, 8) == 1.0


def _kv_delta(arch, n_devices: int, depth: int) -> float:
    """Extra step time at `depth` over depth 0 under TP n_devices, attention FLOPs made free (1e9 TFLOPS)."""
    from rigfit.estimate.fit import placement_for

    hw = gpu(memory_gib=1000, bandwidth_gbs=2000, tflops=1e9).with_count(n_devices)
    s = Scenario(context=depth + 1, quant=find_quant("FP8"))
    p = placement_for(arch, hw, s, arch.num_layers + 1, engine=True)
    step = lambda d: speed.decode_step(arch, hw, s, p, d, "vLLM", tensor_parallel=n_devices > 1).seconds  # noqa: E731
    return step(depth) - step(0)


def test_tensor_parallel_kv_copies(monkeypatch):
    """DeepSeek R1 caches one MLA latent per layer (config.json kv_lora_rank 512 + qk_rope_head_dim 64) that all 128
    heads read: TP cannot split it, every device reads all of it, so the cache's time at depth is that of one GPU.
    Llama 3 70B has 8 KV heads (config.json num_key_value_heads): at TP 8 each device reads 1/8 of the cache."""
    from rigfit.catalog import find_model

    _plain_constants(monkeypatch)
    r1, llama = find_model("DeepSeek R1"), find_model("Llama 3 70B")
    assert speed.kv_shards(r1) == 1 and speed.kv_shards(llama) == 8
    assert speed.tensor_parallel_kv_copies(1, 8) == 8.0 and speed.tensor_parallel_kv_copies(8, 8) == 1.0
    assert speed.tensor_parallel_kv_copies(8, 2) == 1.0  # Qwen2.5 72B (8 KV heads) at TP 2: 4 heads per device
    # 61 layers x 576 latent elements x 2 bytes x 4096 tokens = 287,834,112 bytes at 2000 GB/s: 143.917056 us
    assert _kv_delta(r1, 1, 4096) == pytest.approx(143.917056e-6, rel=1e-6)
    assert _kv_delta(r1, 8, 4096) == pytest.approx(143.917056e-6, rel=1e-6)
    # 80 layers x 2 (K, V) x 8 heads x 128 x 2 bytes x 4096 tokens = 1,342,177,280 bytes: 671.08864 us on one GPU
    assert _kv_delta(llama, 1, 4096) == pytest.approx(671.08864e-6, rel=1e-6)
    assert _kv_delta(llama, 8, 4096) == pytest.approx(671.08864e-6 / 8, rel=1e-6)


def test_engine_prefill_chunk_and_forward_cost(monkeypatch):
    """A serving engine runs a prompt in chunks (vLLM API server 2048, TensorRT-LLM max_num_tokens 8192); each chunk
    pays one forward pass of fixed costs. Llama 3.1 8B (32 layers), layer_us 50, token_us 100: one pass =
    32 x 50 + 100 = 1700 us; a 5000-token prompt in vLLM = 3 chunks = 5.1 ms; llama.cpp backends pay none."""
    assert speed.prefill_chunk("vLLM", 512) == 2048 and speed.prefill_chunk("TensorRT-LLM/ada", 512) == 8192
    assert speed.prefill_chunk("CUDA", 512) == 512 and speed.prefill_chunk("Metal/apple_m3", 256) == 256
    eff = speed.Efficiency(decode_bw=1.0, layer_us=50.0, prefill_mfu=0.5, moe_prefill=0.5, token_us=100.0)
    arch = llama31_8b()
    assert speed.engine_forward_seconds(arch, eff, "vLLM", 3) == pytest.approx(5.1e-3, rel=1e-12)
    assert speed.engine_forward_seconds(arch, eff, "CUDA", 3) == 0.0
    # tensor parallel: + 32 layers x 2 all-reduces x 10 us = 0.64 ms per pass
    _plain_constants(monkeypatch)
    assert speed.engine_forward_seconds(arch, eff, "vLLM", 1, tp_devices=2) == pytest.approx(2.34e-3, rel=1e-12)
