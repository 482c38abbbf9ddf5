"""Inline SVG: the memory breakdown bar, the context chart and the embeddable badge. Every text is XML-escaped."""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

from rigfit import format as fmt


def escape(text: object) -> str:
    """XML-escape for text nodes and (double- or single-quoted) attribute values alike."""
    return _xml_escape(str(text), {'"': "&quot;", "'": "&#39;"})

GRADE_COLORS = {"S": "#7c3aed", "A": "#15803d", "B": "#4d7c0f", "C": "#b45309", "D": "#c2410c", "F": "#b91c1c"}
PARTS = (("Weights", "weights_gib", "#2563eb"), ("KV cache", "kv_cache_gib", "#db2777"),
         ("State", "recurrent_state_gib", "#7c3aed"), ("Compute", "compute_buffer_gib", "#d97706"),
         ("Runtime", "runtime_overhead_gib", "#64748b"), ("Headroom", "headroom_gib", "#94a3b8"))


def memory_bar(memory: dict[str, Any], width: int = 900) -> str:
    """The memory breakdown as one stacked bar, with a dashed line at the memory available. The legend is HTML
    (memory_legend), not SVG text: the bar is stretched to the page width, and text inside it would shrink to
    unreadable sizes on a phone."""
    total = max(memory["total_gib"], memory["available_gib"], 1e-9)
    x = 0.0
    rects = []
    for label, key, color in PARTS:
        w = memory[key] / total * width
        if w <= 0:
            continue
        rects.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="30" fill="{color}">'
                     f'<title>{escape(label)}: {fmt.gib(memory[key])}</title></rect>')
        x += w
    avail = min(memory["available_gib"] / total * width, width - 1)
    return (f'<svg class="membar" viewBox="0 -4 {width} 38" preserveAspectRatio="none" role="img" '
            f'aria-label="Memory breakdown in GiB">'
            f'<rect width="{width}" height="30" fill="#e2e8f0"/>{"".join(rects)}'
            f'<line x1="{avail:.1f}" x2="{avail:.1f}" y1="-4" y2="34" stroke="#0f172a" stroke-width="2" stroke-dasharray="4 2">'
            f'<title>available {fmt.gib(memory["available_gib"])}</title></line></svg>')


def memory_legend(memory: dict[str, Any]) -> list[tuple[str, float, str]]:
    """(label, GiB, colour) of each part of the bar, for the HTML legend under it."""
    return [(label, memory[key], color) for label, key, color in PARTS]


def _value(v: float, unit: str) -> str:
    return f"{fmt.tps(v)} tok/s" if unit == "tok/s" else fmt.gib(v)


def _nice(v: float) -> float:
    """The next 'round' axis maximum (1, 1.2, 1.6, 2, ..., 8 times a power of ten, each a multiple of 4 ticks) at or above v."""
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    return next(m * mag for m in (1, 1.2, 1.6, 2, 2.4, 3.2, 4, 5, 6, 8, 10) if m * mag >= v - 1e-9)


def _panel(points: list[dict[str, Any]], key: str, x0: float, width: float, height: float, title: str, unit: str,
           color: str, bars: bool, limit: float | None = None) -> str:
    """One small chart: a value per context length, as bars or a line, with a 0-based axis and gridlines."""
    top, bottom, left = 30, 26, 46
    plot_w, plot_h = width - left - 12, height - top - bottom
    vmax = _nice(max([p[key] for p in points] + ([limit] if limit else [])) * 1.08)
    n = len(points)
    step = plot_w / n
    out = [(f'<g transform="translate({x0},0)"><text x="{left}" y="16" font-size="15" font-weight="600" '
           f'fill="{color}">{escape(title)}</text>')]
    for i in range(5):  # gridlines and axis labels
        v = vmax * i / 4
        y = top + plot_h - v / vmax * plot_h
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="13" text-anchor="end">{v:g}</text>')
    coords = []
    for i, p in enumerate(points):
        cx = left + step * (i + 0.5)
        y = top + plot_h - p[key] / vmax * plot_h
        coords.append((cx, y))
        label = f'{_value(p[key], unit)} at {fmt.tokens(p["context"])} tokens'
        if bars:
            fill = "#dc2626" if limit is not None and p[key] > limit else color
            out.append(f'<rect x="{cx - step * 0.3:.1f}" y="{y:.1f}" width="{step * 0.6:.1f}" '
                       f'height="{top + plot_h - y:.1f}" rx="3" fill="{fill}" opacity=".85"><title>{escape(label)}</title></rect>')
        out.append(f'<text x="{cx:.1f}" y="{height - 8}" font-size="13" text-anchor="middle">{p["context"] // 1024}K</text>')
    if not bars:
        out.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in coords)}" fill="none" '
                   f'stroke="{color}" stroke-width="2.5"/>')
        for (cx, y), p in zip(coords, points):
            label = f'{_value(p[key], unit)} at {fmt.tokens(p["context"])} tokens'
            out.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="4.5" fill="{color}"><title>{escape(label)}</title>'
                       f'</circle><text x="{cx:.1f}" y="{y - 9:.1f}" font-size="13" text-anchor="middle">'
                       f'{fmt.tps(p[key]) if unit == "tok/s" else fmt.gib_num(p[key])}</text>')
    if limit is not None:
        y = top + plot_h - limit / vmax * plot_h
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#0f172a" '
                   f'stroke-dasharray="5 3" stroke-width="1.5"/><text x="{left + plot_w}" y="{y - 5:.1f}" '
                   f'font-size="13" text-anchor="end" stroke="#fff" stroke-width="3" paint-order="stroke">'
                   f'available {fmt.gib(limit)}</text>')
    out.append("</g>")
    return "".join(out)


# Each panel is its own SVG, 400 units wide: on a 390 px phone it is drawn ~340 px wide (scale 0.85), so the
# smallest text (13 units) stays above 10 px; on a desktop the two panels sit side by side.
PANEL_WIDTH, PANEL_HEIGHT = 400, 250


def context_chart(points: list[dict[str, Any]]) -> str:
    """Decode tok/s (line) and memory GiB (bars, red above the memory available) against context length."""
    if not points:
        return ""
    panels = ((_panel(points, "decode_tps", 0, PANEL_WIDTH, PANEL_HEIGHT, "Decode tok/s", "tok/s", "#dc2626",
                      bars=False), "Decode speed by context length"),
              (_panel(points, "total_gib", 0, PANEL_WIDTH, PANEL_HEIGHT, "Memory GiB", "GiB", "#3b82f6", bars=True,
                      limit=points[0]["available_gib"]), "Memory by context length"))
    return "".join(f'<svg class="ctxchart" viewBox="0 0 {PANEL_WIDTH} {PANEL_HEIGHT}" role="img" '
                   f'aria-label="{label}">{body}</svg>' for body, label in panels)


def badge(model: str, hardware: str, grade: str, score: float, decode: float, verdict: str) -> str:
    color = GRADE_COLORS.get(grade, "#334155")
    text = f"{model} on {hardware}"
    right = {"no": "F · won't run",
             "runs_too_slow": f"{grade} {fmt.score(score)} · too slow ({fmt.tps(decode)} tok/s)"}.get(
        verdict, f"{grade} {fmt.score(score)} · {fmt.tps(decode)} tok/s")
    lw = max(120, int(len(text) * 6.4) + 16)
    rw = int(len(right) * 6.6) + 16
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + rw}" height="22" role="img" '
            f'aria-label="{escape(text)}: {escape(right)}"><rect width="{lw}" height="22" fill="#334155"/>'
            f'<rect x="{lw}" width="{rw}" height="22" fill="{color}"/><g fill="#fff" font-family="Verdana,sans-serif" '
            f'font-size="11"><text x="8" y="15">{escape(text)}</text><text x="{lw + 8}" y="15">{escape(right)}</text>'
            f'</g></svg>')


def need_meter(memory: dict[str, Any], width: int = 640) -> str:
    """GiB needed against GiB available as one bar (drawn server-side: works without JavaScript, and the CSP
    forbids inline styles). The part over capacity is red; the tick marks the available memory."""
    need, avail = memory["total_gib"], memory["available_gib"]
    scale = width / max(need, avail, 1e-9)
    fit_w = min(need, avail) * scale
    over_w = max(0.0, need - avail) * scale
    pct = memory["percent_of_available"]
    color = "#16a34a" if pct is not None and pct <= 90 else "#d97706" if pct is not None and pct <= 100 else "#2563eb"
    return (f'<svg class="meter" viewBox="0 0 {width} 14" preserveAspectRatio="none" role="img" '
            f'aria-label="{fmt.gib(need)} needed of {fmt.gib(avail)} available">'
            f'<rect width="{width}" height="14" rx="7" fill="#e2e8f0"/>'
            f'<rect width="{fit_w:.1f}" height="14" rx="7" fill="{color}"><title>{fmt.gib(need)} needed</title></rect>'
            + (f'<rect x="{avail * scale:.1f}" width="{over_w:.1f}" height="14" fill="#dc2626">'
               f'<title>{fmt.gib(memory["over_gib"])} over capacity</title></rect>' if over_w > 0 else "")
            + f'<line x1="{avail * scale:.1f}" x2="{avail * scale:.1f}" y1="0" y2="14" stroke="#0f172a" stroke-width="2"/>'
            f'</svg>')
