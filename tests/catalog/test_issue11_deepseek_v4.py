"""DeepSeek V4 Flash and V4 Pro (models_m.yaml): the compressed-attention layout (CSA / HCA, mixers W/X/Y), their
parameter counts from the config shapes, the KV cache llama.cpp allocates for them, and the names that find them.

Configs: huggingface.co/deepseek-ai/DeepSeek-V4-{Flash,Pro}/blob/main/config.json as copied in
github.com/xiaowanCN/aiconfigurator@5f2e6bb0 (aic-core/src/aiconfigurator_core/model_configs/). Cache layout:
github.com/ggml-org/llama.cpp@035aa95b src/llama-kv-cache-dsv4.cpp (llama_kv_cache_dsv4 ctor).
"""

from __future__ import annotations

import pytest

from rigfit.catalog import find_model, find_quant
from rigfit.catalog.catalog import get_catalog
from rigfit.catalog.resolve import NotFound
from rigfit.estimate.memory import (
    GIB,
    kv_bytes_per_token,
    kv_cache_bytes,
    recurrent_state_bytes,
)
from rigfit.estimate.speed import attended_entries, attention_layer_flops, context_read_bytes
from rigfit.estimate.structure import layer_params
from rigfit.ingest.hf_config import config_entry, structural_params
from rigfit.model.scenario import Scenario

FLASH_RATIOS = [0, 0] + [4, 128] * 20 + [4, 0]  # 44 entries: 43 layers + the MTP layer
PRO_RATIOS = [128, 128] + [4, 128] * 29 + [4, 0]  # 62 entries: 61 layers + the MTP layer


def _config(**shapes: object) -> dict[str, object]:
    base = {"architectures": ["DeepseekV4ForCausalLM"], "model_type": "deepseek_v4", "head_dim": 512,
            "hidden_act": "silu", "index_head_dim": 128, "index_n_heads": 64, "max_position_embeddings": 1048576,
            "n_shared_experts": 1, "num_experts_per_tok": 6, "num_key_value_heads": 1, "num_nextn_predict_layers": 1,
            "o_lora_rank": 1024, "qk_rope_head_dim": 64, "sliding_window": 128, "tie_word_embeddings": False,
            "vocab_size": 129280, "hc_mult": 4, "num_hash_layers": 3}
    return {**base, **shapes}


FLASH_CONFIG = _config(hidden_size=4096, num_attention_heads=64, num_hidden_layers=43, q_lora_rank=1024, o_groups=8,
                       moe_intermediate_size=2048, n_routed_experts=256, index_topk=512, compress_ratios=FLASH_RATIOS)
PRO_CONFIG = _config(hidden_size=7168, num_attention_heads=128, num_hidden_layers=61, q_lora_rank=1536, o_groups=16,
                     moe_intermediate_size=3072, n_routed_experts=384, index_topk=1024, compress_ratios=PRO_RATIOS)


def _scenario(context: int, kv_type: str = "f16", concurrency: int = 1) -> Scenario:
    return Scenario(quant=find_quant("Q4_K_M"), context=context, kv_type=kv_type, concurrency=concurrency)


# ---------------------------------------------------------------------------------------------- the entries


def test_flash_layout_from_the_config() -> None:
    m = find_model("DeepSeek V4 Flash")
    assert m.mixers == "WW" + "XY" * 20 + "X"  # compress_ratios 0,0 then 4/128 alternating
    assert (m.num_layers, m.hidden_size, m.num_heads, m.num_kv_heads, m.head_dim) == (43, 4096, 64, 1, 512)
    assert m.sliding_window == 128 and m.max_context == 1048576
    ca = m.compressed_attn
    assert ca is not None
    assert (ca.csa_ratio, ca.hca_ratio, ca.index_n_heads, ca.index_head_dim, ca.index_topk) == (4, 128, 64, 128, 512)
    assert (ca.q_lora_rank, ca.o_lora_rank, ca.o_groups) == (1024, 1024, 8)
    assert m.moe is not None and (m.moe.num_experts, m.moe.experts_per_token, m.moe.expert_ffn) == (256, 6, 2048)
    assert m.moe.ffn == "E" * 43  # every layer MoE (the first 3 hash-routed)


def test_pro_layout_from_the_config() -> None:
    m = find_model("DeepSeek V4 Pro")
    assert m.mixers == "YY" + "XY" * 29 + "X"  # compress_ratios 128,128 then 4/128 alternating
    assert (m.mixers.count("X"), m.mixers.count("Y"), m.mixers.count("W")) == (30, 31, 0)
    assert (m.num_layers, m.hidden_size, m.num_heads, m.num_kv_heads, m.head_dim) == (61, 7168, 128, 1, 512)
    ca = m.compressed_attn
    assert ca is not None and (ca.index_topk, ca.q_lora_rank, ca.o_groups) == (1024, 1536, 16)
    assert m.moe is not None and (m.moe.num_experts, m.moe.experts_per_token, m.moe.expert_ffn) == (384, 6, 3072)


def test_ingest_reads_compress_ratios_into_the_same_entry() -> None:
    e = config_entry(FLASH_CONFIG, "flash", "x")
    assert e["mixers"] == find_model("DeepSeek V4 Flash").mixers
    assert e["compressed_attn"]["index_topk"] == 512 and e["intermediate_size"] == 0
    assert config_entry(PRO_CONFIG, "pro", "x")["mixers"] == find_model("DeepSeek V4 Pro").mixers


def test_params_from_shapes_by_hand() -> None:
    """Flash, per layer: wq_a 4096·1024 + wq_b 1024·64·512 + wkv 4096·512 + wo_a 64·512·1024 + wo_b 8·1024·4096
    = 106,954,752; a CSA layer adds its compressor 2·4096·1024 and indexer 1024·64·128 + 4096·64 + 2·4096·256
    (19,136,512), an HCA layer its compressor 2·4096·512 (4,194,304). Experts 43·256·3·4096·2048 = 277,025,390,592,
    shared 43·3·4096·2048 = 1,082,130,432, routers 43·4096·256 = 45,088,768, embedding + head 2·129280·4096 =
    1,059,061,760, norms 43·2·4096 = 352,256: 284,296,830,976 (card: 284B)."""
    attention = 43 * 106_954_752 + 21 * 19_136_512 + 20 * 4_194_304
    total = attention + 277_025_390_592 + 1_082_130_432 + 45_088_768 + 1_059_061_760 + 352_256
    assert total == 284_296_830_976
    assert structural_params(config_entry(FLASH_CONFIG, "f", "x")) * 1e9 == pytest.approx(total, abs=1)
    assert abs(total / 284e9 - 1) < 0.002
    # Pro: per layer 11,010,048 + 100,663,296 + 3,670,016 + 67,108,864 + 117,440,512 = 299,892,736; CSA +31,391,744;
    # HCA +7,340,032; experts 61·384·3·7168·3072; shared 61·3·7168·3072; routers 61·7168·384; embeddings 2·129280·7168
    pro = (61 * 299_892_736 + 30 * 31_391_744 + 31 * 7_340_032 + 61 * 384 * 3 * 7168 * 3072 + 61 * 3 * 7168 * 3072
           + 61 * 7168 * 384 + 2 * 129280 * 7168 + 61 * 2 * 7168)
    assert pro == 1_572_910_749_696
    assert structural_params(config_entry(PRO_CONFIG, "p", "x")) * 1e9 == pytest.approx(pro, abs=1)
    assert abs(pro / 1.6e12 - 1) < 0.02  # card: 1.6T (rounded)
    assert find_model("DeepSeek V4 Pro").params_b == 1572.91
    # the cited total (284.30, rounded) spreads only its rounding and the norms over the attention and shared parts
    assert layer_params(find_model("DeepSeek V4 Flash")).scale == pytest.approx(1.0, abs=1e-3)


def test_active_params_are_the_card_figures() -> None:
    assert find_model("DeepSeek V4 Flash").active_params == 13e9
    assert find_model("DeepSeek V4 Pro").active_params == 49e9


# ---------------------------------------------------------------------------------------------- the cache


def test_kv_bytes_per_token_on_paper() -> None:
    """F16: a CSA layer adds (512 + 128) / 4 · 2 = 320 B per token, an HCA layer 512 / 128 · 2 = 8 B; the window
    is capped. Flash 21·320 + 20·8 = 6,880 B; Pro 30·320 + 31·8 = 9,848 B (DeepSeek V3.2: 61·(2·512+64)·2 = 132,736)."""
    assert kv_bytes_per_token(find_model("DeepSeek V4 Flash"), 2.0) == 6_880
    assert kv_bytes_per_token(find_model("DeepSeek V4 Pro"), 2.0) == 9_848


def test_flash_cache_at_8k_as_llama_cpp_allocates_it() -> None:
    """n_ctx 8192, ubatch 512: window ring min(8192, pad(128 + 512)) = 768 cells x 512 in all 43 layers; CSA
    caches pad(8192 / 4) = 2048 cells x (512 + 128) in 21 layers; HCA pad(ceil(8192 / 128), 256) = 256 cells x 512
    in 20 layers (llama.cpp pads a compressed cache to 256 cells). F16:
    43·768·512·2 + 21·2048·640·2 + 20·256·512·2 = 33,816,576 + 55,050,240 + 5,242,880 = 94,109,696 B."""
    assert kv_cache_bytes(find_model("DeepSeek V4 Flash"), _scenario(8192)) == 94_109_696


def test_pro_cache_at_1m_tokens_matches_the_technical_report() -> None:
    """At 1,048,576 tokens in BF16: 30 CSA layers x 262,144 entries x 640 x 2 B + 31 HCA layers x 8,192 x 512 x 2 B
    = 10,326,376,448 B, plus the ring (61 x 768 x 512 x 2 B with llama.cpp's ubatch slack) = 10,374,348,800 B. With a
    bare 128-token window (61 x 128 x 512 x 2 B) the layout holds 10,334,371,840 B = 9.62 GiB, the report's
    per-sequence figure ("9.62 GiB/sequence (in bf16)")."""
    pro = find_model("DeepSeek V4 Pro")
    compressed = 30 * 262_144 * 640 * 2 + 31 * 8_192 * 512 * 2
    assert kv_cache_bytes(pro, _scenario(1_048_576, "bf16")) == compressed + 61 * 768 * 512 * 2 == 10_374_348_800
    assert round((compressed + 61 * 128 * 512 * 2) / GIB, 2) == 9.62


def test_compressor_state_per_sequence() -> None:
    """F32 kv + score states: CSA 2 x 8 rows x (2·512 + 2·128 for its indexer) x 4 B = 81,920 B per layer; HCA
    2 x 128 x 512 x 4 B = 524,288 B. Flash: 21·81,920 + 20·524,288 = 12,206,080 B per sequence."""
    flash = find_model("DeepSeek V4 Flash")
    assert recurrent_state_bytes(flash, 1) == 12_206_080
    assert recurrent_state_bytes(flash, 4) == 4 * 12_206_080


# ---------------------------------------------------------------------------------------------- attention work


def test_attended_entries_at_64k() -> None:
    """At depth 65,536 a Flash CSA layer attends its 128-token window plus the indexer's top 512 of 16,384
    compressed entries (640), an HCA layer the window plus all 512 entries (640), a window-only layer 128."""
    flash = find_model("DeepSeek V4 Flash")
    assert [attended_entries(flash, k, 65_536) for k in "WXY"] == [128, 640, 640]
    flops = attention_layer_flops(flash, 65_536)
    # CSA: 4·64·512 per attended entry x 640 + the indexer's 2·64·128 per key x 16,384 keys
    assert flops[2] == 4 * 64 * 512 * 640 + 2 * 64 * 128 * 16_384
    # decode reads (F16): CSA 640 entries x 512 x 2 B + 16,384 indexer keys x 128 x 2 B + 2 x its 81,920 B state
    assert context_read_bytes(flash, 65_536, 2.0)[2] == 640 * 512 * 2 + 16_384 * 128 * 2 + 2 * 81_920


# ---------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize("query", ["DeepSeek V4 Flash", "DeepSeek-V4-Flash", "deepseek-v4-flash", "deepseek v4 flash",
                                   "DeepSeek-V4-Flash-Base", "deepseek-v4-flash:q4_K_M", "DeepSeek-V4-Flash-0731"])
def test_flash_names(query: str) -> None:
    assert find_model(query).name == "DeepSeek V4 Flash"


@pytest.mark.parametrize("query", ["DeepSeek V4 Pro", "DeepSeek-V4-Pro", "deepseek-v4-pro", "deepseek v4 pro",
                                   "DeepSeek-V4-Pro-Base"])
def test_pro_names(query: str) -> None:
    assert find_model(query).name == "DeepSeek V4 Pro"


@pytest.mark.parametrize("query", ["DeepSeek V4", "deepseek-v4", "DeepSeek-V4"])
def test_bare_v4_is_a_miss_naming_both(query: str) -> None:
    with pytest.raises(NotFound) as err:
        find_model(query)
    assert set(err.value.suggestions[:2]) == {"DeepSeek V4 Flash", "DeepSeek V4 Pro"}


@pytest.mark.parametrize("query", ["DeepSeek V4.1 Flash", "deepseek-v4.1-flash"])
def test_v4_1_is_not_v4(query: str) -> None:
    """DeepSeek-V4.1-Flash (model_type deepseek_v41) shares compressors across layers and adds Engram tables: another
    model, so its name never answers with the V4 entry."""
    with pytest.raises(NotFound):
        find_model(query)


def test_repo_ids_need_no_hub_request() -> None:
    catalog = get_catalog()
    assert catalog.model_of_repo("deepseek-ai/DeepSeek-V4-Flash").name == "DeepSeek V4 Flash"
    assert catalog.model_of_repo("deepseek-ai/DeepSeek-V4-Pro").name == "DeepSeek V4 Pro"


def test_flash_and_pro_never_cross() -> None:
    assert find_model("DeepSeek V4 Flash").name != "DeepSeek V4 Pro"
    assert find_model("DeepSeek V4 Pro").name != "DeepSeek V4 Flash"
    assert find_model("DeepSeek V3.2").name == "DeepSeek V3.2"  # V4 names never answer for V3.2
