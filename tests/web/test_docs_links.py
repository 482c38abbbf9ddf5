"""Each number's explanation links to the section of the served docs that explains it, and every such link lands."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from rigfit.web import docs
from rigfit.web.app import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def test_doc_sections_have_ids(client):
    # docs/method.md: "## 6. Speed (`estimate/speed.py`)" -> id 6-speed
    assert docs.anchor("6. Speed (`estimate/speed.py`)") == "6-speed"
    html = client.get("/method").text
    assert '<h2 id="6-speed">' in html and '<h2 id="2-weights">' in html
    for url in docs.WHY.values():
        page, _, frag = url.lstrip("/").partition("#")
        assert not frag or frag in docs.anchors(page), url


@pytest.mark.parametrize("url", ["/can-run/kimi-linear-48b-a3b-on-rtx-3090", "/models/kimi-linear-48b-a3b",
                                 "/hardware/rtx-3090"])
def test_every_docs_link_lands_on_a_section(client, url):
    html = client.get(url).text
    links = re.findall(r'href="/(method|accuracy)(?:#([^"]*))?"', html)
    assert links, url
    for page, frag in links:
        assert not frag or frag in docs.anchors(page), (page, frag)
    assert client.get("/method").status_code == 200 and client.get("/accuracy").status_code == 200


def test_each_key_figure_links_to_its_explanation(client):
    html = client.get("/can-run/kimi-linear-48b-a3b-on-rtx-3090").text
    metrics = html.split('id="metrics"')[1].split("</section>")[0]
    for label, section in (("Decode", "6-speed"), ("TTFT", "6-speed"), ("Memory", "2-weights"),
                           ("Max context", "3-context-state"), ("Offload", "5-placement"),
                           ("Fit status", "5-placement")):
        assert f'<a href="/method#{section}">{label}</a>' in metrics, label
    assert metrics.count('<a href="/accuracy">likely</a>') == 2  # the likely ranges: measured error
    breakdown = html.split('id="breakdown"')[1].split("</section>")[0]
    for label in ("Weights", "KV cache", "Compute buffers", "Headroom"):
        assert re.search(rf'<a href="/method#[a-z0-9-]+">{label}</a>', breakdown), label
    assert '<a href="/method#7-workloads-modes-grade">how the grade is set</a>' in html
