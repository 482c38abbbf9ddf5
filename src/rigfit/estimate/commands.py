"""Commands that run the model with the placement rigfit computed (llama.cpp, Ollama, vLLM, MLX)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import quote_plus

from rigfit.estimate.fit import EXPERT_OFFLOAD, FULL_GPU, LAYER_OFFLOAD, Placement
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.model.quant import Quant


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# The repositories a command may download from: format key -> Hugging Face repository id (catalog/data/repos.yaml
# via Catalog.repos_for; "gguf" for a GGUF repository, a quant's catalog name for MLX / vLLM checkpoints).
Repos = Mapping[str, str]
GGUF = "gguf"
NO_REPOS: Repos = MappingProxyType({})


def gguf_file(arch: Architecture, quant: Quant) -> str:
    return f"{slug(arch.name)}-{quant.name}.gguf"


def gguf_repo(arch: Architecture, repos: Repos) -> str:
    return repos.get(GGUF) or arch.gguf_repo


def llama_cpp_command(arch: Architecture, hw: Hardware, quant: Quant, context: int, kv_type: str,
                      placement: Placement, concurrency: int = 1, repos: Repos = NO_REPOS) -> str:
    repo = gguf_repo(arch, repos)
    # -hf REPO:QUANT downloads the file of that quant from the repository (llama.cpp common/arg.cpp, --hf-repo)
    model = f"-hf {repo}:{quant.name}" if repo else f"-m ./{gguf_file(arch, quant)}"
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


def ollama_command(arch: Architecture, quant: Quant, context: int, placement: Placement,
                   repos: Repos = NO_REPOS) -> str:
    """`ollama run hf.co/REPO:QUANT` pulls that quant from the hub; the context and the GPU layers the placement
    needs are parameters, so they go in a Modelfile built FROM the same hf.co reference."""
    gpu_layers = 999 if placement.strategy in (FULL_GPU, EXPERT_OFFLOAD) else placement.gpu_layers
    repo = gguf_repo(arch, repos)
    source = f"hf.co/{repo}:{quant.name}" if repo else f"./{gguf_file(arch, quant)}"
    name = slug(arch.name)
    return (
        f"printf 'FROM {source}\\nPARAMETER num_ctx {context}\\nPARAMETER num_gpu {gpu_layers}\\n' > Modelfile"
        f" && ollama create {name} -f Modelfile && ollama run {name}"
    )


def vllm_repo(arch: Architecture, quant: Quant, repos: Repos) -> str:
    """The checkpoint vLLM serves for this quant: a verified repository in that format, or (FP8 only) the model's
    own checkpoint, which vLLM quantizes at load; '' where neither exists."""
    if quant.name in repos:
        return repos[quant.name]
    return arch.hf_repo if quant.family == "fp8" else ""


def vllm_command(arch: Architecture, hw: Hardware, quant: Quant, context: int, kv_type: str,
                 repos: Repos = NO_REPOS) -> str:
    repo = vllm_repo(arch, quant, repos) or arch.hf_repo or slug(arch.name)
    parts = ["vllm serve", repo, f"--max-model-len {context}"]
    if hw.count > 1:
        parts.append(f"--tensor-parallel-size {hw.count}")
    parts.append("--gpu-memory-utilization 0.90")
    if quant.family == "fp8" and quant.name not in repos:  # a BF16 checkpoint, quantized to FP8 at load
        parts.append("--quantization fp8")
    if kv_type in ("q8_0", "q4_0", "fp8"):
        parts.append("--kv-cache-dtype fp8")
    return " ".join(parts)


MLX_BITS = {"MLX-8bit": 8, "MLX-6bit": 6, "MLX-4bit": 4}


def mlx_command(arch: Architecture, quant: Quant, context: int, repos: Repos = NO_REPOS) -> str:
    """mlx_lm.server on a verified MLX checkpoint of these bits; otherwise convert the model's own checkpoint."""
    bits = MLX_BITS.get(quant.name, 4)
    ready = repos.get(f"MLX-{bits}bit")
    if ready:
        return f"mlx_lm.server --model {ready}"
    out = f"./{slug(arch.name)}-mlx-{bits}bit"
    return (
        f"mlx_lm.convert --hf-path {arch.hf_repo or slug(arch.name)} -q --q-bits {bits} --mlx-path {out}"
        f" && mlx_lm.server --model {out}"
    )


def run_commands(arch: Architecture, hw: Hardware, quant: Quant, context: int, kv_type: str,
                 placement: Placement, concurrency: int = 1, repos: Repos = NO_REPOS) -> dict[str, str]:
    """One command per runtime that runs this quant of the model on this hardware."""
    cmds: dict[str, str] = {}
    if quant.family == "gguf":
        cmds["llama.cpp"] = llama_cpp_command(arch, hw, quant, context, kv_type, placement, concurrency, repos)
        cmds["ollama"] = ollama_command(arch, quant, context, placement, repos)
    if (hw.vendor in ("nvidia", "amd") and hw.kind == "gpu" and quant.family not in ("mlx", "gguf")
            and vllm_repo(arch, quant, repos)):
        cmds["vllm"] = vllm_command(arch, hw, quant, context, kv_type, repos)
    if hw.vendor == "apple" and quant.family in ("mlx", "gguf") and (arch.hf_repo or f"MLX-{MLX_BITS.get(quant.name, 4)}bit" in repos):
        cmds["mlx"] = mlx_command(arch, quant, context, repos)
    return cmds


HF = "https://huggingface.co"


def model_sources(arch: Architecture, quant: Quant, repos: Repos = NO_REPOS,
                  commands: Mapping[str, str] = MappingProxyType({})) -> dict[str, str]:
    """Where the files the commands need come from: the catalog's verified repository where it names one; a
    search on the Hugging Face hub (files of this model in that format) where it does not. `commands` (the
    commands shown) adds the MLX / vLLM checkpoint a command reads."""
    out: dict[str, str] = {}
    name = (arch.hf_repo.split("/")[-1] if arch.hf_repo else "") or arch.name
    if quant.family == "gguf":
        repo = gguf_repo(arch, repos)
        out["gguf"] = f"{HF}/{repo}" if repo else f"{HF}/models?library=gguf&search={quote_plus(name)}"
    mlx = repos.get(f"MLX-{MLX_BITS.get(quant.name, 4)}bit")
    if mlx and ("mlx" in commands or quant.family == "mlx"):
        out["mlx"] = f"{HF}/{mlx}"
    elif quant.family == "mlx":
        out["mlx"] = f"{HF}/models?library=mlx&search={quote_plus(name)}"
    served = [r for k, r in repos.items() if k != GGUF and not k.startswith("MLX-")
              and f"vllm serve {r} " in commands.get("vllm", "")]
    if quant.name in repos and quant.family not in ("gguf", "mlx"):
        out["vllm"] = f"{HF}/{repos[quant.name]}"
    elif served:  # the verified checkpoint the vLLM command serves (another format than the quant shown)
        out["vllm"] = f"{HF}/{served[0]}"
    elif quant.family in ("awq", "gptq", "nvfp4", "exl2", "exl3"):
        out[quant.family] = f"{HF}/models?search={quote_plus(name + ' ' + quant.family)}"
    if arch.hf_repo:
        out["checkpoint"] = f"{HF}/{arch.hf_repo}"
    return out
