"""Hostile or malformed model files: one line, exit 2, never a traceback, a hang or a read of a whole device.

Each test takes its input from issue 13 (the CLI part of "Reliability and security").
"""

from __future__ import annotations

import json
import os
import signal
import struct
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rigfit.cli import app
from rigfit.ingest import detect as detect_module
from rigfit.ingest.hf_config import MAX_LAYERS, architecture_from_config
from rigfit.ingest.resolve import looks_like_path, model_from_path

gguf = pytest.importorskip("gguf")
runner = CliRunner()

# meta-llama/Llama-3.1-8B config.json (the fields rigfit reads)
LLAMA_8B = {"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
            "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
            "max_position_embeddings": 131072, "hidden_act": "silu"}


@contextmanager
def within(seconds: int):
    """Fail instead of hanging: SIGALRM interrupts a blocking open() or read()."""
    def stop(signum, frame):  # noqa: ARG001
        raise TimeoutError(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def one_error_line(args: list[str], needle: str) -> str:
    with within(20):
        res = runner.invoke(app, args)
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert res.exit_code == 2, res.output
    assert len(lines) == 1, res.output
    assert "Traceback" not in res.output
    assert needle.lower() in lines[0].lower(), lines[0]
    return lines[0]


def config_file(tmp_path: Path, cfg: object, name: str = "config.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(cfg))
    return str(path)


def test_the_llama_config_itself_is_accepted(tmp_path):
    # the baseline for the variations below: 32 layers, 32 heads, 8 KV heads as in the published config
    arch = architecture_from_config(LLAMA_8B, "llama", "test")
    assert (arch.num_layers, arch.num_heads, arch.num_kv_heads, arch.head_dim) == (32, 32, 8, 128)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_without_reading_them(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    one_error_line(["check", device, "RTX 3090"], "not a regular file")


def test_a_named_pipe_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    one_error_line(["check", str(fifo), "RTX 3090"], "not a regular file")


def test_a_gguf_with_a_huge_first_block_is_sniffed_from_4_bytes(tmp_path, monkeypatch):
    # a 64 MiB file of zeros named .json: rigfit must read its magic (4 bytes) and the JSON at most once, bounded
    path = tmp_path / "big.json"
    with open(path, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    one_error_line(["check", str(path), "RTX 3090"], "too large for a config.json")


def test_names_longer_than_the_file_system_allows_are_not_paths():
    # 300 characters: Path.exists() raised "File name too long" (OSError) and the CLI printed a traceback
    assert looks_like_path("a" * 300) is False
    assert looks_like_path("a\x00b") is False
    one_error_line(["check", "a" * 300, "RTX 3090"], "model name is 300 characters")


def test_errors_name_the_file_as_typed_not_the_expanded_path(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    line = one_error_line(["check", "~/missing/config.json", "RTX 3090"], "no such file")
    assert str(tmp_path) not in line and "~/missing/config.json" in line
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.json").write_text("not json")
    line = one_error_line(["check", "notes.json", "RTX 3090"], "not a JSON config file")
    assert str(tmp_path) not in line


@pytest.mark.parametrize("change,needle", [
    ({"num_hidden_layers": 10**9}, "layers must be between 1 and 4,096"),   # 1e9 layers exhausted memory
    ({"num_hidden_layers": 1e9}, "layers must be between 1 and 4,096"),
    ({"num_attention_heads": -32}, "attention heads must be between 1"),    # was graded S
    ({"num_hidden_layers": -3}, "layers must be between 1"),
    ({"num_hidden_layers": "x"}, "whole number"),                           # ValueError
    ({"num_hidden_layers": [32]}, "whole number"),                          # TypeError
    ({"num_hidden_layers": 32.5}, "whole number"),
    ({"vocab_size": None}, "missing vocab_size"),                           # KeyError
    ({"hidden_size": 4097}, "not a multiple of 32 attention heads"),        # 4097 / 32 is not whole
    ({"num_key_value_heads": 0.0, "num_attention_heads": 32}, "num_kv_heads"),
    ({"num_key_value_heads": 7}, "do not split into 7"),                    # 32 % 7 != 0
    ({"intermediate_size": 1e308 * 10}, "infinity"),                        # json writes Infinity: OverflowError
    ({"max_position_embeddings": 10**40}, "max_context must be between"),
    ({"sliding_window": 0, "use_sliding_window": True}, ""),                # window 0: plain attention
    ({"num_local_experts": 8, "num_experts_per_tok": 9, "moe_intermediate_size": 128}, "experts per token"),
    ({"num_local_experts": 8, "num_experts_per_tok": 2}, ""),               # a valid Mixtral-like MoE
    ({"attn_layer_period": "0", "attn_layer_offset": 0}, "unsupported configuration"),  # ZeroDivisionError
    ({"text_config": {"num_hidden_layers": "deep"}}, "whole number"),
])
def test_malformed_configs_are_one_line(tmp_path, change, needle):
    cfg = {**LLAMA_8B, **change}
    cfg = {k: v for k, v in cfg.items() if v is not None}
    args = ["check", config_file(tmp_path, cfg), "RTX 3090", "--json"]
    if not needle:
        with within(20):
            res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        return
    line = one_error_line(args, needle)
    assert line.startswith("error: ")


def test_negative_heads_never_get_a_grade(tmp_path):
    # issue 13: {"num_attention_heads": -32} was accepted with grade S
    res = runner.invoke(app, ["check", config_file(tmp_path, {**LLAMA_8B, "num_attention_heads": -32}), "RTX 3090",
                              "--json"])
    assert res.exit_code == 2 and '"grade"' not in res.output


def test_deeply_nested_json_is_one_line(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("[" * 100_000 + "]" * 100_000)  # json.loads raises RecursionError
    one_error_line(["check", str(path), "RTX 3090"], "not a JSON config file")


def test_a_json_list_is_not_a_config(tmp_path):
    one_error_line(["check", config_file(tmp_path, [1, 2]), "RTX 3090"], "not a config.json object")


def write_gguf(path: Path, block_count: int, heads: int = 4, extra: dict | None = None) -> None:
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_uint64("llama.block_count", block_count)
    w.add_context_length(2048)
    w.add_embedding_length(64)
    w.add_feed_forward_length(128)
    w.add_int32("llama.attention.head_count", heads)
    for key, value in (extra or {}).items():
        w.add_int32(key, value)
    import numpy as np
    w.add_tensor("token_embd.weight", np.zeros((256, 64), dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def test_gguf_with_a_billion_layers_is_refused(tmp_path):
    path = tmp_path / "deep.gguf"
    write_gguf(path, 10**9)
    one_error_line(["check", str(path), "RTX 3090"], f"block_count must be between 1 and {MAX_LAYERS:,}")


def test_gguf_with_negative_heads_is_refused(tmp_path):
    path = tmp_path / "neg.gguf"
    write_gguf(path, 2, heads=-4)
    one_error_line(["check", str(path), "RTX 3090"], "num_heads must be between 1")


def test_gguf_with_zero_kv_heads_divisor_is_one_line(tmp_path):
    path = tmp_path / "zero.gguf"
    write_gguf(path, 2, extra={"llama.attention.head_count_kv": -1})
    one_error_line(["check", str(path), "RTX 3090"], "num_kv_heads")


def test_gguf_header_with_absurd_tensor_count_is_refused_before_parsing(tmp_path):
    path = tmp_path / "many.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 10**12, 1) + b"\0" * 64)
    one_error_line(["check", str(path), "RTX 3090"], "declares 1,000,000,000,000 tensors")


def test_gguf_magic_in_a_json_named_file_is_read_as_gguf(tmp_path):
    path = tmp_path / "weights.json"
    path.write_bytes(b"GGUF" + b"\0" * 10)
    one_error_line(["check", str(path), "RTX 3090"], "not a readable GGUF file")


def test_model_from_path_reads_only_the_magic_of_a_gguf(tmp_path, monkeypatch):
    path = tmp_path / "x.bin"
    path.write_bytes(b"GGUF" + b"\0" * 10)
    reads = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(ValueError, match="not a readable GGUF file"):
        model_from_path(str(path))
    assert reads == [4]


def test_models_fits_local_measures_the_machine_once(monkeypatch):
    # `models --fits local` resolved "local" per catalog model and measured RAM bandwidth each time (65 s)
    calls = []
    monkeypatch.setattr(detect_module, "measure_ram_bandwidth", lambda: calls.append(1) or 50.0)
    monkeypatch.setattr(detect_module, "_nvidia_gpus", lambda: [])
    monkeypatch.setattr(detect_module, "_amd_gpus", lambda: [])
    res = runner.invoke(app, ["models", "--fits", "local", "--json"])
    assert res.exit_code == 0, res.output
    assert calls == [1]


def test_a_hub_id_with_a_trailing_newline_is_not_fetched():
    # issue 13: "org/name%0A" over the web became "org/name\n", passed the id check and httpx raised InvalidURL
    from rigfit.ingest.hub import fetch_config, looks_like_repo_id

    assert looks_like_repo_id("meta-llama/Llama-3.1-8B") is True
    assert looks_like_repo_id("meta-llama/Llama-3.1-8B\n") is False
    with pytest.raises(ValueError, match="not a Hugging Face repo id"):
        fetch_config("meta-llama/Llama-3.1-8B\n")


def test_a_damaged_hub_cache_entry_is_one_line(tmp_path, monkeypatch):
    from rigfit.ingest.hub import fetch_config

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = tmp_path / "rigfit" / "hub"
    cache.mkdir(parents=True)
    (cache / "org--model.json").write_text('{"params_b": 1}')  # no "config": was a KeyError
    with pytest.raises(ValueError, match="cached config is damaged"):
        fetch_config("org/model", offline=True)
