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
