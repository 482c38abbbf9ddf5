"""What the MODEL argument names when it is not a catalog name: a GGUF file, a config.json (or its folder)."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from pathlib import Path

from rigfit.estimate.memory import FILE_QUANT
from rigfit.ingest.gguf_file import read_gguf
from rigfit.ingest.hf_config import architecture_from_config
from rigfit.model.architecture import Architecture
from rigfit.model.quant import Quant


GGUF_MAGIC = b"GGUF"  # the first 4 bytes of every GGUF file (ggml docs/gguf.md: "magic: GGUF")
# Linux PATH_MAX; a longer text cannot name a file, so it is never probed on disk.
MAX_PATH_CHARS = 4096
# The largest config.json on the hub is a few hundred KB (per-layer lists of big MoE models); 16 MiB is far above
# any real one and keeps a hostile "config" from being read into memory in full.
MAX_CONFIG_BYTES = 16 * 1024 * 1024
# Names shown back to the user (a config's _name_or_path) are cut to this length.
MAX_NAME_CHARS = 200


def looks_like_path(text: str) -> bool:
    """Whether MODEL names a file or folder. Never raises: a name too long for the file system, or with a NUL or
    other odd character, is simply not a path."""
    if text.endswith((".gguf", ".json")) or text.startswith((".", "/", "~")):
        return True
    if not text or len(text) > MAX_PATH_CHARS or not text.isprintable():
        return False
    try:
        return Path(text).expanduser().exists()
    except (OSError, ValueError, RuntimeError):  # ENAMETOOLONG, embedded NUL, unknown ~user
        return False


def _regular_file(path: Path, shown: str) -> os.stat_result:
    """The stat of a regular file, else ValueError. /dev/zero, a FIFO or a socket is refused before it is opened
    (opening a FIFO blocks until a writer comes; reading /dev/zero never ends)."""
    try:
        st = path.stat()
    except (OSError, ValueError):
        raise ValueError(f"{shown}: no such file") from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{shown}: not a regular file")
    return st


def _read_head(path: Path, shown: str, n: int) -> bytes:
    """The first n bytes, opened without blocking so that a file swapped for a FIFO after the stat cannot hang."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ValueError(f"{shown}: cannot open ({exc.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{shown}: not a regular file")
        return os.read(fd, n)
    except OSError as exc:
        raise ValueError(f"{shown}: cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)


def file_quant(arch: Architecture, total_bytes: float, file_type: object) -> Quant:
    """The quant of a GGUF file: its own bytes (weight_bytes uses them exactly); bpw shown as the file's average."""
    bpw = total_bytes * 8 / arch.total_params
    return Quant(name=FILE_QUANT, family="gguf", bpw=round(bpw, 3), body_bpw=bpw, embed_bpw=bpw, output_bpw=bpw,
                 expert_bpw=bpw, quality="as quantized", quality_rank=0.9, runtimes=("llama.cpp", "Ollama", "LM Studio"),
                 source=f"tensor sizes of the file (llama.cpp file type {file_type})")


def model_from_path(text: str) -> tuple[Architecture, Quant | None]:
    """(architecture, the file's own quant for a GGUF, else None). ValueError with one line on any problem."""
    # Messages name the file as the user typed it, never the expanded path (no home folder, no cwd).
    shown = text if len(text) <= MAX_NAME_CHARS else text[:MAX_NAME_CHARS] + "…"
    try:
        path = Path(text).expanduser()
        if path.is_dir():
            path, shown = path / "config.json", f"{shown}/config.json"
    except (OSError, ValueError, RuntimeError):
        raise ValueError(f"{shown}: no such file") from None
    size = _regular_file(path, shown).st_size
    if path.suffix == ".gguf" or _read_head(path, shown, len(GGUF_MAGIC)) == GGUF_MAGIC:
        arch, weights = read_gguf(path, shown)
        exact = (weights["embedding"], weights["output"], weights["dense"], weights["experts"])
        arch = replace(arch, exact_weights=exact)
        return arch, file_quant(arch, weights["total"], weights["file_type"])
    if size > MAX_CONFIG_BYTES:
        raise ValueError(f"{shown}: {size:,} bytes is too large for a config.json (limit {MAX_CONFIG_BYTES:,})")
    try:
        cfg = json.loads(_read_head(path, shown, MAX_CONFIG_BYTES + 1).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{shown}: not a JSON config file ({exc.__class__.__name__})") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{shown}: not a config.json object")
    name = str(cfg.get("_name_or_path") or (path.parent.name if path.name == "config.json" else path.stem))
    return architecture_from_config(cfg, _short_name(name), shown), None


def _short_name(name: str) -> str:
    """A config's own name, on one line and of bounded length (it is echoed in every report)."""
    one_line = " ".join(name.split())
    return one_line if len(one_line) <= MAX_NAME_CHARS else one_line[:MAX_NAME_CHARS] + "…"


def model_from_hub(repo_id: str, offline: bool = False, endpoint: str | None = None) -> Architecture:
    from rigfit.ingest.hub import fetch_config

    config, params_b = fetch_config(repo_id, offline=offline, endpoint=endpoint)
    arch = architecture_from_config(config, repo_id, f"https://huggingface.co/{repo_id}/blob/main/config.json", params_b)
    return replace(arch, hf_repo=repo_id)
