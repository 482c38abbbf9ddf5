"""Letter grade and 0-100 score for a model on hardware under a workload and an operating mode.

Each part scores 0..1 on a log scale against the workload's target (1 at or past the target, 0 at a tenth of
it), the mode's weights combine them, and the placement scales the total. Every part is non-decreasing in memory
and bandwidth, so more of either never lowers a grade (tests/estimate/test_properties.py). A model that cannot
run scores 0, grade F.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rigfit.estimate.fit import CPU_ONLY, EXPERT_OFFLOAD, FULL_GPU, LAYER_OFFLOAD, NO_FIT, TIGHT, Placement
from rigfit.model.workload import Mode, Workload

GRADES = (("S", 90.0), ("A", 78.0), ("B", 64.0), ("C", 50.0), ("D", 35.0))

# How much the placement itself costs beyond the speed it already lowers: offload makes runs fragile (host RAM
# pressure, PCIe contention) and a tight fit leaves no room for a longer prompt.
PLACEMENT_FACTOR = {FULL_GPU: 1.0, CPU_ONLY: 1.0, EXPERT_OFFLOAD: 0.92, LAYER_OFFLOAD: 0.8}
TIGHT_FACTOR = 0.95


def log_ratio_score(value: float, target: float) -> float:
    """1 when value >= target, 0 at target/10 or below, log-linear between."""
    if value <= 0 or target <= 0:
        return 0.0
    return max(0.0, min(1.0, 1.0 + math.log10(value / target)))


def round_score(score: float) -> float:
    """Scores to one decimal, the same way in the scalar and the matrix path (numpy and round() differ on ties)."""
    return math.floor(score * 10 + 0.5) / 10


def letter(score: float) -> str:
    for name, floor in GRADES:
        if score >= floor:
            return name
    return "F"


@dataclass(frozen=True)
class Grade:
    letter: str
    score: float  # 0..100
    parts: tuple[tuple[str, float], ...]  # part name -> 0..1


def grade(placement: Placement, workload: Workload, mode: Mode, decode_tps: float, ttft_s: float,
          context_share: float, throughput_tps: float) -> Grade:
    """context_share: the fraction of the workload's context that fits without offload (capped at 1)."""
    if placement.status == NO_FIT:
        return Grade("F", 0.0, ())
    parts = {
        "decode": log_ratio_score(decode_tps, workload.decode_target),
        "ttft": log_ratio_score(workload.ttft_target_s, ttft_s) if ttft_s > 0 else 1.0,
        "context": max(0.0, min(1.0, context_share)),
        "throughput": log_ratio_score(throughput_tps, workload.decode_target * mode.concurrency / 2),
    }
    total = sum(mode.weight(k) * v for k, v in parts.items())
    weight_sum = sum(w for _, w in mode.weights) or 1.0
    score = 100.0 * total / weight_sum * PLACEMENT_FACTOR.get(placement.strategy, 1.0)
    if placement.status == TIGHT:
        score *= TIGHT_FACTOR
    score = round_score(score)
    return Grade(letter(score), score, tuple((k, round(v, 3)) for k, v in parts.items() if mode.weight(k)))
