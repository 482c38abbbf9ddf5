"""Config shapes that ingest reads for LFM2 (short-conv hybrids) and newer nemotron_h configs (layers_block_type)."""

from __future__ import annotations

from rigfit.catalog import find_model
from rigfit.estimate.structure import layer_params
from rigfit.ingest.hf_config import config_entry, structural_params

# LiquidAI/LFM2-1.2B: 16 layers, attention at 2, 5, 8, 10, 12, 14; block_ff_dim 12288 auto-adjusted to 8192.
LFM2_1_2B = {
    "model_type": "lfm2", "hidden_size": 2048, "num_hidden_layers": 16, "num_attention_heads": 32,
    "num_key_value_heads": 8, "vocab_size": 65536, "block_ff_dim": 12288, "block_auto_adjust_ff_dim": True,
    "block_ffn_dim_multiplier": 1.0, "block_multiple_of": 256, "conv_L_cache": 3, "max_position_embeddings": 128000,
    "full_attn_idxs": [2, 5, 8, 10, 12, 14], "tie_word_embeddings": True,
}


def test_lfm2_layers_and_ffn_width():
    e = config_entry(LFM2_1_2B, "LFM2 1.2B", "https://example.org")
    assert e["mixers"] == "LLFLLFLLFLFLFLFL"
    assert e["intermediate_size"] == 8192  # int(2/3 * 12288) = 8192, already a multiple of 256
    # a conv block is 4 * hidden^2 weights: hidden * (2k + 2v) + v * hidden with k = hidden/2, v = hidden
    la = e["linear_attn"]
    k, v = la["num_k_heads"] * la["head_k_dim"], la["num_v_heads"] * la["head_v_dim"]
    assert 2048 * (2 * k + 2 * v) + v * 2048 == 4 * 2048 ** 2


def test_lfm2_shapes_give_the_model_card_count():
    # The LFM2-1.2B model card states 1,170,340,608 parameters; the shapes (norms excluded) land within 0.1%.
    assert abs(structural_params(config_entry(LFM2_1_2B, "LFM2 1.2B", "https://example.org")) / 1.170340608 - 1) < 1e-3


def test_layers_block_type_becomes_the_hybrid_pattern():
    cfg = {"model_type": "nemotron_h", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
           "head_dim": 16, "vocab_size": 100, "mamba_num_heads": 4, "mamba_head_dim": 16, "n_groups": 1,
           "ssm_state_size": 8, "n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32,
           "moe_shared_expert_intermediate_size": 64, "mlp_hidden_act": "relu2",
           "layers_block_type": ["mamba", "moe", "attention", "moe"]}  # no num_hidden_layers, as in Nemotron 3 Ultra
    e = config_entry(cfg, "tiny", "https://example.org")
    assert e["num_layers"] == 4 and e["mixers"] == "RNFN" and e["moe"]["ffn"] == "NENE"
    assert e["moe"]["shared_expert_ffn"] == 64 and e["ffn_gated"] is False


def test_relu2_experts_count_two_matrices():
    # Nemotron 3 Nano 30B A3B: 23 MoE layers x 128 experts x 2 x 2688 x 1856 = 29.37B of routed experts (up and down
    # only); with 3 matrices they alone would exceed the 31.58B total NVIDIA states.
    m = find_model("Nemotron 3 Nano 30B A3B")
    assert round(m.routed_expert_params / 1e9, 2) == 29.37
    assert 0.99 < layer_params(m).scale < 1.01
