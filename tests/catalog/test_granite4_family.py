"""Issue 11, "the rest of the Granite 4 family": the dense Granite 4.0 350M and the Granite 4.1 / 4.2 entries of
models_l.yaml. Expected values are worked out by hand from the shapes and checked against IBM's published counts."""

from pathlib import Path

import pytest
import yaml

from rigfit.catalog import find_model
from rigfit.estimate.memory import layer_cache
from rigfit.ingest.hf_config import structural_params

MODELS_L = Path(__file__).parents[2] / "src/rigfit/catalog/data/models/models_l.yaml"
FP16 = 2  # bytes per cached K or V element


def entry(name: str) -> dict:
    return next(e for e in yaml.safe_load(MODELS_L.read_text())["models"] if e["name"] == name)


@pytest.mark.parametrize(("query", "expected"), [
    # The resolver treats "H" as a variant word: the plain name is the dense model, the H name the hybrid Mamba-2 one.
    ("Granite 4.0 350M", "Granite 4.0 350M"),
    ("granite-4.0-350m", "Granite 4.0 350M"),
    ("granite4:350m", "Granite 4.0 350M"),
    ("Granite 4.0 H 350M", "Granite 4.0 H 350M"),
    ("granite4:350m-h", "Granite 4.0 H 350M"),
    ("Granite 4.1 3B", "Granite 4.1 3B"),     # never Granite 4.0 Micro (also "3B") nor Granite 4.2 3B
    ("granite4.1:8b", "Granite 4.1 8B"),
    ("granite-4.1-30b", "Granite 4.1 30B"),
    ("Granite 4.2 3B", "Granite 4.2 3B"),
    ("granite-4.2-8b", "Granite 4.2 8B"),
    ("granite4.2:30b", "Granite 4.2 30B"),
])
def test_granite_names_resolve_to_their_own_entry(query: str, expected: str) -> None:
    assert find_model(query).name == expected


@pytest.mark.parametrize(("name", "ibm_count"), [
    # IBM's disclosures, ibm-granite/granite-4.1-language-models disclosures/*.json@6963001, "parameter_count", which
    # counts one embedding matrix. 8B on paper: embeddings 100352*4096 = 411,041,792; per layer q+o 2*4096^2 =
    # 33,554,432, k+v 2*4096*1024 = 8,388,608, SwiGLU 3*4096*12800 = 157,286,400, 2 norms 8,192 -> 199,237,632 * 40 =
    # 7,969,505,280; plus the final norm 4,096: 8,380,551,168.
    ("Granite 4.1 3B", 3_402_836_480),
    ("Granite 4.1 8B", 8_380_551_168),
    ("Granite 4.1 30B", 28_865_728_512),
])
def test_granite_4_1_shapes_give_ibms_exact_parameter_count(name: str, ibm_count: int) -> None:
    e = entry(name)
    final_norm = e["hidden_size"]  # structural_params counts the two norms of each layer, not the one after the last
    separate_output = 0 if e["tie_embeddings"] else e["vocab_size"] * e["hidden_size"]
    assert round(structural_params(e) * 1e9) + final_norm - separate_output == ibm_count


# llama.cpp Q4_K_M (src/llama-quant.cpp): Q4_K everywhere except attn_v and ffn_down on the "use_more_bits" layers
# (first and last eighth, every third in between) in Q6_K; a tied token_embd is also the output and goes Q6_K, an
# untied one stays Q4_K next to a Q6_K output.weight. ggml blocks: Q4_K 144 bytes, Q6_K 210 bytes per 256 weights.
Q4_K, Q6_K = 144 / 256, 210 / 256


def q4_k_m_tensor_bytes(e: dict) -> float:
    h, n, ffn = e["hidden_size"], e["num_layers"], e["intermediate_size"]
    q = h * e["num_heads"] * e["head_dim"]
    kv = h * e["num_kv_heads"] * e["head_dim"]
    more_bits = [i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2 for i in range(n)]
    layers = sum((2 * q + kv + 2 * h * ffn) * Q4_K + (kv + h * ffn) * (Q6_K if mb else Q4_K) for mb in more_bits)
    embed = e["vocab_size"] * h
    return layers + (embed * Q6_K if e["tie_embeddings"] else embed * (Q4_K + Q6_K)) + (2 * n + 1) * h * 4


@pytest.mark.parametrize(("name", "file_bytes"), [
    ("Granite 4.1 3B", 2_099_501_664),    # ibm-granite/granite-4.1-3b-GGUF@ab47014 granite-4.1-3b-Q4_K_M.gguf
    ("Granite 4.1 8B", 5_347_914_400),    # ibm-granite/granite-4.1-8b-GGUF@865b82c granite-4.1-8b-Q4_K_M.gguf
    ("Granite 4.1 30B", 17_490_240_736),  # ibm-granite/granite-4.1-30b-GGUF granite-4.1-30b-Q4_K_M.gguf
])
def test_tied_or_untied_embeddings_match_ibms_q4_k_m_file_sizes(name: str, file_bytes: int) -> None:
    # What is left over is the GGUF header (the 100,352-token vocabulary and merges): the same 3.57 MB in all three
    # files. Flipping tie_embeddings would move the tensors by 231 MB (Q4_K 411M / 257M-weight matrix).
    header = file_bytes - q4_k_m_tensor_bytes(entry(name))
    assert 3.5e6 < header < 3.65e6


def test_dense_350m_shapes_match_its_name_only_with_tied_embeddings() -> None:
    # embeddings 100352*1024 = 102,760,448; per layer q+o 2*1024^2 = 2,097,152, k+v 2*1024*256 = 524,288, SwiGLU
    # 3*1024*2048 = 6,291,456, norms 2,048 -> 8,914,944 * 28 = 249,618,432; total 352,378,880 (IBM: "350M").
    e = entry("Granite 4.0 350M")
    assert round(structural_params(e) * 1e9) == 352_378_880
    assert e["tie_embeddings"] is True
    assert abs(structural_params({**e, "tie_embeddings": False}) - 0.352378880 - 0.102760448) < 1e-9


def test_dense_350m_tied_shapes_match_ibms_instruct_gguf_sizes() -> None:
    # ibm-granite/granite-4.0-350m-GGUF: granite-4.0-350m-Q4_K_M.gguf listed as 226 MB (MiB), 1 MiB rounding, of which
    # ~3.4 MiB is the GGUF header (the same 3.57 MB as the 4.1 files). Untied embeddings would add 100352*1024 weights:
    # 281 MiB.
    e = entry("Granite 4.0 350M")
    assert 221.5 < q4_k_m_tensor_bytes(e) / 2**20 < 223.5
    assert q4_k_m_tensor_bytes({**e, "tie_embeddings": False}) / 2**20 > 275

@pytest.mark.parametrize(("size", "hidden"), [("3B", 2560), ("8B", 4096), ("30B", 4096)])
def test_granite_4_2_is_granite_4_1_with_a_separate_lm_head(size: str, hidden: int) -> None:
    # Same shapes (4.2 is post-trained on the 4.1 base) with an untied output matrix of vocab * hidden parameters:
    # 100352 * 2560 = 256,901,120 and 100352 * 4096 = 411,041,792 (the 4.1 8B already has one).
    g41, g42 = entry(f"Granite 4.1 {size}"), entry(f"Granite 4.2 {size}")
    added = 0 if g41["tie_embeddings"] is False else 100352 * hidden
    assert round((structural_params(g42) - structural_params(g41)) * 1e9) == added
    assert round(structural_params(g42) * 1e9) == round(structural_params({**g41, "tie_embeddings": False}) * 1e9)
    # measured from the safetensors indexes (3.66B, 8.79B, 29.28B): within rounding of the shapes
    assert abs(structural_params(g42) - g42["params_b"]) < 0.006


@pytest.mark.parametrize(("name", "kv_bytes_per_token"), [
    ("Granite 4.0 350M", 28 * 2 * 4 * 64 * FP16),       # 28,672: every layer attends
    ("Granite 4.0 H 350M", 4 * 2 * 4 * 64 * FP16),      # 4,096: 4 attention layers of 32, the rest Mamba-2
    ("Granite 4.1 3B", 40 * 2 * 8 * 64 * FP16),         # 81,920
    ("Granite 4.1 8B", 40 * 2 * 8 * 128 * FP16),        # 163,840
    ("Granite 4.1 30B", 64 * 2 * 8 * 128 * FP16),       # 262,144
    ("Granite 4.2 30B", 64 * 2 * 8 * 128 * FP16),       # 262,144: the 4.1 base's attention
])
def test_kv_cache_bytes_per_token_fp16(name: str, kv_bytes_per_token: int) -> None:
    assert layer_cache(find_model(name)).kv_elements.sum() * FP16 == kv_bytes_per_token


def test_dense_350m_keeps_no_recurrent_state() -> None:
    assert layer_cache(find_model("Granite 4.0 350M")).recurrent.sum() == 0
    assert layer_cache(find_model("Granite 4.0 H 350M")).recurrent.sum() > 0
