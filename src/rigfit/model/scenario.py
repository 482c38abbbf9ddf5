"""What the user asks: which quant, how much context, how many sequences at once, which runtime settings."""

from __future__ import annotations

from dataclasses import dataclass

from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant

# ggml cache types and their bytes per element (gguf-py GGML_QUANT_SIZES: block bytes / block size).
KV_TYPE_BYTES: dict[str, float] = {
    "f32": 4.0,
    "f16": 2.0,
    "bf16": 2.0,
    "q8_0": 34 / 32,
    "q5_1": 24 / 32,
    "q5_0": 22 / 32,
    "q4_1": 20 / 32,
    "q4_0": 18 / 32,
    "iq4_nl": 18 / 32,
    "fp8": 1.0,  # vLLM --kv-cache-dtype fp8
}


@dataclass(frozen=True)
class Scenario:
    quant: Quant
    context: int  # tokens of context per sequence
    kv_type: str = "f16"
    concurrency: int = 1  # sequences decoded together (llama.cpp -np, vLLM batch)
    flash_attention: bool = True  # llama.cpp default is "auto", on for CUDA/Metal/ROCm/Vulkan
    ubatch: int = 512  # llama.cpp -ub default
    host: Hardware | None = None  # host RAM that holds offloaded weights (a cpu catalog entry)

    def __post_init__(self) -> None:
        if self.context < 1:
            raise ValueError("context must be at least 1 token")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.kv_type not in KV_TYPE_BYTES:
            raise ValueError(f"unknown KV cache type {self.kv_type!r} (one of {', '.join(KV_TYPE_BYTES)})")
        if self.ubatch < 1:
            raise ValueError("ubatch must be at least 1")

    @property
    def kv_bytes_per_element(self) -> float:
        return KV_TYPE_BYTES[self.kv_type]
