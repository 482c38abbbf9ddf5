"""Pydantic response models of /api/v1: the shape of `report_dict` (rigfit/output.py) with a description, a unit
and, for choices, the allowed values of every field, so /openapi.json documents the whole answer."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Grade = Literal["S", "A", "B", "C", "D", "F"]
Fit = Literal["fits", "tight", "offload", "no_fit"]
Strategy = Literal["full_gpu", "expert_offload", "layer_offload", "cpu_only", "wont_fit"]
Verdict = Literal["yes", "yes_with_offload", "runs_too_slow", "no"]


def F(description: str, unit: str | None = None, **kw: Any) -> Any:  # noqa: N802
    """A field with its description and (where it has one) its unit, shown in OpenAPI as x-unit."""
    extra = {"x-unit": unit} if unit else None
    return Field(description=description + (f" [{unit}]" if unit else ""), json_schema_extra=extra, **kw)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelInfo(Strict):
    name: str = F("Catalog name", examples=["Kimi Linear 48B A3B"])
    family: str = F("Model family")
    params_b: float = F("Total parameters", "billion")
    active_params_b: float = F("Parameters read per token (MoE: active experts only)", "billion")
    moe: bool = F("Mixture of experts")
    layers: int = F("Number of layers", "layers")
    layer_types: dict[str, int] = F("Layer count per layer kind (full attention, sliding window, MLA, ...)", "layers")
    sliding_window: Optional[int] = F("Sliding-window length, if any", "tokens")
    max_context: int = F("The model's own context limit", "tokens")
    hf_repo: Optional[str] = F("Hugging Face repository of the config")
    source: Optional[str] = F("Source of the architecture facts (config.json URL)")
    verified: bool = F("False where the catalog entry's values are not yet checked against their primary source")


class HardwareInfo(Strict):
    name: str = F("Catalog name", examples=["RTX 3090"])
    display_name: str = F("Name with the device count, e.g. '2x RTX 3090'")
    count: int = F("Number of identical devices", "devices")
    vendor: str = F("Vendor: nvidia, amd, intel, apple or cpu")
    kind: str = F("gpu, apple (unified-memory SoC), apu or cpu")
    architecture: Optional[str] = F("Chip architecture")
    memory_gib: float = F("Memory of one device", "GiB")
    bandwidth_gbs: float = F("Memory bandwidth of one device", "GB/s")
    fp16_tflops: Optional[float] = F("Dense FP16 tensor throughput", "TFLOPS")
    unified_memory: bool = F("CPU and accelerator share the memory")
    msrp_usd: Optional[float] = F("Launch price", "USD")
    year: Optional[int] = F("Release year")
    sources: dict[str, str] = F("Source of each fact (specs, compute, msrp)")
    verified: bool = F("False where the catalog entry's values are not yet checked against their primary source")


class QuantInfo(Strict):
    name: str = F("Quantization name", examples=["Q4_K_M"])
    family: str = F("Format family: gguf, mlx, awq, fp8, nvfp4, gptq, exl2, exl3, ...")
    bits: float = F("Nominal bits per weight", "bits/weight")
    effective_bpw: float = F("Bits per weight of the whole file, scales included", "bits/weight")
    quality: str = F("Quality class, from perplexity against F16")
    quality_rank: float = F("Quality from 0 (worst) to 1 (lossless)", "fraction")
    runtimes: list[str] = F("Runtimes that load this format")
    native_on: list[str] = F("GPU architectures with native kernels (empty: all supported)")
    source: str = F("Source of the size and quality figures")


class Settings(Strict):
    quant: str = F("Quantization used")
    context: int = F("Context length estimated", "tokens")
    kv_cache_type: str = F("KV cache element type")
    workload: str = F("Workload key")
    mode: str = F("Operating mode key")
    concurrency: int = F("Concurrent sequences of the mode", "sequences")
    backend: str = F("Engine backend whose constants estimate the speed (CUDA, Metal, ROCm, Vulkan, SYCL, CPU, vLLM, "
                     "MLX, ExLlama)")


class Memory(Strict):
    weights_gib: float = F("Weights in memory", "GiB")
    weights_file_gib: float = F("Size of the model file", "GiB")
    kv_cache_gib: float = F("KV cache at the context", "GiB")
    recurrent_state_gib: float = F("Linear-attention / SSM state", "GiB")
    compute_buffer_gib: float = F("Runtime compute buffers", "GiB")
    runtime_overhead_gib: float = F("Runtime (CUDA context, Metal, ...)", "GiB")
    headroom_gib: float = F("Memory kept free", "GiB")
    total_gib: float = F("Everything above", "GiB")
    available_gib: float = F("Memory the device(s) let a model use, headroom included", "GiB")
    percent_of_available: Optional[float] = F("total / available", "%")
    over_gib: float = F("Amount over the memory available (0 when it fits)", "GiB")
    host_resident_gib: float = F("Buffers kept in host RAM (logits)", "GiB")


class Placement(Strict):
    strategy: Strategy = F("Where the model goes")
    label: str = F("The strategy in words")
    gpu_layers: int = F("Layers on the accelerator (-ngl)", "layers")
    cpu_moe_layers: int = F("Layers whose routed experts stay in host RAM (--n-cpu-moe)", "layers")
    offload_percent: float = F("Share of the weights in host RAM", "%")
    device_gib: float = F("Bytes on the accelerator", "GiB")
    device_capacity_gib: float = F("Usable accelerator memory", "GiB")
    host_ram_gib: float = F("Bytes in host RAM", "GiB")
    host_capacity_gib: float = F("Usable host RAM", "GiB")
    devices: int = F("Devices used", "devices")


class Speed(Strict):
    decode_tps: float = F("Generation speed of one sequence", "tokens/s")
    decode_likely_tps: list[float] = F("Likely decode range (10th-90th percentile of measured errors)", "tokens/s")
    prefill_likely_tps: list[float] = F("Likely prefill range", "tokens/s")
    prefill_tps: float = F("Prompt reading speed", "tokens/s")
    ttft_s: float = F("Time to first token, model loaded", "s")
    ttft_likely_s: list[float] = F("Likely time-to-first-token range", "s")
    cold_ttft_s: float = F("Time to first token including loading the model from disk", "s")
    throughput_tps: float = F("Total generation speed over the mode's concurrent sequences", "tokens/s")
    concurrency: int = F("Sequences generated at once in this mode", "sequences")
    per_user_tps: float = F("What each of the concurrent users sees: aggregate / concurrency", "tokens/s")
    aggregate_tps: float = F("All concurrent sequences together", "tokens/s")


class SafeContext(Strict):
    """Deprecated: context_limits.max_context_on_device."""
    exact: int = F("Longest context that fits with nothing offloaded", "tokens")
    power_of_two: int = F("The same, rounded down to a power of two", "tokens")


class ContextLimits(Strict):
    max_context: int = F("Largest context that runs at all, with rigfit's placement and the host RAM given", "tokens")
    max_context_on_device: int = F("Largest context with everything on the accelerator", "tokens")


class Note(Strict):
    code: str = F("What the note says, as a code (best_quant, expert_offload, kv_q8, needs_host_ram, ...)")
    values: dict[str, Any] = F("The numbers the sentence is made from")
    text: str = F("The note in words")


class Fix(Strict):
    code: str = F("The improvement as a code")
    title: str = F("Best improvement")
    detail: str = F("How much it helps")


class BottleneckInfo(Strict):
    kind: str = F("capacity, host_ram, host_bandwidth, bandwidth or compute")
    title: str = F("What limits this setup")
    detail: str = F("Why, with numbers")
    values: dict[str, Any] = F("The numbers the detail is made from")
    fix: Fix = F("The best improvement")


class NaiveOffload(Strict):
    gpu_layers: int = F("Layers on the accelerator with whole-layer offload", "layers")
    offload_percent: float = F("Share of the weights in host RAM", "%")
    decode_tps: float = F("Decode speed with whole-layer offload", "tokens/s")
    fit: Fit = F("Fit status: fits, tight, offload (part in host RAM) or no_fit")


class Measured(Strict):
    tok_s: float = F("Measured speed", "tokens/s")
    test: str = F("llama-bench test (pp512, tg128, ...)")
    source: str = F("Where the measurement comes from")


class QuantRow(QuantInfo):
    weights_gib: float = F("Weights at this quant", "GiB")
    total_gib: float = F("Total memory at this quant", "GiB")
    fit: Fit = F("Fit status: fits, tight, offload (part in host RAM) or no_fit")
    fit_label: str = F("The fit in words")
    strategy: Optional[Strategy] = F("Where the model goes (absent when it cannot run)")
    grade: Grade = F("Grade, S (best) to F")
    score: float = F("Score", "points of 100")
    decode_tps: Optional[float] = F("Decode speed (absent when it cannot run)", "tokens/s")
    max_context_on_device: int = F("Longest context with nothing offloaded", "tokens")
    safe_context: int = F("Deprecated: max_context_on_device", "tokens")
    why_not: Optional[Note] = F("Why this quant cannot run here")
    best: bool = F("The best quant for this hardware")


class WorkloadRow(Strict):
    workload: str = F("Workload key")
    label: str = F("Workload name")
    prompt_tokens: int = F("Prompt length of the workload", "tokens")
    output_tokens: int = F("Answer length of the workload", "tokens")
    context: int = F("Context estimated", "tokens")
    fit: Fit = F("Fit status: fits, tight, offload (part in host RAM) or no_fit")
    grade: Grade = F("Grade, S (best) to F")
    score: float = F("Score", "points of 100")
    decode_tps: float = F("Decode speed", "tokens/s")
    ttft_s: float = F("Time to first token", "s")
    max_context_on_device: int = F("Longest context with nothing offloaded", "tokens")
    safe_context: int = F("Deprecated: max_context_on_device", "tokens")


class UpgradeRow(Strict):
    pick: Literal["budget", "value", "vendor"] = F("Budget pick, best value or same-vendor upgrade")
    hardware: str = F("Catalog hardware name")
    vendor: str = F("Vendor")
    memory_gib: float = F("Memory", "GiB")
    memory_delta_gib: float = F("Memory against the current hardware", "GiB")
    bandwidth_gbs: float = F("Memory bandwidth", "GB/s")
    bandwidth_delta_gbs: float = F("Bandwidth against the current hardware", "GB/s")
    grade: Grade = F("Grade, S (best) to F")
    score: float = F("Score", "points of 100")
    decode_tps: float = F("Decode speed", "tokens/s")
    msrp_usd: Optional[float] = F("Launch price", "USD")
    why: list[str] = F("Reasons, with numbers")


class AlternativeRow(Strict):
    model: str = F("Catalog model name")
    params_b: float = F("Total parameters", "billion")
    quant: str = F("Quant it runs best at")
    grade: Grade = F("Grade, S (best) to F")
    score: float = F("Score", "points of 100")
    rank_score: float = F("The ranking score: 0.4 grade + 0.45 quality + 0.15 speed", "points of 100")
    decode_tps: float = F("Decode speed", "tokens/s")
    fit: Fit = F("Fit status: fits, tight, offload (part in host RAM) or no_fit")


class Estimate(Strict):
    """The object `rigfit check --json` prints."""
    schema_version: int = F("Version of this shape")
    model: ModelInfo
    hardware: HardwareInfo
    host: Optional[HardwareInfo] = F("CPU/RAM profile holding offloaded weights")
    settings: Settings
    verdict: Verdict = F("Runs on the accelerator, runs with part in host RAM, runs but too slowly (grade D or F), "
                         "or does not run")
    verdict_label: str = F("The verdict in words")
    quant: QuantInfo
    context: int = F("Context estimated", "tokens")
    backend: str = F("Engine backend")
    fit: Fit = F("Fit status")
    fit_label: str = F("The fit in words")
    grade: Grade = F("Grade for the workload and mode")
    score: float = F("Score behind the grade", "points of 100")
    grade_parts: dict[str, float] = F("Score components (decode, ttft, context), each 0-1", "fraction")
    memory: Memory
    placement: Placement
    speed: Speed
    safe_context: SafeContext = F("Deprecated: context_limits.max_context_on_device")
    context_limits: ContextLimits
    bottleneck: BottleneckInfo
    naive_layer_offload: Optional[NaiveOffload] = F("MoE with experts offloaded: the same with whole layers offloaded")
    measured: dict[str, Measured] = F("Catalog measurements of exactly this setting (decode, prefill)")
    advice: list[str] = F("Advice, with numbers")
    advice_codes: list[Note] = F("The same advice as codes with their numbers")
    best_quant: Optional[str] = F("Best quantization for this hardware")
    best_quant_reason: Optional[str] = F("The rule that picked it, with the numbers")
    quants: list[QuantRow] = F("Every quantization on this hardware")
    workloads: list[WorkloadRow] = F("Every workload at its default context")
    upgrades: list[UpgradeRow] = F("Hardware that runs the model better")
    alternatives: list[AlternativeRow] = F("Other models that run well here")
    commands: dict[str, str] = F("Command per runtime (llama.cpp, ollama, vllm, mlx)")
    sources: dict[str, str] = F("Where the commands' files come from: gguf, mlx, vllm (verified repository or a hub "
                                "search), checkpoint (the model's own)")
    downloads: list[Download] = F("Verified Hugging Face repositories of this model, per format")
    resolved_from: Optional[ResolvedFrom] = F("How names that were not an entry's exact name or alias were read "
                                              "(null when both were exact)")


class ResolvedName(Strict):
    typed: str = F("The name as given")
    answered_for: str = F("The catalog entry this answer is for")
    variants: Optional[list[str]] = F("Other configurations of that hardware (memory sizes, core counts): name one "
                                      "to check it", default=None)


class ResolvedFrom(Strict):
    model: Optional[ResolvedName] = F("The model name, when it was not exact", default=None)
    hardware: Optional[ResolvedName] = F("The hardware name, when it was not exact", default=None)


class Download(Strict):
    format: str = F("Format key: gguf (any GGUF quant, picked by its tag), or a quant's name (MLX-4bit, AWQ-INT4, FP8)",
                    examples=["gguf"])
    repo: str = F("Hugging Face repository id", examples=["bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"])
    url: str = F("The repository page, the source of the entry")
    seen: str = F("Where the repository id was read (a hub page, or public files that download or run it)")


class MatrixRow(Strict):
    model: str = F("Catalog model name")
    hardware: str = F("Hardware, with the device count")
    quant: str = F("Quantization")
    workload: str = F("Workload key")
    context: int = F("Context estimated (the workload's default unless given)", "tokens")
    fit: Fit = F("Fit status")
    strategy: Optional[Strategy] = F("Where the weights go; null where it does not run")
    grade: Grade = F("Letter grade")
    score: float = F("Score behind the grade", "0-100")
    decode_tps: Optional[float] = F("Decode speed; null where it does not run", "tokens/s")
    prefill_tps: Optional[float] = F("Prompt processing speed; null where it does not run", "tokens/s")
    ttft_s: Optional[float] = F("Time to the first token; null where it does not run", "s")
    total_gib: float = F("Memory needed", "GiB")
    max_context_on_device: int = F("Longest context held entirely on the accelerator (0: none)", "tokens")


class ErrorDetail(BaseModel):
    detail: str = F("One line saying what is wrong", examples=["unknown model 'Nope 9000'. Did you mean: ...?"])


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorDetail, "description": "No such endpoint"},
    422: {"model": ErrorDetail, "description": "A bad or unknown input, named in one line"},
}
