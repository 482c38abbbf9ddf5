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
