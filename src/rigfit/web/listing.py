"""Filters of the model and hardware lists (/api/v1/models, /api/v1/hardware, /models, /hardware): every choice an
enum of the catalog's own values, every bound a validated range, so OpenAPI lists them and a bad value is a 422."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Iterable

from fastapi import Query as Q
from pydantic import BeforeValidator, Field

from rigfit.catalog import load_hardware, load_models
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.query import UserError

MAX_SEARCH_CHARS = 100
# Upper bounds of the numeric filters: far above any catalog entry (the largest model has ~1T parameters, the
# largest device a few TB of memory), so they only refuse nonsense such as 1e308.
MAX_PARAMS_B = 100_000.0
MAX_MEMORY_GIB = 1_000_000.0
MAX_CONTEXT = 1 << 30
MAX_BOUND = 1e9  # bandwidth (GB/s) and price (USD): any real value is far below

ModelFamily = Enum("ModelFamily", {f: f for f in sorted({m.family for m in load_models()})}, type=str)  # type: ignore[misc]
Vendor = Enum("Vendor", {v: v for v in sorted({h.vendor for h in load_hardware()})}, type=str)  # type: ignore[misc]
HardwareKind = Enum("HardwareKind", {k: k for k in sorted({h.kind for h in load_hardware()})}, type=str)  # type: ignore[misc]


class ModelKind(str, Enum):
    moe = "moe"
    dense = "dense"


def _blank(v: object) -> object:
    """An HTML form sends every field, the empty ones as '': an empty field is no filter."""
    return None if isinstance(v, str) and not v.strip() else v


Blank = BeforeValidator(_blank)


def _value(x: Enum | str | None) -> str | None:
    return x.value if isinstance(x, Enum) else x


def _terms(q: str) -> list[str]:
    return [t for t in q.lower().split() if t]


def _matches(terms: list[str], fields: Iterable[str]) -> bool:
    """Every term of the search text is part of one of the entry's names (name, aliases, family, repository)."""
    hay = " ".join(fields).lower()
    return all(t in hay for t in terms)


def _check_range(name: str, lo: float | None, hi: float | None) -> None:
    if lo is not None and hi is not None and lo > hi:
        raise UserError(f"min_{name} ({lo:g}) is above max_{name} ({hi:g})")


@dataclass(frozen=True)
class ModelFilters:
    family: str | None = None
    kind: str | None = None
    min_params_b: float | None = None
    max_params_b: float | None = None
    min_context: int | None = None
    q: str = ""

    def check(self) -> "ModelFilters":
        _check_range("params_b", self.min_params_b, self.max_params_b)
        return self

    def keep(self, m: Architecture) -> bool:
        return ((self.family is None or m.family == self.family)
                and (self.kind is None or (self.kind == "moe") == m.is_moe)
                and (self.min_params_b is None or m.params_b >= self.min_params_b)
                and (self.max_params_b is None or m.params_b <= self.max_params_b)
                and (self.min_context is None or m.max_context >= self.min_context)
                and _matches(_terms(self.q), (m.name, m.family, m.hf_repo, *m.aliases)))

    def apply(self, models: Iterable[Architecture]) -> list[Architecture]:
        return [m for m in models if self.keep(m)]


@dataclass(frozen=True)
class HardwareFilters:
    vendor: str | None = None
    kind: str | None = None
    min_memory_gib: float | None = None
    max_memory_gib: float | None = None
    min_bandwidth_gbs: float | None = None
    max_price_usd: float | None = None
    q: str = ""

    def check(self) -> "HardwareFilters":
        _check_range("memory_gib", self.min_memory_gib, self.max_memory_gib)
        return self

    def keep(self, h: Hardware) -> bool:
        return ((self.vendor is None or h.vendor == self.vendor)
                and (self.kind is None or h.kind == self.kind)
                and (self.min_memory_gib is None or h.memory_gib >= self.min_memory_gib)
                and (self.max_memory_gib is None or h.memory_gib <= self.max_memory_gib)
                and (self.min_bandwidth_gbs is None or h.bandwidth_gbs >= self.min_bandwidth_gbs)
                and (self.max_price_usd is None or (h.msrp_usd is not None and h.msrp_usd <= self.max_price_usd))
                and _matches(_terms(self.q), (h.name, h.architecture, h.chip, *h.aliases)))

    def apply(self, hardware: Iterable[Hardware]) -> list[Hardware]:
        return [h for h in hardware if self.keep(h)]


MODEL_FILTERS = frozenset(ModelFilters.__dataclass_fields__)
HARDWARE_FILTERS = frozenset(HardwareFilters.__dataclass_fields__)
SEARCH = Q(description="Search text: every word must appear in the name, an alias or the family",
           max_length=MAX_SEARCH_CHARS, examples=["llama 70b"])


async def model_filters(  # async: no worker thread for a dependency
    family: Annotated[ModelFamily | None, Blank, Q(description="Model family (catalog value)")] = None,
    kind: Annotated[ModelKind | None, Blank, Q(description="moe: mixture of experts; dense: every parameter read per "
                                                    "token")] = None,
    min_params_b: Annotated[Annotated[float, Field(ge=0, le=MAX_PARAMS_B)] | None, Blank, Q(description="Least total parameters, in billions",
                                            examples=[7])] = None,
    max_params_b: Annotated[Annotated[float, Field(ge=0, le=MAX_PARAMS_B)] | None, Blank, Q(description="Most total parameters, in billions",
                                            examples=[70])] = None,
    min_context: Annotated[Annotated[int, Field(ge=0, le=MAX_CONTEXT)] | None, Blank, Q(description="Least context limit of the model, in "
                                                                             "tokens", examples=[131072])] = None,
    q: Annotated[str, SEARCH] = "",
) -> ModelFilters:
    return ModelFilters(_value(family), _value(kind), min_params_b, max_params_b, min_context, q.strip())


async def hardware_filters(  # async: no worker thread for a dependency
    vendor: Annotated[Vendor | None, Blank, Q(description="Vendor")] = None,
    kind: Annotated[HardwareKind | None, Blank, Q(description="gpu, apple (unified-memory SoC), apu or cpu "
                                                       "(a CPU/RAM profile)")] = None,
    min_memory_gib: Annotated[Annotated[float, Field(ge=0, le=MAX_MEMORY_GIB)] | None, Blank, Q(description="Least memory of one device, "
                                                                                   "in GiB", examples=[24])] = None,
    max_memory_gib: Annotated[Annotated[float, Field(ge=0, le=MAX_MEMORY_GIB)] | None, Blank, Q(description="Most memory of one device, in "
                                                                                   "GiB", examples=[48])] = None,
    min_bandwidth_gbs: Annotated[Annotated[float, Field(ge=0, le=MAX_BOUND)] | None, Blank, Q(description="Least memory bandwidth, in "
                                                                                      "GB/s", examples=[500])] = None,
    max_price_usd: Annotated[Annotated[float, Field(ge=0, le=MAX_BOUND)] | None, Blank, Q(description="Highest launch price, in USD "
                                                                                  "(devices without one are left "
                                                                                  "out)", examples=[2000])] = None,
    q: Annotated[str, SEARCH] = "",
) -> HardwareFilters:
    return HardwareFilters(_value(vendor), _value(kind), min_memory_gib, max_memory_gib, min_bandwidth_gbs,
                           max_price_usd, q.strip())
