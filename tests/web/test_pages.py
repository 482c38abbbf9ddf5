"""Pages and API: same numbers as `rigfit check --json`, every section of the seeds, errors, escaping, headers."""

from __future__ import annotations

import re

import pytest

from rigfit import format as fmt
from fastapi.testclient import TestClient
from markupsafe import escape

from rigfit.output import report_dict
from rigfit.query import Query, run_query
from rigfit.web.app import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


SECTIONS = ("verdict", "summary", "profile", "mode", "quant", "memory-bar", "metrics", "breakdown", "feel",
            "context-chart", "limits", "workloads", "quants", "upgrades", "alternatives", "commands", "embed", "faq",
            "links")


@pytest.mark.parametrize("slug,hw", [("kimi-linear-48b-a3b-on-rtx-3090-24gb", "RTX 3090 24GB"),
                                     ("kimi-linear-48b-a3b-on-rtx-pro-4500-blackwell-32gb", "RTX PRO 4500 Blackwell 32GB")])
def test_pair_page_has_every_section_and_the_cli_numbers(client, slug, hw):
    r = client.get(f"/can-run/{slug}")
    assert r.status_code == 200
    for section in SECTIONS:
        assert f'id="{section}"' in r.text, section
    d = report_dict(run_query(Query("Kimi Linear 48B A3B", hw)))
    assert f"{fmt.tps(d['speed']['decode_tps'])} tok/s" in r.text
    assert fmt.gib(d['memory']['total_gib']) in r.text
    assert fmt.seconds(d['speed']['ttft_s']) in r.text
    assert fmt.pct(d['placement']['offload_percent']) in r.text
    assert d["grade"] in r.text
    for cmd in d["commands"].values():
        assert str(escape(cmd)) in r.text
    if d["best_quant"]:
        assert "best for your hardware" in r.text


def test_query_parameters_select_the_state(client):
    base = client.get("/can-run/llama-3-1-8b-on-rtx-4090").text
    q8 = client.get("/can-run/llama-3-1-8b-on-rtx-4090?quant=Q8_0&mode=scale_out&context=32768").text
    d = report_dict(run_query(Query("Llama 3.1 8B", "RTX 4090", "Q8_0", 32768, "chat", "scale_out")))
    assert f"{d['memory']['total_gib']:.1f} GiB" in q8
    assert base != q8


def test_api_estimate_equals_cli_json(client):
    r = client.get("/api/v1/estimate", params={"model": "Kimi Linear 48B A3B", "hardware": "RTX 3090", "context": 32768})
    assert r.status_code == 200
    assert r.json() == report_dict(run_query(Query("Kimi Linear 48B A3B", "RTX 3090", context=32768)))


@pytest.mark.parametrize("params", [{"model": "Nope 9000", "hardware": "RTX 3090"},
                                    {"model": "Llama 3.1 8B", "hardware": "RTX 3090", "quant": "Q9"},
                                    {"model": "Llama 3.1 8B", "hardware": "RTX 3090", "context": "-1"},
                                    {"model": "Llama 3.1 8B", "hardware": "RTX 3090", "context": "abc"},
                                    {"model": "Llama 3.1 8B", "hardware": "RTX 3090", "gpus": "0"}])
def test_api_bad_values_are_422(client, params):
    r = client.get("/api/v1/estimate", params=params)
    assert r.status_code == 422 and r.json()["detail"]


def test_api_lists(client):
    assert len(client.get("/api/v1/models").json()) >= 100
    assert len(client.get("/api/v1/hardware").json()) >= 150
    assert len(client.get("/api/v1/quants").json()) >= 20
    assert client.get("/openapi.json").status_code == 200
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/v1/estimate" in docs.text and "cdn" not in docs.text.lower()


def test_unknown_slug_is_404_with_suggestions(client):
    r = client.get("/can-run/kimi-liner-48b-on-rtx-3090")
    assert r.status_code == 404 and "Did you mean" in r.text and "Kimi Linear" in r.text
    assert client.get("/models/not-a-model").status_code == 404
    assert client.get("/hardware/not-a-gpu").status_code == 404


def test_html_in_inputs_is_escaped_everywhere(client):
    evil = "<script>alert(1)</script>"
    for url in (f"/can-run/{evil}-on-rtx-3090", f"/models/{evil}", f"/card/{evil}-on-x.svg", f'/check?model="{evil}&hardware=x'):
        r = client.get(url)
        assert "<script>alert" not in r.text, url
    r = client.get("/can-run/llama-3-1-8b-on-rtx-4090?workload=%3Cscript%3Ealert(1)%3C/script%3E")
    assert r.status_code == 422 and "<script>alert" not in r.text


def test_security_headers_and_framing(client):
    page = client.get("/can-run/llama-3-1-8b-on-rtx-4090")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    embed = client.get("/embed/llama-3-1-8b-on-rtx-4090")
    assert embed.status_code == 200 and "x-frame-options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["content-security-policy"]


def test_embed_card_and_svg_badge(client):
    assert 'id="fit-card"' in client.get("/embed/llama-3-1-8b-on-rtx-4090").text
    svg = client.get("/card/llama-3-1-8b-on-rtx-4090.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and re.search(r"Llama 3\.1 8B on RTX 4090", svg.text)


def test_index_pages_and_filters(client):
    assert "Popular pairs" in client.get("/").text
    apple = client.get("/hardware?vendor=apple").text
    assert "Apple M2 Ultra" in apple and "RTX 4090" not in apple
    model_page = client.get("/models/llama-3-1-8b").text
    assert "RTX 4090" in model_page and "sortable" in model_page


def test_model_and_hardware_pages_name_the_pair_pages_best_quant(client):
    # the "Best quant" column was blank on every row; it now reads what the pair page says at the same settings
    best = report_dict(run_query(Query("Llama 3.1 8B", "RTX 4090")))["best_quant"]
    assert best
    for url, name in (("/models/llama-3-1-8b", "RTX 4090"), ("/hardware/rtx-4090", "Llama 3.1 8B")):
        row = re.search(rf">{re.escape(name)}</a>.*?</tr>", client.get(url).text, re.S).group(0)
        assert f"<td>{best}</td>" in row, url


def test_search_redirects_to_the_pair_page(client):
    r = client.get("/check", params={"model": "kimi linear", "hardware": "3090"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/can-run/kimi-linear-48b-a3b-on-rtx-3090"


def test_check_my_machine(client):
    r = client.get("/check", params={"model": "Llama 3.2 1B", "hardware": "local"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/can-run/llama-3-2-1b-on-local"
    page = client.get("/can-run/llama-3-2-1b-on-local")
    assert page.status_code == 200 and 'id="verdict"' in page.text


# --- search that always lands ----------------------------------------------------------------------------------

@pytest.mark.parametrize("model,hardware,location", [
    ("kimi linear", "3090", "/can-run/kimi-linear-48b-a3b-on-rtx-3090"),
    ("Llama 3.3 70B", "RTX 3090 24GB", "/can-run/llama-3-3-70b-on-rtx-3090"),
    # "m4 max" names a product with four configurations: the pair page of one, with the others to pick from
    ("gpt-oss 120b", "m4 max", "/can-run/gpt-oss-120b-on-apple-m4-max-32-core-gpu-36gb"),
])
def test_free_text_that_names_one_pair_redirects(client, model, hardware, location):
    r = client.get("/check", params={"model": model, "hardware": hardware}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == location


@pytest.mark.parametrize("model,hardware,must_list", [
    # four Llama 70B models in the catalog (2, 3, 3.1, 3.3) and every 8 GB device
    ("llama 70b", "8gb", ["Llama 3.3 70B", "Llama 3.1 70B", "RTX 4060", "Apple M1 8-core GPU 8GB"]),
    ("llama 3.3 70b", "8gb", ["Llama 3.3 70B", "RTX 4060", "RTX 5060 Ti 8GB"]),
    ("qwen", "m4 max", ["Apple M4 Max 40-core GPU 128GB"]),
    ("zzzz", "qqqq", ["Models"]),
    ("", "", ["Type a model name"]),
])
def test_ambiguous_free_text_is_a_results_page_never_a_404(client, model, hardware, must_list):
    r = client.get("/check", params={"model": model, "hardware": hardware})
    assert r.status_code == 200 and 'id="results"' in r.text
    for text in must_list:
        assert text in r.text, text
    # every link on it lands on a page
    for href in set(re.findall(r'href="(/(?:can-run|models|hardware)/[^"]+)"', r.text)):
        assert client.get(href.replace("&amp;", "&")).status_code == 200, href


def test_ambiguous_hardware_shows_its_configurations_on_the_pair_page(client):
    html = client.get("/can-run/gpt-oss-120b-on-apple-m4-max-32-core-gpu-36gb").text
    nav = html.split('id="variants"')[1].split("</nav>")[0]
    assert "Apple M4 Max comes in 4 configurations" in nav
    for gb in ("36", "48", "64", "128"):
        assert f'-{gb}gb"' in nav
    assert "variants" not in client.get("/can-run/llama-3-1-8b-on-rtx-4090").text.split("<main>")[1].split("</section>")[0]


@pytest.mark.parametrize("url", ["/can-run/foo-on-bar", "/can-run/kimi-linaer-48b-a3b-on-rtx-3090",
                                 "/can-run/kimi-linear-48b-a3b-on-rtx-3909", "/can-run/nothing", "/models/kimi-linaer",
                                 "/hardware/rtx-309", "/embed/foo-on-bar"])
def test_every_did_you_mean_link_works(client, url):
    r = client.get(url)
    assert r.status_code == 404
    links = re.findall(r'href="([^"]+)"', r.text.split('class="error"')[1])
    assert len(links) >= 2
    for href in links:
        assert client.get(href.replace("&amp;", "&")).status_code == 200, href


# --- docs on the site --------------------------------------------------------------------------------------------

def test_method_and_accuracy_are_pages_linked_from_every_footer(client):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "docs"
    for url, file in (("/method", "method.md"), ("/accuracy", "accuracy.md")):
        r = client.get(url)
        assert r.status_code == 200 and 'id="doc"' in r.text
        md = (root / file).read_text()
        title = next(line[2:].strip() for line in md.splitlines() if line.startswith("# "))
        assert f"<h1>{escape(title)}</h1>" in r.text
        # every "## " heading of the file is an <h2> of the page
        assert len(re.findall(r"<h2 id=\"[a-z0-9-]+\">", r.text)) == sum(1 for line in md.splitlines() if line.startswith("## "))
    for url in ("/", "/models", "/hardware/rtx-3090", "/can-run/llama-3-1-8b-on-rtx-4090", "/docs", "/no-such"):
        footer = client.get(url).text.split("<footer>")[1]
        assert 'href="/method"' in footer and 'href="/accuracy"' in footer, url
    home = client.get("/").text
    assert "later version" not in home and "rigfit detect" in home and "local" in home


# --- caching ------------------------------------------------------------------------------------------------------

def test_alias_urls_name_their_canonical_url(client):
    for alias, canonical in (("/can-run/kimi-linear-48b-a3b-on-rtx-3090-24gb", "/can-run/kimi-linear-48b-a3b-on-rtx-3090"),
                             ("/can-run/llama-3-1-8b-on-rtx-4090?quant=q8_0", "/can-run/llama-3-1-8b-on-rtx-4090?quant=Q8_0"),
                             ("/hardware/rtx-3090-24gb", "/hardware/rtx-3090")):
        assert f'<link rel="canonical" href="http://testserver{canonical}">' in client.get(alias).text, alias


@pytest.mark.parametrize("url", ["/can-run/llama-3-1-8b-on-rtx-4090", "/api/v1/estimate?model=Llama+3.1+8B&hardware=RTX+4090",
                                 "/models/llama-3-1-8b", "/api/v1/quants", "/method"])
def test_etag_and_cache_control_and_304(client, url):
    r = client.get(url)
    etag = r.headers["etag"]
    assert r.status_code == 200 and r.headers["cache-control"] == "public, max-age=3600"
    assert client.get(url).headers["etag"] == etag  # the same query, the same catalog: the same tag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url + ("&" if "?" in url else "?") + "context=4096").headers.get("etag") != etag
    assert "etag" not in client.get("/no-such-page").headers  # errors are not cached


def test_no_raw_identifiers_in_page_text(client):
    import html as html_lib

    for url in ("/can-run/kimi-linear-48b-a3b-on-rtx-3090?mode=scale_out", "/models/kimi-linear-48b-a3b",
                "/hardware/rtx-3060-12gb", "/can-run/deepseek-r1-on-rtx-3060-12gb"):
        page = client.get(url).text.split("<main>")[1].split("</main>")[0]
        # URLs (the embed snippet, the share link) carry the identifiers by design; the words around them may not
        page = re.sub(r'<pre>.*?</pre>|<p class="share">.*?</p>', " ", page, flags=re.S)
        text = html_lib.unescape(re.sub(r"<[^>]+>", " ", page))
        for raw in ("no_fit", "scale_out", "light_api", "yes_with_offload", "agentic_coding"):
            assert raw not in text, (url, raw)
