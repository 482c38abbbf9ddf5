"""One formatter: pair, model and hardware pages, the embed card, the badge and the CLI write every quantity the
way rigfit/format.py does, and no engine identifier (no_fit, scale_out, ...) reaches a reader."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from rigfit import format as fmt
from rigfit.output import report_dict
from rigfit.query import Query, run_query
from rigfit.web.app import create_app

KIMI = "Kimi Linear 48B A3B"
# Identifiers the engine emits (fit statuses, modes, workloads, strategies, verdicts, rules, picks): none may be
# read as text. Commands (<pre>/<code>) may hold flags, never these.
RAW = re.compile(r"\b(no_fit|scale_out|light_api|yes_with_offload|runs_too_slow|agentic_coding|full_gpu|"
                 r"expert_offload|layer_offload|cpu_only|wont_fit|meets_target|kv_cache|offload_percent|"
                 r"decode_tps|total_gib)\b")


class Visible(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "pre"):  # <pre>: commands and the embed snippet, URLs and flags
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "pre"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible(html: str) -> str:
    p = Visible()
    p.feed(html)
    text = re.sub(r"\s+", " ", " ".join(p.parts))
    return re.sub(r"\S*/\S*\?\S*", "", text)  # a link written out (the share URL) carries the query as it is


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


# (model, hardware, why): every number of these two pages is checked against the JSON report
PAIRS = [
    # decode 134.2 tok/s (above 100: written whole, "134"), in scale-out mode for agentic coding: every
    # identifier kind (mode, workload, strategy, verdict) on the page
    (KIMI, "RTX 3090", "kimi-linear-48b-a3b-on-rtx-3090", {"workload": "agentic_coding", "mode": "scale_out"}),
    # 47,872 tokens on the accelerator alone: no multiple of 1,024, written "46K" (rounded down)
    ("Gemma 3 12B", "RTX 3060 12GB", "gemma-3-12b-on-rtx-3060-12gb", {}),
]


@pytest.fixture(scope="module", params=PAIRS, ids=["kimi-3090", "gemma-3060"])
def pair(request, client) -> tuple[dict, str]:
    model, hw, slug, q = request.param
    d = report_dict(run_query(Query(model, hw, **q)))
    r = client.get(f"/can-run/{slug}", params=q)
    assert r.status_code == 200
    return d, visible(r.text)


@pytest.fixture(scope="module")
def report() -> dict:
    return report_dict(run_query(Query(KIMI, "RTX 3090", workload="agentic_coding", mode="scale_out")))


def _speeds(d: dict) -> list[float]:
    return [v for v in [d["speed"]["decode_tps"], d["speed"]["prefill_tps"], *d["speed"]["decode_likely_tps"],
                        *(w["decode_tps"] for w in d["workloads"]), *(q["decode_tps"] for q in d["quants"]),
                        *(u["decode_tps"] for u in d["upgrades"])] if v]


def _token_counts(d: dict) -> list[int]:
    limits = d["context_limits"]
    return [n for n in [d["settings"]["context"], limits["max_context"], limits["max_context_on_device"],
                        d["model"]["max_context"], *(w["context"] for w in d["workloads"]),
                        *(w["max_context_on_device"] for w in d["workloads"])] if n and n >= 1024]


def test_pair_page_has_no_raw_identifier(pair):
    d, t = pair
    assert not RAW.search(t), RAW.search(t)
    assert "Scale-out" in t and "Agentic coding" in t and "Light API" in t


def test_same_quantity_same_text_in_tables_and_prose(pair):
    d, t = pair
    decode = fmt.tps(d["speed"]["decode_tps"])
    # the key figure, the summary sentence, the simulated chat and the FAQ say the same
    assert t.count(f"{decode} tok/s") >= 3 and f"About {decode} tokens/s" in t
    for v in _speeds(d):
        assert fmt.tps(v) in t, v
        if fmt.tps(v) != f"{v:.1f}":
            assert f"{v:.1f} tok/s" not in t and f"{v:.1f} tokens/s" not in t, v
    for n in _token_counts(d):
        assert f"{n:,}" not in t, n  # never the exact count beside its rounded K form
        assert fmt.tokens(n) in t, n
    mem = d["memory"]
    for g in (mem["total_gib"], mem["available_gib"], mem["weights_gib"], mem["kv_cache_gib"]):
        assert fmt.gib(g) in t
        assert f"{g:.2f} GiB" not in t or f"{g:.2f}".endswith("0"), g
    # a sentence of wording.py and the table cell it quotes: the best quant's decode speed
    if d["best_quant"]:
        best = next(q for q in d["quants"] if q["best"])
        assert f"({fmt.tps(best['decode_tps'])} tok/s" in d["best_quant_reason"]
        assert d["best_quant_reason"] in t


def test_the_two_pages_hit_both_rounding_rules():
    # Kimi on the RTX 3090 decodes above 100 tok/s for chat (written whole); Gemma 3 12B keeps 47,872 tokens on a
    # 12 GB RTX 3060 (written "46K": 47,872 / 1,024 = 46.75, rounded down)
    kimi = report_dict(run_query(Query(KIMI, "RTX 3090", workload="agentic_coding", mode="scale_out")))
    gemma = report_dict(run_query(Query("Gemma 3 12B", "RTX 3060 12GB")))
    assert any(v >= 100 and "." not in fmt.tps(v) for v in _speeds(kimi))
    n = gemma["context_limits"]["max_context_on_device"]
    assert n % 1024 and fmt.tokens(n) == f"{n // 1024}K"


def test_model_and_hardware_pages(client):
    for url in ("/models/kimi-linear-48b-a3b", "/hardware/rtx-3090", "/models", "/hardware", "/"):
        r = client.get(url)
        assert r.status_code == 200, url
        text = visible(r.text)
        assert not RAW.search(text), (url, RAW.search(text))
        assert not re.search(r"\b\d+\.\d{2,} (tok/s|GiB)\b", text), url  # sizes and speeds: at most one decimal
    hw = visible(client.get("/hardware/rtx-3090").text)
    # RTX 3090: 24 GiB, 936 GB/s (data/hardware, NVIDIA spec sheet)
    assert "24.0 GiB" in hw and "936 GB/s" in hw
    assert "NVIDIA" in visible(client.get("/hardware").text)


def test_embed_and_badge_match_the_page(client, report):
    q = {"workload": "agentic_coding", "mode": "scale_out"}
    embed = visible(client.get("/embed/kimi-linear-48b-a3b-on-rtx-3090", params=q).text)
    decode = fmt.tps(report["speed"]["decode_tps"])
    assert f"{decode} tok/s" in embed and fmt.gib(report["memory"]["available_gib"]) in embed
    assert not RAW.search(embed)
    badge = client.get("/card/kimi-linear-48b-a3b-on-rtx-3090.svg", params=q).text
    assert f"{decode} tok/s" in badge and f"{report['grade']} {fmt.score(report['score'])}" in badge


def test_cli_output_uses_the_same_formatter(report, monkeypatch):
    from rich.console import Console
    from typer.testing import CliRunner

    import rigfit.cli as cli

    monkeypatch.setattr(cli, "console", Console(width=200, force_terminal=False, color_system=None))
    r = CliRunner().invoke(cli.app, ["check", KIMI, "RTX 3090", "--workload", "agentic_coding", "--mode", "scale_out"])
    assert r.exit_code == 0
    out = re.sub(r"\s+", " ", r.output)
    assert not RAW.search(out), RAW.search(out)
    assert f"{fmt.tps(report['speed']['decode_tps'])} tok/s" in out
    for n in _token_counts(report):
        assert f"{n:,}" not in out, n
    for a in report["advice"]:  # the same sentences as the page
        assert re.sub(r"\s+", " ", a) in out
    best = CliRunner().invoke(cli.app, ["best", "--hardware", "RTX 3090", "-w", "agentic_coding", "-m", "scale_out"])
    assert best.exit_code == 0 and "Agentic coding, Scale-out mode" in re.sub(r"\s+", " ", best.output)
    assert not RAW.search(best.output.split("Command")[0])
