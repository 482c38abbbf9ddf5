"""Catalog hardware entries from rows of the Epoch AI "Data on Machine Learning Hardware" table (CC BY 4.0,
https://epoch.ai/data/machine-learning-hardware; a copy lives in ../shared/reference/epoch-ml-hardware.csv).

Memory, bandwidth, dense tensor FP16/BF16, FP8/FP4 and release price come from the row; the row's own datasheet link
is cited next to the dataset. What the table lacks (catalog name, aliases, arch_key, memory type, form factor) is
given per part in PARTS below, from the datasheet the row links.

    python scripts/hardware_from_epoch.py [EPOCH_CSV]      # prints the YAML entries for PARTS
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import yaml

EPOCH_URL = "https://epoch.ai/data/machine-learning-hardware"
DEFAULT_CSV = Path(__file__).resolve().parents[2] / "shared" / "reference" / "epoch-ml-hardware.csv"

# Epoch row name -> catalog fields the table does not carry
PARTS: dict[str, dict[str, Any]] = {
    "NVIDIA GB300": dict(name="GB300", aliases=["NVIDIA GB300", "GB300 NVL72", "Blackwell Ultra GB300"], vendor="nvidia",
                         kind="gpu", architecture="Blackwell Ultra", arch_key="blackwell", chip="GB300",
                         form_factor="datacenter", memory_type="HBM3e"),
    "AMD Instinct MI350X": dict(name="AMD Instinct MI350X", aliases=["Instinct MI350X", "MI350X"], vendor="amd",
                                kind="gpu", architecture="CDNA 4", arch_key="cdna4", chip="MI350X",
                                form_factor="datacenter", memory_type="HBM3E"),
    "NVIDIA HGX H20": dict(name="H20", aliases=["NVIDIA H20", "HGX H20", "H20 96GB"], vendor="nvidia", kind="gpu",
                           architecture="Hopper", arch_key="hopper", chip="GH100", form_factor="datacenter",
                           memory_type="HBM3"),
    "NVIDIA L20 PCle": dict(name="L20", aliases=["NVIDIA L20", "L20 48GB"], vendor="nvidia", kind="gpu",
                            architecture="Ada Lovelace", arch_key="ada", chip="AD102", form_factor="datacenter",
                            memory_type="GDDR6"),
    "NVIDIA H800 SXM5": dict(name="H800 SXM", aliases=["NVIDIA H800", "H800", "H800 SXM5", "H800 80GB"],
                             vendor="nvidia", kind="gpu", architecture="Hopper", arch_key="hopper", chip="GH100",
                             form_factor="datacenter", memory_type="HBM3"),
    "AMD Instinct MI300A": dict(name="AMD Instinct MI300A", aliases=["Instinct MI300A", "MI300A"], vendor="amd",
                                kind="apu", architecture="CDNA 3", arch_key="cdna3", chip="MI300A",
                                form_factor="datacenter", memory_type="HBM3", unified=True),
    "NVIDIA B100": dict(name="B100", aliases=["NVIDIA B100"], vendor="nvidia", kind="gpu", architecture="Blackwell",
                        arch_key="blackwell", chip="GB100", form_factor="datacenter", memory_type="HBM3e"),
    "NVIDIA Tesla V100S PCIe 32 GB": dict(name="V100S 32GB", aliases=["Tesla V100S", "V100S", "V100S PCIe 32GB"],
                                          vendor="nvidia", kind="gpu", architecture="Volta", arch_key="volta",
                                          chip="GV100", form_factor="datacenter", memory_type="HBM2"),
    "NVIDIA Tesla V100 PCIe 32 GB": dict(name="V100 PCIe 32GB", aliases=["Tesla V100 PCIe 32GB"], vendor="nvidia",
                                         kind="gpu", architecture="Volta", arch_key="volta", chip="GV100",
                                         form_factor="datacenter", memory_type="HBM2"),
    "NVIDIA Tesla V100 PCIe 16 GB": dict(name="V100 PCIe 16GB", aliases=["Tesla V100 PCIe 16GB"], vendor="nvidia",
                                         kind="gpu", architecture="Volta", arch_key="volta", chip="GV100",
                                         form_factor="datacenter", memory_type="HBM2"),
}


def _tera(v: str) -> float | None:
    return round(float(v) / 1e12, 1) if v else None


def entry(row: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
    datasheet = row["Link to datasheet"].split()[0] if row["Link to datasheet"] else ""
    mem_gb = float(row["Memory size per board (Byte)"]) / 1e9
    bw = float(row["Memory bandwidth (byte/s)"]) / 1e9
    fp16 = _tera(row["Tensor-FP16/BF16 performance (FLOP/s)"])
    fp8, fp4 = _tera(row["FP8 performance (FLOP/s)"]), _tera(row["FP4 performance (FLOP/s)"])
    price = float(row["Release price (USD)"]) if row["Release price (USD)"] else None
    e: dict[str, Any] = {
        "name": extra["name"], "aliases": extra["aliases"], "vendor": extra["vendor"], "kind": extra["kind"],
        "architecture": extra["architecture"], "arch_key": extra["arch_key"], "chip": extra["chip"],
        "year": int(row["Release date"][:4]), "form_factor": extra["form_factor"], "memory_gib": round(mem_gb, 1),
        "memory_type": extra["memory_type"], "bandwidth_gbs": round(bw, 1), "fp16_tflops": fp16, "bf16_tflops": fp16,
        "fp8_tflops": fp8, "fp4_tflops": fp4, "unified": bool(extra.get("unified", False)), "msrp_usd": price,
        "gpu_cores": None, "cpu_cores": None,
        "sources": {
            "specs": f"Epoch AI ML Hardware dataset (CC BY 4.0, {EPOCH_URL}), row '{row['Hardware name']}': "
                     f"{mem_gb:g} GB, {bw:g} GB/s; datasheet {datasheet}",
            "compute": f"Epoch AI ML Hardware dataset ({EPOCH_URL}), row '{row['Hardware name']}': Tensor-FP16/BF16 "
                       f"{fp16} TFLOPS dense" + (f", FP8 {fp8}" if fp8 else "") + (f", FP4 {fp4}" if fp4 else ""),
            "msrp": (f"Epoch AI ML Hardware dataset ({EPOCH_URL}) release price ${price:,.0f}; price source: "
                     f"{row['Source for the price'].split()[0] if row['Source for the price'] else 'not given'}")
            if price else "none: no release price in the Epoch AI table and no other cited price",
        },
        "notes": f"Generated by scripts/hardware_from_epoch.py from the Epoch AI row '{row['Hardware name']}'. "
                 "memory_gib is the marketed GB figure, as for the other datacenter entries.",
    }
    return e


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_CSV
    rows = {r["Hardware name"]: r for r in csv.DictReader(path.open())}
    out = [entry(rows[name], extra) for name, extra in PARTS.items()]
    text = yaml.safe_dump(out, sort_keys=False, width=200, allow_unicode=True)
    sys.stdout.write("".join("  " + line + "\n" for line in text.splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
