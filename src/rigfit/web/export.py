"""`rigfit export DIR`: the site at default settings as static files any web server or CDN can serve.

Each page is rendered by the same app (FastAPI's in-process test client, no network) and written where a static
host finds it: /can-run/X -> can-run/X/index.html, /card/X.svg -> card/X.svg, the JSON of each pair at
api/v1/pairs/X.json. Links that carry settings (?quant=...) open the default page on a static host: the settings
need the live server (`rigfit serve`), as do /check and /api/v1/estimate."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from fastapi.testclient import TestClient

from rigfit.catalog import find_hardware, find_model, load_hardware, load_models
from rigfit.estimate.commands import slug
from rigfit.web import slugs
from rigfit.web.app import create_app

HERE = Path(__file__).parent
# Served only by the live app: a static export cannot answer a query string.
DYNAMIC = ("/check", "/api/v1/estimate")


@dataclass
class ExportResult:
    files: int = 0
    pairs: int = 0
    seconds: float = 0.0
    paths: list[str] = field(default_factory=list)


def file_for(url_path: str) -> str:
    """Where a site path is written: pages as folder/index.html, files (.svg, .json, .xml) as they are, the API
    lists with .json added."""
    p = url_path.strip("/")
    if not p:
        return "index.html"
    if Path(p).suffix in (".svg", ".json", ".xml", ".css", ".js"):
        return p
    if p.startswith("api/"):  # the JSON lists: /api/v1/models -> api/v1/models.json
        return f"{p}.json"
    return f"{p}/index.html"


def export(out: Path, models: list[str] | None = None, hardware: list[str] | None = None,
           base_url: str = "https://rigfit.example") -> ExportResult:
    """Write the site for these models and hardware (default: the whole catalog) into `out`."""
    start = time.perf_counter()
    arches = [find_model(m) for m in models] if models else list(load_models())
    hws = [find_hardware(h) for h in hardware] if hardware else list(load_hardware())
    client = TestClient(create_app(), base_url=base_url)
    result = ExportResult()
    out.mkdir(parents=True, exist_ok=True)

    def save(url: str, data: bytes | None = None) -> None:
        if data is None:
            r = client.get(url)
            if r.status_code != 200:
                raise RuntimeError(f"export: {url} answered {r.status_code}")
            data = r.content
        target = out / file_for(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        result.files += 1
        result.paths.append(url)

    for url in ("/", "/models", "/hardware", "/docs", "/method", "/accuracy", "/openapi.json", "/api/v1/models",
                "/api/v1/hardware", "/api/v1/quants"):
        save(url)
    for m in arches:
        save(f"/models/{slug(m.name)}")
    for h in hws:
        save(f"/hardware/{slug(h.name)}")
    for m in arches:
        for h in hws:
            pair = slugs.pair_url(m.name, h.name).removeprefix("/can-run/")
            save(f"/can-run/{pair}")
            save(f"/embed/{pair}")
            save(f"/card/{pair}.svg")
            r = client.get("/api/v1/estimate", params={"model": m.name, "hardware": h.name})
            save(f"/api/v1/pairs/{pair}.json", r.content)
            result.pairs += 1
    shutil.copytree(HERE / "static", out / "static", dirs_exist_ok=True)
    pages = [p for p in result.paths if not p.startswith(("/api/", "/card/", "/openapi"))]
    sitemap = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
               + "".join(f"<url><loc>{escape(base_url.rstrip('/') + p)}</loc></url>\n" for p in pages) + "</urlset>\n")
    save("/sitemap.xml", sitemap.encode())
    result.seconds = time.perf_counter() - start
    return result
