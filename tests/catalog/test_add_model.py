"""scripts/add_model.py: config.json -> YAML entry -> Architecture, through the run-time config reader."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from rigfit.catalog import find_model
from rigfit.catalog.loader import architecture_from_entry

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT.parent / "shared" / "reference" / "model-configs"
spec = importlib.util.spec_from_file_location("add_model", ROOT / "scripts" / "add_model.py")
add_model = importlib.util.module_from_spec(spec)
spec.loader.exec_module(add_model)

# real config.json files (../shared/reference/model-configs) and the catalog entry transcribed from each
PAIRS = {
    "deepseek-ai--DeepSeek-V3.json": "DeepSeek V3",
    "moonshotai--Kimi-K2-Instruct.json": "Kimi K2",
    "openai--gpt-oss-20b.json": "gpt-oss 20B",
    "openai--gpt-oss-120b.json": "gpt-oss 120B",
    "Qwen--Qwen3-30B-A3B.json": "Qwen3 30B A3B",
    "Qwen--Qwen3-Coder-480B-A35B-Instruct.json": "Qwen3 Coder 480B A35B",
    "meta-llama--Llama-4-Scout-17B-16E-Instruct.json": "Llama 4 Scout 17B-16E",
    "nvidia--Nemotron-H-56B-Base-8K.json": "Nemotron-H 56B",
    "zai-org--GLM-5.json": "GLM-5",
}
SHAPE_FIELDS = ("vocab_size", "hidden_size", "num_layers", "num_heads", "num_kv_heads", "head_dim", "mixers",
                "tie_embeddings", "sliding_window", "mla", "linear_attn", "ssm")


@pytest.mark.skipif(not CONFIGS.exists(), reason="../shared/reference/model-configs not present")
@pytest.mark.parametrize(("file", "name"), PAIRS.items())
def test_round_trip_equals_the_catalog_entry(file: str, name: str) -> None:
    ref = find_model(name)
    entry = add_model.build_entry(json.loads((CONFIGS / file).read_text()), ref.source, name, ref.params_b)
    # through the YAML text, as a reviewer pastes it into data/models/*.yaml
    text = add_model.to_yaml(entry)
    arch = architecture_from_entry(yaml.safe_load("models:\n" + text)["models"][0])
    for field in SHAPE_FIELDS:
        assert getattr(arch, field) == getattr(ref, field), field
    assert (arch.moe.ffn, arch.moe.num_experts, arch.moe.expert_ffn) == (ref.moe.ffn, ref.moe.num_experts,
                                                                           ref.moe.expert_ffn) if ref.moe else arch.moe is None
    assert arch.params_b == ref.params_b


def test_parameter_count_mismatch_is_refused() -> None:
    cfg = json.loads((CONFIGS / "openai--gpt-oss-20b.json").read_text()) if CONFIGS.exists() else None
    if cfg is None:
        pytest.skip("../shared/reference/model-configs not present")
    # gpt-oss-20b is 20.9B (openai model card); 12B cannot be its language model
    with pytest.raises(ValueError, match="apart"):
        add_model.build_entry(cfg, "https://huggingface.co/openai/gpt-oss-20b/blob/main/config.json", params_b=12.0)
    entry = add_model.build_entry(cfg, "https://huggingface.co/openai/gpt-oss-20b/blob/main/config.json", params_b=20.9)
    assert entry["hf_repo"] == "openai/gpt-oss-20b" and entry["params_b"] == 20.9
