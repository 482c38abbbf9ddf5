"""Every choice a pair page, embed, card or /api/v1/estimate takes, as one hashable value, and its Query."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Annotated

from fastapi import Query as Q
from fastapi import Request

from rigfit.catalog import NotFound, find_quant
from rigfit.catalog.workloads import load_modes, load_workloads
from rigfit.model.scenario import KV_TYPE_BYTES
from rigfit.query import DEFAULT_HOST, Query, UserError

# The runtimes a user picks, and the engine backend whose constants estimate each. llama.cpp and Ollama (which
# runs llama.cpp) use the hardware's own llama.cpp backend (CUDA, Metal, ROCm, ...: None = the engine's default).
# SGLang has no measured constants of its own; it serves the same quant formats with vLLM-class kernels, so
# vLLM's constants stand in for it (stated on the page and in the API description).
RUNTIME_BACKENDS: dict[str, str | None] = {
    "llama.cpp": None, "Ollama": None, "vLLM": "vLLM", "SGLang": "vLLM", "MLX": "MLX", "ExLlama": "ExLlama"}


class Runtime(str, Enum):
    llama_cpp = "llama.cpp"
    ollama = "Ollama"
    vllm = "vLLM"
    sglang = "SGLang"
    mlx = "MLX"
    exllama = "ExLlama"


KVType = Enum("KVType", {k: k for k in KV_TYPE_BYTES}, type=str)  # type: ignore[misc]


def _runs(runtime: str, quant_runtimes: tuple[str, ...]) -> bool:
    """'ExLlama' covers the catalog's ExLlamaV2 / ExLlamaV3."""
    return any(r == runtime or (runtime == "ExLlama" and r.startswith("ExLlama")) for r in quant_runtimes)


def runtimes_for(quant: str) -> list[str]:
    """The runtimes of RUNTIME_BACKENDS that run this quant format."""
    try:
        q = find_quant(quant)
    except (NotFound, ValueError):
        return []
    return [r for r in RUNTIME_BACKENDS if _runs(r, tuple(q.runtimes))]


@dataclass(frozen=True)
class Inputs:
    quant: str = "Q4_K_M"
    context: int | None = None
    workload: str = "chat"
    mode: str = "balanced"
    gpus: int | None = None
    kv_type: str = "f16"
    host: str | None = None
    runtime: str | None = None

    def query(self, model: str, hardware: str) -> Query:
        backend = None
        if self.runtime is not None:
            if self.runtime not in RUNTIME_BACKENDS:
                raise UserError(f"unknown runtime {self.runtime!r} (one of: {', '.join(RUNTIME_BACKENDS)})")
            ok = runtimes_for(self.quant)
            if ok and self.runtime not in ok:
                raise UserError(f"runtime {self.runtime} does not run {self.quant}; its runtimes here: "
                                f"{', '.join(ok)} (vLLM and SGLang take AWQ-INT4, FP8 or NVFP4; MLX takes MLX-4bit)")
            backend = RUNTIME_BACKENDS[self.runtime]
        return Query(model, hardware, self.quant, self.context, self.workload, self.mode, self.gpus, self.kv_type,
                     self.host, backend)

    def changed(self) -> dict[str, object]:
        """The values that differ from the defaults (what a link or embed URL carries)."""
        default = asdict(Inputs())
        return {k: v for k, v in asdict(self).items() if v is not None and default[k] != v}


KNOWN = frozenset(Inputs.__dataclass_fields__)


async def inputs(  # async: FastAPI would run a plain function in a worker thread
    quant: Annotated[str, Q(description="Quantization name (see /api/v1/quants)", examples=["Q4_K_M"])] = "Q4_K_M",
    context: Annotated[int | None, Q(description="Context length in tokens (default: the workload's)",
                                     examples=[32768])] = None,
    workload: Annotated[str, Q(description="Workload: " + ", ".join(w.key for w in load_workloads()),
                               examples=["chat"])] = "chat",
    mode: Annotated[str, Q(description="Operating mode: " + ", ".join(m.key for m in load_modes()),
                           examples=["balanced"])] = "balanced",
    gpus: Annotated[int | None, Q(description="Number of identical GPUs (1-64)", examples=[2])] = None,
    kv_type: Annotated[KVType, Q(description="KV cache element type")] = KVType("f16"),  # type: ignore[assignment]
    host: Annotated[str | None, Q(description="CPU/RAM profile holding offloaded weights (a catalog entry of kind "
                                              f"cpu; default {DEFAULT_HOST})")] = None,
    runtime: Annotated[Runtime | None, Q(description="Runtime (default: llama.cpp for GGUF, vLLM for AWQ/FP8/NVFP4, "
                                                     "MLX for MLX quants). SGLang is estimated with vLLM's constants.")] = None,
) -> Inputs:
    return Inputs(quant, context, workload, mode, gpus, kv_type.value if isinstance(kv_type, Enum) else kv_type, host,
                  runtime.value if isinstance(runtime, Enum) else runtime)


def unknown_params(request: Request, allowed: frozenset[str]) -> str | None:
    """One line naming the query parameters this endpoint does not take (never silently ignored)."""
    extra = sorted(set(request.query_params) - allowed)
    if not extra:
        return None
    return (f"unknown query parameter{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))} "
            + (f"(this endpoint takes: {', '.join(sorted(allowed))})" if allowed else "(this endpoint takes none)"))


# CLI spellings in engine messages, in API terms: "--gpus" -> "gpus", "--kv-type" -> "kv_type"
_FLAG = re.compile(r"--([a-z][a-z-]*)")


def api_terms(message: str) -> str:
    message = message.replace("(see `rigfit hardware --vendor cpu`)", "(see /api/v1/hardware, kind cpu)")
    return _FLAG.sub(lambda m: m.group(1).replace("-", "_"), message)
