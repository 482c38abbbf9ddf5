"""URL slugs for catalog entries, and their resolution back (with 'did you mean' on a miss)."""

from __future__ import annotations

from functools import lru_cache

from rigfit.catalog import load_hardware, load_models
from rigfit.catalog.resolve import hardware_index, model_index
from rigfit.estimate.commands import slug
from rigfit.model import Architecture, Hardware


@lru_cache(maxsize=1)
def _model_slugs() -> dict[str, Architecture]:
    out: dict[str, Architecture] = {}
    for m in load_models():
        for n in (m.name, *m.aliases):
            out.setdefault(slug(n), m)
    return out


@lru_cache(maxsize=1)
def _hardware_slugs() -> dict[str, Hardware]:
    out: dict[str, Hardware] = {}
    for h in load_hardware():
        for n in (h.name, *h.aliases):
            out.setdefault(slug(n), h)
            out.setdefault(slug(f"{n} {h.memory_gib:g}GB"), h)  # "rtx-3090-24gb", as people link it
    return out


def model_for(s: str) -> Architecture | None:
    return _model_slugs().get(s)


def hardware_for(s: str) -> Hardware | None:
    return _hardware_slugs().get(s)


def split_pair(pair: str) -> tuple[Architecture | None, Hardware | None, str, str]:
    """'{model}-on-{hardware}': the split where both sides resolve, else the most plausible split."""
    parts = pair.split("-on-")
    best = (None, None, pair, "")
    for i in range(1, len(parts)):
        m, h = "-on-".join(parts[:i]), "-on-".join(parts[i:])
        am, ah = model_for(m), hardware_for(h)
        if am and ah:
            return am, ah, m, h
        if best[0] is None and best[1] is None and (am or ah):
            best = (am, ah, m, h)
        elif best == (None, None, pair, ""):
            best = (None, None, m, h)
    return best


def model_suggestions(text: str) -> list[str]:
    return model_index().suggest(text.replace("-", " "))


def hardware_suggestions(text: str) -> list[str]:
    return hardware_index().suggest(text.replace("-", " "))


def pair_url(model: str, hardware: str) -> str:
    return f"/can-run/{slug(model)}-on-{slug(hardware)}"
