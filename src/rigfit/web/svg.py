"""Inline SVG: the memory breakdown bar, the context chart and the embeddable badge. Every text is XML-escaped."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

GRADE_COLORS = {"S": "#7c3aed", "A": "#15803d", "B": "#4d7c0f", "C": "#b45309", "D": "#c2410c", "F": "#b91c1c"}
PARTS = (("Weights", "weights_gib", "#2563eb"), ("KV cache", "kv_cache_gib", "#db2777"),
         ("State", "recurrent_state_gib", "#7c3aed"), ("Compute", "compute_buffer_gib", "#d97706"),
         ("Runtime", "runtime_overhead_gib", "#64748b"), ("Headroom", "headroom_gib", "#94a3b8"))


def memory_bar(memory: dict[str, Any], width: int = 640) -> str:
    total = max(memory["total_gib"], memory["available_gib"], 1e-9)
    x = 0.0
    rects = []
    for label, key, color in PARTS:
        w = memory[key] / total * width
        if w <= 0:
            continue
        rects.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="28" fill="{color}">'
                     f'<title>{escape(label)}: {memory[key]:.2f} GiB</title></rect>')
        x += w
    avail = memory["available_gib"] / total * width
    legend = "".join(
        f'<g transform="translate({i * 105},44)"><rect width="10" height="10" fill="{c}"/>'
        f'<text x="14" y="10" font-size="11">{escape(label)} {memory[k]:.2f}</text></g>'
        for i, (label, k, c) in enumerate(PARTS))
    return (f'<svg class="membar" viewBox="0 0 {width} 62" role="img" aria-label="Memory breakdown in GiB">'
            f'<rect width="{width}" height="28" fill="#e2e8f0"/>{"".join(rects)}'
            f'<line x1="{avail:.1f}" x2="{avail:.1f}" y1="-2" y2="32" stroke="#111" stroke-width="2" stroke-dasharray="4 2">'
            f'<title>available {memory["available_gib"]:.1f} GiB</title></line>{legend}</svg>')


def context_chart(points: list[dict[str, Any]], width: int = 640, height: int = 220) -> str:
    """Decode tok/s (line) and memory GiB (bars) against context length."""
    if not points:
        return ""
    pad = 40
    n = len(points)
    max_t = max(p["decode_tps"] for p in points) or 1.0
    max_m = max(max(p["total_gib"] for p in points), points[0]["available_gib"]) or 1.0
    step = (width - 2 * pad) / max(1, n - 1)
    bars, dots, labels = [], [], []
    for i, p in enumerate(points):
        x = pad + i * step
        h = p["total_gib"] / max_m * (height - 2 * pad)
        bars.append(f'<rect x="{x - 12:.1f}" y="{height - pad - h:.1f}" width="24" height="{h:.1f}" fill="#93c5fd">'
                    f'<title>{p["total_gib"]:.1f} GiB at {p["context"]:,}</title></rect>')
        y = height - pad - p["decode_tps"] / max_t * (height - 2 * pad)
        dots.append((x, y, p))
        labels.append(f'<text x="{x:.1f}" y="{height - pad + 16}" font-size="11" text-anchor="middle">'
                      f'{p["context"] // 1024}K</text>')
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in dots)
    circles = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#dc2626"><title>{p["decode_tps"]:.1f} tok/s</title>'
                      f'</circle>' for x, y, p in dots)
    avail_y = height - pad - points[0]["available_gib"] / max_m * (height - 2 * pad)
    return (f'<svg class="ctxchart" viewBox="0 0 {width} {height}" role="img" aria-label="Decode speed and memory by context">'
            f'{"".join(bars)}<line x1="{pad}" x2="{width - pad}" y1="{avail_y:.1f}" y2="{avail_y:.1f}" stroke="#111" '
            f'stroke-dasharray="4 3"/><text x="{width - pad}" y="{avail_y - 4:.1f}" font-size="11" text-anchor="end">'
            f'available {points[0]["available_gib"]:.0f} GiB</text><polyline points="{line}" fill="none" stroke="#dc2626" '
            f'stroke-width="2"/>{circles}{"".join(labels)}<text x="{pad}" y="14" font-size="11" fill="#dc2626">decode tok/s '
            f'(max {max_t:.0f})</text><text x="{width - pad}" y="14" font-size="11" fill="#2563eb" text-anchor="end">'
            f'memory GiB (bars)</text></svg>')


def badge(model: str, hardware: str, grade: str, score: float, decode: float, verdict: str) -> str:
    color = GRADE_COLORS.get(grade, "#334155")
    text = f"{model} on {hardware}"
    right = f"{grade} {score:.0f} · {decode:.0f} tok/s" if verdict != "no" else "F · won't run"
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
            f'aria-label="{need:.2f} GiB needed of {avail:.2f} GiB available">'
            f'<rect width="{width}" height="14" rx="7" fill="#e2e8f0"/>'
            f'<rect width="{fit_w:.1f}" height="14" rx="7" fill="{color}"><title>{need:.2f} GiB needed</title></rect>'
            + (f'<rect x="{avail * scale:.1f}" width="{over_w:.1f}" height="14" fill="#dc2626">'
               f'<title>{memory["over_gib"]:.2f} GiB over capacity</title></rect>' if over_w > 0 else "")
            + f'<line x1="{avail * scale:.1f}" x2="{avail * scale:.1f}" y1="0" y2="14" stroke="#0f172a" stroke-width="2"/>'
            f'</svg>')
