"""Every decision a page shows, with a hand-checked expected value: breaking the rule breaks the test."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rigfit.catalog.catalog import get_catalog
from rigfit.estimate.explain import bottleneck
from rigfit.estimate.market import UPGRADE_MIN_GAIN, letter_rank
from rigfit.estimate.memory import GIB, headroom_bytes, runtime_overhead_bytes, usable_memory_bytes, weight_bytes
from rigfit.estimate.report import QuantRow, best_quant, best_quant_picks, best_quants, build_report, verdict
from rigfit.output import report_dict
from rigfit.query import Query, resolve

CATALOG = get_catalog()


def rep(model: str, hardware: str, **kw):  # type: ignore[no-untyped-def]
    return build_report(CATALOG, resolve(Query(model, hardware, **kw)))


# ---------------------------------------------------------------------------------------------- context limits


def test_kimi_linear_on_a_3090_runs_a_million_tokens_but_nothing_on_the_device_alone():
    # Q4_K_M weights (27.5 GiB on the device) exceed the 3090's 24 GiB before any context: 0 on the device. With
    # the experts of a few layers in 64 GB of host RAM the model's own 1,048,576-token maximum runs: KV is 7 MLA
    # layers x (2 x 512 + 64) x 2 B = 15,232 B/token, 15.2 GiB at 1M tokens.
    r = rep("Kimi Linear 48B A3B", "RTX 3090")
    assert (r.limits.max_context_on_device, r.limits.max_context) == (0, 1_048_576)
    assert r.verdict == "yes_with_offload"


def test_max_context_on_device_by_hand_for_kimi_linear_on_an_rtx_pro_4500():
    r = rep("Kimi Linear 48B A3B", "RTX PRO 4500 Blackwell")
    req = r.request
    kv_per_token = 7 * (2 * 512 + 64) * 2  # MLA latent as llama.cpp caches it, f16
    state = 20 * ((4 - 1) * (2 * 32 * 128 + 32 * 128) + 32 * 128 * 128) * 4  # 20 KDA layers, f32
    buffer = 163_840 * 512 * 4 + 512 * 2304 * 4  # logits of one 512-token ubatch + one activation
    cap = usable_memory_bytes(req.hw) - headroom_bytes(req.hw) - runtime_overhead_bytes(req.hw)
    room = cap - weight_bytes(req.arch, req.quant).device_total - state - buffer
    expected = int(room // kv_per_token) // 256 * 256
    assert r.limits.max_context_on_device == expected
    assert 200_000 < expected < 220_000
    # past that, llama.cpp spills expert layers to host RAM and reaches the model's own 1M-token maximum
    assert r.limits.max_context == 1_048_576


def test_max_context_is_never_below_the_on_device_limit_and_shows_everywhere():
    d = report_dict(rep("Llama 3.1 8B", "RTX 4060 Ti 8GB"))
    lim = d["context_limits"]
    assert lim["max_context"] >= lim["max_context_on_device"] > 0
    assert d["safe_context"]["exact"] == lim["max_context_on_device"]  # the deprecated alias agrees


# ---------------------------------------------------------------------------------------------- verdict


@pytest.mark.parametrize("model, hardware, expected", [
    ("Llama 3.3 70B", "RTX 4060 Ti 8GB", "runs_too_slow"),  # 2 tok/s from host RAM: grade F, not a "yes"
    ("Llama 3.1 8B", "RTX 4090", "yes"),
    ("Kimi Linear 48B A3B", "RTX 3090", "yes_with_offload"),
    ("DeepSeek R1", "RTX 3060 12GB", "no"),  # 400 GB of weights, 64 GB of host RAM
])
def test_verdict_follows_the_grade(model, hardware, expected):
    r = rep(model, hardware)
    assert r.verdict == expected
    assert (r.main.grade.letter in ("D", "F")) == (expected in ("runs_too_slow", "no"))


# ---------------------------------------------------------------------------------------------- best quant


def rows_with(base: QuantRow, quants: dict[str, float]) -> tuple[QuantRow, ...]:
    """Quant rows of a real report, with hand-set decode speeds (everything else as computed)."""
    out = []
    for name, tps in quants.items():
        q = CATALOG.quant(name)
        out.append(QuantRow(q, replace(base.evaluation, decode_tps=tps), None))
    return tuple(out)


def test_best_quant_rule_by_hand():
    r = rep("Llama 3.1 8B", "RTX 4090")  # chat: 20 tok/s, first token within 1.5 s
    base = next(x for x in r.quants if x.quant.name == "Q4_K_M")
    req = r.request
    # F16 (quality 1.000) reaches the target, and so do Q8_0 (0.997) and Q6_K (0.979): within 0.01 of the best
    # quality only F16 and Q8_0 remain, and the faster of them wins.
    assert best_quant(req, rows_with(base, {"F16": 45.0, "Q8_0": 90.0, "Q6_K": 110.0, "Q4_K_M": 150.0}))["quant"] == "Q8_0"
    # F16 too slow: the best quality that reaches 20 tok/s is Q8_0, alone in its band
    assert best_quant(req, rows_with(base, {"F16": 15.0, "Q8_0": 25.0, "Q4_K_M": 60.0}))["quant"] == "Q8_0"
    # nothing reaches 20 tok/s: the fastest of acceptable quality, never Q2_K (quality 0.22, below the 0.45 floor)
    pick = best_quant(req, rows_with(base, {"Q8_0": 5.0, "Q4_K_M": 9.0, "Q2_K": 15.0}))
    assert (pick["quant"], pick["rule"]) == ("Q4_K_M", "fastest_below_target")


def test_best_quant_picks_is_the_rule_by_hand():
    # the three cases above as three cells of one array call: columns are cells, rows the quants F16, Q8_0, Q6_K,
    # Q4_K_M, Q2_K (quality 1.000, 0.997, 0.979, 0.94.., 0.22); chat targets 20 tok/s and 1.5 s
    quants = [CATALOG.quant(n) for n in ("F16", "Q8_0", "Q6_K", "Q4_K_M", "Q2_K")]
    decode = np.array([[45.0, 15.0, 0.0], [90.0, 25.0, 5.0], [110.0, 0.0, 0.0], [150.0, 60.0, 9.0], [0.0, 0.0, 15.0]])
    runs = decode > 0
    ttft = np.full(decode.shape, 0.5)
    picks = best_quant_picks(quants, decode, ttft, runs, CATALOG.workload("chat"))
    assert [quants[k].name for k in picks] == ["Q8_0", "Q8_0", "Q4_K_M"]
    # a first token past the target disqualifies like a slow decode; nothing running picks nothing
    ttft[1, 0] = 2.0
    runs[:, 2] = False
    picks = best_quant_picks(quants, decode, ttft, runs, CATALOG.workload("chat"))
    assert (quants[picks[0]].name, picks[2]) == ("F16", -1)


@pytest.mark.parametrize(("model", "hardware"), [("Llama 3.1 8B", "RTX 3090"), ("Qwen3 30B A3B", "Apple M4 Max 40-core GPU 128GB"),
                                                 ("gpt-oss 120B", "NVIDIA DGX Spark")])
def test_index_pages_best_quant_is_the_pair_pages(model: str, hardware: str):
    # the model page's column (every device) and the hardware page's column (every model) pick what each pair
    # page picks, on every cell of both rows
    req = rep(model, hardware).request
    by_device = best_quants(CATALOG, req, every="hardware")
    by_model = best_quants(CATALOG, req, every="model")
    for j in range(0, len(CATALOG.hardware), 7):
        r = build_report(CATALOG, replace(req, hw=CATALOG.hardware[j]), with_market=False)
        assert by_device[j] == (r.best_quant["quant"] if r.best_quant else None), CATALOG.hardware[j].name
    for i in range(0, len(CATALOG.models), 7):
        r = build_report(CATALOG, replace(req, arch=CATALOG.models[i]), with_market=False)
        assert by_model[i] == (r.best_quant["quant"] if r.best_quant else None), CATALOG.models[i].name


def test_best_quant_on_an_m4_max_is_not_f16():
    r = rep("Llama 3.1 8B", "Apple M4 Max 40-core GPU 128GB")
    assert r.best_quant is not None and r.best_quant["quant"] != "F16"
    best = next(x for x in r.quants if x.best)
    f16 = next(x for x in r.quants if x.quant.name == "F16")
    assert best.evaluation.decode_tps > 1.5 * f16.evaluation.decode_tps


def test_best_quant_always_runs():
    for model, hardware in (("Llama 3.3 70B", "RTX 3090"), ("Qwen3 30B A3B", "RTX 3060 12GB"),
                            ("gpt-oss 120B", "NVIDIA DGX Spark"), ("Llama 3.1 8B", "RTX 4060 Ti 8GB")):
        r = rep(model, hardware)
        best = [x for x in r.quants if x.best]
        assert len(best) == 1 and best[0].evaluation.placement.status != "no_fit", (model, hardware)


# ---------------------------------------------------------------------------------------------- quant rows


def test_rows_that_cannot_run_say_why_and_show_no_speed():
    d = report_dict(rep("Llama 3.3 70B", "RTX 4090"))
    rows = {q["name"]: q for q in d["quants"]}
    # AWQ-INT4 of a 70B model: 41 GiB on a 24 GiB card, and vLLM serves from device memory only
    assert rows["AWQ-INT4"]["decode_tps"] is None
    assert rows["AWQ-INT4"]["why_not"]["code"] == "needs_memory_no_offload"
    assert "cannot offload" in rows["AWQ-INT4"]["why_not"]["text"]
    assert rows["Q4_K_M"]["why_not"] is None and rows["Q4_K_M"]["decode_tps"] > 0


# ---------------------------------------------------------------------------------------------- upgrades


@pytest.mark.parametrize("model, hardware", [
    ("Kimi Linear 48B A3B", "RTX 3090"), ("Kimi Linear 48B A3B", "RTX PRO 4500 Blackwell"),
    ("Llama 3.1 8B", "Apple M4 Max 40-core GPU 128GB"), ("Llama 3.3 70B", "RTX 4060 Ti 8GB"),
])
def test_every_upgrade_is_strictly_better(model, hardware):
    r = rep(model, hardware)
    assert r.upgrades, "a faster priced device exists in the catalog for each of these"
    cur = r.main
    for u in r.upgrades:
        a, b = letter_rank(u.evaluation.grade.letter), letter_rank(cur.grade.letter)
        assert u.evaluation.decode_tps >= cur.decode_tps
        assert a > b or (a == b and u.evaluation.decode_tps >= cur.decode_tps * (1 + UPGRADE_MIN_GAIN))
        assert u.hardware.msrp_usd is not None


def test_the_rtx_5090_upgrades_an_rtx_pro_4500():
    # The case: the 4500 page said no priced device does better while the RTX 5090 ($1,999, 1,792 GB/s vs
    # 896 GB/s) decodes Kimi Linear far faster there.
    r = rep("Kimi Linear 48B A3B", "RTX PRO 4500 Blackwell")
    assert "RTX 5090" in [u.hardware.name for u in r.upgrades]


def test_budget_pick_is_the_cheapest_qualifying_device():
    r = rep("Kimi Linear 48B A3B", "RTX 3090")
    budget = next(u for u in r.upgrades if u.pick == "budget")
    others = [u for u in r.upgrades if u.pick != "budget"]
    assert all(budget.hardware.msrp_usd <= u.hardware.msrp_usd for u in others)


# ---------------------------------------------------------------------------------------------- alternatives


def test_alternatives_include_a_faster_model_and_one_per_family():
    # the best-ranked alternatives of Llama 3.1 8B on a 4090 are 24-32B models at 35-43 tok/s; the list must still
    # offer something faster than the 133 tok/s the user has now
    r = rep("Llama 3.1 8B", "RTX 4090")
    archs = [a.arch for a in r.alternatives]
    assert len(archs) == 5 and len({a.family for a in archs}) == len(archs)
    assert any(a.evaluation.decode_tps > r.main.decode_tps for a in r.alternatives)
    assert r.request.arch.name not in [a.name for a in archs]


# ---------------------------------------------------------------------------------------------- explanations


def test_bandwidth_explanation_adds_up():
    r = rep("Qwen3 30B A3B", "RTX PRO 4500 Blackwell")
    v = r.bottleneck.what.as_dict
    assert r.bottleneck.what.code == "bandwidth"
    assert v["roofline_tps"] == pytest.approx(v["bandwidth_gbs"] / v["gb_per_token"])  # 896 / 2.01 ≈ 445
    assert v["stream_ms"] + v["fixed_ms"] + v["other_ms"] == pytest.approx(v["token_ms"])
    assert 1e3 / v["token_ms"] == pytest.approx(r.main.decode_tps)


def test_bandwidth_explanation_states_the_bandwidth_the_estimate_streams_from():
    # the DGX Spark's LPDDR5X is 273 GB/s on paper and sustains 232 GB/s read (catalog read_bandwidth_gbs): the
    # sentence must name the figure the decode estimate used, or its parts would not add up to the token time
    r = rep("Llama 3.1 8B", "NVIDIA DGX Spark", quant="Q8_0")
    v = r.bottleneck.what.as_dict
    assert r.bottleneck.what.code == "bandwidth"
    assert v["bandwidth_gbs"] == pytest.approx(232.0)
    assert v["stream_ms"] + v["fixed_ms"] + v["other_ms"] == pytest.approx(v["token_ms"])


def test_capacity_bottleneck_names_the_shortfall():
    r = rep("DeepSeek R1", "Apple M4 Max 40-core GPU 128GB")
    b = bottleneck(r.request, r.main)
    assert b.what.code == "capacity"
    # macOS lets the GPU use 3/4 of 128 GB: 96 GiB
    assert b.what["have_gib"] == pytest.approx(96.0)
    assert b.fix["short_gib"] == pytest.approx(b.what["need_gib"] - 96.0)


# ---------------------------------------------------------------------------------------------- serving modes


def test_scale_out_headlines_per_user_and_aggregate_speed():
    d = report_dict(rep("Llama 3.1 8B", "RTX 4090", mode="scale_out"))
    sp = d["speed"]
    assert sp["concurrency"] == 16
    assert sp["per_user_tps"] == pytest.approx(sp["aggregate_tps"] / 16, abs=0.1)
    assert sp["per_user_tps"] < sp["decode_tps"] < sp["aggregate_tps"]


# ---------------------------------------------------------------------------------------------- context chart


def test_context_chart_slows_with_depth_for_full_attention():
    from rigfit.estimate.report import context_sweep

    req = resolve(Query("Llama 3.1 8B", "RTX 4090"))
    points = context_sweep(CATALOG, req, (4096, 16384, 65536, 131072))
    decode = [p.decode_tps for p in points]
    assert decode == sorted(decode, reverse=True) and decode[0] > 1.3 * decode[-1]
    # KV at 128K: 32 layers x 2 x 8 heads x 128 x 2 B = 128 KiB per token = 16 GiB, on top of the weights
    assert points[-1].total_gib - points[0].total_gib == pytest.approx((131072 - 4096) * 128 / 2**20, rel=0.02)


def test_context_chart_of_a_catalog_device_is_its_own_sweep():
    """A catalog device's chart is read from the model's sweep over every device (computed once for all its pages);
    a device outside the catalog (a renamed copy) is swept alone: the points must be the same."""
    from rigfit.estimate.report import context_sweep

    req = resolve(Query("Qwen3 30B A3B", "RTX 3060 12GB"))
    alone = replace(req, hw=replace(req.hw, name="RTX 3060 12GB (copy)", aliases=()))
    contexts = (4096, 32768, 131072)
    assert context_sweep(CATALOG, req, contexts, every_device=True) == context_sweep(CATALOG, alone, contexts)
    assert context_sweep(CATALOG, req, contexts, every_device=True) == context_sweep(CATALOG, req, contexts)


def test_verdict_function_on_every_status():
    r = rep("Llama 3.1 8B", "RTX 4090")
    ev = r.main
    assert verdict(ev) == "yes"
    assert verdict(replace(ev, placement=replace(ev.placement, status="no_fit"))) == "no"
    slow = replace(ev, grade=replace(ev.grade, letter="D"))
    assert verdict(slow) == "runs_too_slow"
    off = replace(ev, placement=replace(ev.placement, strategy="layer_offload", status="offload"))
    assert verdict(off) == "yes_with_offload"


# ---------------------------------------------------------------------------------------------- placement details


def test_tight_fit_uses_the_margin_and_costs_five_percent():
    req = resolve(Query("Llama 3.1 8B", "RTX 4090"))
    need = build_report(CATALOG, req).main.need
    full = need.weights + need.kv_cache + need.recurrent_state + need.compute_buffer  # what the device must hold
    # a card whose usable room (memory - 1 GiB margin - 0.3 GiB runtime) is 0.5 GiB short of that: tight
    tight_gib = (full + 0.3 * GIB + 1 * GIB - 0.5 * GIB) / GIB
    tight_hw = replace(req.hw, name="Tight card", memory_gib=tight_gib, aliases=())
    roomy_hw = replace(tight_hw, name="Roomy card", memory_gib=tight_gib + 1.0)
    t = build_report(CATALOG, replace(req, hw=tight_hw), with_market=False)
    r = build_report(CATALOG, replace(req, hw=roomy_hw), with_market=False)
    assert (t.main.placement.status, r.main.placement.status) == ("tight", "fits")
    assert "tight" in [a.code for a in t.advice]
    # same speed; the score is the weighted parts × 0.95 for running without llama.cpp's margin
    assert t.main.decode_tps == pytest.approx(r.main.decode_tps)
    mode = req.mode
    parts = dict(t.main.grade.parts)
    weighted = sum(mode.weight(k) * v for k, v in parts.items()) / sum(w for _, w in mode.weights)
    assert t.main.grade.score == pytest.approx(100 * weighted * 0.95, abs=0.06)


def test_a_smaller_host_turns_an_offload_into_a_host_ram_no():
    # Llama 3.3 70B Q4_K_M: 40 GiB of weights, about 18 GiB of them offloaded from a 24 GiB card; 64 GB of host RAM
    # (60 GiB usable) holds them, 32 GB (28 GiB usable) does too, but Q8_0's ~50 GiB offload does not fit in 28 GiB.
    big = rep("Llama 3.3 70B", "RTX 4090", quant="Q8_0")
    small = rep("Llama 3.3 70B", "RTX 4090", quant="Q8_0", host="Desktop DDR4-3200 dual channel 32GB")
    assert big.main.placement.status == "offload"
    assert small.main.placement.status == "no_fit" and small.bottleneck.what.code == "host_ram"
    assert small.main.placement.host_capacity == pytest.approx((32 - 4) * GIB)


def test_expert_offload_advice_names_the_layer_count():
    r = rep("Kimi Linear 48B A3B", "RTX 3090")
    advice = {a.code: a for a in r.advice}
    assert advice["expert_offload"]["cpu_moe_layers"] == r.main.placement.cpu_moe_layers == 7
    assert "--n-cpu-moe 7" in r.commands["llama.cpp"]


def test_vllm_is_offered_where_a_vllm_format_fits_and_mlx_on_apple():
    # Qwen3 8B: FP8 weights (8.2 GB) fit a 32 GB RTX PRO 4500 → a vLLM command beside llama.cpp's
    assert "vllm" in rep("Qwen3 8B", "RTX PRO 4500 Blackwell").commands
    assert "mlx" in rep("Llama 3.1 8B", "Apple M4 Max 40-core GPU 128GB").commands
    assert rep("DeepSeek R1", "RTX 3060 12GB").commands == {}  # nothing to run: no command


def test_tensor_parallel_splits_the_bytes_over_the_devices():
    one = rep("Llama 3.3 70B", "H100 SXM", quant="FP8")
    two = rep("Llama 3.3 70B", "H100 SXM", quant="FP8", gpus=2)
    assert two.main.backend == "vLLM" and two.request.tensor_parallel
    # each device streams half the weights per token, but every device still runs all 80 layers' kernels and the
    # layers add 2 x 10 us of all-reduce: ~69 GB at 3.35 TB/s is 21 ms on one GPU, 10 ms on two, plus ~6 ms of
    # per-layer cost on both: about 1.5x, never 2x
    assert 1.4 * one.main.decode_tps < two.main.decode_tps < 2.0 * one.main.decode_tps


def test_mxfp4_sizes_and_dense_models():
    # gpt-oss 20B as ggml-org ships it (experts MXFP4, the rest BF16) measures 12.83 GiB in llama-bench; the
    # llama-quantize MXFP4_MOE kind keeps the rest in Q8_0 instead, so it is smaller.
    from rigfit.estimate.memory import weight_bytes

    arch = CATALOG.model_index.find("gpt-oss 20B")
    bf16_rest = weight_bytes(arch, CATALOG.quant("MXFP4")).total / GIB
    q8_rest = weight_bytes(arch, CATALOG.quant("MXFP4_MOE")).total / GIB
    assert bf16_rest == pytest.approx(12.83, rel=0.05)
    assert q8_rest < bf16_rest
    # a dense model has no routed experts: no MXFP4 row, and asking for it is one clear error
    names = [r.quant.name for r in rep("Llama 3.3 70B", "RTX 4090").quants]
    assert "MXFP4" not in names and "Q4_K_M" in names
    from rigfit.query import UserError

    with pytest.raises(UserError, match="routed experts"):
        resolve(Query("Llama 3.3 70B", "RTX 4090", quant="MXFP4"))
