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
    # IBM's disclosures, ibm-granite/granite-4.1-language-models disclosures/*.json@6963001, "parameter_count".
    # 8B on paper: embeddings 100352*4096 = 411,041,792 (tied); per layer q+o 2*4096^2 = 33,554,432, k+v 2*4096*1024
    # = 8,388,608, SwiGLU 3*4096*12800 = 157,286,400, 2 norms 8,192 -> 199,237,632 * 40 = 7,969,505,280; plus the final
    # norm 4,096: 8,380,551,168.
    ("Granite 4.1 3B", 3_402_836_480),
    ("Granite 4.1 8B", 8_380_551_168),
    ("Granite 4.1 30B", 28_865_728_512),
])
def test_granite_4_1_shapes_give_ibms_exact_parameter_count(name: str, ibm_count: int) -> None:
    e = entry(name)
    final_norm = e["hidden_size"]  # structural_params counts the two norms of each layer, not the one after the last
    assert round(structural_params(e) * 1e9) + final_norm == ibm_count


def test_dense_350m_shapes_match_its_name_only_with_tied_embeddings() -> None:
    # embeddings 100352*1024 = 102,760,448; per layer q+o 2*1024^2 = 2,097,152, k+v 2*1024*256 = 524,288, SwiGLU
    # 3*1024*2048 = 6,291,456, norms 2,048 -> 8,914,944 * 28 = 249,618,432; total 352,378,880 (IBM: "350M").
    e = entry("Granite 4.0 350M")
    assert round(structural_params(e) * 1e9) == 352_378_880
    assert e["tie_embeddings"] is True
    assert abs(structural_params({**e, "tie_embeddings": False}) - 0.352378880 - 0.102760448) < 1e-9


@pytest.mark.parametrize(("size", "hidden"), [("3B", 2560), ("8B", 4096), ("30B", 4096)])
def test_granite_4_2_is_granite_4_1_with_a_separate_lm_head(size: str, hidden: int) -> None:
    # Same shapes (4.2 is post-trained on the 4.1 base); the untied output matrix adds vocab * hidden parameters:
    # 100352 * 2560 = 256,901,120 and 100352 * 4096 = 411,041,792.
    g41, g42 = entry(f"Granite 4.1 {size}"), entry(f"Granite 4.2 {size}")
    assert round((structural_params(g42) - structural_params(g41)) * 1e9) == 100352 * hidden
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
