"""Monotonicity: more memory or more bandwidth never lowers a grade, a speed, or a safe context."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import gemma3_like, gpu, host_ram, kimi_linear, llama31_8b, mamba_hybrid
from rigfit.catalog import find_quant
from rigfit.catalog.workloads import load_modes, load_workloads
from rigfit.estimate.evaluate import Request, evaluate

ARCHS = [llama31_8b(), kimi_linear(), gemma3_like(), mamba_hybrid()]
QUANTS = ["Q4_K_M", "Q8_0", "Q2_K", "F16"]

common = dict(
    arch_i=st.integers(0, len(ARCHS) - 1),
    quant=st.sampled_from(QUANTS),
    mem=st.floats(2, 160),
    bw=st.floats(150, 8000),  # a GPU faster than its host RAM (else offloading more is faster)
    extra=st.floats(0.5, 200),
    workload=st.sampled_from(load_workloads()),
    mode=st.sampled_from(load_modes()),
)


def request(arch_i, quant, mem, bw, workload, mode) -> Request:
    return Request(ARCHS[arch_i], gpu(mem, bw, 100), find_quant(quant), workload, mode, host=host_ram())


@settings(max_examples=60, deadline=None)
@given(**common)
def test_more_memory_never_lowers_the_grade(arch_i, quant, mem, bw, extra, workload, mode):
    base = request(arch_i, quant, mem, bw, workload, mode)
    more = replace(base, hw=gpu(mem + extra, bw, 100))
    a, b = evaluate(base), evaluate(more)
    assert b.grade.score >= a.grade.score - 1e-9
    assert b.safe_context >= a.safe_context
    assert b.decode_tps >= a.decode_tps - 1e-9


@settings(max_examples=60, deadline=None)
@given(**common)
def test_more_bandwidth_never_lowers_the_grade(arch_i, quant, mem, bw, extra, workload, mode):
    base = request(arch_i, quant, mem, bw, workload, mode)
    more = replace(base, hw=gpu(mem, bw + extra * 10, 100))
    a, b = evaluate(base), evaluate(more)
    assert b.grade.score >= a.grade.score - 1e-9
    assert b.decode_tps >= a.decode_tps - 1e-9


@settings(max_examples=40, deadline=None)
@given(arch_i=common["arch_i"], quant=common["quant"], ctx=st.integers(1, 200_000), more=st.integers(1, 200_000))
def test_memory_need_grows_with_context(arch_i, quant, ctx, more):
    from rigfit.estimate.fit import memory_need
    from rigfit.model import Scenario

    arch = ARCHS[arch_i]
    s1 = Scenario(quant=find_quant(quant), context=ctx)
    s2 = Scenario(quant=find_quant(quant), context=ctx + more)
    assert memory_need(arch, gpu(), s2).total >= memory_need(arch, gpu(), s1).total


@settings(max_examples=30, deadline=None)
@given(arch_i=common["arch_i"], n=st.integers(1, 32), ctx=st.integers(256, 65536))
def test_more_sequences_never_need_less_memory(arch_i, n, ctx):
    from rigfit.estimate.fit import memory_need
    from rigfit.model import Scenario

    arch, q = ARCHS[arch_i], find_quant("Q4_K_M")
    one = memory_need(arch, gpu(), Scenario(quant=q, context=ctx, concurrency=n))
    more = memory_need(arch, gpu(), Scenario(quant=q, context=ctx, concurrency=n + 1))
    assert more.context_state >= one.context_state


def test_a_model_that_cannot_run_is_f_zero():
    from rigfit.catalog.workloads import find_mode, find_workload

    req = Request(kimi_linear(), gpu(4), find_quant("F16"), find_workload("chat"), find_mode("balanced"),
                  host=host_ram(8))
    ev = evaluate(req)
    assert ev.placement.status == "no_fit"
    assert (ev.grade.letter, ev.grade.score) == ("F", 0.0)
