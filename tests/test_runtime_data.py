"""benchmarks/data: every measured row of the other runtimes resolves, and the Apple generations are ordered."""

from __future__ import annotations

from pathlib import Path

import pytest

from rigfit.catalog import find_hardware, find_model, find_quant
from rigfit.estimate.fit import placement_for
from rigfit.estimate.speed import decode_tokens_per_s, efficiency
from rigfit.model.scenario import Scenario
from rigfit.validate import validate_file

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"


@pytest.mark.parametrize("path", sorted(DATA.glob("*.csv")), ids=lambda p: p.name)
def test_every_row_resolves(path):
    results = validate_file(path)
    assert results and [r.error for r in results if r.predicted is None] == []


def test_apple_per_layer_cost_never_grows_with_generation():
    layer = [efficiency("Metal", f"apple_m{g}").layer_us for g in range(1, 6)]
    assert layer == sorted(layer, reverse=True)


def _tg128(hw_name: str) -> float:
    arch, quant, hw = find_model("Llama 2 7B"), find_quant("Q4_0"), find_hardware(hw_name)
    s = Scenario(quant=quant, context=512)
    return decode_tokens_per_s(arch, hw, s, placement_for(arch, hw, s, arch.num_layers + 1), 64, "Metal")


def test_m4_max_decodes_faster_than_m2_max():
    # the accuracy issue's symptom: 546 GB/s (M4 Max 40-core) must not decode slower than 400 GB/s (M2 Max)
    m2, m4 = _tg128("Apple M2 Max 38-core GPU 64GB"), _tg128("Apple M4 Max 40-core GPU 64GB")
    assert find_hardware("Apple M4 Max 40-core GPU 64GB").bandwidth_bytes / 1e9 == 546
    assert m4 > m2 * 1.2


def _benchmarks_on_path() -> None:
    import sys

    if str(DATA.parent) not in sys.path:
        sys.path.insert(0, str(DATA.parent))


def _sglang_llama_rows(n: int):
    """The first n single-stream SGLang Llama 3 8B rows of sglang.csv (H100, sgl-project/sglang#1401 and #1008)."""
    _benchmarks_on_path()
    from calibrate_runtimes import data_rows

    rows = [r for r in data_rows([DATA / "sglang.csv"]) if r[2]["model"] == "Llama 3 8B"]
    assert len(rows) >= 3
    return rows[:n]


def test_sglang_keeps_vllm_constants_below_three_rows_of_its_own():
    # calibrate_runtimes.fit_runtimes: a runtime that borrows vLLM's constants (SGLang, TensorRT-LLM) gets a key of
    # its own only from MIN_ROWS = 3 dense decode rows; two give none, three give one
    _benchmarks_on_path()
    from calibrate_runtimes import fit_runtimes

    assert "SGLang" not in fit_runtimes(_sglang_llama_rows(2))
    assert "SGLang" in fit_runtimes(_sglang_llama_rows(3))
