"""The matrix engine equals the scalar reference, cell by cell: over the catalog at Q4_K_M and the chat workload
(a checkerboard of half its cells: every model on half the devices, every device with half the models), and over a
seeded random sample of other quants, workloads, modes and KV types."""

from __future__ import annotations

import random

import numpy as np
import pytest

from rigfit.catalog.catalog import get_catalog
from rigfit.estimate.evaluate import Evaluation, Request, evaluate
from rigfit.estimate.matrix import LETTERS, STATUSES, STRATEGIES, Cells, Settings, catalog_cells
from rigfit.estimate.report import TABLE_QUANTS

CATALOG = get_catalog()
HOST = CATALOG.hardware_index.find("Desktop DDR5-5600 dual channel 64GB")
REL = 1e-6
SAMPLE = 3000
SETTINGS = 30  # the sample draws this many settings, then 100 random cells under each


def mismatches(cells: Cells, i: int, j: int, ev: Evaluation) -> list[str]:
    p, need = ev.placement, ev.need
    exact = {
        "strategy": (p.strategy, STRATEGIES[cells.strategy[i, j]]),
        "status": (p.status, STATUSES[cells.status[i, j]]),
        "gpu_layers": (p.gpu_layers, int(cells.gpu_layers[i, j])),
        "cpu_moe_layers": (p.cpu_moe_layers, int(cells.cpu_moe_layers[i, j])),
        "max_context_on_device": (ev.safe_context, int(cells.safe_context[i, j])),
        "letter": (ev.grade.letter, LETTERS[cells.letter[i, j]]),
        "backend": (ev.backend, cells.runtime.backend[j]),
        "context": (ev.context, int(cells.context[i])),
    }
    close = {
        "decode": (ev.decode_tps, cells.decode_tps[i, j]), "prefill": (ev.prefill_tps, cells.prefill_tps[i, j]),
        "ttft": (ev.ttft_s, cells.ttft_s[i, j]), "cold_ttft": (ev.cold_ttft_s, cells.cold_ttft_s[i, j]),
        "throughput": (ev.throughput_tps, cells.throughput_tps[i, j]), "score": (ev.grade.score, cells.score[i, j]),
        "weights": (need.weights, cells.weights[i, j]), "weights_file": (need.weights_file, cells.weights_file[i, j]),
        "kv": (need.kv_cache, cells.kv_cache[i, j]), "state": (need.recurrent_state, cells.recurrent_state[i, j]),
        "buffer": (need.compute_buffer, cells.compute_buffer[i, j]), "total": (need.total, cells.need_total[i, j]),
        "device_bytes": (p.device_bytes, cells.device_bytes[i, j]), "host_bytes": (p.host_bytes, cells.host_bytes[i, j]),
        "device_weights": (p.device_weights, cells.device_weights[i, j]),
        "host_weights": (p.host_weights, cells.host_weights[i, j]),
        "offload": (p.offload_fraction, cells.offload_fraction[i, j]),
    }
    bad = [k for k, (a, b) in exact.items() if a != b]
    bad += [k for k, (a, b) in close.items() if not np.isclose(a, float(b), rtol=REL, atol=1e-9)]
    return bad


def check(settings: Settings, cells_ij: list[tuple[int, int]]) -> list[str]:
    cells = catalog_cells(CATALOG, settings)
    failures = []
    for i, j in cells_ij:
        req = Request(CATALOG.models[i], CATALOG.hardware[j], settings.quant, settings.workload, settings.mode,
                      settings.context, settings.kv_type, settings.host)
        bad = mismatches(cells, i, j, evaluate(req))
        if bad:
            failures.append(f"{req.arch.name} on {req.hw.name}: {bad}")
    return failures


CHUNKS = 8  # the catalog check in parts, so pytest-xdist spreads it over the cores
# 247 models x 310 devices is 76,570 scalar evaluations: a checkerboard of half of them keeps `make test` within a
# minute on two cores while every model and every device is still checked against many of the others.
PARITY = 0


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_matrix_equals_scalar_over_the_whole_catalog_at_q4_k_m_chat(chunk):
    settings = Settings(CATALOG.quant("Q4_K_M"), CATALOG.workload("chat"), CATALOG.mode("balanced"), host=HOST)
    every = [(i, j) for i in range(chunk, len(CATALOG.models), CHUNKS) for j in range(len(CATALOG.hardware))
             if (i + j) % 2 == PARITY]
    failures = check(settings, every)
    assert not failures, failures[:5]


def test_matrix_equals_scalar_on_a_random_sample_of_other_settings():
    rng = random.Random(20261205)
    quants = [CATALOG.quant(n) for n in TABLE_QUANTS]
    by_setting: dict[Settings, list[tuple[int, int]]] = {}
    for _ in range(SETTINGS):
        s = Settings(rng.choice(quants), rng.choice(CATALOG.workloads), rng.choice(CATALOG.modes),
                     kv_type=rng.choice(("f16", "q8_0", "q4_0")), host=HOST,
                     context=rng.choice((None, None, 2048, 50000)))
        by_setting.setdefault(s, []).extend(
            (rng.randrange(len(CATALOG.models)), rng.randrange(len(CATALOG.hardware))) for _ in range(SAMPLE // SETTINGS))
    failures = [f for s, cells in by_setting.items() for f in check(s, cells)]
    assert sum(len(v) for v in by_setting.values()) == SAMPLE
    assert not failures, failures[:5]


@pytest.mark.parametrize("model, hardware, status, strategy, ngl, ncmoe", [
    # Kimi Linear Q4_K_M (27.5 GiB of weights) on a 24 GB RTX 3090: the routed experts of the first 7 layers go
    # to host RAM (measured placement in docs/method.md); on a 32 GB RTX PRO 4500 everything fits.
    ("Kimi Linear 48B A3B", "RTX 3090", "offload", "expert_offload", 28, 7),
    ("Kimi Linear 48B A3B", "RTX PRO 4500 Blackwell", "fits", "full_gpu", 28, 0),
    # Llama 3.1 8B Q4_K_M (4.6 GiB) fits on an 8 GB card; Llama 3.3 70B (40 GiB) offloads whole layers there.
    ("Llama 3.1 8B", "RTX 4060 Ti 8GB", "fits", "full_gpu", 33, 0),
])
def test_matrix_placements_by_hand(model, hardware, status, strategy, ngl, ncmoe):
    settings = Settings(CATALOG.quant("Q4_K_M"), CATALOG.workload("chat"), CATALOG.mode("balanced"), host=HOST)
    cells = catalog_cells(CATALOG, settings)
    i = CATALOG.model_row(CATALOG.model_index.find(model))
    j = CATALOG.hardware_col(CATALOG.hardware_index.find(hardware))
    assert (STATUSES[cells.status[i, j]], STRATEGIES[cells.strategy[i, j]]) == (status, strategy)
    assert (cells.gpu_layers[i, j], cells.cpu_moe_layers[i, j]) == (ngl, ncmoe)


def _noflash_pairs(seed: int, n: int, mla_every: int = 0):  # type: ignore[no-untyped-def]
    """Random cells of the no-flash-attention Q4_K_M x chat matrix with their scalar evaluation, single-sequence
    no-flash scenario and workload tokens, where both paths place the model alike (the scalar Request has no flash
    setting: its compute buffer assumes flash, so the larger no-flash buffer may move a layer)."""
    import dataclasses

    from rigfit.estimate.evaluate import workload_tokens

    settings = Settings(CATALOG.quant("Q4_K_M"), CATALOG.workload("chat"), CATALOG.mode("balanced"), host=HOST,
                        flash_attention=False)
    cells = catalog_cells(CATALOG, settings)
    rng = random.Random(seed)
    mla = [i for i, m in enumerate(CATALOG.models) if m.mla]
    for k in range(n):
        i = rng.choice(mla) if mla_every and k % mla_every == 0 else rng.randrange(len(CATALOG.models))
        j = rng.randrange(len(CATALOG.hardware))
        req = Request(CATALOG.models[i], CATALOG.hardware[j], settings.quant, settings.workload, settings.mode,
                      settings.context, settings.kv_type, settings.host)
        ev = evaluate(req)
        if (cells.device_weights[i, j] == ev.placement.device_weights
                and cells.host_weights[i, j] == ev.placement.host_weights):
            single = dataclasses.replace(req.scenario(concurrency=1), flash_attention=False)
            yield cells, i, j, req, ev, single, workload_tokens(req.workload, ev.context)


def test_matrix_prefill_equals_scalar_without_flash_attention():
    """Settings.flash_attention False adds the score-matrix traffic in both paths (speed.score_traffic_seconds)."""
    from rigfit.estimate.speed import prefill_seconds

    checked = 0
    for cells, i, j, req, ev, single, tokens in _noflash_pairs(seed=7, n=300):
        if ev.prefill_tps <= 0:
            continue
        t = prefill_seconds(req.arch, req.hw, single, ev.placement, tokens.prompt, tokens.prefix,
                            req.effective_backend, req.tensor_parallel)
        assert np.isclose(tokens.prompt / t, cells.prefill_tps[i, j], rtol=REL), (req.arch.name, req.hw.name)
        checked += 1
    assert checked > 100


def test_matrix_decode_equals_scalar_without_flash_attention():
    """Settings.flash_attention False moves the device layers' cache reads into the attention term at
    noflash_attn_eff in both paths (speed.noflash_decode), MLA models included."""
    from rigfit.estimate.speed import decode_tokens_per_s

    checked = checked_mla = 0
    for cells, i, j, req, ev, single, tokens in _noflash_pairs(seed=11, n=400, mla_every=4):
        if ev.decode_tps <= 0:
            continue
        tps = decode_tokens_per_s(req.arch, req.hw, single, ev.placement, tokens.decode_depth, req.effective_backend,
                                  req.tensor_parallel)
        assert np.isclose(tps, cells.decode_tps[i, j], rtol=REL), (req.arch.name, req.hw.name)
        checked += 1
        checked_mla += bool(req.arch.mla)
    assert checked > 100 and checked_mla >= 5
