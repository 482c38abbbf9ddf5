"""`rigfit check FILE HARDWARE` for GGUF files and config.json, including broken input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rigfit.cli import app
from .test_gguf_file import llama_tensors, write_model

runner = CliRunner()


def test_check_a_gguf_uses_its_exact_bytes(tmp_path):
    path = tmp_path / "tiny-Q8_0.gguf"
    total = write_model(path, llama_tensors())
    res = runner.invoke(app, ["check", str(path), "RTX 3090", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["settings"]["quant"] == "GGUF file"
    assert d["quants"][0]["name"] == "GGUF file"
    assert abs(d["memory"]["weights_file_gib"] * 1024**3 - total) <= 0.005 * 1024**3


def test_check_a_truncated_gguf_is_one_line_exit_2(tmp_path):
    path = tmp_path / "broken.gguf"
    write_model(path, llama_tensors())
    path.write_bytes(path.read_bytes()[:2000])
    res = runner.invoke(app, ["check", str(path), "RTX 3090"])
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1 and "not a readable GGUF" in res.output


def test_check_a_config_json(tmp_path):
    cfg = {"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
           "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256, "max_position_embeddings": 131072,
           "tie_word_embeddings": False}
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    res = runner.invoke(app, ["check", str(tmp_path / "config.json"), "RTX 4090", "--json", "--context", "8192"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert abs(d["model"]["params_b"] - 8.03) < 0.05  # computed from the shapes: Llama 3.1 8B
    assert d["memory"]["kv_cache_gib"] == 1.0


def test_missing_and_malformed_files(tmp_path):
    assert runner.invoke(app, ["check", str(tmp_path / "nope.gguf"), "RTX 3090"]).exit_code == 2
    bad = tmp_path / "config.json"
    bad.write_text("{not json")
    res = runner.invoke(app, ["check", str(bad), "RTX 3090"])
    assert res.exit_code == 2 and "not a JSON config" in res.output
