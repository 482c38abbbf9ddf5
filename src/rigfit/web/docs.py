"""docs/method.md and docs/accuracy.md as site pages, rendered with markdown-it-py (CommonMark + tables).
Raw HTML in the Markdown is escaped, not passed through: the pages carry the same CSP as the rest of the site."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt

# The repository's docs/ folder (src/rigfit/web/docs.py -> ../../../docs), where the editable install and the
# checkout keep them.
DOCS_DIR = Path(__file__).resolve().parents[3] / "docs"
PAGES = {"method": "method.md", "accuracy": "accuracy.md"}


@lru_cache(maxsize=None)
def render(name: str) -> tuple[str, str]:
    """(title, HTML body) of a doc page; the title is its first '# ' heading."""
    text = (DOCS_DIR / PAGES[name]).read_text(encoding="utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), name.title())
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    # the other doc pages by their site URL (method.md -> /method)
    for page, file in PAGES.items():
        text = text.replace(f"]({file})", f"](/{page})")
    return title, md.render(text)
