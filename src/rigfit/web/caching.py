"""ETag and Cache-Control: a page or API answer depends only on the catalog data, the site's own code (templates,
static files, the package version) and the request URL, so its ETag is a hash of those, known before rendering.
A matching If-None-Match is a 304 without running the engine."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import rigfit

# One hour: the catalog changes with a release, and a CDN may keep a page that long (revalidated by ETag after).
MAX_AGE_S = 3600
ROOT = Path(rigfit.__file__).parent


@lru_cache(maxsize=1)
def site_version() -> str:
    """Hash of every file that decides an answer's bytes: catalog data, templates, static assets, engine code."""
    h = hashlib.sha256(getattr(rigfit, "__version__", "").encode())
    for folder in ("catalog/data", "web/templates", "web/static", "estimate", "."):
        for f in sorted((ROOT / folder).glob("**/*" if folder != "." else "*.py")):
            if f.is_file():
                h.update(f.relative_to(ROOT).as_posix().encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def etag_for(host: str, path: str, query: str) -> str:
    key = "\n".join((site_version(), host, path, query))
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:24] + '"'


def cacheable(method: str, path: str) -> bool:
    """Pages and API answers of GET/HEAD; not the machine this runs on (local), not static files (Starlette's own)."""
    return method in ("GET", "HEAD") and not path.startswith("/static/") and "-on-local" not in path


def matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    return if_none_match.strip() == "*" or etag in [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
