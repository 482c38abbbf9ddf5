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

HMC = "https://hmc-tech.com/gpu/"
# chip -> (GPU clock GHz, source of the clock)
CLOCK_GHZ: dict[str, tuple[float, str]] = {
    "M1": (1.278, HMC + "apple-10-core-m4-vs-apple-24-core-m1-max (M1-family GPU 1278 MHz)"),
    "M1 Pro": (1.278, HMC + "apple-10-core-m4-vs-apple-24-core-m1-max (M1-family GPU 1278 MHz)"),
    "M1 Max": (1.278, HMC + "apple-10-core-m4-vs-apple-24-core-m1-max (24-core M1 Max 1278 MHz, 7.85 TFLOPS)"),
    "M1 Ultra": (1.278, "two M1 Max dies at the M1 Max clock, " + HMC + "apple-10-core-m4-vs-apple-24-core-m1-max"),
    "M2": (1.398, HMC + "apple-30-core-m2-max-vs-apple-48-core-m1-ultra (M2-family GPU 1398 MHz)"),
    "M2 Pro": (1.398, HMC + "apple-30-core-m2-max-vs-apple-48-core-m1-ultra (M2-family GPU 1398 MHz)"),
    "M2 Max": (1.398, HMC + "apple-30-core-m2-max-vs-apple-48-core-m1-ultra (30-core M2 Max 1398 MHz, 10.74 TFLOPS)"),
    "M2 Ultra": (1.398, "Apple: M2 Ultra 76-core GPU 'up to 27.2 teraflops' (https://www.apple.com/mac-pro/) = 1398 MHz"),
    "M3": (1.398, HMC + "apple-8-core-m4-fl-vs-apple-14-core-m3-pro (M3-family GPU 1398 MHz)"),
    "M3 Pro": (1.398, HMC + "apple-8-core-m4-fl-vs-apple-14-core-m3-pro (14-core M3 Pro 1398 MHz, 5.01 TFLOPS)"),
    "M3 Max": (1.398, HMC + "apple-32-core-m4-max-vs-apple-40-core-m3-max (40-core M3 Max 1398 MHz, 14.32 TFLOPS)"),
    "M3 Ultra": (1.398, "two M3 Max dies at the M3 Max clock, " + HMC + "apple-32-core-m4-max-vs-apple-40-core-m3-max"),
    "M4": (1.470, HMC + "apple-10-core-m4-fl-vs-apple-10-core-m4-fl (10-core M4 1470 MHz, 3.76 TFLOPS)"),
    "M4 Pro": (1.470, HMC + "apple-20-core-m4-pro-vs-intel-hd-620-1000mhz (20-core M4 Pro 1470 MHz, 7.53 TFLOPS)"),
    "M4 Max": (1.678, HMC + "apple-32-core-m4-max-vs-apple-40-core-m3-max (32-core M4 Max 1678 MHz, 13.74 TFLOPS)"),
    "M5": (1.740, HMC + "apple-10-core-m4-fl-vs-apple-10-core-m5-fl (10-core M5 1740 MHz, 4.45 TFLOPS)"),
    # No published clock for the M5 Pro / M5 Max GPU: the base M5's clock, as the M1/M2/M3 Pro and Max ran at
    # their base chip's GPU clock (table above). Marked as an assumption in each entry's source.
    "M5 Pro": (1.740, "assumed equal to the M5 GPU clock (no published M5 Pro clock): " + HMC
               + "apple-10-core-m4-fl-vs-apple-10-core-m5-fl (10-core M5 1740 MHz)"),
    "M5 Max": (1.740, "assumed equal to the M5 GPU clock (no published M5 Max clock): " + HMC
               + "apple-10-core-m4-fl-vs-apple-10-core-m5-fl (10-core M5 1740 MHz)"),
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
