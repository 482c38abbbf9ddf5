"""Measured speeds for exact settings (data/measurements.yaml), so an estimate can show the measurement beside it."""

from __future__ import annotations

from functools import lru_cache

from rigfit.catalog.loader import load_data


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str, str, str, str], dict]:
    out: dict[tuple[str, str, str, str, str], dict] = {}
    for m in load_data("measurements").get("measurements", []):
        key = (m["model"], m["quant"], m["hardware"], m["backend"], m["kind"])
        # prefer the longer generation test (tg512 over tg128): closer to a real answer's length
        if key not in out or m["test"] > out[key]["test"]:
            out[key] = m
    return out


def find_measured(model: str, quant: str, hardware: str, backend: str) -> dict[str, dict]:
    """{"decode": entry, "prefill": entry} for whichever were measured on exactly this setting."""
    idx = _index()
    return {kind: idx[(model, quant, hardware, backend, kind)] for kind in ("decode", "prefill")
            if (model, quant, hardware, backend, kind) in idx}
