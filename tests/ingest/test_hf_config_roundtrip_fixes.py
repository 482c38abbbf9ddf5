"""Reader fixes the every-model round trip (tests/catalog/test_round_trip_all.py) found; hand-checked shapes."""

from __future__ import annotations

from rigfit.ingest.hf_config import config_entry

BASE = {"vocab_size": 1000, "hidden_size": 512, "num_hidden_layers": 4, "num_attention_heads": 8,
        "num_key_value_heads": 2, "max_position_embeddings": 4096}


def test_starcoder2_mlp_has_no_gate() -> None:
    # bigcode/starcoder2-15b config.json: hidden_act gelu_pytorch_tanh; transformers Starcoder2MLP is c_fc, c_proj
    e = config_entry({**BASE, "model_type": "starcoder2", "hidden_act": "gelu_pytorch_tanh",
                      "intermediate_size": 2048}, "sc2", "")
    assert e["ffn_gated"] is False


def test_gemma_gelu_pytorch_tanh_stays_gated() -> None:
    # Gemma 2: hidden_activation gelu_pytorch_tanh but a GeGLU MLP (gate_proj, up_proj, down_proj)
    e = config_entry({**BASE, "model_type": "gemma2", "hidden_act": "gelu_pytorch_tanh", "intermediate_size": 2048},
                     "g2", "")
    assert e["ffn_gated"] is True


def test_llama4_dense_layers_use_intermediate_size_mlp() -> None:
    # Llama-4-Maverick text_config: intermediate_size 8192 (experts and the shared expert), intermediate_size_mlp
    # 16384 (the dense layers between MoE layers), interleave_moe_layer_step 2, 128 experts top-1
    cfg = {**BASE, "model_type": "llama4_text", "intermediate_size": 8192, "intermediate_size_mlp": 16384,
           "num_local_experts": 128, "num_experts_per_tok": 1, "interleave_moe_layer_step": 2,
           "attention_chunk_size": 8192, "max_position_embeddings": 1048576}
    e = config_entry(cfg, "mav", "")
    assert e["intermediate_size"] == 16384
    assert (e["moe"]["expert_ffn"], e["moe"]["shared_expert_ffn"], e["moe"]["ffn"]) == (8192, 8192, "DEDE")


def test_granite_hybrid_shared_mlp() -> None:
    # ibm-granite/granite-4.0-h-tiny: 64 experts top-6 of 512, shared_intermediate_size 1024 (one shared MLP)
    cfg = {**BASE, "model_type": "granitemoehybrid", "layer_types": ["mamba", "mamba", "mamba", "attention"],
           "num_local_experts": 64, "num_experts_per_tok": 6, "intermediate_size": 512,
           "shared_intermediate_size": 1024, "mamba_n_heads": 16, "mamba_d_head": 64, "mamba_d_state": 128}
    moe = config_entry(cfg, "tiny", "")["moe"]
    assert (moe["num_experts"], moe["experts_per_token"], moe["expert_ffn"]) == (64, 6, 512)
    assert (moe["shared_experts"], moe["shared_expert_ffn"]) == (1, 1024)


def test_ernie45_moe_keys() -> None:
    # baidu/ERNIE-4.5-21B-A3B-PT (Ernie4_5_MoeConfig): moe_num_experts 64, moe_k 6, moe_intermediate_size 1536,
    # moe_num_shared_experts 2, moe_layer_start_index 1 (layer 0 dense)
    cfg = {**BASE, "model_type": "ernie4_5_moe", "intermediate_size": 12288, "moe_num_experts": 64, "moe_k": 6,
           "moe_intermediate_size": 1536, "moe_num_shared_experts": 2, "moe_layer_start_index": 1}
    moe = config_entry(cfg, "ernie", "")["moe"]
    assert (moe["num_experts"], moe["experts_per_token"], moe["expert_ffn"]) == (64, 6, 1536)
    assert (moe["shared_experts"], moe["shared_expert_ffn"], moe["ffn"]) == (2, 1536, "DEEE")


def test_num_shared_experts_key() -> None:
    # inclusionAI/Ling-mini-2.0 (bailing_moe_v2) and tencent/Hy3: num_experts, num_shared_experts 1,
    # first_k_dense_replace 1
    cfg = {**BASE, "model_type": "bailing_moe_v2", "intermediate_size": 5120, "num_experts": 256,
           "num_experts_per_tok": 8, "moe_intermediate_size": 512, "num_shared_experts": 1, "first_k_dense_replace": 1}
    moe = config_entry(cfg, "ling", "")["moe"]
    assert (moe["shared_experts"], moe["shared_expert_ffn"], moe["ffn"]) == (1, 512, "DEEE")


def test_all_moe_text_config_without_dense_width() -> None:
    # Qwen/Qwen3.5-35B-A3B text_config (qwen3_5_moe_text): every layer MoE (256 experts top-8 of 512), no
    # intermediate_size key: no dense FFN, not the 4 x hidden default
    cfg = {"model_type": "qwen3_5_moe", "text_config": {**BASE, "model_type": "qwen3_5_moe_text", "num_experts": 256,
                                                         "num_experts_per_tok": 8, "moe_intermediate_size": 512}}
    e = config_entry(cfg, "q35", "")
    assert e["intermediate_size"] == 0 and e["moe"]["ffn"] == "EEEE"
