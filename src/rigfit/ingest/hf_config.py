"""A Hugging Face config.json → the same Architecture the catalog uses (keys as transformers names them)."""

from __future__ import annotations

from typing import Any

from rigfit.catalog.loader import architecture_from_entry
from rigfit.estimate.structure import layer_params
from rigfit.model.architecture import Architecture

LAYER_TYPE_CHARS = {"full_attention": "F", "attention": "F", "sliding_attention": "S", "chunked_attention": "C",
                    "linear_attention": "L", "mamba": "R", "mamba2": "R"}


def _first(cfg: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        if cfg.get(k) is not None:
            return cfg[k]
    return default


def _mixers(cfg: dict[str, Any], n: int, max_ctx: int) -> str:
    mt = str(cfg.get("model_type", ""))
    if isinstance(cfg.get("layer_types"), list) and len(cfg["layer_types"]) == n:
        return "".join(LAYER_TYPE_CHARS.get(str(t), "F") for t in cfg["layer_types"])
    if cfg.get("hybrid_override_pattern"):
        return "".join({"M": "R", "*": "F", "-": "N", "E": "N"}.get(c, "N") for c in cfg["hybrid_override_pattern"])[:n]
    lac = cfg.get("linear_attn_config")
    if isinstance(lac, dict) and lac.get("full_attn_layers") is not None:
        full = {int(i) for i in lac["full_attn_layers"]}
        kind = "M" if cfg.get("kv_lora_rank") else "F"
        return "".join(kind if (i + 1) in full else "L" for i in range(n))
    if cfg.get("full_attention_interval") and cfg.get("linear_num_value_heads"):
        k = int(cfg["full_attention_interval"])
        return "".join("F" if (i + 1) % k == 0 else "L" for i in range(n))
    if cfg.get("attn_layer_period"):
        p, o = int(cfg["attn_layer_period"]), int(cfg.get("attn_layer_offset", 0))
        return "".join("F" if i % p == o else "R" for i in range(n))
    if mt.startswith("falcon_h1"):
        return "H" * n
    if cfg.get("kv_lora_rank"):
        return "M" * n
    if cfg.get("attention_chunk_size"):  # Llama 4: chunked local attention, every 4th layer global
        step = int(cfg.get("interleave_moe_layer_step") and 4 or 4)
        return "".join("F" if (i + 1) % step == 0 else "C" for i in range(n))
    window = cfg.get("sliding_window")
    if window and cfg.get("use_sliding_window", True) and int(window) < max_ctx:
        if mt == "gemma2":
            return "".join("S" if i % 2 == 0 else "F" for i in range(n))
        pattern = cfg.get("sliding_window_pattern")
        if pattern:
            return "".join("F" if (i + 1) % int(pattern) == 0 else "S" for i in range(n))
        return "S" * n
    return "F" * n


def _ffn(cfg: dict[str, Any], n: int, mixers: str) -> str | None:
    experts = _first(cfg, "num_local_experts", "num_experts", "n_routed_experts")
    if not experts or int(experts) <= 1:
        return None
    if cfg.get("hybrid_override_pattern"):
        return "".join("E" if c == "E" else ("D" if c == "-" else "N") for c in cfg["hybrid_override_pattern"])[:n]
    first_dense = int(cfg.get("first_k_dense_replace") or 0)
    step = int(_first(cfg, "interleave_moe_layer_step", "decoder_sparse_step", "moe_layer_freq", default=1) or 1)
    mlp_only = {int(i) for i in cfg.get("mlp_only_layers") or []}
    out = []
    for i in range(n):
        if cfg.get("expert_layer_period"):
            moe = i % int(cfg["expert_layer_period"]) == int(cfg.get("expert_layer_offset", 0))
        else:
            moe = i >= first_dense and (i + 1) % step == 0 and i not in mlp_only
        out.append("E" if moe else "D")
    return "".join(out)


def config_entry(cfg: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    """The catalog-schema dict for a config (params_b left to the caller)."""
    if isinstance(cfg.get("text_config"), dict):
        cfg = {**cfg, **cfg["text_config"]}
    n = _first(cfg, "num_hidden_layers", "n_layer", "num_layers")
    hidden = _first(cfg, "hidden_size", "n_embd", "d_model")
    heads = _first(cfg, "num_attention_heads", "n_head")
    if not (n and hidden and heads):
        raise ValueError(f"{name}: not a decoder language-model config (no layer count, hidden size or heads)")
    n, hidden, heads = int(n), int(hidden), int(heads)
    kv = _first(cfg, "num_key_value_heads", "n_head_kv", default=1 if cfg.get("multi_query") else heads)
    max_ctx = int(_first(cfg, "max_position_embeddings", "n_positions", "seq_length", default=4096))
    mixers = _mixers(cfg, n, max_ctx)
    entry: dict[str, Any] = {
        "name": name, "source": source, "hf_repo": cfg.get("_name_or_path", ""),
        "vocab_size": int(cfg["vocab_size"]), "hidden_size": hidden, "num_layers": n, "num_heads": heads,
        "num_kv_heads": int(kv), "head_dim": int(_first(cfg, "head_dim", default=hidden // heads)),
        "intermediate_size": int(_first(cfg, "intermediate_size", "ffn_hidden_size", "n_inner", default=4 * hidden)),
        "tie_embeddings": bool(cfg.get("tie_word_embeddings", False)), "max_context": max_ctx, "mixers": mixers,
        "ffn_gated": str(cfg.get("hidden_act", cfg.get("mlp_hidden_act", "silu"))) not in ("relu2", "gelu", "gelu_new"),
    }
    if set("SC") & set(mixers):
        entry["sliding_window"] = int(_first(cfg, "sliding_window", "attention_chunk_size"))
    if "M" in mixers:
        entry["head_dim"] = int(cfg.get("v_head_dim") or entry["head_dim"])
        entry["mla"] = {k: cfg.get(k) for k in ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim", "q_lora_rank")}
    if "L" in mixers:
        lac = cfg.get("linear_attn_config") or {}
        if lac:
            hd, nh = int(lac.get("head_dim", 128)), int(lac.get("num_heads", heads))
            entry["linear_attn"] = {"kind": "kda", "num_v_heads": nh, "num_k_heads": nh, "head_k_dim": hd, "head_v_dim": hd,
                                    "conv_kernel": int(lac.get("short_conv_kernel_size", 4))}
        else:
            entry["linear_attn"] = {"kind": "gated_deltanet", "num_v_heads": int(cfg["linear_num_value_heads"]),
                                    "num_k_heads": int(cfg["linear_num_key_heads"]),
                                    "head_k_dim": int(cfg["linear_key_head_dim"]), "head_v_dim": int(cfg["linear_value_head_dim"]),
                                    "conv_kernel": int(cfg.get("linear_conv_kernel_dim", 4))}
    if set("RH") & set(mixers):
        d_state = int(_first(cfg, "ssm_state_size", "mamba_d_state", "state_size", default=128))
        m_heads = _first(cfg, "mamba_num_heads", "mamba_n_heads")
        m_hdim = _first(cfg, "mamba_head_dim", "mamba_d_head")
        if m_heads and m_hdim:
            entry["ssm"] = {"kind": "mamba2", "d_inner": int(m_heads) * int(m_hdim), "d_state": d_state,
                            "n_heads": int(m_heads), "head_dim": int(m_hdim),
                            "n_groups": int(_first(cfg, "n_groups", "mamba_n_groups", default=1)),
                            "d_conv": int(_first(cfg, "conv_kernel", "mamba_d_conv", default=4))}
        else:
            entry["ssm"] = {"kind": "mamba1", "d_inner": int(_first(cfg, "mamba_expand", default=2)) * hidden,
                            "d_state": d_state, "d_conv": int(_first(cfg, "mamba_d_conv", default=4))}
    ffn = _ffn(cfg, n, mixers)
    if ffn:
        shared_ffn = _first(cfg, "shared_expert_intermediate_size")
        if str(cfg.get("model_type", "")).startswith("llama4"):  # one shared expert of the routed experts' width
            shared_ffn = cfg.get("intermediate_size")
        entry["moe"] = {"num_experts": int(_first(cfg, "num_local_experts", "num_experts", "n_routed_experts")),
                        "experts_per_token": int(_first(cfg, "num_experts_per_tok", "num_experts_per_token", "moe_topk")),
                        "expert_ffn": int(_first(cfg, "moe_intermediate_size", "intermediate_size")),
                        "shared_experts": int(_first(cfg, "n_shared_experts", default=1 if shared_ffn else 0)),
                        "shared_expert_ffn": int(shared_ffn or _first(cfg, "moe_intermediate_size", "intermediate_size")),
                        "ffn": ffn}
    return entry


def structural_params(entry: dict[str, Any]) -> float:
    """Parameter count (billions) from the shapes alone: what a config says when nobody cites a total."""
    arch = architecture_from_entry({**entry, "params_b": 1.0})
    lp = layer_params(arch)
    structural = float(lp.dense.sum() / lp.scale + lp.experts.sum() + lp.embedding + lp.output)
    norms = arch.num_layers * 2 * arch.hidden_size
    return (structural + norms) / 1e9


def architecture_from_config(cfg: dict[str, Any], name: str, source: str, params_b: float | None = None) -> Architecture:
    entry = config_entry(cfg, name, source)
    entry["params_b"] = params_b or structural_params(entry)
    try:
        return architecture_from_entry(entry)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{name}: unsupported configuration ({exc})") from exc
