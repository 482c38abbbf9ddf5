"""Find catalog entries by the names people type: case- and punctuation-insensitive, aliases, partial names."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Generic, Iterable, TypeVar

T = TypeVar("T")

# Words people add that never tell two catalog entries apart (vendor and packaging words, chat-tuning suffixes).
NOISE_WORDS = frozenset({
    "nvidia", "geforce", "amd", "radeon", "intel", "apple", "the", "gpu", "graphics", "instruct", "it", "chat", "hf",
    "gguf", "gb", "gib",
})

# Quantization and packaging suffixes people paste with a model name (Ollama tags, GGUF file names): "q4_K_M",
# "Q8_0", "IQ4_XS", "fp16", "AWQ", "4bit". They name a file of the model, not another model, so model and hardware
# lookups drop them (the quant index keeps them: there they are the name).
_QUANT_SUFFIX = re.compile(r"(?<![a-z0-9])(?:i?q\d(?:_[a-z0-9]+)*|f16|fp16|bf16|fp8|mxfp4|nvfp4|awq|gptq|gguf|mlx|\d+bit)(?![a-z0-9])",
                           re.I)

# Size-class words that name a different model of the same family: "Devstral 2" (123B) is not "Devstral Small 2"
# (24B), "Jamba 1.7" is neither Jamba Mini nor Jamba Large. A model query that omits such a word of an entry's name
# never resolves to it by partial matching (only an exact name or alias does). Models only: hardware names drop
# "Pro" / "Max" words people leave out ("R9700" for the Radeon AI Pro R9700).
# Variant words name another model of a family as well: "Granite 4.0 350M" (dense) is not Granite 4.0 H 350M (hybrid
# Mamba-2), "Qwen2.5 1.5B" is not Qwen2.5 Coder 1.5B, "Qwen2.5 32B" is not the Qwen2.5-VL 32B text tower.
# "Pro" too: DeepSeek V4 Pro (1.6T) and V4 Flash (284B) are the two V4 models, so a bare "DeepSeek V4" names neither.
MODEL_VARIANT_WORDS = frozenset({"small", "mini", "medium", "large", "nano", "micro", "tiny", "air", "flash", "lite",
                                 "super", "ultra", "pro", "h", "vl", "coder", "code", "math"})

# Apple sells each chip in several computers: "MacBook Pro M4 Max 128GB" and "Mac Studio M4 Max" name the chip the
# catalog lists ("M4 Max"), the computer around it changes neither memory system nor GPU. Hardware lookups drop the
# computer's name (as a phrase: "MacBook Pro M4" is the base M4, not the M4 Pro).
_APPLE_COMPUTER = re.compile(r"(?<![a-z0-9])(?:macbook(?:\s*(?:pro|air))?|mac\s*(?:studio|mini|pro)|imac(?:\s*pro)?)(?![a-z0-9])",
                             re.I)

# A name longer than this is no model or machine name: refused before any matching (bounds the fuzzy work).
MAX_NAME_CHARS = 200
# Suggestions: the full difflib ratio runs only on the best few candidates by the cheap bounds.
SUGGEST_POOL = 24


class NotFound(LookupError):
    """No catalog entry matches; carries the closest names for a 'did you mean' line."""

    def __init__(self, kind: str, query: str, suggestions: list[str], message: str | None = None):
        self.kind = kind
        self.query = query
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(message or f"unknown {kind} {query!r}.{hint}")


def normalize(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


# A token is a word, or a number with the letters glued to its end: "3n", "4b", "e4b" -> "e" + "4b", "4090d",
# "8060s", "192gb", "3.1". Letters before a number split off ("qwen3" -> "qwen" + "3", "rtx4090" -> "rtx" + "4090"),
# so "Qwen3 8B", "qwen-3-8b" and "Qwen 3 8B" agree, while "3n" never equals "3" and "4090D" never equals "4090".
_TOKEN = re.compile(r"\d+(?:\.\d+)?[a-z]*|[a-z]+")


def tokens(text: str) -> frozenset[str]:
    return frozenset(t for t in _TOKEN.findall(text.lower().replace("+", " plus ")) if t not in NOISE_WORDS)


def _memory_suffixes(name: str) -> list[str]:
    """'Apple M2 Ultra 76-core GPU 192GB' is also asked for without its memory size."""
    stripped = re.sub(r"\s*\(?\d+\s*GB\)?\s*$", "", name, flags=re.I)
    return [stripped] if stripped != name else []


def _too_long(kind: str, query: str) -> NotFound:
    return NotFound(kind, query[:40], [], f"{kind} name too long ({len(query)} characters; at most {MAX_NAME_CHARS})")


@dataclass
class Index(Generic[T]):
    """Name lookup over one catalog.

    A query resolves to an entry only when every distinguishing token of the query (family, version, size,
    variant: "3n", "E4B", "Coder", "A3B", "4090D") is a token of that entry's name or of one alias; among those,
    the one with the fewest extra tokens wins when it is the only one. Anything else is a miss with suggestions:
    rigfit never answers for a different model or machine than the one asked about.
    """

    kind: str
    entries: tuple[T, ...]
    exact: dict[str, T]
    loose: dict[str, T]
    token_sets: list[tuple[frozenset[str], T]]
    display: dict[str, str]
    display_tokens: dict[str, frozenset[str]] = field(default_factory=dict)
    # Quants only: a query naming a catalog quant plus a maker's prefix ("UD-Q3_K_S") gets the quant it contains,
    # when exactly one does (the quant's type sets the size class; models and machines never resolve this way).
    contained: bool = False

    def find_exact(self, query: str) -> T | None:
        """Only a full name or alias (any case and punctuation), no partial matching."""
        if len(query) > MAX_NAME_CHARS:
            return None
        key = normalize(query)
        return self.exact.get(key) or self.loose.get(key)

    def find(self, query: str) -> T:
        if len(query) > MAX_NAME_CHARS:
            raise _too_long(self.kind, query)
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
        named = _APPLE_COMPUTER.sub(" ", query) if self.kind == "hardware" else query
        q = tokens(named if self.contained else _QUANT_SUFFIX.sub(" ", named))
        if q:
            matches = [(len(ts - q), i, e) for i, (ts, e) in enumerate(self.token_sets)
                       if q <= ts and not (self.kind == "model" and (ts & MODEL_VARIANT_WORDS) - q)]
            if matches:
                matches.sort(key=lambda m: (m[0], m[1]))
                best = matches[0]
                tied = {id(m[2]) for m in matches if m[0] == best[0]}
                if len(tied) == 1:
                    return best[2]
                raise NotFound(self.kind, query, self._names([m[2] for m in matches if m[0] == best[0]])[:3])
            if self.kind == "model":  # only entries with a size-class word the query left out: suggest those
                variants = sorted((len(ts - q), i, e) for i, (ts, e) in enumerate(self.token_sets) if q <= ts)
                if variants:
                    raise NotFound(self.kind, query, self._names([v[2] for v in variants])[:3])
            if self.contained:
                inside = [(len(ts), i, e) for i, (ts, e) in enumerate(self.token_sets) if len(ts) >= 2 and ts <= q]
                inside.sort(key=lambda m: (-m[0], m[1]))
                if inside and len({id(m[2]) for m in inside if m[0] == inside[0][0]}) == 1:
                    return inside[0][2]
        raise NotFound(self.kind, query, self.suggest(named if q else query))

    def _names(self, items: Iterable[T]) -> list[str]:
        seen: list[str] = []
        for e in items:
            n = getattr(e, "name")
            if n not in seen:
                seen.append(n)
        return seen

    def suggest(self, query: str, n: int = 3) -> list[str]:
        """The n closest display names: shared tokens and difflib similarity of the normalized names.

        Cost is bounded: the query is cut to MAX_NAME_CHARS, every name is scored by token overlap and difflib's
        cheap upper bound (quick_ratio, with the query as the cached second sequence), and the full ratio runs only
        on the SUGGEST_POOL best of those."""
        query = query[:MAX_NAME_CHARS]
        key = normalize(query)
        q = tokens(query)
        if not key:
            return []
        sm = difflib.SequenceMatcher(None, autojunk=False)
        sm.set_seq2(key)

        def overlap(k: str) -> float:
            return len(q & self.display_tokens.get(k, frozenset())) / max(1, len(q)) * 0.9

        bounds = []
        for k in self.display:
            sm.set_seq1(k)
            bounds.append((max(sm.quick_ratio(), overlap(k)), k))
        bounds.sort(key=lambda b: -b[0])
        scored = []
        for _, k in bounds[:SUGGEST_POOL]:
            sm.set_seq1(k)
            scored.append((max(sm.ratio(), overlap(k)), k))
        scored.sort(key=lambda s: -s[0])
        out: list[str] = []
        for _, k in scored:
            name = getattr(self.exact[k], "name")
            if name not in out:
                out.append(name)
            if len(out) == n:
                break
        return out


def build_index(kind: str, entries: Iterable[T], contained: bool = False) -> Index[T]:
    entries = tuple(entries)
    exact: dict[str, T] = {}
    loose: dict[str, T] = {}
    token_sets: list[tuple[frozenset[str], T]] = []
    display: dict[str, str] = {}
    display_tokens: dict[str, frozenset[str]] = {}
    for e in entries:
        name = getattr(e, "name")
        names = [name, *getattr(e, "aliases", ())]
        mem = getattr(e, "memory_gib", None)
        # a machine is also named with its memory size: "RTX 3090 24GB", "M4 Max 128 GB"
        mem_tokens = frozenset({f"{mem:g}gb", f"{mem:g}"}) if mem else frozenset()
        for n in names:
            exact.setdefault(normalize(n), e)
            token_sets.append((tokens(n) | mem_tokens, e))
        if normalize(name) not in display:
            display[normalize(name)] = name
            display_tokens[normalize(name)] = frozenset().union(*(tokens(n) for n in names))
        for n in names:
            if mem:
                loose.setdefault(normalize(f"{n} {mem:g}GB"), e)
            for s in _memory_suffixes(n):
                loose.setdefault(normalize(s), e)
    return Index(kind, entries, exact, loose, token_sets, display, display_tokens, contained)


@lru_cache(maxsize=None)
def _cached(kind: str) -> Index:
    from rigfit.catalog import loader

    source = {"model": loader.load_models, "hardware": loader.load_hardware, "quant": loader.load_quants}[kind]
    return build_index(kind, source(), contained=kind == "quant")


def model_index() -> Index:
    return _cached("model")


def hardware_index() -> Index:
    return _cached("hardware")


def quant_index() -> Index:
    return _cached("quant")
