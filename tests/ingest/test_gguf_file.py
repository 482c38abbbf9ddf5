"""Tiny real GGUF files written with gguf.GGUFWriter: exact weights, split files, broken files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from rigfit.ingest.gguf_file import read_gguf  # noqa: E402

HIDDEN, FFN, VOCAB, LAYERS = 64, 128, 256, 2


def write_model(path: Path, tensors: dict[str, tuple[tuple[int, ...], str]]) -> int:
    """Write a llama-like GGUF; each tensor is F16 or Q8_0. Returns the sum of the tensors' byte sizes."""
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(LAYERS)
    w.add_context_length(2048)
    w.add_embedding_length(HIDDEN)
    w.add_feed_forward_length(FFN)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    total = 0
    for name, (shape, kind) in tensors.items():
        n = int(np.prod(shape))
        if kind == "F16":
            w.add_tensor(name, np.zeros(shape, dtype=np.float16))
            total += n * 2
        else:
            block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q8_0]
            nbytes = n // block * size
            raw = np.zeros((shape[0], shape[1] // block * size), dtype=np.uint8)
            w.add_tensor(name, raw, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
            total += nbytes
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return total


def llama_tensors() -> dict[str, tuple[tuple[int, ...], str]]:
    t = {"token_embd.weight": ((VOCAB, HIDDEN), "Q8_0"), "output.weight": ((VOCAB, HIDDEN), "F16")}
    for i in range(LAYERS):
        for name in ("attn_q", "attn_output"):
            t[f"blk.{i}.{name}.weight"] = ((HIDDEN, HIDDEN), "Q8_0")
        for name in ("attn_k", "attn_v"):
            t[f"blk.{i}.{name}.weight"] = ((HIDDEN // 2, HIDDEN), "F16")
        t[f"blk.{i}.ffn_up.weight"] = ((FFN, HIDDEN), "Q8_0")
        t[f"blk.{i}.ffn_gate.weight"] = ((FFN, HIDDEN), "Q8_0")
        t[f"blk.{i}.ffn_down.weight"] = ((HIDDEN, FFN), "Q8_0")
    return t


def test_weights_equal_the_sum_of_tensor_bytes(tmp_path):
    path = tmp_path / "tiny-Q8_0.gguf"
    expected = write_model(path, llama_tensors())
    arch, weights = read_gguf(path)
    assert weights["total"] == expected
    assert weights["embedding"] + weights["output"] + sum(weights["dense"]) + sum(weights["experts"]) == expected
    assert arch.num_layers == LAYERS and arch.num_kv_heads == 2 and arch.vocab_size == VOCAB


def test_truncated_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "broken.gguf"
    write_model(path, llama_tensors())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match="not a readable GGUF file") as exc:
        read_gguf(path)
    assert "\n" not in str(exc.value)


def test_a_text_file_is_not_a_gguf(tmp_path):
    path = tmp_path / "notes.gguf"
    path.write_text("hello")
    with pytest.raises(ValueError, match="not a readable GGUF file"):
        read_gguf(path)


def test_split_files_are_summed(tmp_path):
    t = llama_tensors()
    names = list(t)
    first = {k: t[k] for k in names[: len(names) // 2]}
    second = {k: t[k] for k in names[len(names) // 2:]}
    a = write_model(tmp_path / "m-00001-of-00002.gguf", first)
    b = write_model(tmp_path / "m-00002-of-00002.gguf", second)
    _, weights = read_gguf(tmp_path / "m-00001-of-00002.gguf")
    assert weights["total"] == a + b
    (tmp_path / "m-00002-of-00002.gguf").unlink()
    with pytest.raises(ValueError, match="missing"):
        read_gguf(tmp_path / "m-00001-of-00002.gguf")


def _write_four_blocks(w: gguf.GGUFWriter) -> None:
    """Token embedding and one FFN tensor in each of 4 blocks, then the file: enough for read_gguf's layer count."""
    w.add_tensor("token_embd.weight", np.zeros((VOCAB, HIDDEN), dtype=np.float16))
    for i in range(4):
        w.add_tensor(f"blk.{i}.ffn_up.weight", np.zeros((FFN, HIDDEN), dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def test_hybrid_mamba_layers_come_from_per_layer_kv_heads(tmp_path):
    path = tmp_path / "hybrid.gguf"
    w = gguf.GGUFWriter(str(path), "granitehybrid")
    w.add_block_count(4)
    w.add_context_length(4096)
    w.add_embedding_length(HIDDEN)
    w.add_feed_forward_length(FFN)
    w.add_head_count(4)
    w.add_head_count_kv([0, 0, 0, 2])  # three Mamba-2 layers, one attention layer
    w.add_uint32("granitehybrid.ssm.inner_size", 128)
    w.add_uint32("granitehybrid.ssm.state_size", 16)
    w.add_uint32("granitehybrid.ssm.group_count", 1)
    w.add_uint32("granitehybrid.ssm.time_step_rank", 4)
    w.add_uint32("granitehybrid.ssm.conv_kernel", 4)
    _write_four_blocks(w)
    arch, _ = read_gguf(path)
    assert arch.mixers == "RRRF" and arch.ssm.kind == "mamba2" and arch.ssm.d_inner == 128


def test_deepseek4_layers_come_from_compress_ratios(tmp_path):
    """A deepseek4 GGUF (llama.cpp keys %s.attention.compress_ratios, .indexer.*, .output_lora_rank,
    .output_group_count): window-only, CSA and HCA layers, never plain sliding-window layers of 2 x 512 per cell."""
    path = tmp_path / "dsv4.gguf"
    w = gguf.GGUFWriter(str(path), "deepseek4")
    w.add_block_count(4)
    w.add_context_length(1048576)
    w.add_embedding_length(HIDDEN)
    w.add_head_count(4)
    w.add_head_count_kv(1)
    w.add_uint32("deepseek4.attention.key_length", 512)
    w.add_uint32("deepseek4.attention.sliding_window", 128)
    w.add_array("deepseek4.attention.compress_ratios", [0, 4, 128, 4])
    w.add_uint32("deepseek4.attention.indexer.head_count", 64)
    w.add_uint32("deepseek4.attention.indexer.key_length", 128)
    w.add_uint32("deepseek4.attention.indexer.top_k", 512)
    w.add_uint32("deepseek4.attention.q_lora_rank", 1024)
    w.add_uint32("deepseek4.attention.output_lora_rank", 1024)
    w.add_uint32("deepseek4.attention.output_group_count", 8)
    _write_four_blocks(w)
    arch, _ = read_gguf(path)
    assert arch.mixers == "WXYX" and arch.sliding_window == 128 and arch.head_dim == 512
    assert arch.compressed_attn.index_topk == 512 and arch.compressed_attn.hca_ratio == 128
    # F16 KV per token: 2 CSA layers x (512 + 128) / 4 x 2 B + 1 HCA layer x 512 / 128 x 2 B = 648
    from rigfit.estimate.memory import kv_bytes_per_token

    assert kv_bytes_per_token(arch, 2.0) == 648
