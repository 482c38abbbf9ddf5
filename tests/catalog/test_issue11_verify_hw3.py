"""Issue 11, third verification pass over the verified: false hardware entries: each figure confirmed in this pass is
pinned here with the value its source prints."""

import pytest

from rigfit.catalog import find_hardware


# Orange Pi's own build system, orangepi-xunlong/orangepi-build@f11df9bf scripts/main.sh: "orangepi5 - Rockchip RK3588S
# octa core 4-16GB RAM"; rockchip64_common.inc boots it with rk3588_ddr_lp4_2112MHz_...bin, i.e. LPDDR4/4X at
# 2 x 2112 MHz = 4224 MT/s on the RK3588S's 4 x 16-bit channels: 64 x 4224 / 8 = 33,792 MB/s.
def test_orange_pi_5_16gb_matches_orange_pi_build_tree() -> None:
    hw = find_hardware("Orange Pi 5 16GB")
    assert hw.verified
    assert hw.memory_gib == 16
    assert hw.bandwidth_gbs == pytest.approx(64 * 2 * 2112 / 8 / 1000)


# Linux-Hardware.org dmidecode probes (linuxhw/DMI@57b21bc6): an ASUS Zenbook S 16 UM5606WA (Ryzen AI 9 HX 370) and an
# HP OmniBook Ultra 14-fd0xxx (Ryzen AI 9 365) each read four 32-bit, 8 GB LPDDR5(X) devices at 7500 MT/s:
# 4 x 8 = 32 GB on 4 x 32 = 128 bit, 128 x 7500 / 8 = 120,000 MB/s.
@pytest.mark.parametrize("name", ["AMD Ryzen AI 9 HX 370 32GB", "AMD Ryzen AI 9 365 32GB"])
def test_strix_point_laptop_memory_matches_dmidecode_probe(name: str) -> None:
    hw = find_hardware(name)
    assert hw.verified
    assert hw.memory_gib == 4 * 8
    assert hw.bandwidth_gbs == pytest.approx(4 * 32 * 7500 / 8 / 1000)
