"""Find catalog entries by the names people type: case- and punctuation-insensitive, aliases, partial names."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, Iterable, TypeVar

T = TypeVar("T")

# Words people add that never tell two catalog entries apart.
NOISE_WORDS = frozenset({"nvidia", "geforce", "amd", "radeon", "intel", "apple", "the", "gpu", "instruct", "it", "chat", "hf"})


class NotFound(LookupError):
    """No catalog entry matches; carries the closest names for a 'did you mean' line."""

    def __init__(self, kind: str, query: str, suggestions: list[str]):
        self.kind = kind
        self.query = query
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown {kind} {query!r}.{hint}")


def normalize(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def tokens(text: str) -> frozenset[str]:
    return frozenset(t for t in re.findall(r"[a-z]+|\d+(?:\.\d+)?", text.lower().replace("+", " plus ")) if t not in NOISE_WORDS)


def _numbers(ts: frozenset[str]) -> frozenset[str]:
    return frozenset(t for t in ts if t[0].isdigit())


def _memory_suffixes(name: str) -> list[str]:
    """'Apple M2 Ultra 76-core GPU 192GB' is also asked for without its memory size."""
    stripped = re.sub(r"\s*\(?\d+\s*GB\)?\s*$", "", name, flags=re.I)
    return [stripped] if stripped != name else []


@dataclass
class Index(Generic[T]):
    kind: str
    entries: tuple[T, ...]
    exact: dict[str, T]
    loose: dict[str, T]
    token_sets: list[tuple[frozenset[str], T]]
    display: dict[str, str]
    strict_numbers: bool = False  # models: every number in the query (a size, a version) must be in the entry

    def find_exact(self, query: str) -> T | None:
        """Only a full name or alias (any case and punctuation), no partial matching."""
        key = normalize(query)
        return self.exact.get(key) or self.loose.get(key)

    def find(self, query: str) -> T:
        key = normalize(query)
        if not key:
            raise NotFound(self.kind, query, [])
        for table in (self.exact, self.loose):
            if key in table:
                return table[key]
        stripped = normalize(" ".join(w for w in re.split(r"\s+", query) if w.lower() not in NOISE_WORDS))
        for table in (self.exact, self.loose):
            if stripped in table:
                return table[stripped]
        q = tokens(query)
        if q:
            matches = [(len(ts - q), i, e) for i, (ts, e) in enumerate(self.token_sets) if q <= ts]
            if matches:
                matches.sort(key=lambda m: (m[0], m[1]))
                best = matches[0]
                tied = {id(m[2]) for m in matches if m[0] == best[0]}
                if len(tied) == 1:
                    return best[2]
                raise NotFound(self.kind, query, self._names([m[2] for m in matches if m[0] == best[0]])[:3])
            # The query names an entry plus details the catalog does not split on ("Radeon 8060S", "Instruct
            # abliterated"): the entry with the most of its name inside the query wins, when only one does.
            inside = [(len(ts), i, e) for i, (ts, e) in enumerate(self.token_sets) if ts and ts <= q and len(ts) >= 2
                      and (not self.strict_numbers or _numbers(q) <= ts)]
            if inside:
                inside.sort(key=lambda m: (-m[0], m[1]))
                top = {id(m[2]) for m in inside if m[0] == inside[0][0]}
                if len(top) == 1:
                    return inside[0][2]
        raise NotFound(self.kind, query, self.suggest(query))

    def _names(self, items: Iterable[T]) -> list[str]:
        seen: list[str] = []
        for e in items:
            n = getattr(e, "name")
            if n not in seen:
                seen.append(n)
        return seen

    def suggest(self, query: str, n: int = 3) -> list[str]:
        key = normalize(query)
        names = list(self.display)
        scored = sorted(
            names,
            key=lambda k: -max(
                difflib.SequenceMatcher(None, key, k).ratio(),
                len(tokens(query) & tokens(self.display[k])) / max(1, len(tokens(query))) * 0.9,
            ),
        )
        out: list[str] = []
        for k in scored:
            name = getattr(self.exact[k], "name")
            if name not in out:
                out.append(name)
            if len(out) == n:
                break
        return out


def build_index(kind: str, entries: Iterable[T], strict_numbers: bool = False) -> Index[T]:
    entries = tuple(entries)
    exact: dict[str, T] = {}
    loose: dict[str, T] = {}
    token_sets: list[tuple[frozenset[str], T]] = []
    display: dict[str, str] = {}
    for e in entries:
        name = getattr(e, "name")
        names = [name, *getattr(e, "aliases", ())]
        for n in names:
            exact.setdefault(normalize(n), e)
            token_sets.append((tokens(n), e))
        display.setdefault(normalize(name), name)
        mem = getattr(e, "memory_gib", None)
        for n in names:
            if mem:
                loose.setdefault(normalize(f"{n} {mem:g}GB"), e)
            for s in _memory_suffixes(n):
                loose.setdefault(normalize(s), e)
    return Index(kind, entries, exact, loose, token_sets, display, strict_numbers)


@lru_cache(maxsize=None)
def _cached(kind: str) -> Index:
    from rigfit.catalog import loader

    source = {"model": loader.load_models, "hardware": loader.load_hardware, "quant": loader.load_quants}[kind]
    return build_index(kind, source(), strict_numbers=kind == "model")


def model_index() -> Index:
    return _cached("model")


def hardware_index() -> Index:
    return _cached("hardware")


def quant_index() -> Index:
    return _cached("quant")
