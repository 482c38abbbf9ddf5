"""A hash computed once per value, for the large frozen dataclasses that caches (lru_cache) hash on every call."""

from __future__ import annotations

from typing import Any


def cached_hash(self: Any) -> int:
    """The hash of all dataclass fields, kept on the instance after the first call (frozen values never change)."""
    cached = self.__dict__.get("_hash")
    if cached is None:
        cached = hash(tuple(getattr(self, f) for f in self.__dataclass_fields__))
        object.__setattr__(self, "_hash", cached)
    return cached
