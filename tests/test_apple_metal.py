"""llama.cpp Metal decode on Apple Silicon: what the llama.cpp#4167 table (Llama 2 7B F16 / Q8_0 / Q4_0 tg128 on
every M1-M4 configuration, benchmarks/data/metal_4167.csv) says about the decode model, and the per-generation
constants benchmarks/calibrate_runtimes.py fits from it."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from rigfit.estimate.speed import efficiency
from rigfit.validate import validate_file

DATA = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "speed.csv"
GIB = 2**30


def _tg128() -> dict[str, dict[str, tuple[float, float]]]:
    """hardware -> quant -> (bytes of the model file, seconds per token) for the tg128 rows of metal_4167.csv."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    with (DATA / "metal_4167.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["test"] == "tg128":
                out.setdefault(row["hardware"], {})[row["quant"]] = (
                    float(row["model_size_gib"]) * GIB, 1.0 / float(row["tok_s"]))
    return out


def _bandwidth_and_fixed(rows: dict[str, tuple[float, float]]) -> tuple[float, float]:
    """Two rows (F16, Q4_0) of one chip solved for t = bytes / bw + c: (bw in B/s, c in s)."""
    (b16, t16), (b4, t4) = rows["F16"], rows["Q4_0"]
    bw = (b16 - b4) / (t16 - t4)
    return bw, t4 - b4 / bw


def test_two_term_model_on_the_m2_by_hand():
    # M2 10-core (100 GB/s): F16 6.72 t/s, Q4_0 21.91 t/s (12.55 and 3.56 GiB). bw = (13.4755 - 3.8225) GB /
    # (148.81 - 45.64) ms = 93.56 GB/s; c = 45.64 ms - 3.8225 GB / 93.56 GB/s = 4.79 ms. Q8_0 (6.67 GiB = 7.1619 GB):
    # 76.55 + 4.79 = 81.33 ms = 12.30 t/s, measured 12.21 (+0.7 %).
    rows = _tg128()["Apple M2 10-core GPU 24GB"]
    bw, c = _bandwidth_and_fixed(rows)
    assert bw / 1e9 == pytest.approx(93.56, abs=0.05)
    assert c * 1e3 == pytest.approx(4.79, abs=0.01)
    b8, _ = rows["Q8_0"]
    assert 1.0 / (b8 / bw + c) == pytest.approx(12.30, abs=0.01)


def test_q8_0_follows_from_f16_and_q4_0_on_every_chip():
    # bytes / bandwidth + a fixed cost per token, solved on each chip's F16 and Q4_0 rows, gives its Q8_0 row within
    # 6 % (largest: M1 Ultra 48-core +5.4 %, predicted slower than measured; the rest within 3.5 %): no per-weight
    # dequantization term is needed for Q4_0 or Q8_0 on any M1-M4 GPU in this table
    # 28 configurations, 5 without an F16 row (8-18 GB parts), M2 Ultra 60-core's Q4_0 row is in the shared speed.csv
    chips = {hw: rows for hw, rows in _tg128().items() if {"F16", "Q8_0", "Q4_0"} <= rows.keys()}
    assert len(chips) == 22
    for hw, rows in chips.items():
        bw, c = _bandwidth_and_fixed(rows)
        b8, t8 = rows["Q8_0"]
        assert abs((b8 / bw + c) / t8 - 1.0) < 0.06, hw


def test_fixed_cost_does_not_shrink_with_gpu_cores():
    # A per-weight dequantization cost over the GPU's ALU rate would show as a fixed part that shrinks with the core
    # count. M2 10-core: c = 4.79 ms; M2 Ultra 76-core (7.6x the ALUs at the same clock): F16 41.02, Q4_0 94.27 t/s,
    # bw = 9.6530 GB / (24.378 - 10.608) ms = 701.0 GB/s, c = 10.608 - 5.453 = 5.16 ms: the same per-token cost.
    tg = _tg128()
    _, c_m2 = _bandwidth_and_fixed(tg["Apple M2 10-core GPU 24GB"])
    bw_ultra, c_ultra = _bandwidth_and_fixed(tg["Apple M2 Ultra 76-core GPU 64GB"])
    assert bw_ultra / 1e9 == pytest.approx(701.0, abs=0.5)
    assert c_ultra * 1e3 == pytest.approx(5.16, abs=0.01)
    assert c_ultra > c_m2


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/benchmarks not present")
def test_apple_generation_constants_are_what_calibrate_runtimes_fits():
    # efficiency.yaml's Metal/apple_m1..m5 decode constants are reproducible from the shared rows plus the calibration
    # split of benchmarks/data, and the per-layer cost never grows from one generation to the next
    if str(DATA.parent) not in sys.path:
        sys.path.insert(0, str(DATA.parent))
    from calibrate_runtimes import APPLE_GENERATIONS, data_rows, fit_metal_generations, held_out

    rows = [r for r in data_rows(sorted(DATA.glob("*.csv"))) if not held_out(r[2])] + data_rows([SHARED])
    fitted = fit_metal_generations(rows)
    for gen in APPLE_GENERATIONS:
        stored = efficiency("Metal", gen)
        got = fitted[f"Metal/{gen}"]
        assert (got["decode_bw"], got["layer_us"], got["attn_eff"], got["prefill_mfu"], got["dequant_prefill"]) == (
            stored.decode_bw, stored.layer_us, stored.attn_eff, stored.prefill_mfu, stored.dequant_prefill), gen
    layer = [fitted[f"Metal/{g}"]["layer_us"] for g in APPLE_GENERATIONS]
    assert layer == sorted(layer, reverse=True)


def test_prefill_dequantization_cost_shrinks_from_m1_to_m4():
    # #4167 pp512, Q4_0 / F16 on one chip: M1 Pro 16-core 266.25 / 302.14 = 0.881, M2 Pro 19-core 341.19 / 384.38
    # = 0.888, M3 Max 40-core 759.70 / 779.17 = 0.975, M4 Pro 20-core 439.78 / 464.48 = 0.947 (F16 also streams 3.5x
    # the weight bytes per ubatch, so the compute ratio is lower still). The fitted per-generation factor is ordered
    # the same way: M1 and M2 pay ~20 % for dequantizing tiles, M3 and M4 ~6 %.
    rows = {}
    with (DATA / "metal_4167.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["test"] == "pp512":
                rows[(row["hardware"], row["quant"])] = float(row["tok_s"])
    ratio = {hw: round(rows[(hw, "Q4_0")] / rows[(hw, "F16")], 3) for hw in (
        "Apple M1 Pro 16-core GPU 32GB", "Apple M2 Pro 19-core GPU 32GB", "Apple M3 Max 40-core GPU 48GB",
        "Apple M4 Pro 20-core GPU 24GB")}
    assert list(ratio.values()) == [0.881, 0.888, 0.975, 0.947]
    dq = [efficiency("Metal", f"apple_m{g}").dequant_prefill for g in range(1, 5)]
    assert dq == sorted(dq) and dq[0] < 0.8 < 0.9 < dq[2]


def test_held_out_4167_decode_rows_within_12_percent():
    # the #4167 chips on the held-out side of calibrate_runtimes.py's split are predictions: every one within 12 %
    if str(DATA.parent) not in sys.path:
        sys.path.insert(0, str(DATA.parent))
    from calibrate_runtimes import held_out

    with (DATA / "metal_4167.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    results = [r for r in validate_file(DATA / "metal_4167.csv") if r.kind == "decode" and held_out(rows[r.line - 2])]
    assert len(results) >= 20
    assert max(abs(r.pct_error) for r in results) < 12.0
