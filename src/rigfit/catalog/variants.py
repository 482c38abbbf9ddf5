"""Configurations of one product: the memory sizes and core counts a chip or card is sold in ('Apple M4 Max' comes
as 32-core GPU 36GB and 40-core GPU 48/64/128GB). A name that stops at the product picks one of them, and every
interface then names the others (query.resolved_from, the pair page)."""

from __future__ import annotations

import re
from functools import lru_cache

from rigfit.catalog import load_hardware
from rigfit.model import Hardware

CORE_COUNT = re.compile(r"\s*\d+-core (?:CPU|GPU)", re.I)
MEMORY_SUFFIX = re.compile(r"\s*\d+\s*GB$", re.I)


def variant_base(h: Hardware) -> tuple[str, str]:
    """'Apple M4 Max 40-core GPU 128GB' -> ('apple', 'Apple M4 Max'): the product without its configuration."""
    return h.vendor, MEMORY_SUFFIX.sub("", CORE_COUNT.sub("", h.name)).strip()


@lru_cache(maxsize=1)
def _variant_groups() -> dict[tuple[str, str], tuple[Hardware, ...]]:
    groups: dict[tuple[str, str], list[Hardware]] = {}
    for h in load_hardware():
        groups.setdefault(variant_base(h), []).append(h)
    return {k: tuple(sorted(v, key=lambda h: (h.memory_gib, h.name))) for k, v in groups.items()}


def variants(h: Hardware) -> tuple[Hardware, ...]:
    """The memory and core-count configurations of the same product (empty when it comes in one)."""
    group = _variant_groups().get(variant_base(h), ())
    return group if len(group) > 1 else ()
