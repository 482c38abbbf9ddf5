"""`rigfit export`: a catalog slice as static files; every internal link of every page resolves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from rigfit.cli import app
from rigfit.web import slugs
from rigfit.web.export import DYNAMIC, file_for

MODELS = ("Llama 3.1 8B", "Kimi Linear 48B A3B")
HARDWARE = ("RTX 3090", "Apple M4 Max 40-core GPU 128GB")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    args = ["export", str(out), "--base-url", "https://rigfit.test"]
    for m in MODELS:
        args += ["--model", m]
    for h in HARDWARE:
        args += ["--hardware", h]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "(4 pairs)" in r.output
    return out


def test_the_slice_has_every_page_kind(site):
    for rel in ("index.html", "models/index.html", "hardware/index.html", "docs/index.html", "method/index.html",
                "accuracy/index.html", "openapi.json", "api/v1/models.json", "sitemap.xml", "static/style.css",
                "models/llama-3-1-8b/index.html", "hardware/rtx-3090/index.html",
                "can-run/kimi-linear-48b-a3b-on-rtx-3090/index.html", "embed/kimi-linear-48b-a3b-on-rtx-3090/index.html",
                "card/kimi-linear-48b-a3b-on-rtx-3090.svg", "api/v1/pairs/kimi-linear-48b-a3b-on-rtx-3090.json"):
        assert (site / rel).is_file(), rel
    pair = json.loads((site / "api/v1/pairs/llama-3-1-8b-on-rtx-3090.json").read_text())
    assert pair["model"]["name"] == "Llama 3.1 8B" and pair["hardware"]["name"] == "RTX 3090"
    # 4 pairs + 4 embeds + 2 model + 2 hardware pages + home, 2 indexes, docs, method, accuracy
    assert (site / "sitemap.xml").read_text().count("<loc>https://rigfit.test/") == 4 + 4 + 2 + 2 + 6


def test_every_internal_link_resolves(site):
    inside = outside = 0
    for page in site.rglob("*.html"):
        for url in re.findall(r'(?:href|src)="(/[^"]*)"', page.read_text()):
            path = urlsplit(url.replace("&amp;", "&")).path
            if path.startswith(DYNAMIC):
                continue
            if (site / file_for(path)).is_file():
                inside += 1
                continue
            # a page of catalog entries outside the slice: the full export writes it
            parts = path.strip("/").split("/")
            assert len(parts) == 2, (page, url)
            kind, name = parts
            ok = {"can-run": lambda s: all(slugs.split_pair(s)[:2]), "models": slugs.model_for,
                  "hardware": slugs.hardware_for, "embed": lambda s: all(slugs.split_pair(s)[:2])}[kind](name)
            assert ok, (page, url)
            outside += 1
    assert inside > 200 and outside > 0
