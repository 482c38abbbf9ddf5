"""`rigfit export`: a slice of the site as static files whose every internal link resolves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from typer.testing import CliRunner

from rigfit.cli import app
from rigfit.web.export import file_for

runner = CliRunner()


def test_exported_slice_has_every_page_and_no_dangling_link(tmp_path: Path):
    out = tmp_path / "site"
    res = runner.invoke(app, ["export", str(out), "--model", "Llama 3.1 8B", "--model", "Kimi Linear 48B A3B",
                              "--hardware", "RTX 3090", "--hardware", "RTX 4090", "--base-url", "https://rigfit.example",
                              "--jobs", "1"])
    assert res.exit_code == 0, res.output
    for rel in ("index.html", "sitemap.xml", "models/llama-3-1-8b/index.html", "hardware/rtx-3090/index.html",
                "can-run/kimi-linear-48b-a3b-on-rtx-3090/index.html", "embed/llama-3-1-8b-on-rtx-4090/index.html",
                "card/llama-3-1-8b-on-rtx-4090.svg", "can-run/llama-3-1-8b-on-rtx-4090.json", "static/style.css"):
        assert (out / rel).is_file(), rel
    # the JSON is the API's object: Kimi Linear on a 3090 keeps 7 layers' experts in host RAM (docs/method.md)
    d = json.loads((out / "can-run/kimi-linear-48b-a3b-on-rtx-3090.json").read_text())
    assert (d["placement"]["strategy"], d["placement"]["cpu_moe_layers"]) == ("expert_offload", 7)
    links = 0
    for page in out.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="(/[^"]*)"', page.read_text()):
            links += 1
            assert (out / file_for(urlsplit(target).path)).exists(), (page, target)
    assert links > 50
    # pages outside the slice are linked on the live site
    html = (out / "can-run/llama-3-1-8b-on-rtx-3090/index.html").read_text()
    assert 'href="https://rigfit.example/can-run/' in html


def test_export_refuses_a_folder_that_is_not_empty_and_unknown_names(tmp_path: Path):
    (tmp_path / "x").write_text("keep me")
    assert runner.invoke(app, ["export", str(tmp_path), "--model", "Llama 3.1 8B"]).exit_code == 2
    assert runner.invoke(app, ["export", str(tmp_path / "new"), "--model", "Nope 9000B"]).exit_code == 2
