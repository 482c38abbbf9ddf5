"""`rigfit validate`: replay of measured rows, error statistics, unresolved rows listed.

fixtures/speed_sample.csv: rows copied from ../shared/benchmarks/speed.csv (each keeps its source) plus one made-up
row naming hardware no catalog has, for the unresolved path.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rigfit.cli import app

FIXTURE = Path(__file__).parent / "fixtures" / "speed_sample.csv"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


def validate_json(path: Path) -> dict:
    res = CliRunner().invoke(app, ["validate", str(path), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_validate_json_shape_and_unresolved_rows():
    d = validate_json(FIXTURE)
    assert d["rows"] >= 4 and d["resolved"] == d["rows"] - 1
    for kind in ("decode", "prefill", "memory"):
        assert set(d[kind]) == {"n", "median_ape", "p90_ape", "median_signed_pe"}
    assert d["decode"]["n"] >= 2
    assert any("Imaginary GPU 9000" in u["row"] for u in d["unresolved"])


def test_validate_missing_file_is_one_line_exit_2():
    res = CliRunner().invoke(app, ["validate", "/nonexistent.csv"])
    assert res.exit_code == 2 and "no such file" in res.output


@pytest.mark.skipif(not (SHARED / "speed.csv").exists(), reason="../shared/benchmarks not present")
def test_accuracy_targets_on_shared_measurements():
    d = validate_json(SHARED / "speed.csv")
    assert d["resolved"] >= d["rows"] - 2  # every name in the shared data resolves through the catalog
    assert d["decode"]["median_ape"] <= 10 and d["decode"]["p90_ape"] <= 25
    assert d["prefill"]["median_ape"] <= 20
    assert d["memory"]["median_ape"] <= 3
    mem = validate_json(SHARED / "memory.csv")
    assert mem["memory"]["median_ape"] <= 3


# ---------------------------------------------------------------- every runtime, robustness (hand-made CSVs)

from rigfit.catalog import find_hardware, find_quant  # noqa: E402
from rigfit.validate import engine_backend, runtime_of, validate_file  # noqa: E402
from rigfit.estimate.speed import efficiency  # noqa: E402

HEADER = "hardware,n_devices,host,backend,model,quant,test,tok_s,source,notes\n"


def _csv(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    p = tmp_path / "rows.csv"
    p.write_text(header + body, encoding="utf-8")
    return p


@pytest.mark.parametrize("text, expected", [
    ("MLX", "MLX"), ("mlx-lm 0.21", "MLX"), ("vLLM 0.6.3", "vLLM"), ("SGLang", "SGLang"),
    ("ExLlamaV2", "ExLlamaV2"), ("exllamav3", "ExLlamaV3"), ("TensorRT-LLM", "TensorRT-LLM"),
    ("trt-llm", "TensorRT-LLM"), ("Ollama", "Ollama"), ("ROCm (hip)", "ROCm"), ("Metal,BLAS", "Metal"),
    ("CUDA + CPU (mainline)", "CUDA"), ("CPU", "CPU"),
])
def test_runtime_names(text, expected):
    assert runtime_of(text) == expected


@pytest.mark.parametrize("text", ["DirectML", "", "llamafile-ish thing"])
def test_unknown_backend_is_an_error_never_cpu(text):
    with pytest.raises(ValueError, match="unknown backend"):
        runtime_of(text)


def test_bad_rows_are_per_row_errors(tmp_path):
    huge = "x" * 200_000  # over csv's default 131072 field limit: must fail its row only
    body = (
        "RTX 4090,1,,CUDA,Llama 3.1 8B,Q4_K_M,tg128,130,s,ok row\n"     # line 2: resolves
        "RTX 4090,1,,DirectML,Llama 3.1 8B,Q4_K_M,tg128,130,s,n\n"      # 3: unknown backend
        "RTX 4090,1,,CUDA,Llama 3.1 8B\n"                              # 4: short row (no quant/test/tok_s)
        f"RTX 4090,1,,CUDA,Llama 3.1 8B,Q4_K_M,tg128,130,s,{huge}\n"   # 5: huge field
        "RTX 4090,65,,vLLM,Llama 3.1 8B,AWQ-INT4,tg128,130,s,n\n"       # 6: n_devices > 64
        "RTX 4090,two,,vLLM,Llama 3.1 8B,AWQ-INT4,tg128,130,s,n\n"      # 7: non-numeric n_devices
        "RTX 4090,1,,CUDA,Llama 3.1 8B,Q4_K_M,tg128,fast,s,n\n"         # 8: non-numeric tok_s
        "RTX 4090,1,,CUDA,Llama 3.1 8B,Q4_K_M,tg128,nan,s,n\n"          # 9: nan tok_s
        "RTX 4090,1,,CUDA,Llama 3.1 8B,Q4_K_M,tg128,130,s,n,extra\n"    # 10: more cells than columns
        "RTX 4090,1,,CUDA,Llama 3.1 8B,Q4_K_M,tg99999999999,130,s,n\n"  # 11: absurd token count
        "RTX 4090,1.5,,CUDA,Llama 3.1 8B,Q4_K_M,tg128,130,s,n\n"        # 12: fractional device count
    )
    res = validate_file(_csv(tmp_path, body))
    by_line = {r.line: r for r in res if r.kind != "memory"}
    assert sorted(by_line) == list(range(2, 13))
    assert by_line[2].predicted is not None and by_line[2].backend == "CUDA"
    expect = {3: "unknown backend", 4: "tok_s is empty", 5: "longer than", 6: "1..64", 7: "not a number",
              8: "not a number", 9: "positive finite", 10: "cells for 10 columns", 11: "token counts",
              12: "whole number"}
    for line, text in expect.items():
        assert by_line[line].predicted is None and text in by_line[line].error, (line, by_line[line].error)


def test_cli_json_counts_bad_rows_unresolved_and_reports_by_backend(tmp_path):
    body = (
        "Apple M4 Max 128GB,1,,MLX,Llama 3.1 8B,MLX-4bit,tg128,100,s,n\n"
        "Apple M4 Max 128GB,1,,MLX,Llama 3.1 8B,MLX-4bit,pp512,900,s,n\n"
        "H100 SXM,2,,vLLM,Llama 3.1 8B,FP8,tg128,150,s,n\n"
        "H100 SXM,1,,Mystery,Llama 3.1 8B,FP8,tg128,150,s,n\n"
    )
    d = validate_json(_csv(tmp_path, body))
    assert d["rows"] == 4 and d["resolved"] == 3
    assert [u["line"] for u in d["unresolved"]] == [5]
    assert set(d["by_backend"]) == {"MLX", "vLLM"}
    assert d["by_backend"]["MLX"]["decode"]["n"] == 1 and d["by_backend"]["MLX"]["prefill"]["n"] == 1
    assert set(d["by_backend"]["vLLM"]["decode"]) == {"n", "median", "p90", "bias"}
    assert d["by_backend"]["vLLM"]["prefill"]["n"] == 0


def test_error_is_predicted_over_measured(tmp_path):
    """The same row measured at two speeds: errors (p/m - 1)·100 must match by arithmetic."""
    body = ("RTX 4090,1,,CUDA,Llama 3.1 8B,Q4_K_M,tg128,100,s,n\n"
            "RTX 4090,1,,CUDA,Llama 3.1 8B,Q4_K_M,tg128,200,s,n\n")
    a, b = [r for r in validate_file(_csv(tmp_path, body)) if r.kind == "decode"]
    assert a.predicted == b.predicted
    assert a.pct_error == pytest.approx((a.predicted / 100 - 1) * 100)
    assert b.pct_error == pytest.approx((a.predicted / 200 - 1) * 100)


def test_tensor_parallel_and_e2e_and_batch(tmp_path):
    header = HEADER.replace("notes\n", "notes,batch,metric\n")
    body = (
        "H100 SXM,1,,vLLM,Llama 3.1 70B,FP8,tg128,30,s,n,,\n"          # 2: TP1
        "H100 SXM,2,,vLLM,Llama 3.1 70B,FP8,tg128,30,s,n,,\n"          # 3: TP2
        "H100 SXM,1,,vLLM,Llama 3.1 70B,FP8,tg128,30,s,n,,e2e\n"       # 4: e2e with no prompt == decode
        "H100 SXM,1,,vLLM,Llama 3.1 70B,FP8,tg128@d8192,30,s,n,,\n"    # 5: decode at depth
        "H100 SXM,1,,vLLM,Llama 3.1 70B,FP8,tg128@d8192,30,s,n,,e2e\n" # 6: e2e after an 8K prompt
        "H100 SXM,1,,vLLM,Llama 3.1 70B,FP8,tg128,30,s,n,8,\n"         # 7: batch 8 aggregate
        "H100 SXM,1,,vLLM,Llama 3.1 70B,FP8,pp512,30,s,n,,e2e\n"       # 8: e2e needs a tg row
        "H100 SXM,1,,vLLM,Llama 3.1 70B,FP8,tg128,30,s,n,,wall\n"      # 9: unknown metric
    )
    r = {x.line: x for x in validate_file(_csv(tmp_path, body, header)) if x.kind != "memory"}
    # two GPUs each read half the weights: TP2 faster than TP1 but below 2x (all-reduce per layer)
    assert r[2].predicted < r[3].predicted < 2 * r[2].predicted
    assert r[4].predicted == pytest.approx(r[2].predicted)  # 0-token prompt: prefill time 0 s
    assert r[6].predicted < r[5].predicted  # the prompt's time counts in e2e
    assert r[2].predicted < r[7].predicted <= 8 * r[2].predicted
    assert "e2e needs" in r[8].error and "unknown metric" in r[9].error


def test_nul_and_invalid_utf8_bytes_fail_their_row_only(tmp_path):
    p = tmp_path / "rows.csv"
    p.write_bytes(HEADER.encode() + b"RTX 4090,1,,CUDA,Llama 3.1 8B,Q4_K_M,tg128,130,s,n\n"
                  + b"RTX 4090,1,,CU\xff\xfeDA,Llama 3.1 8B,Q4_K_M,tg128,130,s,n\x00\n")
    res = [r for r in validate_file(p) if r.kind == "decode"]
    assert [r.line for r in res] == [2, 3]
    assert res[0].predicted is not None  # the mangled backend is no backend: an error, never CPU
    assert res[1].predicted is None and "unknown backend" in res[1].error


def test_every_runtime_of_the_issue_is_replayed_and_reported(tmp_path):
    """One row per runtime rigfit predicts: each resolves to a prediction under its own name in by_backend."""
    body = (
        "Apple M4 Max 128GB,1,,MLX,Llama 3.1 8B,MLX-4bit,tg128,100,s,n\n"
        "H100 SXM,2,,vLLM,Llama 3.1 8B,FP8,tg128,150,s,n\n"
        "H100 SXM,1,,SGLang,Llama 3.1 8B,FP8,tg128,150,s,n\n"
        "RTX 4090,1,,ExLlamaV2,Llama 3.1 8B,EXL2-4.0bpw,tg128,150,s,n\n"
        "RTX 4090,1,,ExLlamaV3,Llama 3.1 8B,EXL3-4.0bpw,tg128,150,s,n\n"
        "A100 80GB SXM,4,,TensorRT-LLM,Llama 3.1 70B,AWQ-INT4,tg128,40,s,n\n"
        "RTX 4090,1,,Ollama,Llama 3.1 8B,Q4_K_M,tg128,130,s,n\n"
    )
    d = validate_json(_csv(tmp_path, body))
    assert d["resolved"] == 7 and not d["unresolved"]
    assert set(d["by_backend"]) == {"MLX", "vLLM", "SGLang", "ExLlamaV2", "ExLlamaV3", "TensorRT-LLM", "Ollama"}
    assert all(v["decode"]["n"] == 1 for v in d["by_backend"].values())


def test_engine_constants_per_runtime():
    """TensorRT-LLM has constants of its own (benchmarks/data rows); SGLang has keys of its own that carry vLLM's
    constants and only its own shared-expert MoE cost (too few dense single-stream rows for a fit); Ollama is
    llama.cpp."""
    h100, q = find_hardware("H100 SXM"), find_quant("FP8")
    assert engine_backend("TensorRT-LLM", h100, q) == "TensorRT-LLM"
    assert engine_backend("SGLang", h100, q) == "SGLang"
    sglang, vllm = efficiency("SGLang", "hopper_hbm"), efficiency("vLLM", "hopper_hbm")
    assert dataclasses.replace(sglang, shared_moe_layer_us=0.0) == dataclasses.replace(vllm, shared_moe_layer_us=0.0)
    assert engine_backend("ExLlamaV3", h100, q) == "ExLlama"
    assert engine_backend("Ollama", find_hardware("RTX 4090"), find_quant("Q4_K_M")) == "CUDA"


def test_tpot_metric_adds_the_refill_prefills(tmp_path):
    """metric tpot: a serving benchmark at concurrency B runs the B - 1 other slots' new prompts between decode steps:
    tok/s = B / (B / decode + (B - 1) x t_prompt / N). t_prompt is read off the e2e row at batch 1 (N / e2e - N /
    decode): the same prefill the tpot row charges."""
    header = HEADER.replace("notes\n", "notes,batch,metric\n")
    body = (
        "H100 SXM,1,,vLLM,Llama 3.1 8B,BF16,tg200@d2000,30,s,n,,\n"      # 2: decode, batch 1
        "H100 SXM,1,,vLLM,Llama 3.1 8B,BF16,tg200@d2000,30,s,n,,e2e\n"   # 3: e2e, batch 1 (gives t_prompt)
        "H100 SXM,1,,vLLM,Llama 3.1 8B,BF16,tg200@d2000,30,s,n,,tpot\n"  # 4: tpot at concurrency 1 == decode
        "H100 SXM,1,,vLLM,Llama 3.1 8B,BF16,tg200@d2000,30,s,n,4,\n"     # 5: batch 4 decode
        "H100 SXM,1,,vLLM,Llama 3.1 8B,BF16,tg200@d2000,30,s,n,4,tpot\n" # 6: batch 4 tpot
        "H100 SXM,1,,vLLM,Llama 3.1 8B,BF16,pp2000,30,s,n,,tpot\n"       # 7: tpot needs a tg row
    )
    r = {x.line: x for x in validate_file(_csv(tmp_path, body, header)) if x.kind != "memory"}
    n = 200
    t_prompt = n / r[3].predicted - n / r[2].predicted
    assert t_prompt > 0
    assert r[4].predicted == pytest.approx(r[2].predicted)
    assert r[6].predicted == pytest.approx(4 / (4 / r[5].predicted + 3 * t_prompt / n), rel=1e-9)
    assert "tpot needs" in r[7].error
