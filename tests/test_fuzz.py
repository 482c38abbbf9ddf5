"""Property tests of the CLI input layer (issue 13): whatever is typed or read, the answer is a result or one line.

Bounded to a few seconds: each property has a small max_examples and no deadline (the machine is shared). The
long run with 100,000+ inputs is benchmarks/fuzz.py.
"""

from __future__ import annotations

import json
import struct
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rigfit.cli import app
from rigfit.ingest.hf_config import MAX_LAYERS, architecture_from_config
from rigfit.ingest.resolve import model_from_path
from rigfit.query import MAX_GPUS, Query, UserError, build_request

runner = CliRunner()
FAST = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# meta-llama/Llama-3.1-8B config.json (fields rigfit reads)
LLAMA_8B = {"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
            "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
            "max_position_embeddings": 131072, "hidden_act": "silu"}
KEYS = ["num_hidden_layers", "hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim",
        "intermediate_size", "vocab_size", "max_position_embeddings", "sliding_window", "layer_types",
        "hybrid_override_pattern", "kv_lora_rank", "num_local_experts", "num_experts_per_tok", "moe_intermediate_size",
        "attn_layer_period", "full_attention_interval", "linear_num_value_heads", "text_config", "mamba_num_heads"]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
                    max_leaves=12)
NAMES = st.one_of(st.text(max_size=60), st.sampled_from(["RTX 3090", "Llama 3.1 8B", "[/x]", "a\nb", "99x RTX 3090",
                                                         "2x RTX 3090 + 3x RTX 4090", "org/name\n", "~", "/", ".."]))


def assert_result_or_one_line(res) -> None:
    assert res.exit_code in (0, 2), (res.exit_code, res.output)
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), res.output


@FAST
@given(model=NAMES, hardware=NAMES)
def test_any_names_give_a_report_or_one_line(model, hardware):
    # --offline: a hub-shaped id reads the local cache only, the test never goes to the network
    assert_result_or_one_line(runner.invoke(app, ["check", model, hardware, "--offline", "--json"]))


@FAST
@given(option=st.sampled_from(["--context", "--gpus", "--quant", "--workload", "--mode", "--kv-type", "--host"]),
       value=st.one_of(st.integers(min_value=-10**30, max_value=10**30).map(str), st.text(max_size=20)))
def test_any_option_value_gives_a_report_or_one_line(option, value):
    assert_result_or_one_line(runner.invoke(app, ["check", "Llama 3.1 8B", "RTX 3090", option, value, "--json"]))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(gpus=st.integers(min_value=-10**6, max_value=10**6), a=st.integers(0, 200), b=st.integers(0, 200))
def test_device_counts_never_exceed_the_bound(gpus, a, b):
    for q in (Query("Llama 3.1 8B", "RTX 3090", gpus=gpus), Query("Llama 3.1 8B", f"{a}x RTX 3090 + {b}x RTX 4090")):
        try:
            req = build_request(q)
        except UserError:
            continue
        assert 1 <= req.hw.count <= MAX_GPUS


@settings(max_examples=300, deadline=None, derandomize=True)
@given(changes=st.dictionaries(st.sampled_from(KEYS), JSON, max_size=4))
def test_any_config_is_a_model_that_can_exist_or_a_value_error(changes):
    try:
        arch = architecture_from_config({**LLAMA_8B, **changes}, "fuzz", "fuzz")
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    assert 1 <= arch.num_layers <= MAX_LAYERS and arch.num_heads >= 1 and arch.hidden_size >= 1
    assert arch.vocab_size >= 1 and arch.head_dim >= 1 and arch.params_b > 0


@settings(max_examples=150, deadline=None, derandomize=True)
@given(version=st.integers(0, 2**32 - 1), tensors=st.integers(0, 2**64 - 1), keys=st.integers(0, 2**64 - 1),
       body=st.binary(max_size=256))
def test_any_gguf_header_is_a_model_or_a_value_error(version, tensors, keys, body):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.gguf"
        path.write_bytes(b"GGUF" + struct.pack("<IQQ", version, tensors, keys) + body)
        try:
            model_from_path(str(path))
        except ValueError as exc:
            assert "\n" not in str(exc)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=st.one_of(JSON.map(json.dumps), st.text(max_size=200)))
def test_any_config_file_text_is_a_model_or_a_value_error(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            model_from_path(str(path))
        except ValueError as exc:
            assert "\n" not in str(exc)
