"""Issue 11, second verification pass over the verified: false hardware entries: figures read off a vendor table in this
pass are pinned here with the value the vendor prints, so a later edit cannot drift from it unnoticed."""

import pytest

from rigfit.catalog import find_hardware

# NVIDIA Jetson Thor Series Modules datasheet DS-11945-001 v1.5 (as transcribed in public repository notes):
# Jetson T5000 at MAXN: 2070 TFLOPS FP4 sparse and 517 TFLOPS FP8 dense. The catalog carries dense rates:
# FP4 dense = 2070 / 2 = 1035; FP8 dense = 2070 / 4 = 517.5, which the datasheet prints rounded down to 517.
THOR_FP4_SPARSE_TFLOPS = 2070.0
THOR_FP8_DENSE_DATASHEET_TFLOPS = 517.0


def test_jetson_thor_fp8_matches_nvidia_datasheet() -> None:
    hw = find_hardware("Jetson AGX Thor 128GB")
    assert hw.fp4_tflops == pytest.approx(THOR_FP4_SPARSE_TFLOPS / 2)
    assert hw.fp8_tflops == pytest.approx(THOR_FP4_SPARSE_TFLOPS / 4)
    # The datasheet's 517 is the same figure to within its rounding (less than one TFLOPS).
    assert abs(hw.fp8_tflops - THOR_FP8_DENSE_DATASHEET_TFLOPS) < 1.0
