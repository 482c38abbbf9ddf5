"""Memory formulas against hand-computed cases, one per layer type, and against llama.cpp's measured buffers."""

from __future__ import annotations

import pytest

from conftest import gemma3_like, kimi_linear, llama31_8b, mamba_hybrid
from rigfit.catalog import find_quant
from rigfit.estimate.memory import (
    MIB,
    compute_buffer_bytes,
    kv_cache_bytes,
    output_buffer_bytes,
    recurrent_state_bytes,
    weight_bytes,
)
from rigfit.model import GIB, Scenario


def scen(ctx: int, kv: str = "f16", n_seq: int = 1, fa: bool = True) -> Scenario:
    return Scenario(quant=find_quant("Q4_K_M"), context=ctx, kv_type=kv, concurrency=n_seq, flash_attention=fa)


def test_gqa_kv_cache_llama_8b_at_8k_is_one_gib():
    # 32 layers x 8192 cells x (K+V) x 8 KV heads x 128 dims x 2 bytes = 1 GiB (llama.cpp log: 1024.00 MiB)
    assert kv_cache_bytes(llama31_8b(), scen(8192)) == 32 * 8192 * 2 * 8 * 128 * 2 == GIB


def test_kv_cache_quantized_types_scale_by_block_size():
    f16 = kv_cache_bytes(llama31_8b(), scen(8192))
    assert kv_cache_bytes(llama31_8b(), scen(8192, "q8_0")) == pytest.approx(f16 * (34 / 32) / 2)
    assert kv_cache_bytes(llama31_8b(), scen(8192, "q4_0")) == pytest.approx(f16 * (18 / 32) / 2)


def test_kv_cache_padded_to_256_cells():
    assert kv_cache_bytes(llama31_8b(), scen(1000)) == kv_cache_bytes(llama31_8b(), scen(1024))


def test_kv_cache_grows_with_concurrent_sequences():
    assert kv_cache_bytes(llama31_8b(), scen(4096, n_seq=4)) == 4 * kv_cache_bytes(llama31_8b(), scen(4096))


def test_sliding_window_layers_are_capped_at_the_window():
    arch = gemma3_like()  # 12 layers: 2 full, 10 sliding (window 1024), 4 KV heads x 256 dims
    per_cell = 2 * 4 * 256 * 2
    full = 2 * 32768 * per_cell
    sliding = 10 * min(32768, 1024 + 512) * per_cell  # pad(window*n_seq + ubatch, 256) = 1536 cells
    assert kv_cache_bytes(arch, scen(32768)) == full + sliding
    # a naive calculator charges every layer the full context: 6x more here
    naive = 12 * 32768 * per_cell
    assert kv_cache_bytes(arch, scen(32768)) < naive / 4


def test_mla_caches_the_latent_not_per_head_kv():
    arch = kimi_linear()  # 7 MLA layers; K = 512 + 64, V = 512 values per token, f16
    assert kv_cache_bytes(arch, scen(131072)) == 7 * 131072 * (512 + 64 + 512) * 2
    per_head = 7 * 131072 * 2 * 32 * 128 * 2  # what num_kv_heads x head_dim would give
    assert kv_cache_bytes(arch, scen(131072)) < per_head / 7


def test_mla_matches_llama_cpp_deepseek_v3_log():
    # memory.csv: DeepSeek-V3, 61 MLA layers, 16384 cells: K 1098 MiB + V 976 MiB = 2074 MiB
    from rigfit.catalog import find_model

    arch = find_model("DeepSeek V3")
    assert kv_cache_bytes(arch, scen(16384)) / MIB == pytest.approx(2074.0, rel=1e-3)


def test_linear_attention_state_is_constant_in_context():
    arch = kimi_linear()  # 20 KDA layers: conv 3 x (2*32*128 + 32*128) + state 32 x 128 x 128, F32
    per_layer = (3 * (2 * 32 * 128 + 32 * 128) + 32 * 128 * 128) * 4
    assert recurrent_state_bytes(arch) == 20 * per_layer
    assert recurrent_state_bytes(arch, 3) == 3 * 20 * per_layer


def test_mamba2_state():
    arch = mamba_hybrid()  # 12 Mamba-2 layers, d_inner 2048, d_state 128, 1 group, conv 4
    per_layer = (3 * (2048 + 2 * 1 * 128) + 2048 * 128) * 4
    assert recurrent_state_bytes(arch) == 12 * per_layer
    # attention layers only (4 of 16) hold a KV cache
    assert kv_cache_bytes(arch, scen(4096)) == 4 * 4096 * 2 * 2 * 128 * 2


def test_kimi_linear_context_state_at_128k_is_small():
    arch = kimi_linear()
    total = kv_cache_bytes(arch, scen(131072)) + recurrent_state_bytes(arch)
    assert total < 2.0 * GIB  # only 7 of 27 layers grow with context


def test_q4_k_m_weights_match_llama_cpp_buffers_for_llama_8b():
    w = weight_bytes(llama31_8b(), find_quant("Q4_K_M"))
    assert w.total / GIB == pytest.approx(4.58, abs=0.01)  # quantize README: 4.58 GiB
    # measured (memory.csv): CUDA model buffer 4403.49 MiB, CPU (token embedding) 281.81 MiB
    assert w.device_total / MIB == pytest.approx(4403.49, rel=0.005)
    assert w.embedding / MIB == pytest.approx(281.81, rel=0.005)


def test_compute_buffer_without_flash_attention_matches_log():
    # memory.csv: Llama 3.1 8B, n_ctx 8192, n_ubatch 512, flash_attn=0, CUDA compute buffer 560.00 MiB
    got = compute_buffer_bytes(llama31_8b(), scen(8192, fa=False)) / MIB
    assert got == pytest.approx(560.0, rel=0.03)
    # and at 512 context it is the logits: 258.50 MiB on Metal
    assert compute_buffer_bytes(llama31_8b(), scen(512, fa=False)) / MIB == pytest.approx(258.5, rel=0.03)


def test_logits_buffer_is_host_memory_not_device():
    from conftest import gpu, host_ram
    from rigfit.estimate.fit import memory_need

    arch = llama31_8b()
    need = memory_need(arch, gpu(), Scenario(quant=find_quant("Q4_K_M"), context=8192, host=host_ram()))
    assert need.host_resident >= output_buffer_bytes(arch, scen(8192))
    assert need.host_resident < need.weights


def test_embedded_boards_keep_1_5_gib_for_the_os_and_desktops_4() -> None:
    """An 8 GiB Jetson / Pi board leaves 8 - 1.5 = 6.5 GiB (NVIDIA/skills Jetson memory figures, see memory.py); a
    16 GiB laptop and a 128 GiB Strix Halo mini-PC keep the desktop reserve (16 - 4 = 12, 128 - 8 = 120)."""
    from rigfit.catalog import find_hardware
    from rigfit.estimate.memory import usable_memory_bytes

    assert usable_memory_bytes(find_hardware("Jetson Orin Nano Super 8GB")) == pytest.approx(6.5 * GIB)
    assert usable_memory_bytes(find_hardware("Raspberry Pi 5 8GB")) == pytest.approx(6.5 * GIB)
    assert usable_memory_bytes(find_hardware("Jetson Orin NX 16GB")) == pytest.approx(14.5 * GIB)
    assert usable_memory_bytes(find_hardware("Snapdragon X Plus X1P-64-100 16GB")) == pytest.approx(12 * GIB)
    assert usable_memory_bytes(find_hardware("AMD Ryzen AI Max+ 395 128GB")) == pytest.approx(120 * GIB)


def test_pi5_8gb_measurement_llama31_8b_fits_and_llama2_13b_does_not() -> None:
    """geerlingguy/ollama-benchmark README.md@0cc8abb5: on a Pi 5 8GB CPU, Ollama llama3.1:8b (Q4_K_M) ran at 1.99
    tok/s and llama2:13b did not finish. Ollama's 2048-token context: the 8B needs 4.58 GiB of weights + 0.25 GiB KV."""
    from rigfit.catalog import find_hardware
    from rigfit.estimate.memory import usable_memory_bytes

    usable = usable_memory_bytes(find_hardware("Raspberry Pi 5 8GB")) / GIB
    llama31_8b_q4km = 4.58 + 2048 * 32 * 2 * 8 * 128 * 2 / GIB  # weights file + f16 KV (32 layers, 8 KV heads)
    llama2_13b_q4_0 = 6.86 + 2048 * 40 * 2 * 40 * 128 * 2 / GIB  # 7.37 GB file + f16 KV (40 layers, 40 heads, MHA)
    assert llama31_8b_q4km < usable < llama2_13b_q4_0
