"""Free-text search for the site: what a user types ("llama 70b", "8gb", "3090", "m4 max") to one entry, or to a short
list of candidates. Built on the catalog's name index; nothing here ever answers "not found" without candidates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rigfit.catalog import NotFound, find_hardware, find_model, load_hardware, load_models
from rigfit.catalog.resolve import hardware_index, model_index, tokens
from rigfit.catalog.variants import variant_base, variants  # noqa: F401 - the site's search names them
from rigfit.model import Architecture, Hardware

MEMORY = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:gb|gib|g)\b", re.I)


@dataclass
class Side:
    """One side of a search: the entry it names, or the candidates it could mean."""
    text: str
    entry: Architecture | Hardware | None = None
    candidates: list = field(default_factory=list)
    exact: bool = False  # the text is an entry's full name or alias, not a partial match


def _superset(index, text: str) -> list:  # type: ignore[no-untyped-def]
    """Entries whose name holds every word and number of the text ('llama 70b' -> every Llama 70B)."""
    q = tokens(text)
    if not q:
        return []
    out = []
    for ts, e in index.token_sets:
        if q <= ts and e not in out:
            out.append(e)
    return out


def search_model(text: str) -> Side:
    side = Side(text)
    if not text.strip():
        return side
    side.exact = model_index().find_exact(text) is not None
    try:
        side.entry = find_model(text)
        return side
    except NotFound as exc:
        found = _superset(model_index(), text)
        if not found:
            by_name = {m.name: m for m in load_models()}
            found = [by_name[n] for n in exc.suggestions if n in by_name]
    side.candidates = found
    return side


def search_hardware(text: str) -> Side:
    side = Side(text)
    if not text.strip():
        return side
    side.exact = hardware_index().find_exact(text) is not None
    try:
        side.entry = find_hardware(text)
    except (NotFound, ValueError):
        side.entry = None
    mem = MEMORY.search(text)
    rest = MEMORY.sub(" ", text).strip()
    if side.entry is not None:
        if side.exact:
            return side
        # "m4 max" resolves to one configuration; the others are shown to pick from
        side.candidates = list(variants(side.entry))
        return side
    found: list[Hardware] = []
    if mem:
        gib = float(mem.group(1))
        pool = _superset(hardware_index(), rest) if rest else [h for h in load_hardware() if h.kind != "cpu"]
        found = [h for h in pool if abs(h.memory_gib - gib) < 0.5]
    if not found:
        found = _superset(hardware_index(), text)
    if not found:
        by_name = {h.name: h for h in load_hardware()}
        found = [by_name[n] for n in hardware_index().suggest(text) if n in by_name]
    side.candidates = found
    if len(found) == 1:
        side.entry, side.candidates = found[0], []
    return side
