"""FP16 TFLOPS of an Apple Silicon GPU from its GPU cores, GPU clock and the per-generation FP16 rate per core.

Build-time helper for src/rigfit/catalog/data/hardware/apple.yaml (standard library only). Every Apple entry's
fp16_tflops and sources.compute were written by `--apply`:

    fp16 = GPU cores x GPU clock x FP16 FLOP/clock/core

FLOP/clock/core: each Apple GPU core (M1..M5) has 128 FP32 ALUs issuing one FMA (2 FLOP) per clock, and the FP16
rate equals the FP32 rate (Apple G13-G17 GPUs execute FP16 on the same ALUs, no packed double rate): 256.
M5 adds a "Neural Accelerator" per GPU core (Apple newsroom, 2025-10-15: "over 4x peak GPU compute for AI" vs M4)
but Apple publishes no matrix rate for it, so M5-family figures are the vector rate, a lower bound for prefill.

The clock is per chip (the Pro/Max/Ultra of a generation can run the GPU faster than the base chip); each comes
with its source. Checks: Apple's own figures -- M1 8-core "2.6 teraflops" (Apple newsroom 2020-11-10), M1 Max
32-core "10.4 teraflops" (Apple newsroom 2021-10-18), M2 Ultra 76-core "27.2 teraflops" (apple.com/mac-pro).

Usage:  python scripts/derive_apple_tflops.py CHIP GPU_CORES
        python scripts/derive_apple_tflops.py --check
        python scripts/derive_apple_tflops.py --apply      # rewrite apple.yaml fp16_tflops + sources.compute
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

FP16_FLOP_PER_CORE_CLK = 256  # 128 FP32 ALUs x FMA; FP16 at the FP32 rate (M1..M5)

# GPU clocks. Apple publishes none; these are the most direct public figures found, each cited:
# - M1 / M2: philipturner/applegpuinfo, the GPU table of its AppleGPUInfo.swift (M1 1.278 GHz; M2 1.398 GHz),
#   cross-checked against Apple's own TFLOPS (CHECKS below, within 2%).
# - M4: measured. Eclectic Light (hoakley), "M4 Pro full on" (2025-01-22): Mac mini M4 Pro 20-core GPU under
#   Blender "at its maximum frequency of 1,578 MHz" (powermetrics). One clock per generation: the base M4 and the
#   M4 Max share the M4 Pro's GPU design, so 1.578 GHz for the whole family (the earlier per-chip figures --
#   1.470 / 1.678 GHz from a GPU-comparison aggregator -- disagreed with this measurement and are dropped).
# - M3 and M5: no measured clock in a public primary source found. M3 takes the M2 clock (applegpuinfo itself
#   uses 1.398 GHz for every generation after M1); M5 takes the measured M4 clock as a lower bound. Both are
#   marked as assumptions in each entry's source.
APPLEGPUINFO = ("https://github.com/philipturner/applegpuinfo/blob/19055ad90a102c1decebad0acb2f908b7190d1f1/"
                "Sources/AppleGPUInfo/AppleGPUInfo.swift")
ECLECTIC_M4 = ("https://eclecticlight.co/2025/01/22/m4-pro-full-on-when-cpu-and-gpu-draw-over-50-w-and-how-low-power-"
               "mode-changes-that/ (Mac mini M4 Pro 20-core GPU at its maximum frequency of 1,578 MHz, powermetrics)")
_M1 = (1.278, APPLEGPUINFO + " (M1: 1.278e9 Hz); Apple: M1 8-core '2.6 teraflops', M1 Max 32-core '10.4 teraflops'")
_M2 = (1.398, APPLEGPUINFO + " (M2: 1.398e9 Hz); Apple: M2 Ultra 76-core 'up to 27.2 teraflops' "
              "(https://www.apple.com/mac-pro/) = 1.398 GHz")
_M3 = (1.398, "assumption: no published M3-family GPU clock; the M2 clock, as " + APPLEGPUINFO
              + " uses 1.398e9 Hz for every generation after M1")
_M4 = (1.578, "measured: " + ECLECTIC_M4 + "; one clock for the M4 family (same GPU generation)")
_M5 = (1.578, "assumption, lower bound: no published M5-family GPU clock; the measured M4-family clock, "
              + ECLECTIC_M4)
# chip -> (GPU clock GHz, source of the clock)
CLOCK_GHZ: dict[str, tuple[float, str]] = {
    "M1": _M1, "M1 Pro": _M1, "M1 Max": _M1, "M1 Ultra": _M1,
    "M2": _M2, "M2 Pro": _M2, "M2 Max": _M2, "M2 Ultra": _M2,
    "M3": _M3, "M3 Pro": _M3, "M3 Max": _M3, "M3 Ultra": _M3,
    "M4": _M4, "M4 Pro": _M4, "M4 Max": _M4,
    "M5": _M5, "M5 Pro": _M5, "M5 Max": _M5,
}

# (chip, GPU cores, Apple-published TFLOPS, source)
CHECKS = [
    ("M1", 8, 2.6, "Apple newsroom 2020-11-10, M1 '2.6 teraflops'"),
    ("M1 Max", 32, 10.4, "Apple newsroom 2021-10-18, M1 Max '10.4 teraflops'"),
    ("M2 Ultra", 76, 27.2, "https://www.apple.com/mac-pro/ M2 Ultra 'up to 27.2 teraflops'"),
]


def derive(chip: str, gpu_cores: int) -> float:
    ghz, _ = CLOCK_GHZ[chip]
    return round(gpu_cores * ghz * 1e9 * FP16_FLOP_PER_CORE_CLK / 1e12, 2)


def source_text(chip: str, gpu_cores: int) -> str:
    ghz, src = CLOCK_GHZ[chip]
    return (f"derivation: scripts/derive_apple_tflops.py: {gpu_cores} GPU cores x {ghz:.3f} GHz x "
            f"{FP16_FLOP_PER_CORE_CLK} FP16 FLOP/clk/core (128 FP32 ALUs x FMA; FP16 at the FP32 rate) = "
            f"{derive(chip, gpu_cores):.2f} TFLOPS. Clock: {src}")


def check() -> bool:
    ok = True
    for chip, cores, want, source in CHECKS:
        got = derive(chip, cores)
        good = abs(got - want) <= 0.02 * want
        ok &= good
        print(f"{'ok ' if good else 'BAD'} {source}: {got} (published {want})")
    return ok


def apply(path: Path) -> int:
    """Rewrite each entry's fp16_tflops and sources.compute in place (text edit: comments and order stay)."""
    text = path.read_text()
    blocks = re.split(r"(?m)^(?=  - name: )", text)
    n = 0
    for i, b in enumerate(blocks):
        chip = re.search(r'(?m)^    chip: "([^"]+)"', b)
        cores = re.search(r"(?m)^    gpu_cores: (\d+)", b)
        if not (chip and cores):
            continue
        c, k = chip.group(1), int(cores.group(1))
        b = re.sub(r"(?m)^    fp16_tflops: .*$", f"    fp16_tflops: {derive(c, k)}", b)
        b = re.sub(r'(?m)^      compute: .*$', '      compute: "' + source_text(c, k).replace('"', "'") + '"', b)
        blocks[i] = b
        n += 1
    path.write_text("".join(blocks))
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("chip", nargs="?")
    ap.add_argument("gpu_cores", nargs="?", type=int)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--apply", action="store_true")
    a = ap.parse_args()
    if a.check:
        return 0 if check() else 1
    if a.apply:
        path = Path(__file__).resolve().parents[1] / "src/rigfit/catalog/data/hardware/apple.yaml"
        print(f"updated {apply(path)} entries")
        return 0
    if not a.chip or not a.gpu_cores:
        ap.error("CHIP and GPU_CORES, or --check / --apply")
    print(f"fp16 {derive(a.chip, a.gpu_cores)}  ({source_text(a.chip, a.gpu_cores)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
