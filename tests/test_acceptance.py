"""The numbers issue #2 requires on main, through the same path as `rigfit check --json`."""

from __future__ import annotations

import pytest

from rigfit.output import report_dict
from rigfit.query import Query, run_query

GB = 1e9
GIB = 1024**3


def check(model: str, hw: str, **kw) -> dict:
    return report_dict(run_query(Query(model, hw, **kw)))


@pytest.mark.parametrize("hw", ["RTX 3090", "RTX PRO 4500 Blackwell"])
def test_kimi_linear(hw):
    d = check("Kimi Linear 48B A3B", hw)
    q4 = next(q for q in d["quants"] if q["name"] == "Q4_K_M")
    weights_gb = q4["weights_gib"] * GIB / GB
    assert 26 <= weights_gb <= 31
    long = check("Kimi Linear 48B A3B", hw, context=131072)
    state_gb = (long["memory"]["kv_cache_gib"] + long["memory"]["recurrent_state_gib"]) * GIB / GB
    assert state_gb < 5
    if d["placement"]["strategy"] == "expert_offload":
        assert d["naive_layer_offload"]["decode_tps"] * 1.3 < d["speed"]["decode_tps"]
    if d["placement"]["strategy"] == "full_gpu":
        assert d["safe_context"]["exact"] > 4 * 4096


def test_kimi_linear_on_3090_uses_expert_offload():
    d = check("Kimi Linear 48B A3B", "RTX 3090 24GB")
    assert d["placement"]["strategy"] == "expert_offload"
    assert "--n-cpu-moe" in d["commands"]["llama.cpp"]


def test_llama_31_8b_on_4090():
    d = check("Llama 3.1 8B", "RTX 4090", context=8192)
    assert 4.5 <= d["memory"]["weights_file_gib"] <= 5.0
    assert d["memory"]["kv_cache_gib"] == pytest.approx(1.0, abs=0.01)
    assert 100 <= d["speed"]["decode_tps"] <= 160
    assert d["fit"] == "fits"
    assert d["grade"] in ("S", "A")
