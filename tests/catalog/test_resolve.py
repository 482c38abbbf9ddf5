"""Name resolution: a query resolves only to an entry carrying every distinguishing token the query has."""

import pytest

from rigfit.catalog import NotFound, find_hardware, find_model
from rigfit.catalog.resolve import MAX_NAME_CHARS, hardware_index, model_index, tokens


@pytest.mark.parametrize(("query", "expected"), [
    ("Gemma 3 4B", "Gemma 3 4B"),
    ("gemma3 4b", "Gemma 3 4B"),
    ("llama3.1:8b", "Llama 3.1 8B"),
    ("Llama 3.1 8B Instruct", "Llama 3.1 8B"),  # "Instruct" names the chat tune of the same shapes
    ("Qwen3-Coder-30B-A3B-Instruct", "Qwen3 Coder 30B A3B"),
    ("Qwen3 30B", "Qwen3 30B A3B"),  # the only Qwen3 entry with a 30B size and nothing else
    ("deepseek r1 distill qwen 7b", "DeepSeek R1 Distill Qwen 7B"),
    ("gpt oss 20b", "gpt-oss 20B"),
    ("qwen2.5:7b-instruct-q4_K_M", "Qwen2.5 7B"),  # an Ollama tag: the quant suffix names a file, not a model
    ("Llama-3.1-8B-Instruct-Q8_0.gguf", "Llama 3.1 8B"),
    ("Gemma 3n E4B", "Gemma 3n E4B"),  # its own entry, never Gemma 3 4B
    ("gemma3n:e2b", "Gemma 3n E2B"),
    ("Gemma 4 E4B", "Gemma 4 E4B"),
    ("lfm2 1.2b", "LFM2 1.2B"),
    ("Nemotron 3 Super", "Nemotron 3 Super 120B A12B"),
    ("GLM-4.5V", "GLM-4.5V"),  # the vision model's text tower, not GLM-4.5 (355B) nor GLM-4.5-Air
    ("glm 4.5v", "GLM-4.5V"),
    ("GLM-4.5", "GLM-4.5"),
    ("Devstral Small 2", "Devstral Small 2 24B"),
    ("Magistral Small", "Magistral Small 24B"),
    # issue 11: Mistral's December 2025 releases and Magistral Small 1.2 (models_j.yaml)
    ("Devstral 2", "Devstral 2 123B"),  # "Small" is not implied: never Devstral Small 2 (24B)
    ("Devstral 2 123B", "Devstral 2 123B"),
    ("devstral-2-123b-instruct-2512-Q4_K_M.gguf", "Devstral 2 123B"),
    ("Devstral Small 2 24B", "Devstral Small 2 24B"),
    ("Mistral Large 3", "Mistral Large 3 675B"),  # never Mistral Large 2 (123B)
    ("Mistral-Large-3-675B-Instruct-2512", "Mistral Large 3 675B"),
    ("mistral large 3 675b", "Mistral Large 3 675B"),
    ("Mistral Large 2", "Mistral Large 2 123B"),
    ("Magistral Small 1.2", "Magistral Small 1.2 24B"),
    ("Magistral-Small-2509", "Magistral Small 1.2 24B"),
    ("Magistral-Small-2506", "Magistral Small 24B"),
    ("Magistral Small 1.1", "Magistral Small 24B"),
    # issue 11 (models_k.yaml): each new entry by the names people type, never a neighbour of the same family
    ("Qwen2.5-VL 32B", "Qwen2.5-VL 32B"),  # not Qwen2.5 32B (the text model) nor Qwen2.5-VL 72B
    ("Qwen2.5-VL-32B-Instruct", "Qwen2.5-VL 32B"),
    ("qwen2.5vl:32b", "Qwen2.5-VL 32B"),
    ("Qwen/Qwen2.5-VL-32B-Instruct", "Qwen2.5-VL 32B"),
    ("Qwen2.5 32B", "Qwen2.5 32B"),
    ("Jamba Large 1.7", "Jamba Large 1.7"),  # the 1.6 entry's alias "jamba large" must not take the 1.7 query
    ("AI21-Jamba-Large-1.7", "Jamba Large 1.7"),
    ("Jamba Large 1.6", "Jamba Large 1.6"),
    ("AI21-Jamba-Large-1.6", "Jamba Large 1.6"),
    ("Jamba Mini 1.7", "Jamba Mini 1.7"),
    ("GLM-4.6V", "GLM-4.6V"),  # the vision model's text tower, not GLM-4.6 (355B) nor GLM-4.5V
    ("GLM 4.6V", "GLM-4.6V"),
    ("glm4.6v", "GLM-4.6V"),
    ("GLM-4.6V-Flash", "GLM-4.6V-Flash"),  # the 9B dense model, not the 106B MoE
    ("GLM 4.6V Flash", "GLM-4.6V-Flash"),
    ("GLM-4.6", "GLM-4.6"),
])
def test_model_hits(query: str, expected: str) -> None:
    assert find_model(query).name == expected


@pytest.mark.parametrize("query", [
    "Gemma 3n E8B",      # no Gemma 3n at E8B: neither Gemma 3n E4B nor Gemma 3 4B answers
    "Gemma 3 4B E",      # an extra variant letter
    "Qwen3 Coder 8B",    # no Qwen3 Coder at 8B
    "Llama 3.1 9B",      # size not in any Llama 3.1 entry
    "Qwen3 31B A3B",
    "Mistral 8B Coder",
    "Devstral Small 2 123B",  # no Devstral Small at 123B: neither Devstral 2 123B nor Devstral Small 2 24B
    "Devstral 24B",      # only Devstral Small entries are 24B: a size-class word is never implied
    "Jamba 1.7",         # Jamba Mini 1.7 and Jamba Large 1.7 are different models
    "Mistral Large 4",   # not in the catalog: never Mistral Large 3 nor Mistral Large 2
    "Magistral 24B",     # Magistral Small 24B and Magistral Small 1.2 24B both carry "Small"
])
def test_model_near_misses_are_misses_with_suggestions(query: str) -> None:
    with pytest.raises(NotFound) as exc:
        find_model(query)
    assert 1 <= len(exc.value.suggestions) <= 3


@pytest.mark.parametrize(("query", "expected"), [
    ("RTX 4090", "RTX 4090"),
    ("rtx 4090 laptop", "RTX 4090 Laptop"),
    ("RTX 3090 24 GB", "RTX 3090"),
    ("M4 Max 128GB", "Apple M4 Max 40-core GPU 128GB"),
    ("7900 XTX", "Radeon RX 7900 XTX"),
    ("AMD Ryzen AI Max+ 395 (Radeon 8060S, 128GB)", "AMD Ryzen AI Max+ 395 128GB"),
    ("RTX 4090D", "RTX 4090 D"),  # the China-market card, not the RTX 4090 and not the 48GB mod
    ("RTX 4090 D", "RTX 4090 D"),
    ("4090D 48GB", "RTX 4090D 48GB"),
    ("rtx 5070 laptop", "RTX 5070 Laptop"),  # not the desktop RTX 5070
])
def test_hardware_hits(query: str, expected: str) -> None:
    assert find_hardware(query).name == expected


@pytest.mark.parametrize("query", ["RTX 5090D", "RTX 4090D 96GB", "RTX 4090 Ti", "RTX 3090 48GB", "M4 Ultra"])
def test_hardware_near_misses(query: str) -> None:
    with pytest.raises(NotFound):
        find_hardware(query)


def test_tokens_keep_variant_suffixes_apart() -> None:
    assert tokens("Gemma 3n E4B") == {"gemma", "3n", "e", "4b"}
    assert tokens("qwen3-30b-a3b") == tokens("Qwen3 30B A3B") == {"qwen", "3", "30b", "a", "3b"}
    assert "4090d" in tokens("RTX 4090D")


def test_overlong_name_is_refused_in_one_line() -> None:
    with pytest.raises(NotFound) as exc:
        find_model("x" * (MAX_NAME_CHARS + 1))
    assert "too long" in str(exc.value) and "\n" not in str(exc.value) and len(str(exc.value)) < 80


@pytest.mark.parametrize("query", ["x" * MAX_NAME_CHARS, "Qwen3 Coder Next 80B A3B Thinking 2507", "zz", "a b c " * 33])
def test_suggest_answers_any_input(query: str) -> None:
    # its cost is bounded by construction (names capped, tokens precomputed); speed is measured by the benchmarks,
    # not by timed tests
    for index in (model_index(), hardware_index()):
        names = index.suggest(query)
        assert len(names) <= 3 and all(isinstance(n, str) for n in names)
