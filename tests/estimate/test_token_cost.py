"""The fixed per-token cost (Efficiency.token_us) adds exactly its microseconds to one decode step."""
from __future__ import annotations

import dataclasses

from conftest import gpu, host_ram, llama31_8b
from rigfit.catalog import find_quant
from rigfit.estimate import speed
from rigfit.estimate.fit import place
from rigfit.model import Scenario


def test_token_us_adds_a_fixed_cost_per_step(monkeypatch):
    arch, hw = llama31_8b(), gpu()
    s = Scenario(context=8192, quant=find_quant("Q4_K_M"), host=host_ram())
    p = place(arch, hw, s)
    base = speed.decode_step(arch, hw, s, p, 1024, "CUDA").seconds
    table, host = speed._constants()
    slow = {k: dataclasses.replace(v, token_us=500.0) for k, v in table.items()}
    monkeypatch.setattr(speed, "_constants", lambda: (slow, host))
    # 500 µs per token, independent of bytes and layers: 0.0005 s more per step (hand arithmetic)
    assert abs(speed.decode_step(arch, hw, s, p, 1024, "CUDA").seconds - base - 0.0005) < 1e-12


def test_token_us_defaults_to_zero():
    assert speed.Efficiency(decode_bw=1.0, layer_us=0.0, prefill_mfu=0.5, moe_prefill=0.5).token_us == 0.0
