"""A Hugging Face config.json → the same Architecture the catalog uses (keys as transformers names them)."""

from __future__ import annotations

from typing import Any

from rigfit.catalog.loader import architecture_from_entry
from rigfit.estimate.structure import shape_params_b
from rigfit.model.architecture import Architecture

# Ceilings for numbers read from a config.json or GGUF header. Each is far above every published model (the deepest,
# Llama 3.1 405B, has 126 layers; the widest vocabularies, Gemma 3's, ~262K tokens; hidden sizes stay under 32K) and
# low enough that per-layer lists and the structure arithmetic stay small: a hostile "1e9 layers" is refused here
# instead of allocating gigabytes.
MAX_LAYERS = 4096
MAX_HIDDEN = 1 << 20
MAX_HEADS = 1 << 16
MAX_VOCAB = 1 << 24
MAX_FFN = 1 << 22
MAX_EXPERTS = 1 << 16
MAX_CONTEXT_TOKENS = 1 << 31
MAX_DIM = 1 << 20  # head dims, ranks, state sizes, conv kernels, windows
# Errors that malformed metadata raises inside int(), // and friends; each becomes one ValueError line.
MALFORMED = (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, ZeroDivisionError,
             RecursionError)

# Activations of plain (up, down) MLPs; every other hidden_act names a gated FFN (gate, up, down). Apertus' xIELU MLP
# has no gate (transformers ApertusMLP: up_proj, down_proj); neither has StarCoder2's (Starcoder2MLP: c_fc, c_proj,
# hidden_act gelu_pytorch_tanh). Gemma's gated MLPs with that activation are caught by GATED_MODEL_TYPES first.
NON_GATED_ACTS = ("relu2", "gelu", "gelu_new", "xielu", "gelu_pytorch_tanh")
# Routed-expert counts, experts per token, shared-expert counts and first MoE layer under each family's key:
# Mixtral/gpt-oss num_local_experts, Qwen-MoE/OLMoE num_experts, DeepSeek n_routed_experts, ERNIE 4.5 moe_num_experts
# / moe_k / moe_num_shared_experts / moe_layer_start_index (Ernie4_5_MoeConfig), Ling 2.0 and Hy3 num_shared_experts.
EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")
TOPK_KEYS = ("num_experts_per_tok", "num_experts_per_token", "moe_topk", "moe_k")
SHARED_COUNT_KEYS = ("n_shared_experts", "num_shared_experts", "moe_num_shared_experts")
FIRST_MOE_KEYS = ("first_k_dense_replace", "num_dense_layers", "moe_layer_start_index")
# Gemma MLPs are gated (GeGLU: transformers GemmaMLP has gate_proj, up_proj, down_proj) although Gemma 1 configs say
# hidden_act "gelu".
GATED_MODEL_TYPES = ("gemma",)
# Config classes whose tie_word_embeddings defaults to True when the key is absent (transformers GPT2Config,
# GemmaConfig/Gemma2Config/Gemma3TextConfig, CohereConfig); every other class defaults to False.
TIED_BY_DEFAULT = ("gpt2", "gemma", "cohere")
# Newer nemotron_h configs (Nemotron 3 Ultra, 3.5) list layers_block_type instead of hybrid_override_pattern.
NEMOTRON_BLOCK_CHARS = {"mamba": "M", "attention": "*", "mlp": "-", "moe": "E"}
LAYER_TYPE_CHARS = {"full_attention": "F", "attention": "F", "sliding_attention": "S", "chunked_attention": "C",
                    "linear_attention": "L", "mamba": "R", "mamba2": "R",
                    "conv": "L"}  # LFM2 short-conv blocks: see _short_conv


def _first(cfg: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        if cfg.get(k) is not None:
            return cfg[k]
    return default


# DeepSeek V4 (model_type deepseek_v4): compress_ratios lists one ratio per layer (plus the MTP layer's): 0 a sliding
# window only, 4 compressed sparse attention with the lightning indexer (the reference Attention builds its Indexer
# only where compress_ratio == 4), any other ratio heavily compressed attention (128 in V4).
CSA_RATIO = 4


def compressed_mixers(cfg: dict[str, Any], n: int) -> str | None:
    """W / X / Y per layer from compress_ratios, or None when the config has none."""
    ratios = cfg.get("compress_ratios")
    if not isinstance(ratios, list) or len(ratios) < n:
        return None
    ratios = [int(r) for r in ratios[:n]]
    heavy = {r for r in ratios if r not in (0, CSA_RATIO)}
    if len(heavy) > 1:
        raise ValueError(f"compress_ratios with more than one heavy ratio {sorted(heavy)}")
    return "".join("W" if r == 0 else "X" if r == CSA_RATIO else "Y" for r in ratios)


def _compressed_attn(cfg: dict[str, Any], n: int) -> dict[str, Any]:
    ratios = [int(r) for r in cfg["compress_ratios"][:n]]
    heavy = [r for r in ratios if r not in (0, CSA_RATIO)]
    return {"csa_ratio": CSA_RATIO, "hca_ratio": heavy[0] if heavy else 128,
            "index_n_heads": int(cfg["index_n_heads"]), "index_head_dim": int(cfg["index_head_dim"]),
            "index_topk": int(cfg["index_topk"]), "q_lora_rank": int(cfg["q_lora_rank"]),
            "o_lora_rank": int(cfg["o_lora_rank"]), "o_groups": int(cfg["o_groups"])}


def _mixers(cfg: dict[str, Any], n: int, max_ctx: int) -> str:
    mt = str(cfg.get("model_type", ""))
    compressed = compressed_mixers(cfg, n)
    if compressed:
        return compressed
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
    experts = _first(cfg, *EXPERT_KEYS)
    if not experts or int(experts) <= 1:
        return None
    if cfg.get("hybrid_override_pattern"):
        return "".join("E" if c == "E" else ("D" if c == "-" else "N") for c in cfg["hybrid_override_pattern"])[:n]
    first_dense = int(_first(cfg, *FIRST_MOE_KEYS, default=0) or 0)  # LFM2-MoE: num_dense_layers
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


def _lfm2(cfg: dict[str, Any]) -> dict[str, Any]:
    """LFM2 / LFM2-MoE: layer types from full_attn_idxs (older configs) and the effective FFN width.

    transformers' Lfm2MLP shrinks block_ff_dim when block_auto_adjust_ff_dim is set: int(2/3 · width), times
    block_ffn_dim_multiplier, rounded up to block_multiple_of (LFM2-1.2B: 12288 -> 8192).
    """
    n = int(_first(cfg, "num_hidden_layers", default=0))
    out = dict(cfg)
    if not isinstance(cfg.get("layer_types"), list) and cfg.get("full_attn_idxs") is not None:
        full = {int(i) for i in cfg["full_attn_idxs"]}
        out["layer_types"] = ["full_attention" if i in full else "conv" for i in range(n)]
    ff = int(_first(cfg, "block_ff_dim", "intermediate_size"))
    if cfg.get("block_auto_adjust_ff_dim") and "moe_intermediate_size" not in cfg:
        ff = int(2 * ff / 3)
        if cfg.get("block_ffn_dim_multiplier") is not None:
            ff = int(float(cfg["block_ffn_dim_multiplier"]) * ff)
        step = int(cfg.get("block_multiple_of") or 1)
        ff = step * -(-ff // step)
    out["intermediate_size"] = ff
    if cfg.get("tie_embedding") is not None and cfg.get("tie_word_embeddings") is None:
        out["tie_word_embeddings"] = cfg["tie_embedding"]
    return out


def _short_conv(hidden: int, kernel: int) -> dict[str, Any]:
    """LFM2's gated short-convolution block written in the linear_attn schema (kind "other").

    The block is in_proj (hidden -> 3·hidden: B, C, x), a depthwise conv of conv_L_cache taps and out_proj
    (hidden -> hidden): 4·hidden² weights and a cache of a few taps × hidden per sequence. With k width hidden/2,
    v width hidden and 1-wide heads, the linear-attention formulas give exactly 4·hidden² parameters
    (hidden·(2k + 2v) + v·hidden) and a state of (kernel-1)·2·hidden + hidden values (tens of KB), which is what
    the block holds; the KV cache is zero, as it is.
    """
    return {"kind": "other", "num_v_heads": hidden, "num_k_heads": hidden // 2, "head_k_dim": 1, "head_v_dim": 1,
            "conv_kernel": kernel}


def _gated(cfg: dict[str, Any]) -> bool:
    """Whether the MLP has a gate: from the activation's name (GPT-2, GPT-J and Phi-2 call it activation_function),
    except for model types whose gated MLP is named after a plain activation."""
    if str(cfg.get("model_type", "")).startswith(GATED_MODEL_TYPES):
        return True
    act = _first(cfg, "hidden_act", "mlp_hidden_act", "activation_function", default="silu")
    return str(act) not in NON_GATED_ACTS


def _tied(cfg: dict[str, Any]) -> bool:
    if cfg.get("tie_word_embeddings") is not None:
        return bool(cfg["tie_word_embeddings"])
    return str(cfg.get("model_type", "")).startswith(TIED_BY_DEFAULT)


def config_entry(cfg: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    """The catalog-schema dict for a config (params_b left to the caller)."""
    if isinstance(cfg.get("text_config"), dict):
        cfg = {**cfg, **cfg["text_config"]}
    if str(cfg.get("model_type", "")).startswith("lfm2"):
        cfg = _lfm2(cfg)
    if isinstance(cfg.get("layers_block_type"), list) and not cfg.get("hybrid_override_pattern"):
        blocks = "".join(NEMOTRON_BLOCK_CHARS.get(str(t), "-") for t in cfg["layers_block_type"])
        cfg = {"num_hidden_layers": len(blocks), **cfg, "hybrid_override_pattern": blocks}  # Ultra omits the count
    n = _first(cfg, "num_hidden_layers", "n_layer", "num_layers")
    hidden = _first(cfg, "hidden_size", "n_embd", "d_model")
    heads = _first(cfg, "num_attention_heads", "n_head")
    if not (n and hidden and heads):
        raise ValueError(f"{name}: not a decoder language-model config (no layer count, hidden size or heads)")
    n, hidden, heads = bounded(n, "layers", MAX_LAYERS), bounded(hidden, "hidden size", MAX_HIDDEN), \
        bounded(heads, "attention heads", MAX_HEADS)
    if cfg.get("head_dim") is None and hidden % heads:
        raise ValueError(f"{name}: hidden size {hidden} is not a multiple of {heads} attention heads (and no head_dim)")
    kv = _first(cfg, "num_key_value_heads", "n_head_kv", "multi_query_group_num",  # ChatGLM: multi_query_group_num
                default=1 if cfg.get("multi_query") else heads)
    max_ctx = int(_first(cfg, "max_position_embeddings", "n_positions", "seq_length", default=4096))
    mixers = _mixers(cfg, n, max_ctx)
    entry: dict[str, Any] = {
        "name": name, "source": source, "hf_repo": cfg.get("_name_or_path", ""),
        "vocab_size": int(_first(cfg, "vocab_size", "padded_vocab_size") or cfg["vocab_size"]), "hidden_size": hidden, "num_layers": n, "num_heads": heads,
        "num_kv_heads": bounded(kv, "num_kv_heads", MAX_HEADS), "head_dim": int(_first(cfg, "head_dim", default=hidden // heads)),
        # Llama 4: intermediate_size is the expert width, intermediate_size_mlp the dense layers' (Llama4TextConfig)
        "intermediate_size": int(_first(cfg, "intermediate_size_mlp", "intermediate_size", "ffn_hidden_size", "n_inner",
                                        default=4 * hidden)),
        "tie_embeddings": _tied(cfg), "max_context": max_ctx, "mixers": mixers, "ffn_gated": _gated(cfg),
    }
    if set("SC") & set(mixers):
        entry["sliding_window"] = int(_first(cfg, "sliding_window", "attention_chunk_size"))
    if set("WXY") & set(mixers):
        entry["sliding_window"] = int(cfg["sliding_window"])
        entry["compressed_attn"] = _compressed_attn(cfg, n)
        if cfg.get("intermediate_size") is None:  # every V4 layer is MoE: no dense FFN width in the config
            entry["intermediate_size"] = 0
    if "M" in mixers:
        entry["head_dim"] = int(cfg.get("v_head_dim") or entry["head_dim"])
        entry["mla"] = {k: cfg.get(k) for k in ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim", "q_lora_rank")}
    if "L" in mixers:
        lac = cfg.get("linear_attn_config") or {}
        if str(cfg.get("model_type", "")).startswith("lfm2"):
            entry["linear_attn"] = _short_conv(hidden, int(cfg.get("conv_L_cache", 3)))
        elif lac:
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
    if ffn and "D" not in ffn and _first(cfg, "intermediate_size_mlp", "intermediate_size", "ffn_hidden_size") is None:
        entry["intermediate_size"] = 0  # every layer MoE and no dense width in the config (Qwen3.5 MoE text_config)
    if ffn:
        # Qwen-MoE; Nemotron 3; Granite 4.0 H (GraniteMoeHybridConfig.shared_intermediate_size: one shared MLP)
        shared_ffn = _first(cfg, "shared_expert_intermediate_size", "moe_shared_expert_intermediate_size",
                            "shared_intermediate_size")
        if str(cfg.get("model_type", "")).startswith("llama4"):  # one shared expert of the routed experts' width
            shared_ffn = cfg.get("intermediate_size")
        entry["moe"] = {"num_experts": int(_first(cfg, *EXPERT_KEYS)),
                        "experts_per_token": int(_first(cfg, *TOPK_KEYS)),
                        "expert_ffn": int(_first(cfg, "moe_intermediate_size", "intermediate_size")),
                        "shared_experts": int(_first(cfg, *SHARED_COUNT_KEYS, default=1 if shared_ffn else 0)),
                        "shared_expert_ffn": int(shared_ffn or _first(cfg, "moe_intermediate_size", "intermediate_size")),
                        "ffn": ffn}
    return entry


def bounded(value: Any, what: str, ceiling: int, floor: int = 1) -> int:
    """An integer count from metadata within [floor, ceiling]; ValueError otherwise (bool, float 1.5, "x", 1e9)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{what} must be a whole number, got {type(value).__name__}")
    try:
        number = int(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{what} must be a whole number, got {str(value)[:40]!r}") from None
    if isinstance(value, float) and number != value:
        raise ValueError(f"{what} must be a whole number, got {value}")
    if not floor <= number <= ceiling:
        raise ValueError(f"{what} must be between {floor} and {ceiling:,}, got {number:,}" if abs(number) < 10**30
                         else f"{what} must be between {floor} and {ceiling:,}")
    return number


# (key, ceiling, floor) of the catalog-schema entry fields that must be whole numbers in range
ENTRY_BOUNDS = (("vocab_size", MAX_VOCAB, 1), ("hidden_size", MAX_HIDDEN, 1), ("num_layers", MAX_LAYERS, 1),
                ("num_heads", MAX_HEADS, 1), ("num_kv_heads", MAX_HEADS, 0), ("head_dim", MAX_DIM, 1),
                ("intermediate_size", MAX_FFN, 0), ("max_context", MAX_CONTEXT_TOKENS, 1),
                ("sliding_window", MAX_CONTEXT_TOKENS, 1))
SUB_BOUNDS = {
    "moe": {"num_experts": (MAX_EXPERTS, 1), "experts_per_token": (MAX_EXPERTS, 1), "expert_ffn": (MAX_FFN, 1),
            "shared_experts": (MAX_EXPERTS, 0), "shared_expert_ffn": (MAX_FFN, 0)},
    "mla": {"kv_lora_rank": (MAX_DIM, 1), "qk_rope_head_dim": (MAX_DIM, 0), "qk_nope_head_dim": (MAX_DIM, 0),
            "v_head_dim": (MAX_DIM, 1), "q_lora_rank": (MAX_DIM, 0)},
    "linear_attn": {"num_v_heads": (MAX_HEADS, 1), "num_k_heads": (MAX_HEADS, 1), "head_k_dim": (MAX_DIM, 1),
                    "head_v_dim": (MAX_DIM, 1), "conv_kernel": (MAX_DIM, 0)},
    "compressed_attn": {"csa_ratio": (MAX_DIM, 1), "hca_ratio": (MAX_DIM, 1), "index_n_heads": (MAX_HEADS, 1),
                        "index_head_dim": (MAX_DIM, 1), "index_topk": (MAX_CONTEXT_TOKENS, 1),
                        "q_lora_rank": (MAX_DIM, 1), "o_lora_rank": (MAX_DIM, 1), "o_groups": (MAX_HEADS, 1)},
    "ssm": {"d_inner": (MAX_HIDDEN * 8, 1), "d_state": (MAX_DIM, 1), "d_conv": (MAX_DIM, 0), "n_heads": (MAX_HEADS, 0),
            "head_dim": (MAX_DIM, 0), "n_groups": (MAX_HEADS, 0)},
}


def check_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """The same entry with every count a whole number in range (ValueError naming the first that is not).

    Shared by config.json and GGUF input: what a file says is checked before the engine multiplies it out.
    """
    out = dict(entry)
    for key, ceiling, floor in ENTRY_BOUNDS:
        if out.get(key) is not None:
            out[key] = bounded(out[key], key, ceiling, floor)
    for block, fields in SUB_BOUNDS.items():
        sub = out.get(block)
        if sub is None:
            continue
        if not isinstance(sub, dict):
            raise ValueError(f"{block} must be an object")
        sub = dict(sub)
        for key, (ceiling, floor) in fields.items():
            if sub.get(key) is not None:
                sub[key] = bounded(sub[key], f"{block}.{key}", ceiling, floor)
        out[block] = sub
    moe = out.get("moe")
    if moe and moe.get("experts_per_token", 1) > moe.get("num_experts", 1):
        raise ValueError(f"{moe['experts_per_token']} experts per token of only {moe['num_experts']} experts")
    if out.get("num_kv_heads") and out["num_heads"] % out["num_kv_heads"]:
        raise ValueError(f"{out['num_heads']} attention heads do not split into {out['num_kv_heads']} KV-head groups")
    return out


def structural_params(entry: dict[str, Any]) -> float:
    """Parameter count (billions) from the shapes alone: what a config says when nobody cites a total."""
    return shape_params_b(architecture_from_entry({**entry, "params_b": 1.0}))


def architecture_from_config(cfg: dict[str, Any], name: str, source: str, params_b: float | None = None) -> Architecture:
    """ValueError with one line for any config that is not a model that can exist (malformed, out of range)."""
    try:
        entry = check_entry(config_entry(cfg, name, source))
        entry["params_b"] = params_b or structural_params(entry)
        return architecture_from_entry(entry)
    except MALFORMED as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(f"{name}:"):
            raise ValueError(reason(exc)) from None  # already a message for the user
        raise ValueError(f"{name}: unsupported configuration ({reason(exc)})") from None


def reason(exc: BaseException) -> str:
    """The first line of an error, bounded, for a one-line message (KeyError 'vocab_size' → missing vocab_size)."""
    if isinstance(exc, KeyError):
        return f"missing {str(exc.args[0])[:60] if exc.args else 'key'}"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    text = " ".join(str(exc).split())
    return (text[:160] + "…" if len(text) > 160 else text) or type(exc).__name__
