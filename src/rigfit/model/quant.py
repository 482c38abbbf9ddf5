"""A weight quantization format and what it costs per weight."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Quant:
    name: str
    family: str  # gguf | fp8 | nvfp4 | gptq | awq | exl2 | exl3 | mlx | native
    bpw: float  # nominal bits per weight of the main tensor type
    body_bpw: float  # effective bpw of the linear layers of a whole model (mix upgrades included)
    embed_bpw: float  # token embedding tensor
    output_bpw: float  # LM head (when untied)
    expert_bpw: float  # routed-expert tensors (MoE); equals body_bpw except for MoE-specific mixes
    quality: str  # Very low | Low | Medium | High | Very high | Maximum
    quality_rank: float  # 0..1, higher is closer to the unquantized model
    runtimes: tuple[str, ...] = ()
    native_arch: tuple[str, ...] = ()  # arch_keys with native support; empty = runs everywhere it is supported
    compute: str = "fp16"  # matrix rate the prefill uses: fp16 | fp8 | fp4
    moe_only: bool = False  # quantizes only routed-expert tensors (MXFP4 mixes): meaningless for a dense model
    aliases: tuple[str, ...] = field(default_factory=tuple)
    source: str = ""
    notes: str = ""
