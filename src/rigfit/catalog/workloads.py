"""Workloads and operating modes from data/workloads.yaml."""

from __future__ import annotations

from functools import lru_cache

from rigfit.catalog.loader import load_data
from rigfit.model.workload import Mode, Workload


@lru_cache(maxsize=1)
def load_workloads() -> tuple[Workload, ...]:
    return tuple(Workload(key=k, **v) for k, v in load_data("workloads")["workloads"].items())


@lru_cache(maxsize=1)
def load_modes() -> tuple[Mode, ...]:
    out = []
    for k, v in load_data("workloads")["modes"].items():
        out.append(Mode(key=k, label=v["label"], concurrency=int(v["concurrency"]),
                        weights=tuple(v["weights"].items()), description=v.get("description", "")))
    return tuple(out)


def _key(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def find_workload(name: str) -> Workload:
    for w in load_workloads():
        if _key(name) in (w.key, _key(w.label)):
            return w
    raise ValueError(f"unknown workload {name!r} (one of: {', '.join(w.key for w in load_workloads())})")


def find_mode(name: str) -> Mode:
    for m in load_modes():
        if _key(name) in (m.key, _key(m.label)):
            return m
    raise ValueError(f"unknown mode {name!r} (one of: {', '.join(m.key for m in load_modes())})")
