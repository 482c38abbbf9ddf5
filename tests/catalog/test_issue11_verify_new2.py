"""Issue 11, fourth verify pass: entries re-read against a citable reading of the released checkpoint's shapes.
Each expected value is transcribed by hand from the reading named in the comment; the parameter totals are the
arithmetic of those shapes."""

import pytest

from rigfit.catalog import find_model


def test_qwen2_5_vl_72b_matches_the_pai_megatron_checkpoint_converter() -> None:
    # alibaba/Pai-Megatron-Patch toolkits/distributed_checkpoints_convertor/scripts/qwen2_5_vl/run_8xH20.sh@6b0c239b,
    # MODEL_SIZE 72B: --num-layers 80 --hidden-size 8192 --ffn-hidden-size 29568 --num-attention-heads 64
    # --num-query-groups 8 --untie-embeddings-and-output-weights --max-position-embeddings 128000
    # --padded-vocab-size 152064 (the same values in examples/qwen2_5_vl/run_mcore_qwen.sh@7a910814).
    m = find_model("Qwen2.5-VL 72B")
    assert (m.num_layers, m.hidden_size, m.intermediate_size) == (80, 8192, 29568)
    assert (m.num_heads, m.num_kv_heads, m.head_dim) == (64, 8, 8192 // 64)
    assert (m.vocab_size, m.max_context, m.tie_embeddings) == (152064, 128000, False)
    assert m.verified
    # Hand count of the text tower: embedding + untied head 2 x 152064 x 8192 = 2,491,416,576; per layer Q/O
    # 2 x 8192^2 + K/V 2 x 8192 x 1024 = 150,994,944, QKV bias 10,240, SwiGLU 3 x 8192 x 29568 = 726,663,168,
    # two norms 16,384: 877,684,736 x 80 = 70,214,778,880; total 72,706,203,648 with the final norm -> 72.71B.
    assert 2 * 152064 * 8192 == 2_491_416_576
    assert 2 * 8192**2 + 2 * 8192 * 1024 + 10240 + 3 * 8192 * 29568 + 2 * 8192 == 877_684_736
    assert 877_684_736 * 80 + 2_491_416_576 + 8192 == 72_706_203_648
    assert m.params_b == pytest.approx(72_706_203_648 / 1e9, abs=0.005)


def test_qwen2_5_vl_32b_layers_and_untied_head_match_the_converter() -> None:
    # The GGUF log in llama.cpp#14663 gives widths, heads, FFN and the 152064 tokens but stops before block_count;
    # run_8xH20.sh@6b0c239b, MODEL_SIZE 32B: --num-layers 64 --hidden-size 5120 --ffn-hidden-size 27648
    # --num-attention-heads 40 --num-query-groups 8 --untie-embeddings-and-output-weights
    # --max-position-embeddings 128000 --padded-vocab-size 152064.
    m = find_model("Qwen2.5-VL 32B")
    assert (m.num_layers, m.hidden_size, m.intermediate_size, m.num_heads, m.num_kv_heads) == (64, 5120, 27648, 40, 8)
    assert (m.vocab_size, m.max_context, m.tie_embeddings) == (152064, 128000, False)
    assert m.verified
    # A tied head would drop 152064 x 5120 = 778,567,680 weights: 31.98B instead of the 32.76B of params_b.
    assert 152064 * 5120 == 778_567_680
    assert m.params_b == pytest.approx(32.76, abs=0.005)


def test_granite_4_0_350m_shapes_match_the_unsloth_notebook_load() -> None:
    # unslothai/notebooks nb/Granite4.0_350M.ipynb@8081c7e4 loads Unsloth's copy of ibm-granite/granite-4.0-350m and
    # prints 'Trainable parameters = 13,303,808 of 365,683,712' for r = 32 LoRA on q/k/v/o_proj and
    # shared_mlp.input_linear / output_linear.
    m = find_model("Granite 4.0 350M")
    assert (m.num_layers, m.hidden_size, m.num_kv_heads * m.head_dim, m.intermediate_size) == (28, 1024, 256, 2048)
    assert (m.vocab_size, m.tie_embeddings) == (100352, True)
    # adapters: r x (in + out) per matrix; q and o 2 x 1024 each, k and v 1024 + 256 each, input_linear 1024 -> 2 x 2048,
    # output_linear 2048 -> 1024: 32 x 14,848 = 475,136 per layer, x 28 layers
    per_layer_in_out = 2 * 1024 + 2 * (1024 + 256) + 2 * 1024 + (1024 + 4096) + (2048 + 1024)
    assert per_layer_in_out == 14_848
    assert 32 * per_layer_in_out * 28 == 13_303_808
    # base weights: tied embedding 100352 x 1024 = 102,760,448; per layer attention 2 x 1024^2 + 2 x 1024 x 256 =
    # 2,621,440, SwiGLU 1024 x 4096 + 2048 x 1024 = 6,291,456, two norms 2,048 -> 8,914,944; x 28 + final norm
    assert 2 * 1024**2 + 2 * 1024 * 256 + 1024 * 4096 + 2048 * 1024 + 2 * 1024 == 8_914_944
    base = 100352 * 1024 + 28 * 8_914_944 + 1024
    assert base == 365_683_712 - 13_303_808 == 352_379_904
    assert base + 100352 * 1024 == 455_140_352  # an untied head would not match the printed count
    assert m.params_b == pytest.approx(base / 1e9, abs=0.005)
    assert not m.verified  # the instruct config's max_position_embeddings is still unread
