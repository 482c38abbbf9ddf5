"""MLA attention FLOPs: a decode step runs the weight-absorbed form (every head attends over the cached latent),
prefill the per-head form. Expected values are the config.json shapes multiplied out by hand."""
from __future__ import annotations

import pytest

from rigfit.catalog import find_model
from rigfit.estimate import speed


def test_deepseek_v3_decode_counts_the_absorbed_latent():
    # DeepSeek V3 config.json: 128 heads, kv_lora_rank 512, qk_rope_head_dim 64, qk_nope_head_dim 128, v_head_dim 128.
    # Decode: scores over 512 + 64 dims, values over 512 dims: 2 x 128 x (512 + 64 + 512) = 278,528 FLOPs per layer
    # per cached token. Prefill: 2 x 128 x (128 + 64 + 128) = 81,920.
    arch = find_model("DeepSeek V3")
    assert speed.attention_layer_flops(arch, 1.0, decode=True)[0] == 278_528
    assert speed.attention_layer_flops(arch, 1.0)[0] == 81_920
    # 61 MLA layers at 1000 cached tokens: 61 x 278,528 x 1000 = 16,990,208,000
    assert speed.attention_flops(arch, 1000.0, decode=True) == pytest.approx(16_990_208_000)


def test_glm_47_flash_decode_is_2_125_times_its_prefill_count():
    # GLM-4.7-Flash config.json: 20 heads, kv_lora_rank 512, rope 64, nope 192, v 256.
    # Decode 2 x 20 x 1088 = 43,520; prefill 2 x 20 x (192 + 64 + 256) = 20,480; ratio 2.125.
    arch = find_model("GLM-4.7-Flash")
    dec = speed.attention_layer_flops(arch, 1.0, decode=True)
    pre = speed.attention_layer_flops(arch, 1.0)
    assert dec[0] == 43_520 and pre[0] == 20_480


def test_gqa_layers_are_the_same_in_decode_and_prefill():
    # Llama 3.1 8B: 32 heads of 128 dims: 4 x 32 x 128 = 16,384 FLOPs per layer per cached token either way
    arch = find_model("Llama 3.1 8B")
    assert speed.attention_layer_flops(arch, 1.0, decode=True)[0] == 16_384
    assert speed.attention_layer_flops(arch, 1.0)[0] == 16_384
