"""config.json → Architecture, checked against the catalog entries transcribed from the same configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rigfit.catalog import find_model
from rigfit.ingest.hf_config import architecture_from_config

CONFIGS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "model-configs"
PAIRS = {
    "deepseek-ai--DeepSeek-V3.json": "DeepSeek V3",
    "moonshotai--Kimi-K2-Instruct.json": "Kimi K2",
    "openai--gpt-oss-20b.json": "gpt-oss 20B",
    "openai--gpt-oss-120b.json": "gpt-oss 120B",
    "Qwen--Qwen3-30B-A3B.json": "Qwen3 30B A3B",
    "Qwen--Qwen3-Coder-480B-A35B-Instruct.json": "Qwen3 Coder 480B A35B",
    "meta-llama--Llama-4-Scout-17B-16E-Instruct.json": "Llama 4 Scout 17B-16E",
    "nvidia--Nemotron-H-56B-Base-8K.json": "Nemotron-H 56B",
}


@pytest.mark.skipif(not CONFIGS.exists(), reason="../shared/reference/model-configs not present")
@pytest.mark.parametrize("file,name", PAIRS.items())
def test_real_configs_match_the_catalog(file, name):
    arch = architecture_from_config(json.loads((CONFIGS / file).read_text()), name, file)
    ref = find_model(name)
    assert arch.mixers == ref.mixers
    assert (arch.moe.ffn if arch.moe else None) == (ref.moe.ffn if ref.moe else None)
    assert arch.num_kv_heads == ref.num_kv_heads and arch.head_dim == ref.head_dim
    assert arch.params_b == pytest.approx(ref.params_b, rel=0.03)


def test_kimi_linear_style_config():
    cfg = {"model_type": "kimi_linear", "num_hidden_layers": 8, "hidden_size": 256, "num_attention_heads": 4,
           "num_key_value_heads": 4, "vocab_size": 1000, "intermediate_size": 512, "max_position_embeddings": 4096,
           "kv_lora_rank": 64, "qk_rope_head_dim": 16, "qk_nope_head_dim": 32, "v_head_dim": 32,
           "linear_attn_config": {"full_attn_layers": [4, 8], "kda_layers": [1, 2, 3, 5, 6, 7], "num_heads": 4,
                                  "head_dim": 32, "short_conv_kernel_size": 4},
           "num_experts": 8, "num_experts_per_token": 2, "moe_intermediate_size": 64, "first_k_dense_replace": 1}
    arch = architecture_from_config(cfg, "tiny kimi", "test")
    assert arch.mixers == "LLLMLLLM" and arch.moe.ffn == "DEEEEEEE"
    assert arch.linear_attn.kind == "kda" and arch.params_b > 0


def test_not_a_decoder_config_is_a_clear_error():
    with pytest.raises(ValueError, match="not a decoder"):
        architecture_from_config({"model_type": "bert", "vocab_size": 10}, "bert", "test")


@pytest.mark.parametrize("cfg, params_b, tied", [
    # google/gemma-2b: hidden_act "gelu" but a gated (GeGLU) MLP, embeddings tied by the config class's default.
    # 256000x2048 embed = 524.3M; per layer q/o 2x2048x2048 + k/v 2x2048x256 + MLP 3x2048x16384 = 110.1M, x18
    ({"model_type": "gemma", "vocab_size": 256000, "hidden_size": 2048, "num_hidden_layers": 18,
      "num_attention_heads": 8, "num_key_value_heads": 1, "head_dim": 256, "intermediate_size": 16384,
      "hidden_act": "gelu", "max_position_embeddings": 8192}, 2.506, True),
    # openai-community/gpt2: activation_function (not hidden_act), plain MLP, tied by default: 124M
    ({"model_type": "gpt2", "vocab_size": 50257, "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024,
      "activation_function": "gelu_new", "n_inner": None}, 0.1236, True),
    # microsoft/phi-2 (phi-msft keys): 2 x 51200x2560 untied + 32 x (4x2560^2 + 2x2560x10240) = 2.78B
    ({"model_type": "phi-msft", "vocab_size": 51200, "n_embd": 2560, "n_layer": 32, "n_head": 32,
      "n_positions": 2048, "activation_function": "gelu_new"}, 2.778, False),
    # THUDM/chatglm3-6b: its own key names (padded_vocab_size, num_layers, multi_query_group_num, ffn_hidden_size)
    ({"model_type": "chatglm", "padded_vocab_size": 65024, "hidden_size": 4096, "num_layers": 28,
      "num_attention_heads": 32, "multi_query_attention": True, "multi_query_group_num": 2,
      "ffn_hidden_size": 13696, "seq_length": 8192}, 6.243, False),
])
def test_configs_that_name_things_their_own_way(cfg, params_b, tied):
    arch = architecture_from_config(cfg, "x", "test")
    assert arch.params_b == pytest.approx(params_b, rel=2e-3) and arch.tie_embeddings is tied
