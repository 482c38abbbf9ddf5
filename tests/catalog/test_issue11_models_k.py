"""Issue 11: models `rigfit check` did not know (models_k.yaml). Every expected value below is worked out by hand from
the shapes the entry's notes cite; rigfit's count leaves out biases (Qwen/GLM QKV bias) and the final norm, and counts
the MoE router, as the hand sums here do."""

import pytest

from rigfit.catalog import find_model
from rigfit.estimate.memory import kv_bytes_per_token, recurrent_state_bytes
from rigfit.estimate.structure import layer_params
from rigfit.model.architecture import Architecture


def shape_params(arch: Architecture) -> float:
    """rigfit's count of the shapes (as rigfit.ingest.hf_config.structural_params, from the loaded entry)."""
    lp = layer_params(arch)
    norms = arch.num_layers * 2 * arch.hidden_size
    return float(lp.dense.sum() / lp.scale + lp.experts.sum() + lp.embedding + lp.output + norms)


def test_qwen25_vl_32b_text_tower() -> None:
    m = find_model("Qwen2.5-VL 32B")
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads) == (5120, 64, 40, 8)
    assert m.intermediate_size == 27648 and m.vocab_size == 152064 and m.max_context == 128000
    # per layer: Q and O 2 x 5120^2 = 52,428,800; K and V 2 x 5120 x 1024 = 10,485,760; gated FFN
    # 3 x 5120 x 27648 = 424,673,280; two norms 10,240 -> 487,598,080; x 64 = 31,206,277,120.
    # Untied embedding + lm_head 2 x 152064 x 5120 = 1,557,135,360. Total 32,763,412,480 (text tower, no ViT).
    assert shape_params(m) == 32_763_412_480
    assert m.params_b == 32.76
    # KV cache, F16: 64 layers x (K + V) 2 x 8 heads x 128 x 2 bytes = 262,144 bytes (256 KiB) per token
    assert kv_bytes_per_token(m) == 262_144
    assert recurrent_state_bytes(m) == 0


def test_jamba_large_17_is_the_16_architecture() -> None:
    m, old = find_model("Jamba Large 1.7"), find_model("Jamba Large 1.6")
    assert m.name != old.name and m.hf_repo == "ai21labs/AI21-Jamba-Large-1.7" and not m.verified
    assert (m.hidden_size, m.num_layers, m.mixers, m.moe, m.ssm) == \
        (old.hidden_size, old.num_layers, old.mixers, old.moe, old.ssm)
    assert m.mixers.count("F") == 9 and m.mixers.count("R") == 63
    # 63 Mamba-1 layers x (in_proj 8192 x 32768 = 268,435,456 + x_proj 16384 x (512 + 32) = 8,912,896
    #   + dt_proj 512 x 16384 = 8,388,608 + out_proj 16384 x 8192 = 134,217,728 = 419,954,688) = 26,457,145,344
    # 9 attention layers x (2 x 8192^2 + 2 x 8192 x 1024 = 150,994,944) = 1,358,954,496
    # 36 dense FFN x 3 x 8192 x 24576 (603,979,776) = 21,743,271,936
    # 36 MoE FFN x (16 x 603,979,776 + router 16 x 8192 = 9,663,807,488) = 347,897,069,568
    # norms 72 x 2 x 8192 = 1,179,648; embedding + lm_head 2 x 65536 x 8192 = 1,073,741,824
    # total 398,531,362,816: AI21's 398B (1.5 / 1.6 card) within 0.2 %
    assert shape_params(m) == 398_531_362_816
    assert abs(shape_params(m) / 398e9 - 1) < 0.002
    # active: AI21's 94B, rigfit's count (dense parts + 2 of 16 experts) within 0.2 %
    assert abs(m.active_params / 94e9 - 1) < 0.002
    # KV: 9 attention layers x 2 x 8 x 128 x 2 bytes = 36,864 bytes per token
    assert kv_bytes_per_token(m) == 36_864
    # state, F32: 63 x ((d_conv - 1) x d_inner 3 x 16384 + d_inner x d_state 16384 x 16) x 4 bytes
    #   = 63 x 311,296 x 4 = 78,446,592 bytes (74.8 MiB) per sequence, whatever the context
    assert recurrent_state_bytes(m) == 78_446_592


def test_glm_46v_text_tower() -> None:
    m = find_model("GLM-4.6V")
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (4096, 46, 96, 8, 128)
    assert m.max_context == 131072  # GLM-4.5V's config has 65536: the 4.6V value comes from its own reading
    assert m.moe and (m.moe.num_experts, m.moe.experts_per_token, m.moe.shared_experts) == (128, 8, 1)
    assert m.moe.ffn == "D" + "E" * 45
    # attention per layer: Q, O 2 x 4096 x 12288 = 100,663,296; K, V 2 x 4096 x 1024 = 8,388,608 -> 109,051,904;
    # norms 8,192. Layer 0 dense FFN 3 x 4096 x 10944 = 134,479,872 -> 243,539,968.
    # MoE layers: 128 experts x 3 x 4096 x 1408 = 2,214,592,512 + shared 17,301,504 + router 128 x 4096 = 524,288
    #   -> 2,341,478,400 per layer, x 45 = 105,366,528,000. Embedding + lm_head 2 x 151552 x 4096 = 1,241,513,984.
    # Total 106,851,581,952: the card's 106B within 1 % (the card counts the ViT too).
    assert shape_params(m) == 106_851_581_952
    assert abs(m.params_b / 106 - 1) < 0.01
    # KV: 46 x 2 x 8 x 128 x 2 bytes = 188,416 bytes per token (184 KiB); 128K context = 23 GiB at F16
    assert kv_bytes_per_token(m) == 188_416


def test_glm_46v_flash_text_tower() -> None:
    m = find_model("GLM-4.6V-Flash")
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.intermediate_size) == (4096, 40, 32, 2, 13696)
    assert m.max_context == 131072 and not m.is_moe
    # per layer: Q, O 2 x 4096^2 = 33,554,432; K, V 2 x 4096 x 256 = 2,097,152; FFN 3 x 4096 x 13696 = 168,296,448;
    # norms 8,192 -> 203,956,224; x 40 = 8,158,248,960; + 2 x 151552 x 4096 = 1,241,513,984 -> 9,399,762,944
    assert shape_params(m) == 9_399_762_944
    # KV: 40 x 2 x 2 x 128 x 2 bytes = 40,960 bytes per token: 128K context = 5 GiB at F16
    assert kv_bytes_per_token(m) == 40_960
    assert kv_bytes_per_token(m) * 131072 == 5 * 2**30


@pytest.mark.parametrize("name", ["Jamba Large 1.7", "GLM-4.6V"])  # Qwen2.5-VL 32B: test_issue11_verify_new2.py
def test_new_entries_cite_their_config_and_stay_unverified(name: str) -> None:
    m = find_model(name)
    assert m.source == f"https://huggingface.co/{m.hf_repo}/blob/main/config.json"
    assert not m.verified  # none of these official config.json files was read directly (see the notes)
