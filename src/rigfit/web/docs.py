"""docs/method.md and docs/accuracy.md as site pages, rendered with markdown-it-py (CommonMark + tables).
Raw HTML in the Markdown is escaped, not passed through: the pages carry the same CSP as the rest of the site."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt

# The repository's docs/ folder (src/rigfit/web/docs.py -> ../../../docs), where the editable install and the
# checkout keep them.
DOCS_DIR = Path(__file__).resolve().parents[3] / "docs"
PAGES = {"method": "method.md", "accuracy": "accuracy.md"}
# The section of docs/method.md (or the accuracy page) that explains each kind of number a page shows: every number's
# label links there (tests/web/test_docs_links.py checks each id exists).
WHY = {"weights": "/method#2-weights", "context_state": "/method#3-context-state",
       "buffers": "/method#4-buffers-overhead-headroom", "placement": "/method#5-placement", "speed": "/method#6-speed",
       "grade": "/method#7-workloads-modes-grade", "advice": "/method#8-advice", "accuracy": "/accuracy",
       "limits": "/method#11-known-limits"}


def anchor(heading: str) -> str:
    """A heading's id: its words before any parenthesis ('6. Speed (`estimate/speed.py`)' -> '6-speed'), so pages
    can link to the section that explains a number."""
    return re.sub(r"[^a-z0-9]+", "-", heading.split("(")[0].lower()).strip("-")


@lru_cache(maxsize=None)
def render(name: str) -> tuple[str, str]:
    """(title, HTML body) of a doc page; the title is its first '# ' heading."""
    text = (DOCS_DIR / PAGES[name]).read_text(encoding="utf-8")
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), name.title())
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    # the other doc pages by their site URL (method.md -> /method)
    for page, file in PAGES.items():
        text = text.replace(f"]({file})", f"](/{page})")
    tokens = md.parse(text)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag in ("h2", "h3"):
            tok.attrSet("id", anchor(tokens[i + 1].content))
    return title, md.renderer.render(tokens, md.options, {})


def anchors(name: str) -> set[str]:
    """The ids of a doc page's sections (tests check every link into a page names one of them)."""
    return set(re.findall(r'<h[23] id="([^"]+)"', render(name)[1]))
