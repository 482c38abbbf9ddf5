"""Catalog-wide invariants, over every cell of the matrix (every model × every device) at the table quants and
every workload: cheap to check once the matrix exists, and each one catches a class of wrong decisions."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
import pytest

from rigfit.catalog.catalog import get_catalog
from rigfit.catalog.loader import load_data
from rigfit.estimate.matrix import LETTERS, ST_FITS, ST_NO_FIT, RowTokens, Settings, catalog_cells, compute, workload_rows
from rigfit.estimate.report import TABLE_QUANTS
from rigfit.estimate.tables import hardware_table, model_table

CATALOG = get_catalog()
HOST = CATALOG.hardware_index.find("Desktop DDR5-5600 dual channel 64GB")
MODES = ("balanced", "scale_out")


def settings(quant: str = "Q4_K_M", workload: str = "chat", mode: str = "balanced") -> Settings:
    return Settings(CATALOG.quant(quant), CATALOG.workload(workload), CATALOG.mode(mode), host=HOST)


@pytest.mark.parametrize("quant", TABLE_QUANTS)
def test_every_cell_is_finite_and_consistent(quant):
    for workload in CATALOG.workloads:
        for mode in MODES:
            c = catalog_cells(CATALOG, settings(quant, workload.key, mode))
            for name in ("decode_tps", "prefill_tps", "ttft_s", "throughput_tps", "score", "device_bytes", "host_bytes",
                         "offload_fraction"):
                a = getattr(c, name)
                assert np.isfinite(a).all() and (a >= 0).all(), (quant, workload.key, name)
            runs = c.status != ST_NO_FIT
            # a setup that runs has a speed; one that cannot run has none, grade F and score 0 (verdict "no")
            assert (c.decode_tps[runs] > 0).all() and (c.prefill_tps[runs] > 0).all() and (c.ttft_s[runs] > 0).all()
            assert (c.decode_tps[~runs] == 0).all()
            assert (c.letter[~runs] == LETTERS.index("F")).all() and (c.score[~runs] == 0).all()
            assert (c.score[runs] > 0).all()
            # the letter is the score's band
            bands = np.array([90, 78, 64, 50, 35, 0])[c.letter]
            assert (c.score >= bands).all()
            # the on-device context limit never exceeds the model's maximum, and is the maximum when it all fits
            assert (c.safe_context <= c.models.max_context[:, None]).all()
            # a context that fits on the device bounds the on-device limit from below
            fits_here = c.status == ST_FITS
            assert (c.safe_context >= (c.context[:, None] // 256) * 256)[fits_here].all()


def test_likely_ranges_contain_the_estimate():
    for kind, q in load_data("efficiency")["uncertainty"].items():
        assert q["p10"] <= 0 <= q["p90"], kind  # value / (1 + p90) <= value <= value / (1 + p10)


def test_decode_never_speeds_up_with_depth():
    s = settings()
    models, hw = model_table(CATALOG.models), hardware_table(CATALOG.hardware)
    base = workload_rows(models, s.workload, None)
    vendors = CATALOG.family_vendors["gguf"]
    shallow = compute(models, hw, s, vendors, replace(base, depth=np.minimum(base.depth, 1024)))
    deep = compute(models, hw, s, vendors, replace(base, depth=base.context))
    runs = shallow.status != ST_NO_FIT
    assert (deep.decode_tps[runs] <= shallow.decode_tps[runs] * (1 + 1e-12)).all()


# Known defect, kept visible: on GPUs without tensor cores (Pascal, GTX 16 series: their matrix peak is a vector
# rate) the decode-attention efficiency calibrated on tensor-core GPUs makes GPU attention slower than the host
# CPU's, so moving layers onto such a card can lower its modelled speed. The calibration data has no measurements
# of them to fit a constant of their own (docs/method.md, "Known limits"); they are left out of these checks.
CHECKED = np.array([not (h.arch_key == "pascal" or h.name.startswith("GTX ")) for h in CATALOG.hardware])


@lru_cache(maxsize=None)
def scaled_hardware(memory: float = 1.0, bandwidth: float = 1.0) -> tuple:
    return tuple(replace(h, memory_gib=h.memory_gib * memory, bandwidth_gbs=h.bandwidth_gbs * bandwidth, aliases=())
                 for h in CATALOG.hardware)


def pair(s: Settings, memory: float = 1.0, bandwidth: float = 1.0):  # type: ignore[no-untyped-def]
    models = model_table(CATALOG.models)
    vendors = CATALOG.family_vendors[s.quant.family]
    base = compute(models, hardware_table(CATALOG.hardware), s, vendors)
    more = compute(models, hardware_table(scaled_hardware(memory, bandwidth)), s, vendors)
    return base, more


@pytest.mark.parametrize("quant, workload, mode", [("Q4_K_M", "chat", "balanced"), ("Q8_0", "coding", "balanced"),
                                                   ("Q4_K_M", "agentic_coding", "scale_out")])
def test_more_memory_never_lowers_grade_or_context(quant, workload, mode):
    base, more = pair(settings(quant, workload, mode), memory=1.25)
    worse = (more.score < base.score - 1e-9) & CHECKED[None, :]
    assert not worse.any(), np.argwhere(worse)[:5]
    assert (more.safe_context >= base.safe_context).all()


@pytest.mark.parametrize("quant, workload", [("Q4_K_M", "chat"), ("F16", "rag")])
def test_more_bandwidth_never_lowers_decode_of_a_model_that_fits(quant, workload):
    base, more = pair(settings(quant, workload), bandwidth=1.5)
    fits = (base.status != ST_NO_FIT) & (base.strategy == 0)
    assert (more.decode_tps[fits] >= base.decode_tps[fits]).all()


def test_one_family_keeps_its_bandwidth_order():
    """Devices of one vendor and generation with the same compute path: more bandwidth, at least as fast a decode
    for every model that fits both (the M2 Ultra vs M3 Ultra kind of inversion is across generations and needs a
    measured reason)."""
    c = catalog_cells(CATALOG, settings())
    table = CATALOG.hardware
    groups: dict[tuple, list[int]] = {}
    for j, h in enumerate(table):
        groups.setdefault((h.vendor, h.kind, h.arch_key, h.memory_type), []).append(j)
    inversions = []
    for cols in groups.values():
        for a in cols:
            for b in cols:
                ha, hb = table[a], table[b]
                if ha.bandwidth_gbs <= hb.bandwidth_gbs * 1.05 or (ha.matrix_tflops or 0) < (hb.matrix_tflops or 0):
                    continue
                both = (c.strategy[:, a] == 0) & (c.strategy[:, b] == 0) & (c.status[:, a] != ST_NO_FIT) & (
                    c.status[:, b] != ST_NO_FIT)
                bad = both & (c.decode_tps[:, a] < c.decode_tps[:, b])
                inversions += [(CATALOG.models[i].name, ha.name, hb.name) for i in np.nonzero(bad)[0]]
    assert not inversions, inversions[:5]
