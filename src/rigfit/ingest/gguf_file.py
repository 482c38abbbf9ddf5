"""A local GGUF file (or a split set) → Architecture plus its exact tensor bytes, read with llama.cpp's `gguf` package.

Weights come from the tensors themselves (Σ n_bytes, grouped as token embedding, output, routed experts, and the
rest per layer), so the memory estimate for a file is exact rather than a bpw average.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

from rigfit.catalog.loader import architecture_from_entry
from rigfit.ingest.hf_config import MALFORMED, MAX_LAYERS, compressed_mixers, bounded, check_entry, reason
from rigfit.model.architecture import Architecture

# llama.cpp architectures whose recurrent layers are linear attention (the others are Mamba blocks)
LINEAR_ATTENTION_ARCHS = frozenset({"qwen3next", "qwen35", "qwen35moe", "kimi-linear"})
FULLY_RECURRENT_ARCHS = frozenset({"mamba", "mamba2", "rwkv6", "rwkv7"})
SPLIT = re.compile(r"^(?P<stem>.*)-(?P<i>\d{5})-of-(?P<n>\d{5})\.gguf$")
BLOCK = re.compile(r"^blk\.(\d+)\.")
# GGUF header (ggml docs/gguf.md): magic "GGUF", uint32 version, uint64 tensor_count, uint64 metadata_kv_count.
HEADER = struct.Struct("<4sIQQ")
# Far above real files (a DeepSeek-V3 GGUF has ~1,150 tensors and ~50 metadata keys) and low enough that the
# reader's per-tensor Python objects stay small; a header claiming more is refused before it is parsed.
MAX_TENSORS = 1 << 16
MAX_METADATA_KEYS = 1 << 16


def check_header(path: Path, shown: str) -> None:
    """Refuse a GGUF whose header declares absurd tensor or metadata counts (read: the first 24 bytes only)."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEADER.size)
    except OSError as exc:
        raise ValueError(f"{shown}: cannot read ({exc.strerror})") from None
    if len(head) < HEADER.size:
        raise ValueError(f"{shown}: not a readable GGUF file (header of {len(head)} bytes)")
    magic, version, tensors, keys = HEADER.unpack(head)
    if version > 0xFFFF:  # a big-endian file: the same fields, byte-swapped
        magic, version, tensors, keys = struct.unpack(">4sIQQ", head)
    if magic != b"GGUF":
        raise ValueError(f"{shown}: not a GGUF file (magic {magic!r})")
    if tensors > MAX_TENSORS or keys > MAX_METADATA_KEYS:
        raise ValueError(f"{shown}: GGUF header declares {tensors:,} tensors and {keys:,} metadata keys "
                         f"(limits {MAX_TENSORS:,} and {MAX_METADATA_KEYS:,})")


def _reader(path: Path, shown: str) -> Any:
    from gguf import GGUFReader  # imported here: only GGUF input needs the package

    check_header(path, shown)
    try:
        return GGUFReader(str(path), "r")
    except Exception as exc:  # noqa: BLE001 - any failure of the reader means the file is not a readable GGUF
        why = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise ValueError(f"{shown}: not a readable GGUF file ({why})") from None


def split_parts(path: Path, shown: str | None = None) -> list[Path]:
    """All files of a split GGUF (name-00001-of-00003.gguf …), or just this one."""
    m = SPLIT.match(path.name)
    if not m:
        return [path]
    n = int(m.group("n"))
    parts = [path.with_name(f"{m.group('stem')}-{i:05d}-of-{n:05d}.gguf") for i in range(1, n + 1)]
    missing = [p.name for p in parts if not p.is_file()]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise ValueError(f"{shown or path}: split GGUF is missing {', '.join(missing[:3])}{more}")
    return parts


def _value(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    if field is None:
        return None
    try:
        return field.contents()
    except Exception:  # noqa: BLE001
        return None


def read_gguf(path: str | Path, shown: str | None = None) -> tuple[Architecture, dict[str, Any]]:
    """(architecture, exact weights) of a GGUF file; ValueError with one line when the file cannot be used.

    `shown` is how messages name the file (the text the user typed); the path itself by default.
    """
    path = Path(path)
    shown = shown or str(path)
    if not path.is_file():
        raise ValueError(f"{shown}: no such file")
    readers = [_reader(p, shown) for p in split_parts(path, shown)]
    try:
        return _from_readers(path, shown, readers)
    except MALFORMED as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(f"{shown}:"):
            raise
        raise ValueError(f"{shown}: unsupported GGUF metadata ({reason(exc)})") from None


def _from_readers(path: Path, shown: str, readers: list[Any]) -> tuple[Architecture, dict[str, Any]]:
    meta = readers[0]
    arch_name = _value(meta, "general.architecture")
    if not arch_name or not isinstance(arch_name, str):
        raise ValueError(f"{shown}: GGUF file without general.architecture")

    def kv(key: str, default: Any = None) -> Any:
        v = _value(meta, f"{arch_name}.{key}")
        return default if v is None else v

    n = kv("block_count")
    hidden = kv("embedding_length")
    heads = kv("attention.head_count")
    if not (n and hidden and heads):
        raise ValueError(f"{shown}: unsupported architecture {arch_name[:60]!r} (no block_count/embedding_length/head_count)")
    n, hidden = bounded(n, "block_count", MAX_LAYERS), int(hidden)
    heads = int(max(heads) if isinstance(heads, list) else heads)
    kv_heads_raw = kv("attention.head_count_kv", heads)
    per_layer_kv = kv_heads_raw if isinstance(kv_heads_raw, list) and len(kv_heads_raw) == n else None
    kv_heads = int(max(kv_heads_raw) if isinstance(kv_heads_raw, list) else kv_heads_raw)
    head_dim = int(kv("attention.key_length", hidden // heads))

    tensors = [t for r in readers for t in r.tensors]
    embedding = output = 0.0
    dense = [0.0] * n
    experts = [0.0] * n
    vocab = None
    for t in tensors:
        size = float(t.n_bytes)
        if t.name == "token_embd.weight":
            embedding += size
            vocab = int(max(t.shape))
        elif t.name.startswith("output.") and "norm" not in t.name:
            output += size
        else:
            m = BLOCK.match(t.name)
            if m and int(m.group(1)) < n:
                (experts if "_exps" in t.name else dense)[int(m.group(1))] += size
    tokens = _value(meta, "tokenizer.ggml.tokens")
    vocab = vocab or (len(tokens) if isinstance(tokens, list) else None)
    if not vocab:
        raise ValueError(f"{shown}: no token embedding or vocabulary")
    total_params = sum(float(t.n_elements) for t in tensors)
    window = kv("attention.sliding_window")
    n_experts = kv("expert_count")
    kv_lora = kv("attention.kv_lora_rank")
    ssm_inner = kv("ssm.inner_size")
    recurrent_kind = "L" if str(arch_name).replace("_", "-") in LINEAR_ATTENTION_ARCHS else "R"
    ratios = kv("attention.compress_ratios")  # DeepSeek V4 (deepseek4): one compression ratio per layer
    compressed = compressed_mixers({"compress_ratios": ratios}, n) if isinstance(ratios, list) else None
    if compressed:
        mixers = compressed
    elif ssm_inner and per_layer_kv is None and arch_name in FULLY_RECURRENT_ARCHS:
        mixers = recurrent_kind * n
    elif ssm_inner and per_layer_kv is not None:
        # hybrids write 0 KV heads for their recurrent layers (llama.cpp: per-layer head_count_kv arrays)
        attn = "M" if kv_lora else "F"
        mixers = "".join(attn if int(h) > 0 else recurrent_kind for h in per_layer_kv)
    elif kv_lora:
        mixers = "M" * n
    elif window:
        pattern = kv("attention.sliding_window_pattern")
        if isinstance(pattern, list) and len(pattern) == n:
            mixers = "".join("S" if p else "F" for p in pattern)
        else:
            mixers = "S" * n
    else:
        mixers = "F" * n
    entry: dict[str, Any] = {
        "name": path.stem if not SPLIT.match(path.name) else SPLIT.match(path.name).group("stem"),  # type: ignore[union-attr]
        "source": f"GGUF file {path.name}", "params_b": total_params / 1e9, "vocab_size": vocab, "hidden_size": hidden,
        "num_layers": n, "num_heads": heads, "num_kv_heads": kv_heads, "head_dim": head_dim,
        "intermediate_size": int(kv("feed_forward_length", 4 * hidden) if not isinstance(kv("feed_forward_length"), list)
                                 else max(kv("feed_forward_length"))),
        "tie_embeddings": output == 0, "max_context": int(kv("context_length", 4096)), "mixers": mixers,
    }
    if window and set("SC") & set(mixers):
        entry["sliding_window"] = int(window)
    if compressed:
        # llama.cpp's deepseek4 keys (src/llama-arch.cpp): no guessed value; a missing key refuses the file
        keys = {"index_n_heads": "attention.indexer.head_count", "index_head_dim": "attention.indexer.key_length",
                "index_topk": "attention.indexer.top_k", "q_lora_rank": "attention.q_lora_rank",
                "o_lora_rank": "attention.output_lora_rank", "o_groups": "attention.output_group_count"}
        missing = [k for k in keys.values() if kv(k) is None] + ([] if window else ["attention.sliding_window"])
        if missing:
            raise ValueError(f"{shown}: unsupported GGUF architecture {arch_name[:60]!r} (compressed attention "
                             f"without {', '.join(missing[:3])})")
        heavy = [int(r) for r in ratios[:n] if int(r) not in (0, 4)]
        entry["sliding_window"] = int(window)
        entry["compressed_attn"] = {"csa_ratio": 4, "hca_ratio": heavy[0] if heavy else 128,
                                    **{field: int(kv(key)) for field, key in keys.items()}}
    if ssm_inner and set("LR") & set(mixers):
        inner, state = int(ssm_inner), int(kv("ssm.state_size", 128))
        groups, rank, conv = int(kv("ssm.group_count", 0) or 0), int(kv("ssm.time_step_rank", 0) or 0), int(kv("ssm.conv_kernel", 4))
        if recurrent_kind == "L":  # Gated DeltaNet / KDA: state_size = key head dim, groups = key heads, rank = value heads
            v_heads = rank or heads
            entry["linear_attn"] = {"kind": "gated_deltanet", "num_v_heads": v_heads, "num_k_heads": groups or v_heads,
                                    "head_k_dim": state, "head_v_dim": inner // v_heads, "conv_kernel": conv}
        elif groups:
            entry["ssm"] = {"kind": "mamba2", "d_inner": inner, "d_state": state, "n_groups": groups, "d_conv": conv,
                            "n_heads": rank, "head_dim": inner // rank if rank else 64}
        else:
            entry["ssm"] = {"kind": "mamba1", "d_inner": inner, "d_state": state, "d_conv": conv}
    if kv_lora:
        entry["mla"] = {"kv_lora_rank": int(kv_lora), "qk_rope_head_dim": int(kv("rope.dimension_count", 64))}
    if n_experts and int(n_experts) > 1:
        lead = int(kv("leading_dense_block_count", 0))
        entry["moe"] = {"num_experts": int(n_experts), "experts_per_token": int(kv("expert_used_count", 1)),
                        "expert_ffn": int(kv("expert_feed_forward_length", entry["intermediate_size"])),
                        "shared_experts": int(kv("expert_shared_count", 0)),
                        "ffn": "".join("E" if experts[i] > 0 else ("D" if i < lead or dense[i] else "N") for i in range(n))}
    try:
        arch = architecture_from_entry(check_entry(entry))
    except MALFORMED as exc:
        raise ValueError(f"{shown}: unsupported GGUF architecture {arch_name[:60]!r} ({reason(exc)})") from None
    weights = {"embedding": embedding, "output": output, "dense": tuple(dense), "experts": tuple(experts),
               "total": sum(float(t.n_bytes) for t in tensors), "file_type": _value(meta, "general.file_type")}
    return arch, weights
