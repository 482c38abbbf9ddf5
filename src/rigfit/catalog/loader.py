"""Load the YAML catalogs into model objects (cached: the files are read once per process)."""

from __future__ import annotations

import hashlib
import json
import math
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, TypeVar

import yaml

from rigfit.model import MLA, SSM, Architecture, CompressedAttention, Hardware, LinearAttention, MoE, Quant

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader  # type: ignore[misc]


T = TypeVar("T")


class CatalogError(ValueError):
    """A catalog file is malformed (a bug in the shipped data, not in user input)."""


def data_dir() -> Path:
    return Path(str(resources.files("rigfit.catalog") / "data"))


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rigfit" / "catalog"


def _read(path: Path) -> Any:
    """A data file, parsed. Parsing the YAML catalogs costs ~80 ms per process; their parsed form is kept as JSON
    under the user's cache folder, named by a hash of the file's bytes (a changed file is parsed afresh), so a
    `rigfit check` reads JSON instead (~5 ms). Any cache problem falls back to parsing."""
    raw = path.read_bytes()
    cached = _cache_dir() / f"{hashlib.sha256(raw).hexdigest()[:32]}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    data = yaml.load(raw.decode("utf-8"), Loader=_Loader)
    try:
        text = json.dumps(data)
        if json.loads(text) != data:  # integer keys, dates: JSON would change them, so never cache such a file
            return data
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(cached)  # atomic: a concurrent reader sees the whole file or none
    except (OSError, TypeError, ValueError):
        pass  # read-only home, or data JSON cannot hold: parse every time
    return data


def _yaml_files(sub: str) -> list[Path]:
    return sorted((data_dir() / sub).glob("*.yaml"))


@lru_cache(maxsize=1)
def load_data(name: str) -> Any:
    return _read(data_dir() / f"{name}.yaml")


# ---------------------------------------------------------------------------------------------- models


def architecture_from_entry(e: dict[str, Any]) -> Architecture:
    def sub(key: str, cls: type, **defaults: Any) -> Any:
        v = e.get(key)
        if not v:
            return None
        fields = {k: v[k] for k in cls.__dataclass_fields__ if k in v and v[k] is not None}
        return cls(**{**defaults, **fields})

    moe = sub("moe", MoE)
    if moe is not None and not moe.shared_expert_ffn and moe.shared_experts:
        moe = MoE(**{**moe.__dict__, "shared_expert_ffn": moe.expert_ffn})
    return Architecture(
        name=str(e["name"]),
        params_b=float(e["params_b"]),
        vocab_size=int(e["vocab_size"]),
        hidden_size=int(e["hidden_size"]),
        num_layers=int(e["num_layers"]),
        num_heads=int(e["num_heads"]),
        num_kv_heads=int(e.get("num_kv_heads") or e["num_heads"]),
        head_dim=int(e.get("head_dim") or e["hidden_size"] // e["num_heads"]),
        intermediate_size=int(e.get("intermediate_size") or 0),
        max_context=int(e["max_context"]),
        mixers=str(e["mixers"]),
        tie_embeddings=bool(e.get("tie_embeddings", False)),
        sliding_window=e.get("sliding_window"),
        mla=sub("mla", MLA),
        linear_attn=sub("linear_attn", LinearAttention),
        ssm=sub("ssm", SSM),
        compressed_attn=sub("compressed_attn", CompressedAttention),
        moe=moe,
        active_params_b=e.get("active_params_b"),
        family=str(e.get("family", "")),
        hf_repo=str(e.get("hf_repo", "")),
        source=str(e.get("source", "")),
        aliases=tuple(str(a) for a in e.get("aliases") or ()),
        release=str(e.get("release", "") or ""),
        notes=str(e.get("notes", "") or ""),
        gguf_repo=str(e.get("gguf_repo", "") or ""),
        ffn_gated=bool(e.get("ffn_gated", True)),
        verified=bool(e.get("verified", True)),
    )


def _load_entries(sub: str, key: str, build: Callable[[dict[str, Any]], T]) -> tuple[T, ...]:
    """Every entry of every YAML file in data/<sub>/, built into a value; a bad entry names its file and entry."""
    out: list[T] = []
    for path in _yaml_files(sub):
        for e in (_read(path) or {}).get(key, []):
            try:
                out.append(build(e))
            except (KeyError, TypeError, ValueError) as exc:
                raise CatalogError(f"{path.name}: entry {e.get('name')!r}: {exc}") from exc
    return tuple(out)


@lru_cache(maxsize=1)
def load_models() -> tuple[Architecture, ...]:
    return _load_entries("models", "models", architecture_from_entry)


# ---------------------------------------------------------------------------------------------- hardware


def hardware_from_entry(e: dict[str, Any]) -> Hardware:
    def num(key: str) -> float | None:
        v = e.get(key)
        return float(v) if v is not None else None

    return Hardware(
        name=str(e["name"]),
        vendor=str(e["vendor"]),
        kind=str(e["kind"]),
        memory_gib=float(e["memory_gib"]),
        bandwidth_gbs=float(e["bandwidth_gbs"]),
        read_bandwidth_gbs=num("read_bandwidth_gbs"),
        fp16_tflops=num("fp16_tflops"),
        bf16_tflops=num("bf16_tflops"),
        fp8_tflops=num("fp8_tflops"),
        fp4_tflops=num("fp4_tflops"),
        architecture=str(e.get("architecture", "") or ""),
        arch_key=str(e.get("arch_key", "") or ""),
        chip=str(e.get("chip", "") or ""),
        year=int(e["year"]) if e.get("year") else None,
        form_factor=str(e.get("form_factor", "") or ""),
        memory_type=str(e.get("memory_type", "") or ""),
        unified=bool(e.get("unified", False)),
        msrp_usd=num("msrp_usd"),
        gpu_cores=int(e["gpu_cores"]) if e.get("gpu_cores") else None,
        cpu_cores=int(e["cpu_cores"]) if e.get("cpu_cores") else None,
        aliases=tuple(str(a) for a in e.get("aliases") or ()),
        sources=tuple((str(k), str(v)) for k, v in (e.get("sources") or {}).items()),
        notes=str(e.get("notes", "") or ""),
        verified=bool(e.get("verified", True)),
    )


@lru_cache(maxsize=1)
def load_hardware() -> tuple[Hardware, ...]:
    return _load_entries("hardware", "hardware", hardware_from_entry)


# ---------------------------------------------------------------------------------------------- quants


def _ppl_curve(entries: list[dict[str, Any]], bpw_of: dict[str, float]) -> list[tuple[float, float]]:
    pts = sorted((bpw_of[e["name"]], float(e["ppl_delta"])) for e in entries if e.get("ppl_delta") is not None)
    return pts


def _interp_ppl(curve: list[tuple[float, float]], bpw: float) -> float:
    """Perplexity increase at an effective bpw, interpolated in log space between measured K-quant points."""
    xs = [x for x, _ in curve]
    ys = [math.log(max(y, 1e-4)) for _, y in curve]
    if bpw <= xs[0]:
        return math.exp(ys[0] + (ys[1] - ys[0]) / (xs[1] - xs[0]) * (bpw - xs[0]))
    if bpw >= xs[-1]:
        return math.exp(ys[-1])
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        if x0 <= bpw <= x1:
            return math.exp(y0 + (y1 - y0) * (bpw - x0) / (x1 - x0 or 1))
    return math.exp(ys[-1])


@lru_cache(maxsize=1)
def load_quants() -> tuple[Quant, ...]:
    data = load_data("quants")
    types: dict[str, float] = {**data["ggml_type_bpw"], **data.get("extra_type_bpw", {})}
    ref = data["reference_model"]
    ref_body = ref["params"] - ref["embedding_params"] - ref["output_params"]
    families = data["families"]

    def body_bpw(e: dict[str, Any]) -> float:
        if "ref_gib" in e:
            bits = e["ref_gib"] * 2**30 * 8
            bits -= ref["embedding_params"] * types[e["embed"]] + ref["output_params"] * types[e["output"]]
            return bits / ref_body
        if "whole_bpw" in e:
            return float(e["whole_bpw"])
        if "body" in e:
            return types[e["body"]]
        return float(e["linear_bpw"])

    bodies = {e["name"]: body_bpw(e) for e in data["quants"]}
    curve = _ppl_curve(data["quants"], bodies)
    out = []
    for e in data["quants"]:
        fam = families[e["family"]]
        body = bodies[e["name"]]
        experts = types[e["experts"]] if "experts" in e else body
        effective = experts if "experts" in e else body
        ppl = e.get("ppl_delta")
        if ppl is None:
            ppl = _interp_ppl(curve, effective)
        out.append(
            Quant(
                name=e["name"],
                family=e["family"],
                bpw=types.get(e.get("base", ""), effective),
                body_bpw=body,
                embed_bpw=types[e["embed"]],
                output_bpw=types[e["output"]],
                expert_bpw=experts,
                quality=e["quality"],
                quality_rank=1.0 / (1.0 + float(ppl)),
                runtimes=tuple(fam["runtimes"]),
                native_arch=tuple(fam.get("native_arch", ())),
                compute=e.get("compute", "fp16"),
                moe_only=bool(e.get("moe_only", False)),
                aliases=tuple(e.get("aliases", ())),
                source=e["source"],
                notes=e.get("notes", ""),
            )
        )
    return tuple(out)


def quant_vendors(quant: Quant) -> tuple[str, ...]:
    return tuple(load_data("quants")["families"][quant.family]["vendors"])
