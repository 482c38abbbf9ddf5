"""One way to write numbers and identifiers for people: sizes, token counts, speeds and labels, used by the CLI
tables and the web pages alike (the JSON keeps the raw values and identifiers)."""

from __future__ import annotations

FIT_LABELS = {"fits": "Fits", "tight": "Tight fit", "offload": "Runs with offload", "no_fit": "Won't run"}
MODE_LABELS = {"interactive": "Interactive", "balanced": "Balanced", "light_api": "Light API", "scale_out": "Scale-out"}
WORKLOAD_LABELS = {"chat": "Chat", "coding": "Coding", "agentic_coding": "Agentic coding", "reasoning": "Reasoning",
                   "rag": "RAG"}
PICK_LABELS = {"budget": "Budget pick", "value": "Best value", "vendor": "Same-vendor upgrade"}
# Table cells at 80 terminal columns: the same words, shorter.
FIT_SHORT = {"fits": "Fits", "tight": "Tight", "offload": "Offload", "no_fit": "No fit"}
VERDICT_LABELS = {"yes": "Yes", "yes_with_offload": "Yes, with offload", "no": "No"}


def label(identifier: str | None) -> str:
    """Any identifier the engine emits, in words ('no_fit' -> "Won't run", 'scale_out' -> 'Scale-out')."""
    if identifier is None:
        return "—"
    for table in (FIT_LABELS, MODE_LABELS, WORKLOAD_LABELS, PICK_LABELS, VERDICT_LABELS):
        if identifier in table:
            return table[identifier]
    return identifier.replace("_", " ")


def gib(x: float | None, of: float | None = None) -> str:
    """'29.1 GiB', or '29.1 / 24.0 GiB' against a capacity: one decimal everywhere."""
    if x is None:
        return "—"
    return f"{x:.1f} / {of:.1f} GiB" if of is not None else f"{x:.1f} GiB"


def tokens(n: int | None) -> str:
    """Token counts in whole K (1,024 tokens, llama.cpp's unit for -c) from 1K up, rounded down so a limit is never
    overstated ('373K' for 382,720); the exact count below 1K. The JSON keeps the exact figure."""
    if not n or n <= 0:
        return "—"
    return f"{n // 1024:,}K" if n >= 1024 else f"{n:,}"


def tps(x: float | None) -> str:
    """Speeds in tokens/s: one decimal below 100, whole numbers with separators above ('—' when it does not run)."""
    if x is None or x <= 0:
        return "—"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def seconds(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} s"


def fit_short(fit: str) -> str:
    return FIT_SHORT.get(fit, label(fit))
