"""Issue 11 verification pass: entries confirmed against a vendor page carry the vendor's figures and no longer say
verified: false; entries still waiting on a vendor figure keep the flag and name the missing figure in their notes."""

import pytest

from rigfit.catalog import find_hardware

# (entry, memory GiB, bandwidth GB/s, GPU cores), each hand-read from Apple's tech-specs pages as transcribed per
# configuration in rlindsey2/sunkcost@660d14ed data/hardware.json:
#   Mac Studio: M5 Max 18-core CPU / 32-core GPU, 36GB, 460GB/s (apple.com/mac-studio/specs)
#   Mac mini:   M5 Pro 15-core CPU / 16-core GPU, 24GB, 307GB/s (apple.com/mac-mini/specs)
VENDOR_CONFIRMED = [
    ("Apple M5 Max 32-core GPU 36GB", 36, 460.0, 32),
    ("Apple M5 Pro 16-core GPU 24GB", 24, 307.0, 16),
]


@pytest.mark.parametrize(("name", "memory_gib", "bandwidth_gbs", "gpu_cores"), VENDOR_CONFIRMED,
                         ids=[v[0] for v in VENDOR_CONFIRMED])
def test_vendor_confirmed_entries(name: str, memory_gib: int, bandwidth_gbs: float, gpu_cores: int) -> None:
    hw = find_hardware(name)
    assert hw.verified
    assert hw.memory_gib == memory_gib
    assert hw.bandwidth_gbs == pytest.approx(bandwidth_gbs)
    assert hw.gpu_cores == gpu_cores
