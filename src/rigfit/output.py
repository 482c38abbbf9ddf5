"""The one JSON shape of a report (`rigfit check --json`, `/api/v1/estimate`). Sizes in GiB, speeds in tok/s."""

from __future__ import annotations

from typing import Any

import numpy as np

from rigfit.catalog.catalog import get_catalog
from rigfit.catalog.measurements import find_measured
from rigfit.estimate.commands import run_commands
from rigfit.estimate.evaluate import Evaluation, Request, power_of_two_floor
from rigfit.estimate.market import Ranked, Upgrade
from rigfit.estimate.matrix import LETTERS, ST_NO_FIT, STATUSES, STRATEGIES, Cells
from rigfit.estimate.report import QuantRow, Report
from rigfit.estimate.speed import likely_range
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import GIB, Hardware
from rigfit.model.quant import Quant

from rigfit.wording import STATUS_LABELS, STRATEGY_LABELS, VERDICT_LABELS, note_dict, sentence, title

SCHEMA_VERSION = 2


def gib(x: float) -> float:
    return round(x / GIB, 2)


def r1(x: float) -> float:
    return round(x, 1)


def model_dict(a: Architecture) -> dict[str, Any]:
    kinds = {"F": "full attention", "S": "sliding window", "C": "chunked attention", "M": "MLA", "L": "linear attention",
             "R": "SSM (Mamba)", "H": "attention + SSM", "N": "FFN only", "W": "sliding window (compressed-attention model)",
             "X": "compressed sparse attention", "Y": "heavily compressed attention"}
    layers = {kinds[k]: a.mixers.count(k) for k in kinds if a.mixers.count(k)}
    return {
        "name": a.name,
        "family": a.family,
        "params_b": a.params_b,
        "active_params_b": round(a.active_params / 1e9, 2),
        "moe": a.is_moe,
        "layers": a.num_layers,
        "layer_types": layers,
        "sliding_window": a.sliding_window,
        "max_context": a.max_context,
        "hf_repo": a.hf_repo,
        "source": a.source,
        "verified": a.verified,
    }


def hardware_dict(h: Hardware) -> dict[str, Any]:
    return {
        "name": h.name,
        "display_name": h.display_name,
        "count": h.count,
        "vendor": h.vendor,
        "kind": h.kind,
        "architecture": h.architecture,
        "memory_gib": h.memory_gib,
        "bandwidth_gbs": h.bandwidth_gbs,
        "fp16_tflops": h.fp16_tflops,
        "unified_memory": h.unified,
        "msrp_usd": h.msrp_usd,
        "year": h.year,
        "sources": dict(h.sources),
        "verified": h.verified,
    }


def quant_dict(q: Quant) -> dict[str, Any]:
    return {
        "name": q.name,
        "family": q.family,
        "bits": q.bpw,
        "effective_bpw": round(q.expert_bpw, 3),  # = body bpw, except MoE-native mixes (MXFP4 experts)
        "quality": q.quality,
        "quality_rank": round(q.quality_rank, 3),
        "runtimes": list(q.runtimes),
        "native_on": list(q.native_arch),
        "source": q.source,
    }


def _available(ev: Evaluation) -> float:
    """Memory the device(s) let a model use, headroom included (the 'needs X of Y' denominator)."""
    p = ev.placement
    return p.device_capacity * p.n_devices + ev.need.headroom


def evaluation_dict(ev: Evaluation, concurrency: int = 1) -> dict[str, Any]:
    p, n = ev.placement, ev.need
    return {
        "context": ev.context,
        "backend": ev.backend,
        "fit": p.status,
        "fit_label": STATUS_LABELS[p.status],
        "grade": ev.grade.letter,
        "score": ev.grade.score,
        "grade_parts": dict(ev.grade.parts),
        "memory": {
            "weights_gib": gib(n.weights),
            "weights_file_gib": gib(n.weights_file),
            "kv_cache_gib": gib(n.kv_cache),
            "recurrent_state_gib": gib(n.recurrent_state),
            "compute_buffer_gib": gib(n.compute_buffer),
            "runtime_overhead_gib": gib(n.runtime_overhead),
            "headroom_gib": gib(n.headroom),
            "total_gib": gib(n.total),
            "available_gib": gib(_available(ev)),
            "percent_of_available": round(100 * n.total / _available(ev), 1) if _available(ev) else None,
            "over_gib": gib(max(0.0, n.total - _available(ev))),
            "host_resident_gib": gib(n.host_resident),
        },
        "placement": {
            "strategy": p.strategy,
            "label": STRATEGY_LABELS["wont_fit" if p.status == "no_fit" else p.strategy],
            "gpu_layers": p.gpu_layers,
            "cpu_moe_layers": p.cpu_moe_layers,
            "offload_percent": r1(p.offload_fraction * 100),
            "device_gib": gib(p.device_bytes),
            "device_capacity_gib": gib(p.device_capacity),
            "host_ram_gib": gib(p.host_bytes),
            "host_capacity_gib": gib(p.host_capacity),
            "devices": p.n_devices,
        },
        "speed": {
            "decode_tps": r1(ev.decode_tps),
            "decode_likely_tps": [r1(x) for x in likely_range(ev.decode_tps, "decode")],
            "prefill_likely_tps": [r1(x) for x in likely_range(ev.prefill_tps, "prefill")],
            "prefill_tps": r1(ev.prefill_tps),
            "ttft_s": round(ev.ttft_s, 2),
            # time scales inversely with prefill speed: the prefill range, inverted
            "ttft_likely_s": [round(ev.ttft_s * ev.prefill_tps / x, 2) if x else 0.0
                              for x in reversed(likely_range(ev.prefill_tps, "prefill"))],
            "cold_ttft_s": round(ev.cold_ttft_s, 2),
            "throughput_tps": r1(ev.throughput_tps),
            # at the mode's concurrency: what each of the concurrent users sees, and all of them together
            "concurrency": concurrency,
            "per_user_tps": r1(ev.throughput_tps / concurrency),
            "aggregate_tps": r1(ev.throughput_tps),
        },
        # deprecated alias of context_limits.max_context_on_device
        "safe_context": {"exact": ev.safe_context, "power_of_two": power_of_two_floor(ev.safe_context)},
    }


def upgrade_dict(u: Upgrade, current: Hardware) -> dict[str, Any]:
    return {
        "pick": u.pick,
        "hardware": u.hardware.name,
        "vendor": u.hardware.vendor,
        "memory_gib": u.hardware.memory_gib,
        "memory_delta_gib": round(u.hardware.memory_gib - current.memory_gib * current.count, 1),
        "bandwidth_gbs": u.hardware.bandwidth_gbs,
        "bandwidth_delta_gbs": round(u.hardware.bandwidth_gbs - current.bandwidth_gbs, 1),
        "grade": u.evaluation.grade.letter,
        "score": u.evaluation.grade.score,
        "decode_tps": r1(u.evaluation.decode_tps),
        "msrp_usd": u.hardware.msrp_usd,
        "why": [sentence(w) for w in u.why],
    }


def alternative_dict(a: Ranked) -> dict[str, Any]:
    return {
        "model": a.arch.name,
        "params_b": a.arch.params_b,
        "quant": a.quant.name,
        "grade": a.evaluation.grade.letter,
        "score": a.evaluation.grade.score,
        "rank_score": a.score,
        "decode_tps": r1(a.evaluation.decode_tps),
        "fit": a.evaluation.placement.status,
    }


def _measured(rep: Report) -> dict[str, Any]:
    """Measurements the catalog holds for exactly this setting (one device, everything on it, same backend)."""
    req = rep.request
    if req.hw.count != 1 or rep.main.placement.strategy not in ("full_gpu", "cpu_only"):
        return {}
    found = find_measured(req.arch.name, req.quant.name, req.hw.name, rep.main.backend)
    return {kind: {"tok_s": m["tok_s"], "test": m["test"], "source": m["source"]} for kind, m in found.items()}


def quant_row_dict(r: QuantRow) -> dict[str, Any]:
    ev = r.evaluation
    runs = ev.placement.status != "no_fit"
    return {
        **quant_dict(r.quant),
        "weights_gib": gib(ev.need.weights_file),
        "total_gib": gib(ev.need.total),
        "fit": ev.placement.status,
        "fit_label": STATUS_LABELS[ev.placement.status],
        "strategy": ev.placement.strategy if runs else None,
        "grade": ev.grade.letter,
        "score": ev.grade.score,
        "decode_tps": r1(ev.decode_tps) if runs else None,  # absent, not 0, for a setup that cannot run
        "max_context_on_device": ev.safe_context,
        "safe_context": ev.safe_context,  # deprecated alias of max_context_on_device
        "why_not": note_dict(r.reason) if r.reason else None,
        "best": r.best,
    }


def report_dict(rep: Report, resolved_from: dict[str, dict] | None = None) -> dict[str, Any]:
    """resolved_from: query.resolved_from, how typed names that were not exact were read (None: all exact)."""
    req, main = rep.request, rep.main
    conc = req.mode.concurrency
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "model": model_dict(req.arch),
        "hardware": hardware_dict(req.hw),
        "host": hardware_dict(req.host) if req.host else None,
        "settings": {
            "quant": req.quant.name,
            "context": main.context,
            "kv_cache_type": req.kv_type,
            "workload": req.workload.key,
            "mode": req.mode.key,
            "concurrency": conc,
            "backend": main.backend,
        },
        "verdict": rep.verdict,
        "verdict_label": VERDICT_LABELS[rep.verdict],
        "quant": quant_dict(req.quant),
        **evaluation_dict(main, conc),
        "context_limits": {"max_context": rep.limits.max_context,
                           "max_context_on_device": rep.limits.max_context_on_device},
        "bottleneck": {
            "kind": rep.bottleneck.what.code,
            "title": title(rep.bottleneck.what),
            "detail": sentence(rep.bottleneck.what),
            "values": note_dict(rep.bottleneck.what)["values"],
            "fix": {"code": rep.bottleneck.fix.code, "title": title(rep.bottleneck.fix),
                    "detail": sentence(rep.bottleneck.fix)},
        },
        "naive_layer_offload": None,
        "measured": _measured(rep),
        "advice": [sentence(a) for a in rep.advice],
        "advice_codes": [note_dict(a) for a in rep.advice],
        "best_quant": rep.best_quant["quant"] if rep.best_quant else None,
        "best_quant_reason": sentence(rep.best_quant) if rep.best_quant else None,
        "quants": [quant_row_dict(r) for r in rep.quants],
        "workloads": [
            {
                "workload": w.workload.key,
                "label": w.workload.label,
                "prompt_tokens": w.workload.prompt_tokens,
                "output_tokens": w.workload.output_tokens,
                "context": w.evaluation.context,
                "fit": w.evaluation.placement.status,
                "grade": w.evaluation.grade.letter,
                "score": w.evaluation.grade.score,
                "decode_tps": r1(w.evaluation.decode_tps),
                "ttft_s": round(w.evaluation.ttft_s, 2),
                "max_context_on_device": w.evaluation.safe_context,
                "safe_context": w.evaluation.safe_context,
            }
            for w in rep.workloads
        ],
        "upgrades": [upgrade_dict(u, req.hw) for u in rep.upgrades],
        "alternatives": [alternative_dict(a) for a in rep.alternatives],
        "commands": rep.commands,
        "sources": rep.sources,
        "downloads": [{"format": fmt, "repo": repo, "url": f"https://huggingface.co/{repo}", "seen": seen}
                      for fmt, repo, seen in rep.repos],
        "resolved_from": resolved_from,
    }
    if rep.naive_offload is not None:
        n = rep.naive_offload
        out["naive_layer_offload"] = {
            "gpu_layers": n.placement.gpu_layers,
            "offload_percent": r1(n.placement.offload_fraction * 100),
            "decode_tps": r1(n.decode_tps),
            "fit": n.placement.status,
        }
    return out


MATRIX_COLUMNS = ("model", "hardware", "quant", "workload", "context", "fit", "strategy", "grade", "score",
                  "decode_tps", "prefill_tps", "ttft_s", "total_gib", "max_context_on_device")


def matrix_rows(cells: Cells) -> list[dict[str, Any]]:
    """One row per cell whose quant runs on the device and applies to the model (cells of unsupported runtimes, and
    expert-only formats on dense models, are left out)."""
    s = cells.settings
    models, hardware = cells.models.models, cells.hardware.hardware
    total = cells.need_total
    out = []
    applies = np.array([m.is_moe or not s.quant.moe_only for m in models])
    for i, j in zip(*np.nonzero(applies[:, None] & cells.supported[None, :])):
        runs = cells.status[i, j] != ST_NO_FIT
        out.append({
            "model": models[i].name, "hardware": hardware[j].display_name, "quant": s.quant.name,
            "workload": s.workload.key, "context": int(cells.context[i]), "fit": STATUSES[cells.status[i, j]],
            "strategy": STRATEGIES[cells.strategy[i, j]] if runs else None, "grade": LETTERS[cells.letter[i, j]],
            "score": float(cells.score[i, j]),
            "decode_tps": r1(float(cells.decode_tps[i, j])) if runs else None,
            "prefill_tps": r1(float(cells.prefill_tps[i, j])) if runs else None,
            "ttft_s": round(float(cells.ttft_s[i, j]), 3) if runs else None,
            "total_gib": gib(float(total[i, j])), "max_context_on_device": int(cells.safe_context[i, j]),
        })
    return out


def ranked_dict(r: Ranked, req: Request) -> dict[str, Any]:
    """A `rigfit best` row: the model, the quant picked for it, its grade and speed, and the command that runs it."""
    ev = r.evaluation
    repos = {k: v.repo for k, v in get_catalog().repos_for(r.arch).items()}
    cmds = run_commands(r.arch, req.hw, r.quant, ev.context, req.kv_type, ev.placement, req.mode.concurrency, repos)
    return {"model": r.arch.name, "params_b": r.arch.params_b, "quant": r.quant.name, "grade": ev.grade.letter,
            "grade_score": ev.grade.score, "score": r.score, "decode_tps": r1(ev.decode_tps),
            "fit": ev.placement.status, "command": next(iter(cmds.values()), "")}
