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
