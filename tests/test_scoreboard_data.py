"""benchmarks/data/llamacpp_scoreboard.csv: the llama.cpp CUDA / ROCm / Vulkan scoreboard rows (Llama 2 7B Q4_0,
pp512 and tg128), and the Vulkan generation keys calibrate_runtimes.py fits on their calibration side."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

import pytest

from rigfit.estimate.speed import efficiency
from rigfit.validate import validate_file

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
SCOREBOARD = DATA / "llamacpp_scoreboard.csv"


def _rows() -> list[dict[str, str]]:
    return list(csv.DictReader(SCOREBOARD.open(encoding="utf-8")))


def test_scoreboard_rows_by_backend():
    # 28 CUDA entries (27 GPUs, the V100 with fa 0 and 1), 16 ROCm, 19 Vulkan: one pp512 and one tg128 row each
    assert Counter(r["backend"] for r in _rows()) == {"CUDA": 56, "ROCm": 32, "Vulkan": 38}
    assert {(r["model"], r["quant"]) for r in _rows()} == {("Llama 2 7B", "Q4_0")}
    assert Counter(r["test"] for r in _rows()) == {"pp512": 63, "tg128": 63}


def test_scoreboard_rows_state_flash_attention_and_quote_their_figure():
    for r in _rows():
        assert ("fa=0" in r["notes"]) != ("fa=1" in r["notes"]), r["notes"][:80]
        assert f"figure: {r['test']} {r['tok_s']}" in r["notes"]


def test_scoreboard_memory_rows_match_the_printed_size():
    # llama-bench printed 3.56 GiB for llama-2-7b.Q4_0.gguf; rigfit's Q4_0 weights for Llama 2 7B within 0.5 %
    memory = [r for r in validate_file(SCOREBOARD) if r.kind == "memory"]
    assert len(memory) == 126 and max(abs(r.pct_error) for r in memory) < 0.5


def test_vulkan_rdna_constants_are_what_calibrate_runtimes_fits():
    # efficiency.yaml's Vulkan/rdna3 and Vulkan/rdna4 entries are reproducible from the calibration split
    sys.path.insert(0, str(DATA.parent))
    from calibrate_runtimes import data_rows, fit_llamacpp_generations, held_out

    rows = [r for r in data_rows(sorted(DATA.glob("*.csv"))) if not held_out(r[2])]
    fitted = fit_llamacpp_generations(rows)
    for gen in ("rdna3", "rdna4"):
        stored = efficiency("Vulkan", gen)
        got = fitted[f"Vulkan/{gen}"]
        assert (got["layer_us"], got["prefill_mfu"], got["decode_bw"]) == (
            stored.layer_us, stored.prefill_mfu, stored.decode_bw)
        assert got["decode_bw"] == efficiency("Vulkan").decode_bw  # the generic Vulkan bandwidth efficiency is kept


@pytest.mark.parametrize("gen", ["rdna3", "rdna4"])
def test_discrete_rdna_vulkan_prefill_runs_on_the_matrix_units(gen):
    # discrete RDNA3/RDNA4 run llama.cpp's Vulkan matmuls through KHR_coopmat on WMMA: their MFU is above the generic
    # Vulkan one, fitted on RDNA1/RDNA2 cards without matrix units and the Strix Halo APU (fitted: RDNA3 0.388,
    # RDNA4 ~0.45 against the generic 0.194)
    assert efficiency("Vulkan", gen).prefill_mfu > 1.5 * efficiency("Vulkan").prefill_mfu
