"""The CLI: real output for good input, one clear line and exit code 2 for bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rigfit.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def check_json(*args: str) -> dict:
    res = run("check", *args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize("args,needle", [
    (["check", "Nonexistent Model 9000", "RTX 3090"], "unknown model"),
    (["check", "Llama 3.1 8B", "RTX 9999 Hyper"], "unknown hardware"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--quant", "Q9_Z"], "unknown quant"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--context", "-5"], "context"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--context", "0"], "context"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--gpus", "0"], "gpus"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--workload", "dancing"], "workload"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--mode", "turbo"], "mode"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--kv-type", "q3_weird"], "KV cache type"),
    (["hardware", "--vendor", "acme"], "vendor"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--quant", "MLX-4bit"], "does not run on"),
    (["check", "Llama 3.1 8B", "Apple M2 Ultra 76-core GPU 192GB", "--quant", "FP8"], "does not run on"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--context", "999999999"], "context"),
    (["check", "Llama 3.1 8B", "0x RTX 3090"], "at least 1"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--host", "RTX 4090"], "host"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle):
    res = run(*args)
    assert res.exit_code == 2
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert needle.lower() in lines[0].lower()
    assert "Traceback" not in res.output


def test_unknown_model_suggests_names():
    res = run("check", "Kimi Liner", "RTX 3090")
    assert res.exit_code == 2 and "Did you mean" in res.output and "Kimi Linear" in res.output


def test_check_renders_tables():
    res = run("check", "Llama 3.1 8B", "RTX 4090")
    assert res.exit_code == 0, res.output
    for section in ("Performance by workload", "Quantizations", "Run it", "llama-server"):
        assert section in res.output


def test_list_commands_json():
    assert len(json.loads(run("models", "--json").stdout)) >= 100
    assert len(json.loads(run("hardware", "--json").stdout)) >= 150
    assert len(json.loads(run("quants", "--json").stdout)) >= 20
    nv = json.loads(run("hardware", "--vendor", "nvidia", "--json").stdout)
    assert nv and all(h["vendor"] == "nvidia" for h in nv)


def test_models_fits_filter():
    rows = json.loads(run("models", "--fits", "RTX 3060 12GB", "--json").stdout)
    names = {r["name"] for r in rows}
    assert "Llama 3.1 8B" in names and "Llama 3.1 405B" not in names
