"""Issue 11: Mistral Large 3, Devstral 2 and Magistral Small 1.2 (data/models/models_j.yaml), hand-checked.

Each expected value is worked out on paper from the config values the entries cite (see their notes), not read back
from the code under test.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from rigfit.catalog import find_model
from rigfit.estimate.memory import kv_bytes_per_token

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("add_model", ROOT / "scripts" / "add_model.py")
add_model = importlib.util.module_from_spec(spec)
spec.loader.exec_module(add_model)

# Mistral Large 3 params.json values (vllm-project/vllm tests/transformers_utils/test_config.py@05f5d7d3) under the
# transformers DeepseekV3 names they map to (asserted by unsloth's mistral_format test): the config add_model read.
MISTRAL_LARGE_3 = {
    "model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61, "num_attention_heads": 128,
    "num_key_value_heads": 128, "intermediate_size": 16384, "q_lora_rank": 1536, "kv_lora_rank": 512,
    "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "n_routed_experts": 128,
    "num_experts_per_tok": 4, "n_shared_experts": 1, "moe_intermediate_size": 4096, "first_k_dense_replace": 3,
    "moe_layer_freq": 1, "vocab_size": 131072, "tie_word_embeddings": False, "hidden_act": "silu",
    "max_position_embeddings": 262144,
}
# Devstral 2 123B Ministral3Config values (tenstorrent/tt-metal .../devstral2_123B_instruct/tt/model_args.py@29c27a9a).
DEVSTRAL_2 = {
    "model_type": "ministral3", "hidden_size": 12288, "num_hidden_layers": 88, "num_attention_heads": 96,
    "num_key_value_heads": 8, "head_dim": 128, "intermediate_size": 28672, "vocab_size": 131072,
    "tie_word_embeddings": False, "hidden_act": "silu", "sliding_window": None, "max_position_embeddings": 262144,
}


def test_mistral_large_3_parameters_from_its_shapes() -> None:
    # On paper (weight matrices only, norms left out):
    #   embeddings + LM head: 2 x 131072 x 7168                                       =   1,879,048,192
    #   MLA per layer: q_a 7168x1536 + q_b 1536x(128x192) + kv_a 7168x(512+64)
    #                  + kv_b 512x(128x(128+128)) + o (128x128)x7168 = 187,105,280; x61  =  11,413,422,080
    #   dense FFN, 3 layers x 3 x 7168 x 16384                                        =   1,056,964,608
    #   MoE, 58 layers x (128 routed + 1 shared) x 3 x 7168 x 4096                    = 659,017,433,088
    #   routers, 58 x 128 x 7168                                                      =      53,215,232
    #   total                                                                         = 673,420,083,200
    # = the model card's "673B params" language model (675B with the 2.5B vision encoder).
    entry = add_model.build_entry(MISTRAL_LARGE_3, find_model("Mistral Large 3").source, "Mistral Large 3 675B")
    assert entry["params_b"] == pytest.approx(673.420083200, rel=1e-5)
    arch = find_model("Mistral Large 3")
    assert arch.params_b == 673.0
    assert arch.moe.ffn == "DDD" + "E" * 58
    # routed experts: 58 x 128 x 3 x 7168 x 4096 = 653,908,770,816; 4 of 128 per token = 20,434,649,088
    assert arch.routed_expert_params == 653_908_770_816
    assert arch.active_routed_expert_params == 20_434_649_088
    # 673e9 - 653.909e9 + 20.435e9 = 39.53e9 derived, the card's 39B active within 2 %
    derived_active = arch.total_params - arch.routed_expert_params + arch.active_routed_expert_params
    assert derived_active / 39.0e9 == pytest.approx(1.0, abs=0.02)
    assert arch.active_params == 39.0e9


def test_mistral_large_3_shapes_match_the_read_config() -> None:
    entry = add_model.build_entry(MISTRAL_LARGE_3, find_model("Mistral Large 3").source, "Mistral Large 3 675B", 673.0)
    arch = find_model("Mistral Large 3")
    assert (entry["num_layers"], entry["hidden_size"], entry["vocab_size"]) == (arch.num_layers, arch.hidden_size,
                                                                               arch.vocab_size) == (61, 7168, 131072)
    assert entry["mixers"] == arch.mixers == "M" * 61
    assert (arch.mla.kv_lora_rank, arch.mla.qk_rope_head_dim, arch.mla.q_lora_rank) == (512, 64, 1536)
    assert (arch.moe.num_experts, arch.moe.experts_per_token, arch.moe.shared_experts, arch.moe.expert_ffn) == \
        (128, 4, 1, 4096)
    assert arch.intermediate_size == 16384 and arch.tie_embeddings is False


def test_mistral_large_3_kv_bytes_per_token() -> None:
    # llama.cpp deepseek2 cache, as rigfit counts MLA: K = kv_lora_rank + rope (512 + 64), V = kv_lora_rank (512)
    # (2 x 512 + 64) x 61 layers x 2 bytes (F16) = 1088 x 61 x 2 = 132,736 bytes per token
    assert kv_bytes_per_token(find_model("Mistral Large 3"), 2.0) == 132_736
    # the 256k context Mistral states: 132,736 x 262,144 = 34,795,601,920 bytes = 32.4 GiB at F16
    assert find_model("Mistral Large 3").max_context == 262_144


def test_devstral_2_parameters_and_kv() -> None:
    # On paper: embeddings + LM head 2 x 131072 x 12288                            =   3,221,225,472
    #   per layer: q 12288x(96x128) + k,v 2 x 12288x(8x128) + o (96x128)x12288      =     327,155,712
    #              FFN 3 x 12288 x 28672                                             =   1,056,964,608
    #              2 RMSNorm x 12288                                                  =          24,576
    #   88 layers x 1,384,144,896                                                    = 121,804,750,848
    #   total                                                                         = 125,025,976,320
    # = the 125B the hub shows for its GGUF conversions (the name says 123B, 1.6 % below)
    entry = add_model.build_entry(DEVSTRAL_2, find_model("Devstral 2").source, "Devstral 2 123B", 125.0)
    assert add_model.structural_params(entry) == pytest.approx(125.025976320, rel=1e-6)
    arch = find_model("Devstral 2")
    assert (arch.num_layers, arch.hidden_size, arch.num_heads, arch.num_kv_heads, arch.head_dim,
            arch.intermediate_size) == (88, 12288, 96, 8, 128, 28672)
    assert arch.moe is None and arch.mixers == "F" * 88 and arch.max_context == 262_144
    # GQA cache: 2 (K, V) x 8 KV heads x 128 x 88 layers x 2 bytes = 360,448 bytes per token at F16
    assert kv_bytes_per_token(arch, 2.0) == 360_448


def test_magistral_small_1_2_is_the_small_3_2_text_tower_with_128k() -> None:
    mag, small32 = find_model("Magistral Small 1.2"), find_model("Mistral Small 3.2")
    for field in ("vocab_size", "hidden_size", "num_layers", "num_heads", "num_kv_heads", "head_dim",
                  "intermediate_size", "tie_embeddings", "mixers", "params_b"):
        assert getattr(mag, field) == getattr(small32, field), field
    # own config.json not read: the entry says so
    assert mag.verified is False
    # Mistral's page: 128k context (Magistral Small 1.0 / 1.1: 40k, the older entry)
    assert mag.max_context == 131_072 and find_model("Magistral Small").max_context == 40_960
    # 2 x 8 KV heads x 128 x 40 layers x 2 bytes = 163,840 bytes per token at F16
    assert kv_bytes_per_token(mag, 2.0) == 163_840


@pytest.mark.parametrize(("query", "expected"), [
    ("Devstral 2", "Devstral 2 123B"),
    ("Devstral Small 2", "Devstral Small 2 24B"),
    ("Mistral Large 3", "Mistral Large 3 675B"),
    ("Mistral Large 2", "Mistral Large 2 123B"),
    ("Magistral Small 1.2", "Magistral Small 1.2 24B"),
    ("Magistral-Small-2509", "Magistral Small 1.2 24B"),
    ("Magistral Small", "Magistral Small 24B"),
])
def test_names_people_type(query: str, expected: str) -> None:
    assert find_model(query).name == expected
