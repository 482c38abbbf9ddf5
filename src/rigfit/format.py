"""One way to write numbers and identifiers for people: sizes, token counts, speeds, times, shares, prices and
labels, used by the CLI tables, the web pages, the embed card, the badge and the sentences of rigfit/wording.py
alike (the JSON keeps the raw values and identifiers). A quantity written twice on one page is written the same
way twice because both go through the same function here."""

from __future__ import annotations

FIT_LABELS = {"fits": "Fits", "tight": "Tight fit", "offload": "Runs with offload", "no_fit": "Won't run",
              "unsupported": "Not supported"}
MODE_LABELS = {"interactive": "Interactive", "balanced": "Balanced", "light_api": "Light API", "scale_out": "Scale-out"}
WORKLOAD_LABELS = {"chat": "Chat", "coding": "Coding", "agentic_coding": "Agentic coding", "reasoning": "Reasoning",
                   "rag": "RAG"}
PICK_LABELS = {"budget": "Budget pick", "value": "Best value", "vendor": "Same-vendor upgrade"}
VERDICT_LABELS = {"yes": "Yes", "yes_with_offload": "Yes, with offload", "runs_too_slow": "Runs, but too slowly",
                  "no": "No"}
STRATEGY_LABELS = {
    "full_gpu": "All on the accelerator",
    "expert_offload": "Experts in host RAM (--n-cpu-moe)",
    "layer_offload": "Layers in host RAM (-ngl)",
    "cpu_only": "CPU and system RAM",
    "wont_fit": "Does not fit",
}
# Where a run command's files come from (estimate.commands.model_sources keys).
SOURCE_LABELS = {"gguf": "GGUF file", "mlx": "MLX checkpoint", "vllm": "vLLM checkpoint",
                 "checkpoint": "original checkpoint", "awq": "AWQ checkpoints (hub search)",
                 "gptq": "GPTQ checkpoints (hub search)", "nvfp4": "NVFP4 checkpoints (hub search)",
                 "exl2": "EXL2 checkpoints (hub search)", "exl3": "EXL3 checkpoints (hub search)"}
VENDOR_LABELS = {"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel", "apple": "Apple", "cpu": "CPU", "mixed": "Mixed"}
KIND_LABELS = {"gpu": "GPU", "apple": "Apple silicon", "apu": "APU", "cpu": "CPU"}
KV_LABELS = {"f16": "F16", "bf16": "BF16", "q8_0": "Q8_0", "q4_0": "Q4_0", "fp8": "FP8"}
# Table cells at 80 terminal columns: the same words, shorter.
FIT_SHORT = {"fits": "Fits", "tight": "Tight", "offload": "Offload", "no_fit": "No fit"}
_TABLES = (FIT_LABELS, MODE_LABELS, WORKLOAD_LABELS, PICK_LABELS, VERDICT_LABELS, STRATEGY_LABELS, SOURCE_LABELS,
           KV_LABELS)


def label(identifier: str | None) -> str:
    """Any identifier the engine emits, in words ('no_fit' -> "Won't run", 'scale_out' -> 'Scale-out')."""
    if identifier is None:
        return "—"
    for table in _TABLES:
        if identifier in table:
            return table[identifier]
    return identifier.replace("_", " ")


def vendor(v: str | None) -> str:
    return "—" if not v else VENDOR_LABELS.get(v, v)


def kind(k: str | None) -> str:
    return "—" if not k else KIND_LABELS.get(k, k)


def gib(x: float | None, of: float | None = None) -> str:
    """'29.1 GiB', or '29.1 / 24.0 GiB' against a capacity: one decimal everywhere."""
    if x is None:
        return "—"
    return f"{x:.1f} / {of:.1f} GiB" if of is not None else f"{x:.1f} GiB"


def gib_num(x: float | None) -> str:
    """A size in a column headed 'GiB': the number gib() writes, without the unit."""
    return "—" if x is None else f"{x:.1f}"


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
    return f"{x:,.0f}" if x >= 99.95 else f"{x:.1f}"  # 99.96 would print '100.0' with one decimal


def tps_range(lo: float | None, hi: float | None) -> str:
    return f"{tps(lo)}–{tps(hi)}"


def seconds_num(x: float | None) -> str:
    """Times in a column headed 's': two decimals below 10 s (a TTFT of 0.35 s), one below 100, whole above."""
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 9.995 else f"{x:.1f}" if x < 99.95 else f"{x:,.0f}"


def seconds(x: float | None) -> str:
    return "—" if x is None else f"{seconds_num(x)} s"


def ms(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} ms"


def pct(x: float | None) -> str:
    """Shares in whole percent."""
    return "—" if x is None else f"{x:.0f}%"


def score(x: float | None) -> str:
    """The 0-100 grade score, whole."""
    return "—" if x is None else f"{x:.0f}"


def usd(x: float | None) -> str:
    return "—" if x is None else f"${x:,.0f}"


def gbs(x: float | None) -> str:
    """Memory bandwidth: whole GB/s with separators."""
    return "—" if x is None else f"{x:,.0f} GB/s"


def gbs_num(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def gb(x: float | None) -> str:
    """Bytes read per token, in GB (10^9, the unit bandwidth is quoted in)."""
    return "—" if x is None else f"{x:.2f} GB"


def params_num(x: float | None) -> str:
    """Parameters in billions: one decimal below 100 B ('8.0', '48.9'), whole above ('1,026')."""
    if x is None:
        return "—"
    return f"{x:,.0f}" if x >= 99.95 else f"{x:.1f}"


def params(x: float | None) -> str:
    return "—" if x is None else f"{params_num(x)}B"


def tflops(x: float | None) -> str:
    """Tensor throughput: one decimal below 100 TFLOPS, whole above."""
    if x is None:
        return "—"
    return f"{x:,.0f}" if x >= 99.95 else f"{x:.1f}"


def bpw(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}×"


def signed(x: float | None, unit: str = "") -> str:
    """A difference: '+8 GiB', '-128 GB/s' (whole numbers below 10 keep one decimal)."""
    if x is None:
        return "—"
    text = f"{x:+,.0f}" if abs(x) >= 10 or float(x).is_integer() else f"{x:+.1f}"
    return f"{text} {unit}".strip()


def fit_short(fit: str) -> str:
    return FIT_SHORT.get(fit, label(fit))
