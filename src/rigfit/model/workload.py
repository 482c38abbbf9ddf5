"""Workloads (token budgets with speed targets) and operating modes (concurrency and what the grade weighs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    prompt_tokens: int
    output_tokens: int
    context: int
    decode_target: float
    ttft_target_s: float
    cached_prefix: int = 0
    description: str = ""


@dataclass(frozen=True)
class Mode:
    key: str
    label: str
    concurrency: int
    weights: tuple[tuple[str, float], ...]
    description: str = ""

    def weight(self, part: str) -> float:
        return dict(self.weights).get(part, 0.0)
