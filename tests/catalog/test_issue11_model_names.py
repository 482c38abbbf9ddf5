"""Issue 11: every model the issue lists resolves by its common name to the entry meant by it (hand-checked pairs: the
name as a user types it, the entry whose name carries each of its distinguishing tokens)."""

import pytest

from rigfit.catalog import find_model

ISSUE_11_MODELS = [
    ('Qwen3.5 0.8B', 'Qwen3.5 0.8B'),
    ('Qwen3.5 2B', 'Qwen3.5 2B'),
    ('Qwen3.5 4B', 'Qwen3.5 4B'),
    ('Qwen3.5 9B', 'Qwen3.5 9B'),
    ('Qwen3.5 27B', 'Qwen3.5 27B'),
    ('Qwen3.5 35B-A3B', 'Qwen3.5 35B A3B'),
    ('Qwen3.5 397B-A17B', 'Qwen3.5 397B A17B'),
    ('Qwen3.6 35B-A3B', 'Qwen3.6 35B A3B'),
    ('Qwen3 30B A3B 2507', 'Qwen3 30B A3B 2507'),
    ('Qwen3 235B A22B 2507', 'Qwen3 235B A22B 2507'),
    ('Qwen3-VL 8B', 'Qwen3-VL 8B'),
    ('Qwen3-VL 30B-A3B', 'Qwen3-VL 30B A3B'),
    ('Qwen3-VL 235B-A22B', 'Qwen3-VL 235B A22B'),
    ('Qwen2.5-VL 7B', 'Qwen2.5-VL 7B'),
    ('Qwen2.5-VL 72B', 'Qwen2.5-VL 72B'),
    ('Qwen2.5-VL 3B', 'Qwen2.5-VL 3B'),
    ('DeepSeek V3.2', 'DeepSeek V3.2'),
    ('DeepSeek V3.1', 'DeepSeek V3.1'),
    ('GLM-4.6', 'GLM-4.6'),
    ('GLM-5', 'GLM-5'),
    ('GLM-5.1', 'GLM-5.1'),
    ('Kimi K2', 'Kimi K2'),
    ('Kimi K2.5', 'Kimi K2.5'),
    ('Kimi K2 Thinking', 'Kimi K2 Thinking'),
    ('Gemma 3n E2B', 'Gemma 3n E2B'),
    ('Gemma 3n E4B', 'Gemma 3n E4B'),
    ('Gemma 4 31B', 'Gemma 4 31B'),
    ('Gemma 4 E2B', 'Gemma 4 E2B'),
    ('Gemma 4 E4B', 'Gemma 4 E4B'),
    ('Nemotron 3 Super 120B-A12B', 'Nemotron 3 Super 120B A12B'),
    ('Nemotron 3 Ultra', 'Nemotron 3 Ultra 550B A55B'),
    ('Llama-3.3-Nemotron-Super-49B', 'Llama 3.3 Nemotron Super 49B'),
    ('MiniMax M2.1', 'MiniMax M2.1'),
    ('MiniMax M3', 'MiniMax M3'),
    ('Devstral Small 2', 'Devstral Small 2 24B'),
    ('Ministral 3 3B', 'Ministral 3 3B'),
    ('Ministral 3 8B', 'Ministral 3 8B'),
    ('Ministral 3 14B', 'Ministral 3 14B'),
    ('OLMo 3 7B', 'OLMo 3 7B'),
    ('OLMo 3 32B', 'OLMo 3 32B'),
    ('Seed-OSS-36B', 'Seed-OSS 36B'),
    ('ERNIE 4.5 21B A3B', 'ERNIE 4.5 21B A3B'),
    ('ERNIE 4.5 300B A47B', 'ERNIE 4.5 300B A47B'),
    ('Hunyuan A13B', 'Hunyuan A13B'),
    ('MiMo-V2-Flash', 'MiMo-V2-Flash'),
    ('LFM2 1.2B', 'LFM2 1.2B'),
    ('LFM2 8B A1B', 'LFM2 8B A1B'),
    ('EXAONE 4.0 32B', 'EXAONE 4.0 32B'),
    ('EXAONE 4.0 1.2B', 'EXAONE 4.0 1.2B'),
    ('Granite 4.0 H Small', 'Granite 4.0 H Small'),
    ('Granite 4.0 H Tiny', 'Granite 4.0 H Tiny'),
    ('Granite 4.0 H Micro', 'Granite 4.0 H Micro'),
    ('Granite 4.0 Micro', 'Granite 4.0 Micro'),
    ('Granite 4.0 H 1B', 'Granite 4.0 H 1B'),
    ('Granite 4.0 H 350M', 'Granite 4.0 H 350M'),
    ('Granite 4.0 1B', 'Granite 4.0 1B'),
    ('Mistral Large 3', 'Mistral Large 3 675B'),
    ('Devstral 2', 'Devstral 2 123B'),
    ('Devstral 2 123B', 'Devstral 2 123B'),
    ('Magistral Small 1.2', 'Magistral Small 1.2 24B'),
    ('Qwen2.5-VL 32B', 'Qwen2.5-VL 32B'),
    ('Jamba Large 1.7', 'Jamba Large 1.7'),
    ('GLM-4.6V', 'GLM-4.6V'),
    ('GLM-4.6V-Flash', 'GLM-4.6V-Flash'),
    ('Granite 4.0 350M', 'Granite 4.0 350M'),  # the dense model: never the hybrid H 350M
    ('DeepSeek V4 Flash', 'DeepSeek V4 Flash'),  # a later public DeepSeek release
    ('DeepSeek V4 Pro', 'DeepSeek V4 Pro'),
]


@pytest.mark.parametrize(("query", "expected"), ISSUE_11_MODELS, ids=[q for q, _ in ISSUE_11_MODELS])
def test_issue_11_model_resolves(query: str, expected: str) -> None:
    assert find_model(query).name == expected
