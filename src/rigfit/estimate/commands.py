"""Commands that run the model with the placement rigfit computed (llama.cpp, Ollama, vLLM, MLX)."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

from rigfit.estimate.fit import EXPERT_OFFLOAD, FULL_GPU, LAYER_OFFLOAD, Placement
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def gguf_file(arch: Architecture, quant: Quant) -> str:
    return f"{slug(arch.name)}-{quant.name}.gguf"


def llama_cpp_command(arch: Architecture, hw: Hardware, quant: Quant, context: int, kv_type: str,
                      placement: Placement, concurrency: int = 1) -> str:
    model = f"-hf {arch.gguf_repo}:{quant.name}" if arch.gguf_repo else f"-m ./{gguf_file(arch, quant)}"
    parts = ["llama-server", model, f"-c {context * concurrency}"]
    if hw.kind == "cpu":
        parts.append("-ngl 0")
    elif placement.strategy == LAYER_OFFLOAD:
        parts.append(f"-ngl {placement.gpu_layers}")
    else:
        parts.append("-ngl 99")
    if placement.strategy == EXPERT_OFFLOAD:
        parts.append(f"--n-cpu-moe {placement.cpu_moe_layers}")
    parts.append("-fa on")
    if kv_type != "f16":
        parts.append(f"-ctk {kv_type} -ctv {kv_type}")
    if concurrency > 1:
        parts.append(f"-np {concurrency}")
    if hw.count > 1:
        parts.append("--split-mode layer --tensor-split " + ",".join("1" for _ in range(hw.count)))
    return " ".join(parts)


def ollama_command(arch: Architecture, quant: Quant, context: int, placement: Placement) -> str:
    gpu_layers = 999 if placement.strategy in (FULL_GPU, EXPERT_OFFLOAD) else placement.gpu_layers
    source = f"hf.co/{arch.gguf_repo}:{quant.name}" if arch.gguf_repo else f"./{gguf_file(arch, quant)}"
    name = slug(arch.name)
    return (
        f"printf 'FROM {source}\\nPARAMETER num_ctx {context}\\nPARAMETER num_gpu {gpu_layers}\\n' > Modelfile"
        f" && ollama create {name} -f Modelfile && ollama run {name}"
    )


def vllm_command(arch: Architecture, hw: Hardware, quant: Quant, context: int, kv_type: str) -> str:
    parts = ["vllm serve", arch.hf_repo or slug(arch.name), f"--max-model-len {context}"]
    if hw.count > 1:
        parts.append(f"--tensor-parallel-size {hw.count}")
    parts.append("--gpu-memory-utilization 0.90")
    if quant.family == "fp8":
        parts.append("--quantization fp8")
    if kv_type in ("q8_0", "q4_0", "fp8"):
        parts.append("--kv-cache-dtype fp8")
    return " ".join(parts)


def mlx_command(arch: Architecture, quant: Quant, context: int) -> str:
    bits = {"MLX-8bit": 8, "MLX-6bit": 6}.get(quant.name, 4)
    out = f"./{slug(arch.name)}-mlx-{bits}bit"
    return (
        f"mlx_lm.convert --hf-path {arch.hf_repo or slug(arch.name)} -q --q-bits {bits} --mlx-path {out}"
        f" && mlx_lm.server --model {out}"
    )


def run_commands(arch: Architecture, hw: Hardware, quant: Quant, context: int, kv_type: str,
                 placement: Placement, concurrency: int = 1) -> dict[str, str]:
    """One command per runtime that runs this quant of the model on this hardware."""
    cmds: dict[str, str] = {}
    if quant.family == "gguf":
        cmds["llama.cpp"] = llama_cpp_command(arch, hw, quant, context, kv_type, placement, concurrency)
        cmds["ollama"] = ollama_command(arch, quant, context, placement)
    if hw.vendor in ("nvidia", "amd") and hw.kind == "gpu" and arch.hf_repo and quant.family not in ("mlx", "gguf"):
        cmds["vllm"] = vllm_command(arch, hw, quant, context, kv_type)
    if hw.vendor == "apple" and arch.hf_repo and quant.family in ("mlx", "gguf"):
        cmds["mlx"] = mlx_command(arch, quant, context)
    return cmds


HF = "https://huggingface.co"


def model_sources(arch: Architecture, quant: Quant) -> dict[str, str]:
    """Where the files the commands need come from: the catalog's verified repository where it names one; a
    search on the Hugging Face hub (GGUF files of this model at this quant) where it does not. vLLM and MLX read the
    model's own checkpoint (vLLM quantizes to FP8 at load, mlx_lm.convert quantizes it)."""
    out: dict[str, str] = {}
    if quant.family == "gguf":
        out["gguf"] = (f"{HF}/{arch.gguf_repo}" if arch.gguf_repo else
                       f"{HF}/models?library=gguf&search={quote_plus(arch.hf_repo.split('/')[-1] or arch.name)}")
    if arch.hf_repo:
        out["checkpoint"] = f"{HF}/{arch.hf_repo}"
    return out
