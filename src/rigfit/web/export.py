"""The whole site as static files: every page the server would answer at default settings, for any static host.

Pages are rendered by the same application the server runs (through its ASGI interface, in-process), so a static
page and a served page are the same bytes. URL paths map to files: `/a/b` → `a/b/index.html` (HTML), `/card/x.svg`
→ `card/x.svg`, each pair's JSON at `/can-run/{pair}.json`. Links to pages outside an exported slice point at the
live site (`base_url`) when one is given.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from rigfit.estimate.commands import slug
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware

LINK = re.compile(r'(href|src)="(/[^"]*)"')


@dataclass
class ExportStats:
    files: int = 0
    pages: int = 0
    seconds: float = 0.0
    outside_links: int = 0  # links to pages not in this export (pointed at base_url, or left as they were)
    failures: list[str] = field(default_factory=list)


def file_for(path: str) -> str:
    """The file a URL path is stored in (relative to the export folder)."""
    p = urlsplit(path).path.lstrip("/")
    if not p:
        return "index.html"
    if re.search(r"\.(svg|json|css|js|png|xml|txt)$", p):
        return p
    if p.startswith("api/"):  # the JSON lists: /api/v1/models -> api/v1/models.json
        return f"{p}.json"
    return f"{p}/index.html"


def site_paths(models: list[Architecture], hardware: list[Hardware], everything: bool) -> list[str]:
    """Every path of the export: indexes (for a whole-catalog export), model and hardware pages, and per pair the
    page, the embed card, the badge and the JSON."""
    paths = ["/", "/docs", "/method", "/accuracy", "/openapi.json", "/api/v1/models", "/api/v1/hardware",
             "/api/v1/quants"]
    if everything:
        paths += ["/models", "/hardware"]
    paths += [f"/models/{slug(m.name)}" for m in models] + [f"/hardware/{slug(h.name)}" for h in hardware]
    for m in models:
        for h in hardware:
            pair = f"{slug(m.name)}-on-{slug(h.name)}"
            paths += [f"/can-run/{pair}", f"/embed/{pair}", f"/card/{pair}.svg"]
    return paths


def export_site(out: Path, models: list[Architecture], hardware: list[Hardware], everything: bool,
                base_url: str = "", jobs: int = 1) -> ExportStats:
    """Export in `jobs` processes, each taking every jobs-th model (the first also the indexes and the devices)."""
    start = time.perf_counter()
    parts = [(out, models[k::jobs], hardware, everything, base_url, k == 0, models) for k in range(jobs)]
    if jobs == 1:
        results = [_run(parts[0])]
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_run, parts))
    stats = ExportStats()
    for r in results:
        stats.files += r.files
        stats.pages += r.pages
        stats.outside_links += r.outside_links
        stats.failures += r.failures
    stats.seconds = time.perf_counter() - start
    return stats


def _run(args: tuple) -> ExportStats:  # type: ignore[type-arg]
    return asyncio.run(_export(*args))


async def _export(out: Path, models: list[Architecture], hardware: list[Hardware], everything: bool,
                  base_url: str, first: bool, all_models: list[Architecture]) -> ExportStats:
    import httpx

    from rigfit.web.app import create_app, pair_report
    from rigfit.web.inputs import Inputs
    from rigfit.web.serving import ServeConfig

    stats = ExportStats()
    every_path = site_paths(all_models, hardware, everything)
    paths = [p for p in site_paths(models, hardware, everything)
             if first or p.startswith(("/can-run/", "/embed/", "/card/", "/models/"))]
    static = [f"/static/{f.name}" for f in (Path(__file__).parent / "static").iterdir() if f.is_file()] if first else []
    wanted = {file_for(p) for p in every_path + static} | {"static/"}
    # a static site is public (it names itself by base_url, never answers for the exporting machine), and public
    # pages run on the event loop: no worker thread per page
    app = create_app(ServeConfig(public=True, base_url=base_url, bulk=True))
    pairs = {f"/card/{slug(m.name)}-on-{slug(h.name)}.svg": (m, h) for m in models for h in hardware}
    # the application in-process, its start-up included, without a server or threads between us and it
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://export") as client:
            for path in static + paths:
                r = await client.get(path)
                if r.status_code != 200:
                    stats.failures.append(f"{path}: HTTP {r.status_code}")
                    continue
                body = r.content
                if r.headers.get("content-type", "").startswith("text/html"):
                    if base_url:  # without a live site to point at, every link stays as it is
                        body = relink(r.text, wanted, base_url, stats).encode()
                    stats.pages += 1
                write(out, file_for(path), body, stats)
                if path in pairs:  # the pair's JSON (what /api/v1/estimate answers at default settings), while
                    m, h = pairs[path]  # its report is still in the page cache
                    data = json.dumps(pair_report(m, h, Inputs()), ensure_ascii=False)  # the page's cache key
                    write(out, f"can-run/{slug(m.name)}-on-{slug(h.name)}.json", data.encode(), stats)
    if first:
        write(out, "sitemap.xml", sitemap(sorted(p for p in every_path if not p.startswith(("/card/", "/embed/"))),
                                          base_url).encode(), stats)
    return stats


def relink(html: str, wanted: set[str], base_url: str, stats: ExportStats) -> str:
    """Links to pages in the export stay; links to pages outside it, and to other settings of a page (a query
    string), go to the live site when base_url is set."""
    def fix(m: re.Match[str]) -> str:
        attr, target = m.group(1), m.group(2)
        if ("?" not in target and file_for(target) in wanted) or target.startswith("/static/"):
            return m.group(0)  # a page of this export (it holds default settings only)
        stats.outside_links += 1
        return f'{attr}="{base_url}{target}"' if base_url else m.group(0)
    return LINK.sub(fix, html)


def write(out: Path, rel: str, body: bytes, stats: ExportStats) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    stats.files += 1


def sitemap(paths: list[str], base_url: str) -> str:
    rows = "".join(f"<url><loc>{base_url}{p}</loc></url>" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'
