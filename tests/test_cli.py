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


# --- issue 13 (CLI input layer): each test uses the concrete input the issue reports ---------------------------


def one_line(res) -> str:
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert "Traceback" not in res.output and "╭" not in res.output
    return lines[0]


def test_user_text_is_never_rich_markup():
    # `rigfit check "[/x]" "RTX 3090"` raised rich.errors.MarkupError; the name must come back as typed
    res = run("check", "[/x]", "RTX 3090")
    assert res.exit_code == 2
    assert "unknown model '[/x]'" in one_line(res)


def test_markup_in_a_config_name_renders_as_text(tmp_path):
    # the model's name comes from the config's _name_or_path and is printed in the summary, advice and commands
    cfg = {"_name_or_path": "[bold]evil[/x]", "model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096,
           "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
           "max_position_embeddings": 131072}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    res = run("check", str(path), "RTX 3090")
    assert res.exit_code == 0, res.output
    assert "[bold]evil[/x]" in res.output


@pytest.mark.parametrize("args,needle", [
    (["check", "Llama 3.1 8B"], "Missing argument"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--bogus"], "No such option: --bogus"),
    (["check", "Llama 3.1 8B", "RTX 3090", "--context", "lots"], "--context"),
    (["models", "--fits"], "requires an argument"),
    (["nosuchcommand"], "No such command"),
])
def test_usage_errors_are_one_line_not_a_box(args, needle):
    res = run(*args)
    assert res.exit_code == 2
    assert needle in one_line(res)


def test_control_characters_are_not_a_model_name():
    # "a\nb" resolved to Command A 111B
    res = run("check", "a\nb", "RTX 3090")
    assert res.exit_code == 2
    assert "control characters" in one_line(res)


@pytest.mark.parametrize("hardware,needle", [
    ("99x RTX 3090", "got 99 in 1 part"),                                   # above 64 with a single count
    ("40x RTX 3090 + 40x RTX 4090", "got 80 in 2 part"),                    # 40 + 40 = 80 > 64
    (" + ".join(["99x RTX 3090"] * 1000), "hardware name is 14,997 characters"),  # 99,000 GPUs were accepted
    (" + ".join(["RTX 3090"] * 65), "hardware name is 712 characters"),  # 65·8 + 64·3
    ("9" * 30 + "x RTX 3090", "far more"),
])
def test_device_counts_are_bounded(hardware, needle):
    res = run("check", "Llama 3.1 8B", hardware)
    assert res.exit_code == 2
    line = one_line(res)
    assert needle in line, line


def test_64_devices_in_two_parts_are_accepted():
    d = check_json("Llama 3.1 8B", "32x RTX 3090 + 32x RTX 4090")
    assert d["hardware"]["count"] == 64


def test_model_names_are_bounded_before_fuzzy_matching():
    res = run("check", "x" * 100_000, "RTX 3090")
    assert res.exit_code == 2
    assert "model name is 100,000 characters; the limit is 200" in one_line(res)


def test_validate_with_a_name_too_long_for_the_file_system():
    res = run("validate", "a" * 300)
    assert res.exit_code == 2
    assert "no such file" in one_line(res)


def test_a_bug_is_one_line_without_traceback(monkeypatch):
    import rigfit.query as query

    def broken(q, with_market=True, shared=True):  # noqa: ARG001
        raise TypeError("unsupported operand")

    monkeypatch.delenv("RIGFIT_DEBUG", raising=False)
    monkeypatch.setattr(query, "run_query", broken)
    res = run("check", "Llama 3.1 8B", "RTX 3090")
    assert res.exit_code == 1
    assert "internal error (TypeError)" in one_line(res)


def test_a_name_that_stops_at_the_product_says_which_configuration_it_answers_for():
    # "m4 max" names no single entry: Apple sells it as 32-core/36GB and 40-core/48, 64, 128GB (apple.yaml)
    r = runner.invoke(app, ["check", "Llama 3.1 8B", "m4 max", "--json"])
    assert r.exit_code == 0, r.output
    side = json.loads(r.output)["resolved_from"]["hardware"]
    assert side == {"typed": "m4 max", "answered_for": "Apple M4 Max 32-core GPU 36GB",
                    "variants": ["Apple M4 Max 40-core GPU 48GB", "Apple M4 Max 40-core GPU 64GB",
                                 "Apple M4 Max 40-core GPU 128GB"]}
    text = runner.invoke(app, ["check", "Llama 3.1 8B", "m4 max"]).output
    assert "'m4 max' was read as Apple M4 Max 32-core GPU 36GB" in " ".join(text.split())
    # exact names (any case) are not flagged
    exact = runner.invoke(app, ["check", "llama 3.1 8b", "Apple M4 Max 40-core GPU 128GB", "--json"])
    assert json.loads(exact.output)["resolved_from"] is None
