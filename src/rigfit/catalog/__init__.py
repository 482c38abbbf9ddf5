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
    """A catalog device; '2x RTX 3090' gives two of them (a name that is itself in the catalog wins)."""
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
