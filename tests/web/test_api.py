"""JSON API and pages through FastAPI's TestClient: the API is `rigfit check --json`; pages show its numbers,
errors are one line (422) or a 'did you mean' page (404), every response carries the security headers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache

import pytest

from rigfit import format as fmt
from fastapi.testclient import TestClient
from markupsafe import escape

from rigfit.catalog import load_hardware, load_models, load_quants
from rigfit.output import hardware_dict, model_dict, quant_dict, report_dict
from rigfit.query import Query, run_query
from rigfit.web import svg
from rigfit.web.app import CHART_CONTEXTS, create_app

KIMI = "Kimi Linear 48B A3B"
PAIRS = [(KIMI, "RTX 3090", "/can-run/kimi-linear-48b-a3b-on-rtx-3090"),
         (KIMI, "RTX PRO 4500 Blackwell", "/can-run/kimi-linear-48b-a3b-on-rtx-pro-4500-blackwell")]
# every section of the seed pages, by id
SECTIONS = ("verdict", "summary", "profile", "mode", "quant", "memory-bar", "metrics", "breakdown", "feel",
            "context-chart", "limits", "improve", "advice", "workloads", "quants", "upgrades", "alternatives",
            "commands", "embed", "faq", "links")


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


@cache
def expected(model: str, hardware: str, quant: str = "Q4_K_M", context: int | None = None, workload: str = "chat",
             mode: str = "balanced", gpus: int | None = None) -> dict:
    return report_dict(run_query(Query(model, hardware, quant, context, workload, mode, gpus)))


# --- API -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"model": KIMI, "hardware": "RTX 3090"},
    {"model": KIMI, "hardware": "RTX PRO 4500 Blackwell", "quant": "Q3_K_M", "context": 65536},
    {"model": "Llama 3.1 8B", "hardware": "RTX 4090", "workload": "rag", "mode": "scale_out"},
    {"model": "Qwen3 30B A3B", "hardware": "RTX 3090", "gpus": 2, "mode": "light_api"},
])
def test_estimate_is_exactly_the_cli_json(client, params):
    r = client.get("/api/v1/estimate", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    p = dict(params)
    want = expected(p.pop("model"), p.pop("hardware"), **p)
    assert r.json() == want


@pytest.mark.parametrize("params,fragment", [
    ({"model": "Kimi Linearr 48B", "hardware": "RTX 3090"}, "unknown model"),
    ({"model": KIMI, "hardware": "RTX 9999 Ti"}, "unknown hardware"),
    ({"model": KIMI, "hardware": "RTX 3090", "quant": "Q9_X"}, "Q9_X"),
    ({"model": KIMI, "hardware": "RTX 3090", "context": "abc"}, "context"),
    ({"model": KIMI, "hardware": "RTX 3090", "context": "0"}, "context must be between"),
    ({"model": KIMI, "hardware": "RTX 3090", "gpus": "two"}, "gpus"),
    ({"model": KIMI, "hardware": "RTX 3090", "gpus": "99"}, "gpus must be between 1 and 64"),
    ({"model": KIMI, "hardware": "RTX 3090", "workload": "gaming"}, "unknown workload"),
    ({"model": KIMI, "hardware": "RTX 3090", "mode": "turbo"}, "unknown mode"),
    ({"model": "/etc/passwd", "hardware": "RTX 3090"}, "unknown model '/etc/passwd'"),
    ({"hardware": "RTX 3090"}, "model"),
])
def test_bad_values_are_422_with_one_line(client, params, fragment):
    r = client.get("/api/v1/estimate", params=params)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and fragment in detail


def test_list_endpoints(client):
    assert client.get("/api/v1/models").json() == [model_dict(m) for m in load_models()]
    assert client.get("/api/v1/hardware").json() == [hardware_dict(h) for h in load_hardware()]
    assert client.get("/api/v1/quants").json() == [quant_dict(q) for q in load_quants()]
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/estimate", "/api/v1/models", "/api/v1/hardware", "/api/v1/quants"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200
    assert client.get("/api/v1/nothing-here").json() == {"detail": "Not Found"}


# --- pair pages ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model,hardware,url", PAIRS)
def test_pair_page_renders_every_section_with_the_json_numbers(client, model, hardware, url):
    r = client.get(url)
    assert r.status_code == 200
    html = r.text
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    d = expected(model, hardware)
    mem, sp = d["memory"], d["speed"]
    for text in (f'{fmt.tps(sp["decode_tps"])} tok/s', fmt.gib(mem["total_gib"]),
                 fmt.gib(mem["available_gib"]), fmt.seconds(sp["ttft_s"]), fmt.seconds(sp["cold_ttft_s"]),
                 fmt.pct(d["placement"]["offload_percent"]), fmt.pct(mem["percent_of_available"]),
                 fmt.tokens(d["context_limits"]["max_context"]), d["bottleneck"]["title"], d["bottleneck"]["fix"]["title"],
                 fmt.tps_range(*sp["decode_likely_tps"])):
        assert str(escape(text)) in html, text
    assert f'<strong>{d["grade"]}</strong>' in html and f'>{fmt.score(d["score"])}</strong>/100' in html
    for advice in d["advice"]:
        assert str(escape(advice)) in html
    for w in d["workloads"]:
        assert f'{fmt.tps(w["decode_tps"])} tok/s' in html and w["label"] in html
    for q in d["quants"]:
        assert f'data-quant="{q["name"]}"' in html
    for u in d["upgrades"]:
        assert str(escape(u["hardware"])) in html and f'{fmt.tps(u["decode_tps"])} tok/s' in html
    for cmd in d["commands"].values():
        assert str(escape(cmd)) in html
    if d["best_quant"]:
        assert re.search(rf'{re.escape(d["best_quant"])}</a> <em class="best-tag">best for your hardware', html)
    if mem["over_gib"] > 0:
        assert f'{fmt.gib(mem["over_gib"])} over capacity' in html
    assert "Estimated by rigfit's engine" in html and "docs/method.md" in html
    # the simulated chat gets the predicted speeds; without JavaScript the numbers are shown as text
    assert f'data-decode="{sp["decode_tps"]}"' in html and f'data-cold="{sp["cold_ttft_s"]}"' in html
    assert f'data-ttft="{sp["ttft_s"]}"' in html
    # FAQ answers come from the same numbers
    assert f'How much memory does {model} need at Q4_K_M?' in html
    # embed snippet, preview and links to the index pages
    assert re.search(r'&lt;iframe src="http://testserver/embed/kimi-linear-48b-a3b-on-[a-z0-9-]+"', html)
    assert '<iframe src="/embed/kimi-linear-48b-a3b-on-' in html
    assert 'href="/models/kimi-linear-48b-a3b"' in html and 'href="/hardware/' in html


def test_context_chart_reads_the_report_at_each_context(client):
    """Each chart point is decode at a full context of that size: the scalar engine's decode at depth = context,
    with the placement that context gets, and the memory that context needs."""
    from rigfit.estimate.fit import memory_need, place
    from rigfit.estimate.speed import decode_tokens_per_s
    from rigfit.query import Query, resolve

    html = client.get(PAIRS[0][2]).text
    req = resolve(Query(KIMI, "RTX 3090"))
    for ctx in CHART_CONTEXTS:
        s = req.scenario(context=ctx)
        p = place(req.arch, req.hw, s)
        decode = decode_tokens_per_s(req.arch, req.hw, req.scenario(context=ctx, concurrency=1), p, ctx,
                                     req.effective_backend)
        total = round(memory_need(req.arch, req.hw, s).total / 2**30, 2)
        row = f'<td>{fmt.tokens(ctx)}</td><td>{fmt.tps(round(decode, 1))} tok/s</td><td>{fmt.gib(total)}</td>'
        assert row in html, ctx
    assert '<svg class="ctxchart"' in html and '<svg class="membar"' in html and '<svg class="meter"' in html


def test_context_chart_stops_at_the_models_max_context(client):
    small = next(m for m in load_models() if m.max_context < 131072)
    html = client.get(f"/can-run/{re.sub(r'[^a-z0-9]+', '-', small.name.lower()).strip('-')}-on-rtx-4090").text
    assert "<td>128K</td>" not in html.split('id="context-chart"')[1].split("</section>")[0]


def test_query_parameters_select_the_state_and_links_keep_it(client):
    url = PAIRS[0][2]
    html = client.get(url, params={"quant": "q3_k_m", "mode": "light-api", "context": 16384, "workload": "coding"}).text
    d = expected(KIMI, "RTX 3090", "Q3_K_M", 16384, "coding", "light_api")
    assert f'{fmt.tps(d["speed"]["decode_tps"])} tok/s' in html and fmt.gib(d["memory"]["total_gib"]) in html
    # selectors are plain links carrying the canonical state: they work without JavaScript
    assert f'href="{url}?quant=Q2_K&amp;context=16384&amp;workload=coding&amp;mode=light_api"' in html
    assert f'href="{url}?quant=Q3_K_M&amp;context=16384&amp;workload=coding&amp;mode=scale_out"' in html
    assert 'class="tab on" data-mode="light_api"' in html
    assert re.search(r'class="tab on fit-\w+" data-quant="Q3_K_M"', html)
    # the embed card of this view shows the same state
    assert '/embed/kimi-linear-48b-a3b-on-rtx-3090?quant=Q3_K_M&amp;context=16384&amp;workload=coding&amp;mode=light_api' in html


def test_bad_page_values_are_a_422_page(client):
    for params, fragment in (({"context": "abc"}, "context"), ({"quant": "Q9_X"}, "Q9_X"), ({"gpus": "0"}, "gpus")):
        r = client.get(PAIRS[0][2], params=params)
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
        assert fragment in r.text


# --- 404s and escaping -----------------------------------------------------------------------------------------

def test_unknown_slugs_are_404_pages_with_suggestions(client):
    r = client.get("/can-run/kimi-linaer-48b-a3b-on-rtx-3090")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Did you mean" in r.text and 'href="/can-run/kimi-linear-48b-a3b-on-rtx-3090"' in r.text
    r = client.get("/can-run/kimi-linear-48b-a3b-on-rtx-3909")
    assert r.status_code == 404 and 'href="/can-run/kimi-linear-48b-a3b-on-rtx-3090"' in r.text
    r = client.get("/models/kimi-linaer")
    assert r.status_code == 404 and 'href="/models/kimi-linear-48b-a3b"' in r.text
    r = client.get("/hardware/rtx-309")
    assert r.status_code == 404 and 'href="/hardware/rtx-3090"' in r.text
    for url in ("/embed/nope-on-nothing", "/card/nope-on-nothing.svg", "/no/such/page"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/can-run/<script>alert(1)</script>-on-rtx-3090",
    "/can-run/kimi-linear-48b-a3b-on-<script>alert(1)</script>",
    "/models/<script>alert(1)</script>",
    "/hardware/\"><script>alert(1)</script>",
    "/embed/<script>alert(1)</script>-on-rtx-3090",
    "/<script>alert(1)</script>",
    "/check?model=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&hardware=RTX+3090",
    "/check?model=Kimi+Linear&hardware=%27%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    "/can-run/kimi-linear-48b-a3b-on-rtx-3090?quant=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    "/can-run/kimi-linear-48b-a3b-on-rtx-3090?context=%3Cscript%3E",
])
def test_html_in_any_input_is_escaped(client, url):
    r = client.get(url)
    # a search never ends in a 404: it is a results page with the typed text in it, escaped
    assert r.status_code in ((200,) if url.startswith("/check") else (404, 422))
    assert r.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in r.text and "<script>" not in r.text.replace('<script src="/static/app.js" defer>', "")


def test_svg_badge_escapes_every_text():
    body = svg.badge('Evil <script>alert("x")</script> & co', "GPU 'quoted' <b>", "B", 70.0, 12.3, "yes")
    root = ET.fromstring(body)  # well-formed XML: nothing leaked out of the text nodes
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert 'Evil <script>alert("x")</script> & co on GPU \'quoted\' <b>' in texts
    assert "<script>" not in body


def test_card_svg_is_well_formed_and_carries_the_numbers(client):
    r = client.get("/card/kimi-linear-48b-a3b-on-rtx-3090.svg")
    assert r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.text)
    d = expected(KIMI, "RTX 3090")
    assert any(d["grade"] in (t.text or "") for t in root.iter("{http://www.w3.org/2000/svg}text"))


# --- headers ---------------------------------------------------------------------------------------------------

def test_every_response_has_a_csp_and_only_embeds_may_be_framed(client):
    framed = ("/embed/kimi-linear-48b-a3b-on-rtx-3090", "/card/kimi-linear-48b-a3b-on-rtx-3090.svg")
    not_framed = ("/", "/models", "/hardware", "/models/kimi-linear-48b-a3b", "/hardware/rtx-3090", PAIRS[0][2],
                  "/api/v1/estimate?model=Kimi+Linear+48B+A3B&hardware=RTX+3090", "/api/v1/quants", "/docs",
                  "/openapi.json", "/static/style.css", "/static/app.js", "/no-such-page",
                  "/api/v1/estimate?model=x&hardware=y")
    for url in framed + not_framed:
        r = client.get(url)
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp, url
        assert r.headers.get("x-content-type-options") == "nosniff", url
        if url in framed:
            assert "frame-ancestors *" in csp and "x-frame-options" not in r.headers, url
        else:
            assert "frame-ancestors 'none'" in csp and r.headers.get("x-frame-options") == "DENY", url


def test_pages_use_no_inline_script_or_style_and_no_cdn(client):
    for url in ("/", "/models", "/hardware", PAIRS[0][2], PAIRS[1][2], "/embed/kimi-linear-48b-a3b-on-rtx-3090",
                "/docs"):
        html = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html), url
        assert " style=\"" not in html.replace('style="border:0"', ""), url  # the snippet's text is escaped anyway
        assert "<style" not in html and "https://cdn" not in html and "unpkg.com" not in html, url


# --- other pages -----------------------------------------------------------------------------------------------

def test_index_and_entry_pages(client):
    home = client.get("/").text
    assert '<datalist id="models">' in home and '<datalist id="hardware">' in home
    assert f'<option value="{KIMI}">' in home and "rigfit detect" in home and 'id="popular"' in home
    nvidia = client.get("/hardware", params={"vendor": "nvidia"}).text
    assert "RTX 3090" in nvidia and "Apple M2 Ultra" not in nvidia and 'class="sortable"' in nvidia
    fam = next(m.family for m in load_models() if m.name == KIMI)
    models = client.get("/models", params={"family": fam}).text
    assert KIMI in models and "Llama 3.1 8B" not in models
    model_page = client.get("/models/kimi-linear-48b-a3b").text
    assert model_page.count('href="/can-run/kimi-linear-48b-a3b-on-') >= 100
    hw_page = client.get("/hardware/rtx-3090").text
    assert 'href="/can-run/kimi-linear-48b-a3b-on-rtx-3090"' in hw_page
    # the model page's row for the RTX 3090 equals the report without the market scan
    d = report_dict(run_query(Query(KIMI, "RTX 3090"), with_market=False))
    row = model_page.split('href="/can-run/kimi-linear-48b-a3b-on-rtx-3090"')[1].split("</tr>")[0]
    assert f'{d["grade"]} {fmt.score(d["score"])}' in row and f'>{fmt.tps(d["speed"]["decode_tps"])}<' in row


def test_embed_card_numbers(client):
    r = client.get("/embed/kimi-linear-48b-a3b-on-rtx-pro-4500-blackwell", params={"quant": "Q3_K_M"})
    d = expected(KIMI, "RTX PRO 4500 Blackwell", "Q3_K_M")
    assert r.status_code == 200 and 'id="fit-card"' in r.text
    assert f'<b id="card-decode">{fmt.tps(d["speed"]["decode_tps"])}</b>' in r.text
    assert f'<b id="card-memory">{fmt.gib_num(d["memory"]["total_gib"])}</b>' in r.text and f'>{d["grade"]}<' in r.text


# --- every input ------------------------------------------------------------------------------------------------

def test_kv_type_is_honoured(client):
    # Llama 3.1 8B (config.json: 32 layers, 8 KV heads, head_dim 128) at 8,192 tokens:
    # K+V = 2 x 32 x 8 x 128 x 8192 elements = 1 GiB at f16 (2 bytes); q8_0 stores 34 bytes per 32 = 1.0625 bytes
    f16 = client.get("/api/v1/estimate", params={"model": "Llama 3.1 8B", "hardware": "RTX 4090"}).json()
    q8 = client.get("/api/v1/estimate", params={"model": "Llama 3.1 8B", "hardware": "RTX 4090", "kv_type": "q8_0"}).json()
    assert f16["memory"]["kv_cache_gib"] == 1.0 and f16["settings"]["kv_cache_type"] == "f16"
    assert q8["memory"]["kv_cache_gib"] == 0.53 and q8["settings"]["kv_cache_type"] == "q8_0"


def test_host_and_runtime_are_honoured(client):
    params = {"model": "Llama 3.1 8B", "hardware": "RTX 4090"}
    ddr4 = "Desktop DDR4-3200 dual channel 32GB"
    r = client.get("/api/v1/estimate", params={**params, "host": ddr4}).json()
    assert r["host"]["name"] == ddr4
    vllm = client.get("/api/v1/estimate", params={**params, "quant": "AWQ-INT4", "runtime": "vLLM"}).json()
    assert vllm["settings"]["backend"] == "vLLM"
    assert vllm == expected_inputs("Llama 3.1 8B", "RTX 4090", quant="AWQ-INT4", backend="vLLM")
    ollama = client.get("/api/v1/estimate", params={**params, "runtime": "Ollama"}).json()
    assert ollama["settings"]["backend"] == "CUDA"  # Ollama runs llama.cpp's CUDA backend on an NVIDIA GPU


def expected_inputs(model: str, hardware: str, **kw) -> dict:
    return report_dict(run_query(Query(model, hardware, **kw)))


@pytest.mark.parametrize("params,fragment", [
    ({"kv_type": "q9"}, "kv_type"),
    ({"host": "RTX 3090"}, "host must be a CPU/RAM profile"),
    ({"runtime": "vLLM"}, "runtime vLLM does not run Q4_K_M"),
    ({"runtime": "TensorRT"}, "runtime"),
    ({"quantization": "Q8_0"}, "unknown query parameter 'quantization'"),
])
def test_bad_inputs_are_422_in_api_terms(client, params, fragment):
    r = client.get("/api/v1/estimate", params={"model": KIMI, "hardware": "RTX 3090", **params})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and fragment in detail and "--" not in detail and "\n" not in detail


def test_pair_page_takes_every_input_and_refuses_unknown_ones(client):
    html = client.get(PAIRS[0][2], params={"kv_type": "q8_0", "runtime": "Ollama"}).text
    d = expected(KIMI, "RTX 3090")
    q8 = report_dict(run_query(Query(KIMI, "RTX 3090", kv_type="q8_0")))
    assert f'<td>{fmt.gib(q8["memory"]["kv_cache_gib"])}</td>' in html and q8["memory"]["kv_cache_gib"] < d["memory"]["kv_cache_gib"]
    assert '<option value="q8_0" selected>' in html and '<option value="Ollama" selected>' in html
    assert "kv_type=q8_0" in html.split('id="embed"')[1]  # the embed shows the same state
    r = client.get(PAIRS[0][2], params={"qaunt": "Q8_0"})
    assert r.status_code == 422 and "unknown query parameter" in r.text


# --- typed API ----------------------------------------------------------------------------------------------------

def test_openapi_carries_the_full_response_schema(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    est = spec["paths"]["/api/v1/estimate"]["get"]
    assert est["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Estimate"}
    for code in ("404", "422"):
        assert est["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorDetail")
    assert schemas["ErrorDetail"]["properties"]["detail"]["type"] == "string"
    # every field of every response model has a description; sizes and speeds carry their unit
    for name in ("Estimate", "Memory", "Speed", "Placement", "ModelInfo", "HardwareInfo", "QuantInfo", "QuantRow"):
        for field, fs in schemas[name]["properties"].items():
            assert fs.get("description") or "$ref" in fs or "allOf" in fs, (name, field)
    assert schemas["Memory"]["properties"]["total_gib"]["x-unit"] == "GiB"
    assert schemas["Speed"]["properties"]["decode_tps"]["x-unit"] == "tokens/s"
    assert schemas["Speed"]["properties"]["ttft_s"]["x-unit"] == "s"
    assert set(schemas["Placement"]["properties"]["strategy"]["enum"]) == {
        "full_gpu", "expert_offload", "layer_offload", "cpu_only", "wont_fit"}
    params = {p["name"]: p for p in est["parameters"]}
    assert set(params) == {"model", "hardware", "quant", "context", "workload", "mode", "gpus", "kv_type", "host", "runtime"}
    runtime_enum = [s for s in params["runtime"]["schema"]["anyOf"] if "$ref" in s][0]["$ref"].rsplit("/", 1)[1]
    assert schemas[runtime_enum]["enum"] == ["llama.cpp", "Ollama", "vLLM", "SGLang", "MLX", "ExLlama"]
    assert "report_dict" not in str(spec) and "--gpus" not in str(spec)
    docs = client.get("/docs").text
    assert "total_gib" in docs and "tokens/s" in docs and "ErrorDetail" in docs and "SGLang" in docs


def test_api_says_which_configuration_a_product_name_was_read_as(client):
    r = client.get("/api/v1/estimate", params={"model": "Llama 3.1 8B", "hardware": "m4 max"})
    assert r.status_code == 200
    side = r.json()["resolved_from"]["hardware"]
    assert side["answered_for"] == "Apple M4 Max 32-core GPU 36GB" and "Apple M4 Max 40-core GPU 128GB" in side["variants"]
    exact = client.get("/api/v1/estimate", params={"model": "Llama 3.1 8B", "hardware": "RTX 4090"}).json()
    assert exact["resolved_from"] is None
