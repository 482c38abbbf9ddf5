"""Issue 11, third pass: entries of models_b.yaml now verified against a citable reading of their config.json (see each
entry's notes). Every expected value is hand-checked against that reading; the parameter arithmetic shows the
published total still holds."""

import pytest

from rigfit.catalog import find_model
from rigfit.estimate.structure import shape_params_b

# gkarfakis19/Rapid-LLM configs/model-config/falcon_h1_3b_inf.yaml@6c2d238a: Falcon-H1-3B-Base
# model.safetensors.index total_size 6,298,774,528 bytes at bf16 = 3,149,387,264 parameters.
FALCON_H1_3B_SAFETENSORS_PARAMS = 3_149_387_264
# Stored page https://huggingface.co/openbmb/MiniCPM4-8B/tree/main: bf16 shards of 4.94 + 4.87 + 4.87 + 1.68 GB.
MINICPM4_8B_SHARD_GB = (4.94, 4.87, 4.87, 1.68)
BF16_BYTES = 2



def test_falcon_h1_3b_matches_the_rapid_llm_transcription() -> None:
    m = find_model("Falcon-H1 3B")
    assert m.verified
    assert (m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads, m.head_dim) == (2560, 32, 10, 2, 128)
    assert (m.intermediate_size, m.vocab_size, m.tie_embeddings, m.max_context) == (6144, 65536, False, 131072)
    assert m.mixers == "H" * 32
    ssm = m.ssm
    assert ssm is not None
    # mamba_d_ssm 4096 = 32 heads x 128 (not mamba_expand 2 x 2560 = 5120)
    assert (ssm.d_inner, ssm.n_heads, ssm.head_dim, ssm.d_state, ssm.n_groups, ssm.d_conv) == (4096, 32, 128, 256, 1, 4)
    assert ssm.n_heads * ssm.head_dim == ssm.d_inner
    # the shapes give the safetensors total within the Mamba A/D/dt vectors and conv biases rigfit does not count
    assert shape_params_b(m) == pytest.approx(FALCON_H1_3B_SAFETENSORS_PARAMS / 1e9, abs=0.002)


def test_minicpm4_8b_head_is_untied_by_the_official_shard_sizes() -> None:
    m = find_model("MiniCPM 4 8B")
    assert m.verified
    assert (m.vocab_size, m.hidden_size, m.num_layers, m.num_heads, m.num_kv_heads) == (73448, 4096, 32, 32, 2)
    assert (m.intermediate_size, m.max_context, m.tie_embeddings) == (16384, 32768, False)
    shards_gb = sum(MINICPM4_8B_SHARD_GB)
    assert shards_gb == pytest.approx(16.36)
    untied_b = shape_params_b(m)
    tied_b = untied_b - m.vocab_size * m.hidden_size / 1e9  # 73448 x 4096 = 0.30084B fewer with a shared head
    assert untied_b == pytest.approx(8.185, abs=0.001)
    assert tied_b == pytest.approx(7.884, abs=0.001)
    # each shard size is rounded to 10 MB, so the sum is good to about +-0.02 GB: 16.37 GB fits, 15.77 GB does not
    assert abs(untied_b * BF16_BYTES - shards_gb) < 0.03
    assert abs(tied_b * BF16_BYTES - shards_gb) > 0.5


@pytest.mark.parametrize(("name", "open_field"), [
    ("Granite 4.0 H Small", "positions of the 2nd to 4th attention layers"),
    ("Nemotron Nano 2 12B", "every field"),
    ("Falcon-H1 1.5B", "tie_word_embeddings"),
    ("Magistral Small 24B", "max_position_embeddings"),
    ("Magistral Small 1.2 24B", "max_position_embeddings"),
])
def test_still_unverified_entries_name_the_open_field(name: str, open_field: str) -> None:
    m = find_model(name)
    assert not m.verified
    assert open_field in m.notes


def test_granite_4_h_small_ssm_matches_ibms_gguf_metadata() -> None:
    # https://ollama.com/ibm/granite4:small-h-q6_K/blobs/a15d0868faf9: ssm.inner_size 8192, ssm.time_step_rank 128
    # (the SSM head count), ssm.group_count 1, ssm.state_size 128, ssm.conv_kernel 4; expert_shared_feed_forward 1536
    ssm = find_model("Granite 4.0 H Small").ssm
    assert ssm is not None
    assert (ssm.d_inner, ssm.n_heads, ssm.head_dim, ssm.n_groups, ssm.d_state, ssm.d_conv) == (8192, 128, 64, 1, 128, 4)
    assert 8192 // 128 == ssm.head_dim


def test_granite_4_h_small_gguf_tensor_count_gives_the_layer_split_and_a_tied_head() -> None:
    # https://github.com/ollama/ollama/issues/12982 (opening post): IBM's granite4:small-h GGUF has 666 tensors.
    # llama.cpp src/models/granite-hybrid.cpp@f6ab317e: attn_norm + 8 Mamba-2 tensors per SSM layer, attn_norm + q/k/v/o
    # per attention layer, 8 MoE + shared-expert FFN tensors per layer, then token_embd and output_norm (+ output if untied).
    m = find_model("Granite 4.0 H Small")
    ssm_layers, attn_layers = m.mixers.count("R"), m.mixers.count("F")
    assert (ssm_layers, attn_layers) == (36, 4)
    tensors = ssm_layers * (1 + 8) + attn_layers * (1 + 4) + m.num_layers * 8 + 2 + (0 if m.tie_embeddings else 1)
    assert m.tie_embeddings
    assert tensors == 666


def test_falcon_h1_1_5b_ssm_in_width_matches_the_checkpoint() -> None:
    # llama.cpp PR 14534, compilade 2025-07-08: tiiuae/Falcon-H1-1.5B-Instruct blk.0.ssm_in.weight is 2048 x 6704.
    # Mamba-2 in_proj rows = z + x (2 x d_inner) + B + C (2 x n_groups x d_state) + dt (one per head).
    ssm = find_model("Falcon-H1 1.5B").ssm
    assert ssm is not None
    assert 2 * ssm.d_inner + 2 * ssm.n_groups * ssm.d_state + ssm.n_heads == 6704
    assert (ssm.d_inner, ssm.n_groups, ssm.d_state, ssm.n_heads) == (3072, 1, 256, 48)
