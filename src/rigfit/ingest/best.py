"""Rank every catalog model for one piece of hardware: what to run on first install.

score = 0.4  × grade score
      + 0.45 × quality: 100 × min(1, log10(size) / 2) × quant quality rank, size = √(total × active params, in B)
               (dense: the parameter count; MoE: between total and active; 100 B and more scores full marks)
      + 0.15 × speed:   min(100, 2 × decode tok/s)   (past 50 tok/s speed no longer changes what to run)
The quant tried per model walks Q8_0 → Q6_K → Q5_K_M → Q4_K_M → IQ3_M → Q2_K and stops at the first that
grades A or S (the highest quality that runs well); otherwise the best-graded one is kept.
"""

from __future__ import annotations

import math
from typing import Any

from rigfit.catalog import find_quant, load_models
from rigfit.catalog.workloads import find_mode, find_workload
from rigfit.estimate.check import Request, evaluate
from rigfit.estimate.commands import llama_cpp_command
from rigfit.estimate.fit import NO_FIT
from rigfit.model.hardware import Hardware

LADDER = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ3_M", "Q2_K")


def quality_points(total_params_b: float, active_params_b: float, quality_rank: float) -> float:
    size = math.sqrt(max(total_params_b, 0.01) * max(active_params_b, 0.01))
    return 100 * min(1.0, max(0.0, math.log10(size) / 2)) * quality_rank


def rank_models(hw: Hardware, host: Hardware | None, workload: str = "chat", mode: str = "balanced",
                limit: int = 10) -> list[dict[str, Any]]:
    wl, md = find_workload(workload), find_mode(mode)
    rows = []
    for arch in load_models():
        best = None
        for name in LADDER:
            q = find_quant(name)
            req = Request(arch, hw, q, wl, md, None, "f16", host)
            ev = evaluate(req)
            if ev.placement.status == NO_FIT:
                continue
            if best is None or ev.grade.score > best[1].grade.score:
                best = (q, ev, req)
            if ev.grade.letter in ("S", "A"):
                best = (q, ev, req)
                break
        if best is None:
            continue
        q, ev, req = best
        score = (0.4 * ev.grade.score + 0.45 * quality_points(arch.params_b, arch.active_params / 1e9, q.quality_rank)
                 + 0.15 * min(100.0, 2 * ev.decode_tps))
        rows.append({"model": arch.name, "params_b": arch.params_b, "quant": q.name, "grade": ev.grade.letter,
                     "grade_score": ev.grade.score, "score": round(score, 1), "decode_tps": round(ev.decode_tps, 1),
                     "fit": ev.placement.status,
                     "command": llama_cpp_command(arch, hw, q, ev.context, "f16", ev.placement, md.concurrency)})
    rows.sort(key=lambda r: -r["score"])
    return rows[:limit]
