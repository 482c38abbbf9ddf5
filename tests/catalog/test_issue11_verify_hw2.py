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


def _tflops(cores: float, ghz: float, flop_per_cycle: int) -> float:
    return cores * ghz * flop_per_cycle / 1000


# Intel ARK, Core Ultra 9 285K (scraped in JosuaCarl/cpu-spec-dataset@edf12ad dataset/intel-cpus.csv, row 241060):
# DDR5 up to 6400 MT/s on 2 channels; 8 P-cores at 3.7 GHz base, 16 E-cores at 3.2 GHz base.
# Bandwidth 2 x 64 bit x 6400 MT/s / 8 = 102.4 GB/s; FP32 FMA peak (8 x 3.7 + 16 x 3.2) x 32 = 2585.6 GFLOPS.
def test_core_ultra_9_285k_matches_intel_ark() -> None:
    hw = find_hardware("Core Ultra 9 285K DDR5-6400 2ch 64GB")
    assert hw.verified
    assert hw.bandwidth_gbs == pytest.approx(2 * 64 * 6400 / 8 / 1000)
    assert hw.fp16_tflops == pytest.approx(_tflops(8, 3.7, 32) + _tflops(16, 3.2, 32), abs=0.001)


# Intel ARK, Core Ultra 9 288V (same scrape, row 240961): Max Memory Size 32 GB (on package), LPDDR5X up to 8533 MT/s,
# P-core and LP E-core base 3.3 GHz. FP32 FMA peak 8 x 3.3 x 32 = 844.8 GFLOPS (was 0.563 from the 258V's 2.2 GHz).
def test_core_ultra_9_288v_uses_intel_ark_base_clock() -> None:
    hw = find_hardware("CPU: Intel Core Ultra 9 288V (LPDDR5X-8533)")
    assert hw.verified
    assert hw.memory_gib == 32
    assert hw.fp16_tflops == pytest.approx(_tflops(8, 3.3, 32), abs=0.001)
    assert hw.bandwidth_gbs == pytest.approx(128 * 8533 / 8 / 1000, abs=0.05)


# AMD specification table (exported in JosuaCarl/cpu-spec-dataset@edf12ad dataset/amd-cpus.csv): Ryzen AI Max 385 and 390
# both carry a Radeon 8050S with 32 graphics cores at 2800 MHz; 32 CU x 512 FLOP/clk x 2.8 GHz = 45.875 TFLOPS FP16.
@pytest.mark.parametrize("name", ["AMD Ryzen AI Max 385 32GB", "AMD Ryzen AI Max 385 64GB",
                                  "AMD Ryzen AI Max 390 64GB", "AMD Ryzen AI Max 390 128GB"])
def test_radeon_8050s_rate_matches_amd_table(name: str) -> None:
    hw = find_hardware(name)
    assert hw.fp16_tflops == pytest.approx(32 * 512 * 2.8 / 1000, abs=0.01)


def test_ryzen_ai_max_385_32gb_is_vendor_confirmed() -> None:
    # Memory size from Framework's configurator (entry notes), GPU clock from AMD's table: nothing left unconfirmed.
    hw = find_hardware("AMD Ryzen AI Max 385 32GB")
    assert hw.verified
    assert hw.memory_gib == 32
    assert hw.bandwidth_gbs == pytest.approx(256 * 8000 / 8 / 1000)


# AMD specification-table rows (DanchuBorchik/hardware-dashboard@36f576f js/data/amd-cpu-specs.json, imported from AMD's
# CSV export): Threadripper 9000 base clocks. Zen 5 FP32 FMA peak = cores x base GHz x 64 FLOP/cycle.
#   9980X 64 x 3.2 = 13.107; 9970X 32 x 4.0 = 8.192; 9960X 24 x 4.2 = 6.451; PRO 9985WX 64 x 3.2 = 13.107;
#   PRO 9995WX 96 x 2.5 = 15.36. The DDR5-6400 rate is not in those rows, so the entries stay unverified.
THREADRIPPER_BASE = [
    ("Threadripper 9980X DDR5-6400 4ch 256GB", 64, 3.2),
    ("Threadripper 9970X DDR5-6400 4ch 256GB", 32, 4.0),
    ("Threadripper 9960X DDR5-6400 4ch 128GB", 24, 4.2),
    ("Threadripper PRO 9985WX DDR5-6400 8ch 512GB", 64, 3.2),
    ("Threadripper PRO 9995WX DDR5-6400 8ch 512GB", 96, 2.5),
]


@pytest.mark.parametrize(("name", "cores", "base_ghz"), THREADRIPPER_BASE, ids=[t[0] for t in THREADRIPPER_BASE])
def test_threadripper_9000_compute_uses_amd_base_clock(name: str, cores: int, base_ghz: float) -> None:
    hw = find_hardware(name)
    assert hw.cpu_cores == cores
    assert hw.fp16_tflops == pytest.approx(_tflops(cores, base_ghz, 64), abs=0.001)
    assert not hw.verified  # DDR5-6400 still unconfirmed by an AMD table


# Same AMD table: EPYC 9755 base 2.7 GHz, 128 cores -> 128 x 2.7 x 64 = 22.118 TFLOPS; the memory system was already AMD's.
def test_epyc_9755_base_clock_confirmed() -> None:
    hw = find_hardware("EPYC 9755 DDR5-6000 12ch 768GB")
    assert hw.verified
    assert hw.fp16_tflops == pytest.approx(_tflops(128, 2.7, 64), abs=0.001)
    assert hw.bandwidth_gbs == pytest.approx(12 * 64 * 6000 / 8 / 1000)
