"""Decode without flash attention (llama.cpp -fa 0): ggml runs one token's attention as a matrix-vector product per
query head over its KV head's cache (src/llama-graph.cpp build_attn_mha), so the cache reads are attention work at
noflash_attn_eff and no separate single pass over the cache. Every expected value is worked by hand in the comments."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import gpu, kimi_linear, llama31_8b
from rigfit.catalog import find_model, find_quant
from rigfit.estimate import speed
from rigfit.estimate.fit import place
from rigfit.model import Scenario


def _constants(monkeypatch, **changes):
    """Every backend at peak bandwidth, no fixed costs, attention at 1 % of peak (flash) unless `changes` say."""
    table, host = speed._constants()
    flat = speed.Efficiency(decode_bw=1.0, layer_us=0.0, prefill_mfu=0.5, moe_prefill=0.5, attn_eff=0.01)
    monkeypatch.setattr(speed, "_constants", lambda: ({k: dataclasses.replace(flat, **changes) for k in table}, host))


def _step(arch, flash: bool, depth: int, hw=None):
    hw = hw or gpu(memory_gib=80, bandwidth_gbs=1000, tflops=100)
    s = Scenario(context=8192, quant=find_quant("F16"), flash_attention=flash)
    return speed.decode_step(arch, hw, s, place(arch, hw, s), depth, "CUDA")


def test_noflash_step_drops_the_cache_pass_and_attends_at_its_own_efficiency(monkeypatch):
    """Llama 3.1 8B, F16, depth 4096, on a 1000 GB/s, 100 TFLOPS GPU.
    Cache pass (flash path): 32 layers x 4096 cells x (K + V: 2 x 8 heads x 128 dims x 2 bytes = 4096 B)
    = 536,870,912 B = 0.536870912 ms at 1000 GB/s.
    Attention FLOPs: 32 layers x 4096 cells x 4 x 32 heads x 128 dims = 2,147,483,648:
    at 1 % of 100 TFLOPS 2.147483648 ms; at 0.5 % (noflash_attn_eff) 4.294967296 ms.
    Without flash attention: the weights' time is the same, the cache pass goes, the attention doubles:
    t(noflash) - t(flash) = -0.536870912 + 4.294967296 - 2.147483648 = 1.610612736 ms."""
    _constants(monkeypatch, noflash_attn_eff=0.005)
    arch = llama31_8b()
    on, off = _step(arch, True, 4096), _step(arch, False, 4096)
    assert on.device_bytes - off.device_bytes == 536_870_912
    assert off.seconds - on.seconds == pytest.approx(1.610612736e-3, rel=1e-9)


def test_noflash_efficiency_defaults_to_attn_eff(monkeypatch):
    """Not fitted apart (None): the same attention efficiency, so only the cache pass (0.536870912 ms) goes."""
    _constants(monkeypatch)
    arch = llama31_8b()
    assert speed.Efficiency(decode_bw=1.0, layer_us=0.0, prefill_mfu=0.5, moe_prefill=0.5).noflash_attn_eff is None
    assert _step(arch, True, 4096).seconds - _step(arch, False, 4096).seconds == pytest.approx(0.536870912e-3, rel=1e-9)


def test_mla_noflash_decode_attends_over_the_latent_per_head(monkeypatch):
    """GLM-4.7-Flash (47 MLA layers, 20 heads, kv_lora_rank 512, rope 64) at depth 32768, F16 cache.
    Flash path: the latent is read once, 47 x 32768 x (512 + 64) x 2 B = 1,774,190,592 B.
    Without flash attention every one of the 20 heads is its own mat-vec over the latent (MQA): the attention
    FLOPs 47 x 32768 x 2 x 20 x (2 x 512 + 64) = 67,024,977,920 (one multiply-add per f16 element read, 43,520 per
    cell and layer = 20 heads x 1088 dims x 2 B) are that traffic; at 1 % of 100 TFLOPS 67.02497792 ms, where
    the single pass over the latent is 1.774190592 ms at 1000 GB/s: reading it once per head is what -fa 0 costs."""
    _constants(monkeypatch)
    arch = find_model("GLM-4.7-Flash")
    on, off = _step(arch, True, 32768), _step(arch, False, 32768)
    assert on.device_bytes - off.device_bytes == 1_774_190_592
    assert speed.attention_flops(arch, 32768, decode=True) == 67_024_977_920
    assert on.seconds - off.seconds == pytest.approx(1.774190592e-3, rel=1e-9)


def test_recurrent_state_stays_a_byte_read_without_flash_attention():
    """Kimi Linear's KDA layers keep their state: (conv (4 - 1) x (2 x 32 x 128 + 32 x 128) = 36,864 + state
    32 x 128 x 128 = 524,288) x 4 B = 2,244,608 B, read and written back: 4,489,216 B per KDA layer with cache=False;
    its MLA layers read nothing there."""
    arch = kimi_linear()
    ctx = speed.context_read_bytes(arch, 4096, 2.0, cache=False)
    kinds = np.array(list(arch.mixers))
    assert set(ctx[kinds == "M"]) == {0.0}
    assert set(ctx[kinds == "L"]) == {2 * 2_244_608.0}


def test_cpu_only_keeps_the_flash_path():
    # a CPU attends row by row in cache whatever -fa says (speed.noflash_decode)
    s = Scenario(context=4096, quant=find_quant("Q4_K_M"), flash_attention=False)
    assert speed.noflash_decode(s, cpu_only=True) is False
    assert speed.noflash_decode(s, cpu_only=False) is True
    assert speed.noflash_decode(dataclasses.replace(s, flash_attention=True), cpu_only=False) is False


def test_calibrate_recovers_both_attention_efficiencies():
    """calibrate._fit_decode on rows made from known constants: bandwidth 80 % (a = 1.25), 50 us per layer,
    flash attention at 2 % (g = 50), no-flash at 0.5 % (h = 200). Each row's seconds = 1.25 raw + 50e-6 layers
    + 50 at + 200 an, so the least-squares fit in relative error returns them exactly."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from calibrate import _fit_decode

    rows = []
    for raw, layers, at, noflash in [(4e-3, 32, 1e-5, False), (8e-3, 80, 4e-5, False), (2e-3, 24, 8e-5, False),
                                     (5e-3, 32, 2e-5, True), (9e-3, 64, 6e-5, True), (1e-3, 40, 9e-5, True)]:
        at_f, at_n = (0.0, at) if noflash else (at, 0.0)
        rows.append((raw, float(layers), at_f, at_n, 1.25 * raw + 50e-6 * layers + 50 * at_f + 200 * at_n))
    a, c, g, h = _fit_decode(rows)
    assert (a, c, g, h) == pytest.approx((1.25, 50e-6, 50.0, 200.0), rel=1e-9)


def test_calibrate_merges_a_noflash_column_too_thin_to_stand_alone():
    """Only two no-flash rows (MIN_ROWS is 3): they join the flash column, whose one efficiency then fits all six
    rows made with g = 50 for both kinds (a = 1.25, 50 us per layer), and h is 0 (not fitted apart)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from calibrate import _fit_decode

    rows = []
    for raw, layers, at, noflash in [(4e-3, 32, 1e-5, False), (8e-3, 80, 4e-5, False), (2e-3, 24, 8e-5, False),
                                     (3e-3, 28, 3e-5, False), (5e-3, 32, 2e-5, True), (9e-3, 64, 6e-5, True)]:
        at_f, at_n = (0.0, at) if noflash else (at, 0.0)
        rows.append((raw, float(layers), at_f, at_n, 1.25 * raw + 50e-6 * layers + 50 * at))
    assert _fit_decode(rows) == pytest.approx((1.25, 50e-6, 50.0, 0.0), rel=1e-9)
