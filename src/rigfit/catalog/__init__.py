"""Catalogs of models, hardware and quantizations, and name resolution over them."""

from __future__ import annotations

import re

from rigfit.catalog.loader import CatalogError, load_hardware, load_models, load_quants
from rigfit.catalog.resolve import NotFound, hardware_index, model_index, quant_index
from rigfit.model import Architecture, Hardware, Quant

__all__ = [
    "CatalogError",
    "NotFound",
    "find_hardware",
    "find_model",
    "find_quant",
    "load_hardware",
    "load_models",
    "load_quants",
]


def find_model(name: str) -> Architecture:
    return model_index().find(name)


_COUNT = re.compile(r"^\s*(\d{1,2})\s*[x×*]\s+(.+)$", re.I)


def find_hardware(name: str) -> Hardware:
    """A catalog device; '2x RTX 3090' gives two of them, 'RTX 3090 + RTX 4090' a mixed pair (a name that is itself
    in the catalog wins)."""
    if "+" in name and hardware_index().find_exact(name) is None:
        parts = [p.strip() for p in re.split(r"\s\+\s", name) if p.strip()]
        if len(parts) > 1:
            return combine_devices([find_hardware(p) for p in parts])
    m = _COUNT.match(name)
    if not m:
        return hardware_index().find(name)
    exact = hardware_index().find_exact(name)
    if exact is not None:
        return exact
    count = int(m.group(1))
    if count < 1:
        raise ValueError("device count must be at least 1")
    return hardware_index().find(m.group(2)).with_count(count)


def find_quant(name: str) -> Quant:
    return quant_index().find(name)


def combine_devices(devices: list[Hardware]) -> Hardware:
    """Different GPUs in one llama.cpp layer split, as an equivalent group of identical devices.

    Layers are split in proportion to memory, and the devices run one after another, so a token's time is
    Σ share_i / rate_i: the group's bandwidth and compute are the memory-weighted harmonic means.
    """
    from dataclasses import replace

    units = [d for d in devices for _ in range(d.count)]
    total_mem = sum(d.memory_gib for d in units)
    share = [d.memory_gib / total_mem for d in units]

    def harmonic(values: list[float | None]) -> float | None:
        if any(v is None or v <= 0 for v in values):
            return None
        return 1.0 / sum(s / v for s, v in zip(share, values))  # type: ignore[operator]

    first = units[0]
    vendors = {d.vendor for d in units}
    return replace(
        first,
        name=" + ".join(d.name for d in devices),
        memory_gib=total_mem / len(units),
        bandwidth_gbs=harmonic([d.bandwidth_gbs for d in units]) or first.bandwidth_gbs,
        read_bandwidth_gbs=(harmonic([d.read_bandwidth_gbs or d.bandwidth_gbs for d in units])
                            if any(d.read_bandwidth_gbs for d in units) else None),
        fp16_tflops=harmonic([d.fp16_tflops for d in units]),
        bf16_tflops=harmonic([d.bf16_tflops for d in units]),
        fp8_tflops=harmonic([d.fp8_tflops for d in units]),
        fp4_tflops=harmonic([d.fp4_tflops for d in units]),
        vendor=first.vendor if len(vendors) == 1 else "mixed",
        msrp_usd=sum(d.msrp_usd for d in units) if all(d.msrp_usd for d in units) else None,
        aliases=(),
        count=len(units),
        notes="mixed devices: memory-weighted harmonic means of bandwidth and compute (layer split)",
    )
