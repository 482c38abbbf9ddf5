"""Issue 11: current open-weight models `rigfit check` did not know (models_n.yaml). Every expected value below is
worked out by hand from the shapes the entry's notes cite; rigfit's count leaves out biases and the final norm and
counts the MoE router, as the hand sums here do."""

import pytest

from rigfit.catalog import NotFound, find_model
from rigfit.estimate.memory import kv_bytes_per_token, recurrent_state_bytes
from rigfit.estimate.structure import layer_params
from rigfit.model.architecture import Architecture


def shape_params(arch: Architecture) -> float:
    """rigfit's count of the shapes (as rigfit.ingest.hf_config.structural_params, from the loaded entry)."""
    lp = layer_params(arch)
    norms = arch.num_layers * 2 * arch.hidden_size
    return float(lp.dense.sum() / lp.scale + lp.experts.sum() + lp.embedding + lp.output + norms)


@pytest.mark.parametrize("query, name", [
    ("Step 3.5 Flash", "Step 3.5 Flash"),
    ("Step-3.5-Flash", "Step 3.5 Flash"),
    ("stepfun-ai/Step-3.5-Flash", "Step 3.5 Flash"),
    ("Step 3.7 Flash", "Step 3.7 Flash"),  # the existing entry keeps its own query
    ("OLMo 3.1 32B", "OLMo 3.1 32B"),
    ("Olmo-3.1-32B-Think", "OLMo 3.1 32B"),
    ("Olmo-3.1-32B-Instruct", "OLMo 3.1 32B"),
    ("olmo-3.1:32b", "OLMo 3.1 32B"),
    ("OLMo 3 32B", "OLMo 3 32B"),  # "3.1" is one token: OLMo 3 keeps its query
    ("Olmo-3-32B-Think", "OLMo 3 32B"),
    ("Apertus 70B", "Apertus 70B"),
    ("Apertus-70B-Instruct-2509", "Apertus 70B"),
    ("swiss-ai/Apertus-70B-Instruct-2509", "Apertus 70B"),
    ("Apertus 8B", "Apertus 8B"),  # the existing entry keeps its queries
    ("Apertus-8B-Instruct-2509", "Apertus 8B"),
    ("Hy3", "Hy3"),
    ("Hunyuan 3", "Hy3"),
    ("Hy3-preview", "Hy3"),
    ("tencent/Hy3", "Hy3"),
    ("Hunyuan A13B", "Hunyuan A13B"),
    ("LongCat Flash", "LongCat-Flash"),
    ("LongCat-Flash-Chat", "LongCat-Flash"),
    ("meituan-longcat/LongCat-Flash-Chat", "LongCat-Flash"),
])
def test_names_people_type(query: str, name: str) -> None:
    assert find_model(query).name == name


@pytest.mark.parametrize("query", ["hunyuan", "apertus", "LongCat Flash Lite", "Step 3.5"])
def test_ambiguous_or_other_models_miss(query: str) -> None:
    # a bare family name now names two models (a miss that suggests both); LongCat-Flash-Lite is another model
    # (LongcatFlashNgramForCausalLM, not in the catalog);
    # "Step 3.5" leaves out the size word Flash
    with pytest.raises(NotFound):
        find_model(query)


def test_step_35_flash() -> None:
    m = find_model("Step 3.5 Flash")
    assert (m.hidden_size, m.num_layers, m.num_kv_heads, m.head_dim, m.vocab_size) == (4096, 45, 8, 128, 128896)
    assert m.max_context == 262144 and m.sliding_window == 512 and not m.verified
    assert m.mixers == "FSSS" * 11 + "F" and m.mixers.count("F") == 12
    assert m.moe and (m.moe.num_experts, m.moe.experts_per_token, m.moe.expert_ffn) == (288, 8, 1280)
    assert (m.moe.shared_experts, m.moe.shared_expert_ffn, m.moe.ffn) == (1, 1280, "DDD" + "E" * 42)
    # num_heads 88 is the equivalent of 12 layers x 64 + 33 x 96 query heads (3936 head-layers; 45 x 88 = 3960)
    assert m.num_heads == 88 and 12 * 64 + 33 * 96 == 3936
    # per layer: Q, O 2 x 4096 x 11264 = 92,274,688; K, V 2 x 4096 x 1024 = 8,388,608; norms 8,192 -> 100,671,488,
    #   x 45 = 4,530,216,960. Dense FFN (layers 0-2) 3 x 3 x 4096 x 11264 = 415,236,096.
    # MoE layers: 288 x 3 x 4096 x 1280 = 4,529,848,320 + shared 15,728,640 + router 288 x 4096 = 1,179,648
    #   -> 4,546,756,608, x 42 = 190,963,777,536. Embedding + lm_head 2 x 128896 x 4096 = 1,055,916,032.
    # Total 196,965,146,624. The real layout (64 / 96 heads) has 24 head-layers x 2 x 4096 x 128 = 25,165,824 fewer
    # Q/O weights and 16,121,856 head-gate weights more: 196,956,102,656 = the entry's 196.96B.
    assert shape_params(m) == 196_965_146_624
    assert 196_965_146_624 - 25_165_824 + 16_121_856 == 196_956_102_656
    assert m.params_b == 196.96 and abs(layer_params(m).scale - 1) < 0.001
    # KV cache, F16: only the 12 full-attention layers grow with context: 12 x 2 x 8 x 128 x 2 = 49,152 bytes per token
    # (the 33 sliding layers keep a 512-token ring)
    assert kv_bytes_per_token(m) == 49_152
    assert recurrent_state_bytes(m) == 0
    # the card's ~11B active (with 0.81B of MTP): rigfit counts 12.0B (embedding row, 8 + 1 experts, all attention)
    assert 11e9 < m.active_params < 12.5e9


def test_olmo_31_32b() -> None:
    m = find_model("OLMo 3.1 32B")
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (5120, 64, 40, 8, 128)
    assert m.intermediate_size == 27648 and m.max_context == 65536 and m.sliding_window == 4096
    assert m.mixers == "SSSF" * 16 and not m.is_moe
    # per layer: Q, O 2 x 5120^2 = 52,428,800; K, V 2 x 5120 x 1024 = 10,485,760; FFN 3 x 5120 x 27648 = 424,673,280;
    # norms 10,240 -> 487,598,080, x 64 = 31,206,277,120. Untied embedding + lm_head 2 x 100278 x 5120 = 1,026,846,720.
    # Total 32,233,123,840: the card's 32B.
    assert shape_params(m) == 32_233_123_840
    # the same shapes as OLMo 3 32B (3.1 is further post-training of the same base)
    old = find_model("OLMo 3 32B")
    assert (m.mixers, m.intermediate_size, m.vocab_size) == (old.mixers, old.intermediate_size, old.vocab_size)
    # KV, F16: 16 full layers x 2 x 8 x 128 x 2 = 65,536 bytes per token
    assert kv_bytes_per_token(m) == 65_536


def test_longcat_flash() -> None:
    m = find_model("LongCat-Flash")
    assert (m.hidden_size, m.num_layers, m.num_heads, m.vocab_size, m.max_context) == (6144, 56, 64, 131072, 131072)
    assert m.mla and (m.mla.kv_lora_rank, m.mla.q_lora_rank, m.mla.qk_rope_head_dim) == (512, 1536, 64)
    assert (m.mla.qk_nope_head_dim, m.mla.v_head_dim) == (128, 128)
    # 28 checkpoint layers written as 56: two MLA blocks per layer, a dense MLP and the MoE (+ second dense MLP)
    assert m.mixers == "M" * 56 and m.moe and m.moe.ffn == "DE" * 28
    assert (m.moe.num_experts, m.moe.experts_per_token, m.moe.expert_ffn) == (512, 12, 2048)
    assert (m.moe.shared_experts, m.moe.shared_expert_ffn, m.intermediate_size) == (1, 12288, 12288)
    # per MLA block: q_a 6144 x 1536 = 9,437,184; q_b 1536 x 64 x 192 = 18,874,368; kv_a 6144 x 576 = 3,538,944;
    #   kv_b 512 x 64 x 256 = 8,388,608; o 64 x 128 x 6144 = 50,331,648 -> 90,570,752.
    # per checkpoint layer: 2 MLA 181,141,504 + 2 dense MLPs 2 x 3 x 6144 x 12288 = 452,984,832
    #   + 512 experts x 3 x 6144 x 2048 = 19,327,352,832 + router 512 x 6144 = 3,145,728 + norms 4 x 6144 = 24,576
    #   -> 19,964,649,472, x 28 = 559,010,185,216. Embedding + lm_head 2 x 131072 x 6144 = 1,610,612,736.
    # Total 560,620,797,952: the card's 560B within 0.2 % (the zero experts' 256 router rows, 44M, are not counted).
    assert shape_params(m) == 560_620_797_952
    assert abs(shape_params(m) / 560e9 - 1) < 0.002 and m.params_b == 560.0
    # active: the card's dynamic average (18.6B-31.3B, ~27B), not the 12-real-expert upper bound
    assert m.active_params == 27e9
    # MLA cache, F16: 56 blocks x (2 x 512 + 64) x 2 bytes = 121,856 bytes per token
    assert kv_bytes_per_token(m) == 121_856


def test_hy3() -> None:
    m = find_model("Hy3")
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (4096, 80, 64, 8, 128)
    assert (m.intermediate_size, m.vocab_size, m.max_context, m.tie_embeddings) == (13312, 120832, 262144, False)
    assert m.moe and (m.moe.num_experts, m.moe.experts_per_token, m.moe.expert_ffn) == (192, 8, 1536)
    assert (m.moe.shared_experts, m.moe.shared_expert_ffn, m.moe.ffn) == (1, 1536, "D" + "E" * 79)
    # attention per layer: Q, O 2 x 4096 x 8192 = 67,108,864; K, V 2 x 4096 x 1024 = 8,388,608; norms 8,192
    #   -> 75,505,664, x 80 = 6,040,453,120. Dense layer 0: 3 x 4096 x 13312 = 163,577,856.
    # MoE layers: 192 x 3 x 4096 x 1536 = 3,623,878,656 + shared 18,874,368 + router 192 x 4096 = 786,432
    #   -> 3,643,539,456, x 79 = 287,839,617,024. Embedding + lm_head 2 x 120832 x 4096 = 989,855,744.
    # Total 295,033,503,744: maxtext PR #4704's "295.034B total parameters".
    assert shape_params(m) == 295_033_503_744 and m.params_b == 295.03
    # ~21B active (maxtext, card): rigfit 20.67B
    assert abs(m.active_params / 21e9 - 1) < 0.02
    # KV, F16: 80 x 2 x 8 x 128 x 2 = 327,680 bytes per token (320 KiB); 256K context = 80 GiB
    assert kv_bytes_per_token(m) == 327_680


def test_apertus_70b() -> None:
    m = find_model("Apertus 70B")
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (8192, 80, 64, 8, 128)
    assert (m.intermediate_size, m.vocab_size, m.max_context) == (43008, 131072, 65536)
    assert not m.ffn_gated and not m.tie_embeddings and not m.is_moe and not m.verified
    # per layer: Q, O 2 x 8192^2 = 134,217,728; K, V 2 x 8192 x 1024 = 16,777,216; xIELU MLP (up, down)
    # 2 x 8192 x 43008 = 704,643,072; norms 16,384 -> 855,654,400, x 80 = 68,452,352,000.
    # Untied embedding + lm_head 2 x 131072 x 8192 = 2,147,483,648. Total 70,599,835,648: the card's 70B.
    # (A gated MLP, 3 matrices, would give 98,785,558,528: the plain-MLP reading is the one the card confirms.)
    assert shape_params(m) == 70_599_835_648
    assert abs(shape_params(m) / 70e9 - 1) < 0.01
    # KV, F16: 80 x 2 x 8 x 128 x 2 = 327,680 bytes per token; 64K context = 20 GiB
    assert kv_bytes_per_token(m) == 327_680
    # the same architecture as the 8B entry, scaled
    small = find_model("Apertus 8B")
    assert (small.ffn_gated, small.vocab_size, small.num_kv_heads) == (m.ffn_gated, m.vocab_size, m.num_kv_heads)
