"""Issue 11: model entries of models_d/e/g2/h/i.yaml re-read against a real reading of their config.json (a stored
copy of the file, a llama.cpp load log, or code that loads the released weights with shape checks). Each value below
is hand-checked against the reading the entry's notes cite; a corrected value is asserted together with the
arithmetic that shows the published parameter total still holds."""

import pytest

from rigfit.catalog import find_model
from rigfit.estimate.structure import shape_params_b


def test_glm_4_5v_context_is_65536() -> None:
    # zai-org/GLM-4.5V-FP8 config.json, text_config "max_position_embeddings": 65536, quoted in
    # https://github.com/zai-org/GLM-V/issues/117 (against 131072 in GLM-4.5-Air); Ascend MindSpeed-MM's GLM-4.5V
    # model_106B.json has the same 65536. The entry had 131072 (the Megatron-Bridge provider's default seq_length).
    m = find_model("GLM-4.5V")
    assert m.max_context == 65536
    # The context length holds no weights: the text tower still sums to the 106.85B of params_b (card: 106B).
    assert m.params_b == 106.85
    assert shape_params_b(m) == pytest.approx(106.852, abs=0.0015)


def test_devstral_small_2_context_is_the_stated_256k_and_embeddings_are_untied() -> None:
    # levara/Devstral-Small-2-24B-TextOnly-FP8 config.json (the Devstral Small 2 text_config, vision removed):
    # max_position_embeddings 393216 = YaRN factor 48 x 8192 original positions, past the 256K Mistral states: the
    # catalog keeps the stated limit (docs/catalog-schema.md, max_context).
    m = find_model("Devstral Small 2 24B")
    assert m.max_context == 262144 == 256 * 1024
    # The copy has no tie_word_embeddings key; its card's 23.57B language-model count decides: untied shapes give
    # 23.572B, tied ones 23.572B - 131072 x 5120 (671,088,640) = 22.901B.
    assert not m.tie_embeddings and m.intermediate_size == 32768
    assert shape_params_b(m) == pytest.approx(23.572, abs=0.0015)
    assert 131072 * 5120 == 671_088_640
    assert m.params_b == 23.57


def test_qwen2_5_vl_72b_ffn_is_the_unpadded_29568() -> None:
    # The entry had 29696 from Qwen's AWQ copy, which pads the FFN for tensor-parallel splitting. The BF16 weights
    # count 73.4B on the hub (listed 73B; an AWQ-derived copy 74B): text tower with 29568 = 72.705B, plus the
    # 0.700B vision tower (SwiGLU 3420) = 73.41B; with 29696 it would be 72.957B + 0.700B = 73.66B.
    m = find_model("Qwen2.5-VL 72B")
    assert m.intermediate_size == 29568
    assert shape_params_b(m) == pytest.approx(72.705, abs=0.0015)
    # the padding's weight: 80 layers x 3 matrices x 8192 x (29696 - 29568) = 251,658,240 parameters
    assert 80 * 3 * 8192 * (29696 - 29568) == 251_658_240
    assert m.params_b == 72.71
    # now verified: test_issue11_verify_new2.py (Pai-Megatron-Patch converter: vocab 152064, FFN 29568)


def test_gemma_4_e2b_double_wide_mlp_average() -> None:
    # rasbt/LLMs-from-scratch standalone-gemma4.ipynb@e36092e loads gemma-4-E2B-it with shape checks: gate_proj
    # 1536 -> 6144 on layers 0-14 and 1536 -> 12288 on the 20 KV-shared layers 15-34. The schema has one FFN width:
    # (15 x 6144 + 20 x 12288) / 35 = 337,920 / 35 = 9654.86, written as 9655.
    m = find_model("Gemma 4 E2B")
    assert (15 * 6144 + 20 * 12288) / 35 == pytest.approx(9654.857, abs=0.001)
    assert m.intermediate_size == 9655
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (1536, 35, 8, 1, 256)
    assert m.mixers == "SSSSF" * 7


def test_gemma_4_e4b_matches_the_llama_cpp_load_log() -> None:
    # canonical/inference-snaps#275: gemma4.block_count 42, context_length 131072, embedding_length 2560,
    # n_vocab 262144; llama.cpp#21430: sliding_window_pattern arr[bool,42] = 5 sliding then 1 full.
    m = find_model("Gemma 4 E4B")
    assert (m.num_layers, m.max_context, m.hidden_size, m.vocab_size) == (42, 131072, 2560, 262144)
    assert m.mixers == "SSSSSF" * 7
    # The log's 7.52 B counts the PLE table (262144 x 42 x 256 = 2,818,572,288) that params_b leaves out, and the
    # 512-wide heads of the 7 full layers (+7 x 13,107,200) that the schema's single head_dim does not carry.
    assert 262144 * 42 * 256 == 2_818_572_288


def test_granite_4_0_h_350m_context_is_the_config_32768() -> None:
    # ibm-granite/granite-4.0-h-350m config.json as saved in hashneo/nano-vllm-go (models/granite-350m/config.json
    # @2c864dfc): max_position_embeddings 32768, num_key_value_heads 4, attention at layers 10, 13, 17, 27. The entry had
    # the 1048576 that the GGUF on Ollama writes as context_length.
    m = find_model("Granite 4.0 H 350M")
    assert m.max_context == 32768
    assert m.num_kv_heads == 4
    assert [i for i, c in enumerate(m.mixers) if c == "F"] == [10, 13, 17, 27]
    # The context holds no weights: the shapes still give the 0.340B of params_b (IBM: 350M).
    assert m.params_b == 0.34
    assert shape_params_b(m) == pytest.approx(0.340, abs=0.0015)


def test_ernie_4_5_300b_vocab_is_the_checkpoint_103424() -> None:
    # Hchnr/test load/safe_open.output.all.sort@a04fad5d dumps a 300B-A47B-shaped Baidu checkpoint:
    # ernie.embed_tokens.weight [103424, 8192] and a separate lm_head.weight [8192, 103424]; 54 layers. The entry had
    # the 100352 of Baidu's pre-training yaml. Two untied 8192-wide tables gain 2 x 3072 x 8192 = 50,331,648 weights.
    m = find_model("ERNIE 4.5 300B A47B")
    assert m.vocab_size == 103424
    assert (m.num_layers, m.hidden_size, m.tie_embeddings) == (54, 8192, False)
    assert 2 * (103424 - 100352) * 8192 == 50_331_648
    # The shapes still give Baidu's 300B total (299.43B before, 299.48B now); params_b stays the hub's 300.0.
    assert shape_params_b(m) == pytest.approx(299.484, abs=0.0015)
    assert m.params_b == 300.0


@pytest.mark.parametrize(("name", "shapes_b"), [
    # shapes of the cited config reading, summed by rigfit's parameter count (hand totals in the entry notes)
    ("Qwen3 Coder Next 80B A3B", 79.568),  # card: 80B total (79B non-embedding)
    ("MiniMax M2.1", 228.689),             # card: 230B total, MTP modules excluded here
    ("OLMo 3 7B", 7.298),                  # card: 7B
    ("Gemma 4 E2B", 2.208),                # text tower without the 2.35B PLE table
    ("Gemma 4 E4B", 4.525),                # text tower without the 2.82B PLE table
    ("Seed-OSS 36B", 36.150),              # card: 36B
    ("GLM-4.5V", 106.852),                 # card: GLM-4.5-Air base, 106B
    ("Devstral Small 2 24B", 23.572),      # text-only extract: 23.57B
    ("DeepSeek R1 0528 Qwen3 8B", 8.191),  # llama.cpp load log: model params = 8.191 B
    ("Qwen2.5 Math 72B", 72.705),
    ("Granite 4.0 1B", 1.632),             # IBM: 1B (shapes 1.63B)
    ("OLMo 3 32B", 32.233),                # card: 32B          # FP8-dynamic copy on the hub: 72.7B (tied would be 71.46B)
])
def test_verified_entry_shapes_give_the_published_total(name: str, shapes_b: float) -> None:
    m = find_model(name)
    assert m.verified
    assert shape_params_b(m) == pytest.approx(shapes_b, abs=0.0015)

