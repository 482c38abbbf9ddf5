"""Other hardware and other models: upgrades, alternatives and rankings, all read from the matrix.

Upgrade picks must be strictly better than the current setup on the chosen workload: a higher grade letter, or
the same letter and at least UPGRADE_MIN_GAIN faster decode; and never slower decode than now. Rankings of models on one device use one documented
score (rank_score) for `rigfit best`, the alternatives on a pair page and hardware pages alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from rigfit.estimate.evaluate import Evaluation, Request
from rigfit.estimate.explain import Note, note
from rigfit.estimate.fit import EXPERT_OFFLOAD, FULL_GPU, LAYER_OFFLOAD, NO_FIT
from rigfit.estimate.matrix import LETTERS, ST_NO_FIT, Cells, Settings, cell_evaluation, hardware_row, model_column
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant

UPGRADE_MIN_GAIN = 0.10  # same grade letter: at least 10 % faster decode to count as better
RANK_LADDER = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ3_M", "Q2_K")  # highest quality first
GOOD_LETTERS = ("S", "A")


def settings_of(req: Request, quant: Quant | None = None) -> Settings:
    return Settings(quant=quant or req.quant, workload=req.workload, mode=req.mode, kv_type=req.kv_type,
                    host=req.host, context=req.context, backend=req.backend)


def letter_rank(letter: str) -> int:
    """Higher is better: S = 5 ... F = 0."""
    return len(LETTERS) - 1 - LETTERS.index(letter)


@dataclass(frozen=True)
class Upgrade:
    pick: str  # budget | value | vendor
    hardware: Hardware
    evaluation: Evaluation
    why: tuple[Note, ...]


def upgrades(catalog, req: Request, current: Evaluation, limit: int = 3,  # type: ignore[no-untyped-def]
             shared: bool = True) -> tuple[Upgrade, ...]:
    """Budget pick (cheapest better device), best value (decode per dollar) and the cheapest same-vendor device
    with no slower memory, among priced catalog devices strictly better than the current setup."""
    cells, i = hardware_row(catalog, req.arch, settings_of(req), shared)
    table = cells.hardware.hardware
    price = _prices(table).copy()
    price[[j for j, h in enumerate(table) if h.name == req.hw.name]] = np.nan
    decode, letter = cells.decode_tps[i], cells.letter[i]
    rank = len(LETTERS) - 1 - letter  # letter_rank, vectorized
    cur_rank = letter_rank(current.grade.letter)
    if current.placement.status == NO_FIT:
        ok = np.ones_like(decode, dtype=bool)
    else:
        ok = (decode >= current.decode_tps) & ((rank > cur_rank) | ((rank == cur_rank) & (
            decode >= current.decode_tps * (1 + UPGRADE_MIN_GAIN))))
    runs = (cells.status[i] != ST_NO_FIT) & cells.supported  # Cells.runs, one row
    candidates = np.nonzero(runs & ~np.isnan(price) & ok)[0]
    if not candidates.size:
        return ()
    # an upgrade that still grades C or worse is not worth a purchase while one that grades S or A exists
    good = candidates[np.isin(letter[candidates], [LETTERS.index(x) for x in GOOD_LETTERS])]
    candidates = good if good.size else candidates
    picks: list[Upgrade] = []

    def add(pick: str, j: int | None) -> None:
        if j is not None and all(u.hardware.name != table[j].name for u in picks) and len(picks) < limit:
            ev = cell_evaluation(cells, i, j)
            picks.append(Upgrade(pick, table[j], ev, why(req, current, table[j], ev)))

    def unused(js: np.ndarray) -> list[int]:
        return [int(j) for j in js if all(u.hardware.name != table[j].name for u in picks)]

    add("budget", min(unused(candidates), key=lambda j: (price[j], -cells.score[i, j])))
    add("value", max(unused(candidates), key=lambda j: decode[j] / price[j], default=None))
    same = [j for j in unused(candidates) if table[j].vendor == req.hw.vendor and table[j].bandwidth_gbs >= req.hw.bandwidth_gbs]
    add("vendor", min(same, key=lambda j: price[j], default=None))
    return tuple(picks)


@lru_cache(maxsize=16)
def _prices(table: tuple[Hardware, ...]) -> np.ndarray:
    """Launch price of each device that can be bought as an upgrade (NaN: no price, or a CPU host)."""
    return np.array([h.msrp_usd if h.msrp_usd is not None and h.kind != "cpu" else np.nan for h in table])


def why(req: Request, cur: Evaluation, hw: Hardware, ev: Evaluation) -> tuple[Note, ...]:
    out = []
    if cur.placement.status == NO_FIT:
        out.append(note("makes_it_fit"))
    elif cur.placement.strategy in (EXPERT_OFFLOAD, LAYER_OFFLOAD) and ev.placement.strategy == FULL_GPU:
        out.append(note("no_offload"))
    if cur.decode_tps > 0:
        out.append(note("faster_decode", ratio=ev.decode_tps / cur.decode_tps, decode_tps=ev.decode_tps))
    if hw.bandwidth_gbs > req.hw.bandwidth_gbs:
        out.append(note("more_bandwidth", ratio=hw.bandwidth_gbs / req.hw.bandwidth_gbs))
    if ev.safe_context > cur.safe_context:
        out.append(note("longer_context_on_device", max_context_on_device=ev.safe_context, now=cur.safe_context))
    return tuple(out)


# ---------------------------------------------------------------------------------------------- model rankings


def quality_points(total_params_b: float, active_params_b: float, quality_rank: float) -> float:
    """100 × min(1, log10(size) / 2) × quant quality, size = √(total × active params in B): dense models count
    their size, MoE models sit between total and active; 100 B and more scores full marks."""
    size = math.sqrt(max(total_params_b, 0.01) * max(active_params_b, 0.01))
    return 100 * min(1.0, max(0.0, math.log10(size) / 2)) * quality_rank


@lru_cache(maxsize=64)
def _quality_column(catalog, quant: Quant) -> np.ndarray:  # type: ignore[no-untyped-def]
    """quality_points of every catalog model at one quant."""
    return np.array([quality_points(a.params_b, a.active_params / 1e9, quant.quality_rank) for a in catalog.models])


def rank_score(grade_score: np.ndarray, quality: np.ndarray, decode_tps: np.ndarray) -> np.ndarray:
    """0.4 × grade score + 0.45 × quality points + 0.15 × speed points (2 × decode tok/s, at most 100): a small
    model that runs fast and a large one that runs acceptably both rank; past 50 tok/s speed stops mattering."""
    return 0.4 * grade_score + 0.45 * quality + 0.15 * np.minimum(100.0, 2 * decode_tps)


@dataclass(frozen=True)
class Ranked:
    arch: Architecture
    quant: Quant
    evaluation: Evaluation
    score: float


@dataclass(frozen=True, eq=False)
class _Ranking:
    """Every catalog model on one device, ranked: the ladder quant each runs at and its score. Arrays only: the
    matrices it was read from stay in their own caches."""

    chosen: np.ndarray  # (M,) index into the ladder
    decode: np.ndarray  # (M,) decode tok/s at that quant
    total: np.ndarray  # (M,) rank_score
    order: tuple[int, ...]  # models that run there, best first


@lru_cache(maxsize=1024)  # per device and setting: every pair page of a device shares its ranking
def _ranking(catalog, hw: Hardware, ladder: tuple[Settings, ...], shared: bool) -> _Ranking:  # type: ignore[no-untyped-def]
    columns = [model_column(catalog, hw, s, shared) for s in ladder]
    runs = np.array([c.supported[j] & (c.status[:, j] != ST_NO_FIT) for c, j in columns])  # (Q, M)
    scores = np.array([c.score[:, j] for c, j in columns])
    good = runs & np.isin(np.array([c.letter[:, j] for c, j in columns]), [LETTERS.index(x) for x in GOOD_LETTERS])
    first_good = np.argmax(good, axis=0)
    best_graded = np.argmax(np.where(runs, scores, -1.0), axis=0)
    chosen = np.where(good.any(axis=0), first_good, best_graded)
    m_idx = np.arange(len(catalog.models))
    decode = np.array([c.decode_tps[:, j] for c, j in columns])[chosen, m_idx]
    quality = np.stack([_quality_column(catalog, s.quant) for s in ladder])[chosen, m_idx]
    total = rank_score(scores[chosen, m_idx], quality, decode)
    eligible = runs.any(axis=0)
    order = tuple(int(m) for m in np.argsort(-np.where(eligible, total, -np.inf), kind="stable") if eligible[m])
    return _Ranking(chosen, decode, total, order)


def rank_models(catalog, req: Request, limit: int = 10, exclude: str = "",  # type: ignore[no-untyped-def]
                one_per_family: bool = False, shared: bool = True,
                faster_than: float | None = None) -> tuple[Ranked, ...]:
    """Every catalog model on the request's hardware at the first ladder quant (highest quality first) that grades
    S or A, else its best-graded one; ranked by rank_score. faster_than: when none of the top models decodes faster
    than this, the last place goes to the best-ranked one that does (a smaller, faster choice stays on the list)."""
    quants = [catalog.quant(n) for n in RANK_LADDER] if req.quant.family == "gguf" else [req.quant]
    ladder = tuple(replace(settings_of(req, q), context=None) for q in quants)
    r = _ranking(catalog, req.hw, ladder, shared)
    order = [m for m in r.order if catalog.models[m].name != exclude]
    if one_per_family:  # three point releases of one family are one choice, not three
        seen: set[str] = set()
        order = [m for m in order if not (catalog.models[m].family in seen or seen.add(catalog.models[m].family))]
    top = order[:limit]
    if faster_than is not None and top and not any(r.decode[m] > faster_than for m in top):
        faster = next((m for m in order[limit:] if r.decode[m] > faster_than), None)
        if faster is not None:
            top[-1] = faster
    out = []
    for m in top:
        cells, j = model_column(catalog, req.hw, ladder[r.chosen[m]], shared)
        out.append(Ranked(catalog.models[m], quants[r.chosen[m]], cell_evaluation(cells, m, j), round(float(r.total[m]), 1)))
    return tuple(out)
