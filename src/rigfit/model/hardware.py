"""A device (or a group of identical devices) that runs a model."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from rigfit.model.hashing import cached_hash

GIB = 1024**3


@dataclass(frozen=True)
class Hardware:
    name: str
    vendor: str  # nvidia | amd | intel | apple | cpu
    kind: str  # gpu | apple | apu | cpu
    memory_gib: float
    bandwidth_gbs: float
    # Measured device read bandwidth of a saturating read kernel, where a public measurement shows the memory sustains
    # clearly less than its spec peak (LPDDR5X unified memory). None: the spec figure (decode efficiency is fitted on it).
    read_bandwidth_gbs: float | None = None
    fp16_tflops: float | None = None
    bf16_tflops: float | None = None
    fp8_tflops: float | None = None
    fp4_tflops: float | None = None
    architecture: str = ""
    arch_key: str = ""
    chip: str = ""
    year: int | None = None
    form_factor: str = ""
    memory_type: str = ""
    unified: bool = False
    msrp_usd: float | None = None
    gpu_cores: int | None = None
    cpu_cores: int | None = None
    aliases: tuple[str, ...] = field(default_factory=tuple)
    sources: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    notes: str = ""
    verified: bool = True  # False: a figure not yet checked against its cited primary source
    count: int = 1  # identical devices used together

    __hash__ = cached_hash

    def __post_init__(self) -> None:
        if self.memory_gib <= 0 or self.bandwidth_gbs <= 0:
            raise ValueError(f"{self.name}: memory and bandwidth must be positive")
        if self.count < 1:
            raise ValueError(f"{self.name}: device count must be at least 1")
        if not ((self.fp16_tflops or 0) > 0 or (self.bf16_tflops or 0) > 0):
            # prefill, attention and batch throughput all need it: no silent stand-in for a missing figure
            raise ValueError(f"{self.name}: no FP16 or BF16 TFLOPS figure")

    @property
    def memory_bytes(self) -> float:
        return self.memory_gib * GIB

    @property
    def bandwidth_bytes(self) -> float:
        return self.bandwidth_gbs * 1e9

    @property
    def matrix_tflops(self) -> float:
        """Dense matrix throughput a quantized-GGUF runtime can use (FP16 tensor rate)."""
        return float(self.fp16_tflops or self.bf16_tflops)  # type: ignore[arg-type]

    @property
    def display_name(self) -> str:
        return self.name if self.count == 1 or " + " in self.name else f"{self.count}× {self.name}"

    def with_count(self, count: int) -> "Hardware":
        return replace(self, count=count)
