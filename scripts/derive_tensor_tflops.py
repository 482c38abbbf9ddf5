"""Dense tensor-core TFLOPS of an NVIDIA GeForce / RTX workstation GPU from its tensor cores and boost clock.

Build-time helper for src/rigfit/catalog/data/hardware/nvidia.yaml (standard library only). Entries whose
sources.compute says "derivation: scripts/derive_tensor_tflops.py" were computed with it:

    fp16 = tensor cores x boost clock x FP16 FLOP/clock/tensor core        (dense, FP16 accumulate)
    bf16 = BF16 with FP32 accumulate: half of fp16 on GeForce parts, equal on workstation parts
    fp8  = FP8 with FP32 accumulate:  equal to fp16 on GeForce parts, 2 x fp16 on workstation parts (Ada, Blackwell)
    fp4  = FP4 with FP32 accumulate:  4 x fp16 (Blackwell only; not halved on GeForce)

FLOP/clock/tensor core (dense FP16): Turing 128, Ampere GA10x 256, Ada 256, Blackwell GB20x 256. Tensor cores are
4 per SM (Turing: 8 per SM of 64 CUDA cores), i.e. CUDA cores / 8 on Turing and CUDA cores / 32 from Ampere on.
Turing has no BF16 or FP8, Ampere no FP8. The ratios are NVIDIA's whitepaper tables (Turing, GA102, Ada v2.02,
RTX Blackwell Appendix A); `--check` reproduces the figures printed there.

Usage:  python scripts/derive_tensor_tflops.py ARCH TENSOR_CORES BOOST_MHZ [--workstation]
        python scripts/derive_tensor_tflops.py --check
"""

from __future__ import annotations

import argparse

FP16_FLOP_PER_TC_CLK = {"turing": 128, "ampere": 256, "ada": 256, "blackwell": 256}

# (arch, tensor cores, boost MHz, workstation, published dense figures {kind: TFLOPS}, source)
CHECKS = [
    ("turing", 544, 1635, False, {"fp16": 113.8}, "Turing whitepaper, RTX 2080 Ti Founders Edition"),
    ("turing", 576, 1770, True, {"fp16": 130.5}, "Quadro RTX 8000 datasheet (130.5 tensor TFLOPS)"),
    ("ampere", 328, 1695, False, {"fp16": 142.3, "bf16": 71.2}, "GA102 whitepaper, RTX 3090"),
    ("ampere", 272, 1710, False, {"fp16": 119.1, "bf16": 59.5}, "GA102 whitepaper, RTX 3080"),
    ("ampere", 336, 1800, True, {"fp16": 154.8, "bf16": 154.8}, "GA102 whitepaper, RTX A6000"),
    ("ada", 512, 2520, False, {"fp16": 330.3, "bf16": 165.2, "fp8": 330.3}, "Ada whitepaper v2.02, RTX 4090"),
    ("ada", 568, 2505, True, {"fp16": 364.2, "fp8": 728.5}, "Ada whitepaper, RTX 6000 Ada (1457 sparse FP8)"),
    ("blackwell", 680, 2407, False, {"fp16": 419.0, "bf16": 209.5, "fp8": 419.0, "fp4": 1676.0},
     "RTX Blackwell whitepaper Appendix A, RTX 5090"),
]


def derive(arch: str, tensor_cores: int, boost_mhz: float, workstation: bool = False) -> dict[str, float | None]:
    fp16 = tensor_cores * boost_mhz * 1e6 * FP16_FLOP_PER_TC_CLK[arch] / 1e12
    has_bf16 = arch != "turing"
    has_fp8 = arch in ("ada", "blackwell")
    return {
        "fp16": round(fp16, 1),
        "bf16": round(fp16 if workstation else fp16 / 2, 1) if has_bf16 else None,
        "fp8": round(2 * fp16 if workstation else fp16, 1) if has_fp8 else None,
        "fp4": round(4 * fp16, 1) if arch == "blackwell" else None,
    }


def check() -> bool:
    ok = True
    for arch, tc, mhz, ws, published, source in CHECKS:
        got = derive(arch, tc, mhz, ws)
        for kind, want in published.items():
            good = abs(got[kind] - want) <= 0.1 + 0.001 * want
            ok &= good
            print(f"{'ok ' if good else 'BAD'} {source}: {kind} {got[kind]} (published {want})")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("arch", nargs="?", choices=sorted(FP16_FLOP_PER_TC_CLK))
    ap.add_argument("tensor_cores", nargs="?", type=int)
    ap.add_argument("boost_mhz", nargs="?", type=float)
    ap.add_argument("--workstation", action="store_true", help="full-rate FP32 accumulate (RTX A / Ada / PRO parts)")
    ap.add_argument("--check", action="store_true", help="reproduce NVIDIA's published figures")
    a = ap.parse_args()
    if a.check:
        raise SystemExit(0 if check() else 1)
    if a.arch is None or a.tensor_cores is None or a.boost_mhz is None:
        ap.error("ARCH TENSOR_CORES BOOST_MHZ are required (or --check)")
    print(derive(a.arch, a.tensor_cores, a.boost_mhz, a.workstation))


if __name__ == "__main__":
    main()
