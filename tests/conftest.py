"""Shared fixtures: hand-written architectures whose numbers are checked by hand in the tests."""

from __future__ import annotations

import pytest

from rigfit.model import MLA, SSM, Architecture, Hardware, LinearAttention, MoE


def llama31_8b() -> Architecture:
    # meta-llama/Llama-3.1-8B config.json
    return Architecture(
        name="Test Llama 3.1 8B", params_b=8.030261248, vocab_size=128256, hidden_size=4096, num_layers=32,
        num_heads=32, num_kv_heads=8, head_dim=128, intermediate_size=14336, max_context=131072, mixers="F" * 32,
    )


def kimi_linear() -> Architecture:
    # moonshotai/Kimi-Linear-48B-A3B-Instruct config.json: 27 layers, MLA at 4,8,...,24,27 (1-indexed)
    mixers = "".join("M" if (i + 1) in (4, 8, 12, 16, 20, 24, 27) else "L" for i in range(27))
    return Architecture(
        name="Test Kimi Linear", params_b=49.12, vocab_size=163840, hidden_size=2304, num_layers=27, num_heads=32,
        num_kv_heads=32, head_dim=72, intermediate_size=9216, max_context=1048576, mixers=mixers,
        mla=MLA(kv_lora_rank=512, qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128),
        linear_attn=LinearAttention(kind="kda", num_v_heads=32, num_k_heads=32, head_k_dim=128, head_v_dim=128, conv_kernel=4),
        moe=MoE(num_experts=256, experts_per_token=8, expert_ffn=1024, shared_experts=1, shared_expert_ffn=1024, ffn="D" + "E" * 26),
    )


def gemma3_like() -> Architecture:
    mixers = "".join("F" if (i + 1) % 6 == 0 else "S" for i in range(12))
    return Architecture(
        name="Test SWA", params_b=1.0, vocab_size=32000, hidden_size=1024, num_layers=12, num_heads=8, num_kv_heads=4,
        head_dim=256, intermediate_size=4096, max_context=131072, mixers=mixers, sliding_window=1024,
    )


def mamba_hybrid() -> Architecture:
    mixers = "RRRF" * 4
    return Architecture(
        name="Test Mamba hybrid", params_b=1.0, vocab_size=32000, hidden_size=1024, num_layers=16, num_heads=8,
        num_kv_heads=2, head_dim=128, intermediate_size=4096, max_context=65536, mixers=mixers,
        ssm=SSM(kind="mamba2", d_inner=2048, d_state=128, d_conv=4, n_heads=32, head_dim=64, n_groups=1),
    )


def gpu(memory_gib: float = 24, bandwidth_gbs: float = 936, tflops: float = 142, name: str = "Test GPU") -> Hardware:
    return Hardware(name=name, vendor="nvidia", kind="gpu", memory_gib=memory_gib, bandwidth_gbs=bandwidth_gbs,
                    fp16_tflops=tflops, arch_key="ampere")


def host_ram(memory_gib: float = 64, bandwidth_gbs: float = 89.6) -> Hardware:
    return Hardware(name="Test host", vendor="cpu", kind="cpu", memory_gib=memory_gib, bandwidth_gbs=bandwidth_gbs,
                    fp16_tflops=2.0, unified=True)


@pytest.fixture
def llama8b() -> Architecture:
    return llama31_8b()


@pytest.fixture
def kimi() -> Architecture:
    return kimi_linear()
