"""What the MODEL argument names when it is not a catalog name: a GGUF file, a config.json (or its folder)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from rigfit.estimate.memory import FILE_QUANT
from rigfit.ingest.gguf_file import read_gguf
from rigfit.ingest.hf_config import architecture_from_config
from rigfit.model.architecture import Architecture
from rigfit.model.quant import Quant


def looks_like_path(text: str) -> bool:
    return text.endswith((".gguf", ".json")) or text.startswith((".", "/", "~")) or Path(text).expanduser().exists()


def file_quant(arch: Architecture, total_bytes: float, file_type: object) -> Quant:
    """The quant of a GGUF file: its own bytes (weight_bytes uses them exactly); bpw shown as the file's average."""
    bpw = total_bytes * 8 / arch.total_params
    return Quant(name=FILE_QUANT, family="gguf", bpw=round(bpw, 3), body_bpw=bpw, embed_bpw=bpw, output_bpw=bpw,
                 expert_bpw=bpw, quality="as quantized", quality_rank=0.9, runtimes=("llama.cpp", "Ollama", "LM Studio"),
                 source=f"tensor sizes of the file (llama.cpp file type {file_type})")


def model_from_path(text: str) -> tuple[Architecture, Quant | None]:
    """(architecture, the file's own quant for a GGUF, else None). ValueError with one line on any problem."""
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / "config.json"
    if not path.exists():
        raise ValueError(f"{text}: no such file")
    if path.suffix == ".gguf" or path.read_bytes()[:4] == b"GGUF":
        arch, weights = read_gguf(path)
        exact = (weights["embedding"], weights["output"], weights["dense"], weights["experts"])
        arch = replace(arch, exact_weights=exact)
        return arch, file_quant(arch, weights["total"], weights["file_type"])
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a JSON config file ({exc.__class__.__name__})") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: not a config.json object")
    name = str(cfg.get("_name_or_path") or (path.parent.name if path.name == "config.json" else path.stem))
    return architecture_from_config(cfg, name, str(path)), None


def model_from_hub(repo_id: str, offline: bool = False, endpoint: str | None = None) -> Architecture:
    from rigfit.ingest.hub import fetch_config

    config, params_b = fetch_config(repo_id, offline=offline, endpoint=endpoint)
    arch = architecture_from_config(config, repo_id, f"https://huggingface.co/{repo_id}/blob/main/config.json", params_b)
    return replace(arch, hf_repo=repo_id)
