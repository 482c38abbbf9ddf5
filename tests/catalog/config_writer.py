"""A catalog Architecture -> the Hugging Face config.json its model family ships (test helper for the round trip).

Each writer emits the keys a real repo of that layout carries, as transformers' config classes name them, so that
tests/catalog/test_round_trip_all.py can feed every catalog entry through scripts/add_model.py (the run-time reader,
rigfit.ingest.hf_config) and compare. Conventions, one per layout:

- dense / llama-style (LlamaConfig, Qwen2Config, MistralConfig, ...): vocab_size, hidden_size, num_hidden_layers,
  num_attention_heads, num_key_value_heads, head_dim, intermediate_size, hidden_act, tie_word_embeddings,
  max_position_embeddings; GPT-2 / GPT-J (GPT2Config, GPTJConfig): n_embd, n_layer, n_head, n_positions, n_inner,
  activation_function.
- sliding window: Mistral 7B v0.1 / Phi-3 (sliding_window on every layer), Gemma 2 (gemma2: sliding_window, every
  other layer, no layer list), Gemma 3 / 3n / 4, gpt-oss, OLMo 3, EXAONE 4, Step, MiMo, Laguna (layer_types of
  "sliding_attention" / "full_attention", as transformers >= 4.53 serialises them).
- chunked attention: Llama 4 (llama4 text_config: attention_chunk_size, interleave_moe_layer_step, num_local_experts).
- MLA: DeepSeek V2/V3 keys (kv_lora_rank, q_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim,
  n_routed_experts, n_shared_experts, moe_intermediate_size, first_k_dense_replace, moe_layer_freq).
- DeepSeek V4 (deepseek_v4): compress_ratios, index_n_heads, index_head_dim, index_topk, q_lora_rank, o_lora_rank,
  o_groups, sliding_window.
- MoE: Mixtral-style (num_local_experts; intermediate_size is the expert width), Qwen-MoE style (num_experts,
  moe_intermediate_size, decoder_sparse_step, mlp_only_layers, shared_expert_intermediate_size), DeepSeek style
  (n_routed_experts, n_shared_experts, first_k_dense_replace), Jamba (expert_layer_period/offset).
- Mamba hybrids: nemotron_h (hybrid_override_pattern of M / * / - / E, mamba_num_heads, mamba_head_dim, n_groups,
  ssm_state_size, conv_kernel, mlp_hidden_act relu2), granitemoehybrid (layer_types "mamba" / "attention",
  mamba_n_heads, mamba_d_head, mamba_n_groups, mamba_d_state, mamba_d_conv), jamba (attn_layer_period/offset,
  mamba_d_state, mamba_expand, mamba_d_conv), falcon_h1 (parallel attention + Mamba-2 in every layer).
- linear attention: qwen3_next (full_attention_interval, linear_num_value_heads, linear_num_key_heads,
  linear_key_head_dim, linear_value_head_dim, linear_conv_kernel_dim), qwen3_5 / qwen3_5_moe (text_config with
  layer_types "linear_attention" / "full_attention"), kimi_linear (linear_attn_config: full_attn_layers 1-based,
  head_dim, num_heads, short_conv_kernel_size), LFM2 (layer_types "conv" / "full_attention", block_ff_dim with
  block_auto_adjust_ff_dim, conv_L_cache).
- vision-language checkpoints nest the language model under text_config.

The model_type is the one the entry's notes name ("model_type X"), else the family's (FAMILY_MODEL_TYPE).
"""

from __future__ import annotations

import re
from typing import Any

from rigfit.model.architecture import Architecture

# family -> model_type of its config.json (transformers' registry names) where the entry's notes do not say
FAMILY_MODEL_TYPE = {
    "LLaMA": "llama", "Llama 2": "llama", "Llama 3": "llama", "Llama 3.1": "llama", "Llama 3.2": "llama",
    "Llama 3.3": "llama", "Code Llama": "llama", "Hermes": "llama", "Llama Nemotron": "llama", "TinyLlama": "llama",
    "Llama 4": "llama4_text", "Qwen2": "qwen2", "Qwen2.5": "qwen2", "Qwen2.5 Coder": "qwen2", "Qwen2.5 Math": "qwen2",
    "QwQ": "qwen2", "Qwen1.5": "qwen2_moe", "Qwen3": "qwen3", "Qwen3-Next": "qwen3_next", "Qwen3.5": "qwen3_5_text",
    "Qwen3.6": "qwen3_5_text", "Qwen3.8": "qwen3_5_moe_text", "Qwen3-VL": "qwen3_vl_text",
    "Qwen2.5-VL": "qwen2_5_vl_text", "DeepSeek V3": "deepseek_v3", "DeepSeek V2": "deepseek_v2",
    "DeepSeek R1": "qwen3", "DeepSeekMoE": "deepseek", "DeepSeek V4": "deepseek_v4", "Kimi": "deepseek_v3",
    "gpt-oss": "gpt_oss", "GLM-4.5": "glm4_moe", "GLM": "glm4_moe", "GLM-4": "chatglm", "GLM-4-0414": "glm4",
    "GLM-4.7": "glm4_moe_lite", "MiniMax": "minimax_m2", "dots.llm1": "dots1", "Gemma": "gemma", "CodeGemma": "gemma",
    "Gemma 2": "gemma2", "Gemma 3": "gemma3_text", "Gemma 3n": "gemma3n_text", "Gemma 4": "gemma4_text",
    "Mistral": "mistral", "Mistral Small": "mistral", "Mistral Large": "mistral", "Codestral": "mistral",
    "Devstral": "mistral", "Ministral": "mistral", "Ministral 3": "ministral3", "Mixtral": "mixtral",
    "Phi-3": "phi3", "Phi-3.5": "phi3", "Phi-4": "phi3", "Phi": "phi", "Granite 3.3": "granite",
    "Granite 4.0": "granitemoehybrid", "Granite 4.1": "granite", "Granite 4.2": "granite",
    "Nemotron-H": "nemotron_h", "Nemotron Nano 2": "nemotron_h", "Nemotron 3": "nemotron_h",
    "Falcon-H1": "falcon_h1", "Falcon 3": "llama", "Jamba": "jamba", "SmolLM": "llama", "SmolLM2": "llama",
    "SmolLM3": "smollm3", "Command R": "cohere", "Command A": "cohere2", "Aya": "cohere", "Yi 1.5": "llama",
    "OLMo 2": "olmo2", "OLMo 3": "olmo3", "OLMoE": "olmoe", "InternLM 2.5": "internlm2", "InternLM2": "internlm2",
    "StarCoder2": "starcoder2", "MiniCPM": "minicpm", "MiniCPM 4": "minicpm", "Step": "step3p5", "Grok": "grok-1",
    "Laguna": "laguna", "Ling": "bailing_moe_v2", "MiMo": "mimo", "Nemotron": "nemotron-nas", "LFM2": "lfm2",
    "Hunyuan": "hunyuan_v1_moe", "Seed-OSS": "seed_oss", "ERNIE 4.5": "ernie4_5_moe", "EXAONE 4.0": "exaone4",
    "Apertus": "apertus", "StableLM 2": "stablelm", "StableLM": "stablelm", "GPT-J": "gptj", "GPT-2": "gpt2",
    "ChatGLM": "chatglm", "Baichuan 2": "baichuan", "Orion": "orion", "LongCat": "longcat_flash",
}
# The plain (ungated) MLP activation each family's config names (hidden_act / activation_function)
PLAIN_ACT = {"gpt2": "gelu_new", "gptj": "gelu_new", "phi": "gelu_new", "nemotron_h": "relu2", "apertus": "xielu",
             "starcoder2": "gelu_pytorch_tanh"}
NOTES_MODEL_TYPE = re.compile(r"model_type:? ([a-z][a-z0-9_.-]*[a-z0-9])")


# dense family model_type -> its MoE sibling's
MOE_MODEL_TYPE = {"qwen2": "qwen2_moe", "qwen3": "qwen3_moe", "phi3": "phimoe", "qwen3_vl_text": "qwen3_vl_moe_text"}
# Gated MLPs whose config names a plain activation: Gemma 1 hidden_act "gelu", Gemma 2/3/3n/4 "gelu_pytorch_tanh"
GATED_ACT = {"gemma": "gelu", "gemma2": "gelu_pytorch_tanh", "gemma3": "gelu_pytorch_tanh",
             "gemma3n": "gelu_pytorch_tanh", "gemma4": "gelu_pytorch_tanh"}


def model_type(a: Architecture) -> str:
    if a.linear_attn and a.linear_attn.kind == "kda":
        return "kimi_linear"
    m = NOTES_MODEL_TYPE.search(a.notes)
    mt = m.group(1) if m else FAMILY_MODEL_TYPE.get(a.family, "llama")
    return MOE_MODEL_TYPE.get(mt, mt) if a.moe else mt


def _runs(s: str) -> list[tuple[str, int]]:
    return [(m.group(0)[0], len(m.group(0))) for m in re.finditer(r"(.)\1*", s)]


def _base(a: Architecture, mt: str) -> dict[str, Any]:
    if mt in ("gpt2", "gptj"):  # GPT2Config / GPTJConfig key names
        cfg = {"model_type": mt, "vocab_size": a.vocab_size, "n_embd": a.hidden_size, "n_layer": a.num_layers,
               "n_head": a.num_heads, "n_positions": a.max_context,
               # GPT-2 / GPT-J configs say n_inner null for the default 4 x n_embd
               "n_inner": None if a.intermediate_size == 4 * a.hidden_size else a.intermediate_size,
               "activation_function": PLAIN_ACT[mt], "tie_word_embeddings": a.tie_embeddings}
        if a.head_dim != a.hidden_size // a.num_heads:
            cfg["head_dim"] = a.head_dim
        return cfg
    if mt == "chatglm":  # ChatGLMConfig (THUDM/chatglm3-6b, glm-4-9b): its own key names, GQA as multi-query groups
        return {"model_type": mt, "padded_vocab_size": a.vocab_size, "hidden_size": a.hidden_size,
                "num_layers": a.num_layers, "num_attention_heads": a.num_heads, "kv_channels": a.head_dim,
                "multi_query_attention": True, "multi_query_group_num": a.num_kv_heads,
                "ffn_hidden_size": a.intermediate_size, "seq_length": a.max_context,
                "tie_word_embeddings": a.tie_embeddings}
    family = mt.removesuffix("_text")
    return {"model_type": mt, "vocab_size": a.vocab_size, "hidden_size": a.hidden_size,
            "num_hidden_layers": a.num_layers, "num_attention_heads": a.num_heads,
            "num_key_value_heads": a.num_kv_heads, "head_dim": a.head_dim, "intermediate_size": a.intermediate_size,
            "hidden_act": GATED_ACT.get(family, "silu") if a.ffn_gated else PLAIN_ACT.get(family, "gelu"),
            "tie_word_embeddings": a.tie_embeddings, "max_position_embeddings": a.max_context}


def _attention(a: Architecture, cfg: dict[str, Any], mt: str) -> None:
    """Sliding / chunked attention layouts."""
    mix = a.mixers
    if "C" in mix:  # Llama 4: chunked local attention, every 4th layer global (no_rope_layers)
        cfg["attention_chunk_size"] = a.sliding_window
        return
    if "S" not in mix:
        if mt.startswith(("qwen2", "qwen3")):  # Qwen2/Qwen3 configs: a window that use_sliding_window switches off
            cfg.update(use_sliding_window=False, sliding_window=a.max_context)
        elif mt.startswith("phi3") and a.family.startswith("Phi-3"):  # Phi-3 128K / 3.5: 262144 > the context
            cfg["sliding_window"] = 2 * a.max_context
        elif mt.startswith(("mistral", "phi3")):
            cfg["sliding_window"] = None  # full attention: MistralConfig / Phi3Config carry a null window
        return
    cfg["sliding_window"] = a.sliding_window
    if set(mix) == {"S"}:  # Mistral 7B v0.1, Phi-3: one window on every layer
        return
    if mt == "gemma2":  # Gemma2Config: even layers sliding, odd global, no list in the config
        return
    cfg["layer_types"] = ["sliding_attention" if c == "S" else "full_attention" for c in mix]


def _ffn_layout(ffn: str) -> dict[str, Any] | None:
    """A per-layer D/E pattern as the config keys that spell it (None when no convention does)."""
    if set(ffn) == {"E"}:
        return {}
    runs = _runs(ffn)
    if len(runs) == 2 and runs[0][0] == "D":
        return {"first_k_dense_replace": runs[0][1]}
    return None


def _moe(a: Architecture, cfg: dict[str, Any], mt: str) -> None:
    moe = a.moe
    if moe is None or set(moe.ffn) <= {"N"}:
        return
    ffn = moe.ffn
    if mt.startswith("jamba"):  # JambaConfig: expert_layer_period / expert_layer_offset
        period = 2 if ffn.startswith("DE") else 1
        cfg.update(num_experts=moe.num_experts, num_experts_per_tok=moe.experts_per_token,
                   expert_layer_period=period, expert_layer_offset=ffn.index("E"), intermediate_size=moe.expert_ffn)
        return
    if mt.startswith("llama4"):  # Llama4TextConfig: interleave_moe_layer_step, intermediate_size = expert width
        step = 2 if ffn.startswith("DE") else 1
        cfg.update(num_local_experts=moe.num_experts, num_experts_per_tok=moe.experts_per_token,
                   interleave_moe_layer_step=step, intermediate_size=moe.expert_ffn,
                   intermediate_size_mlp=a.intermediate_size)
        return
    if mt.startswith(("mixtral", "minimax", "phimoe", "gpt_oss", "olmoe", "minicpm", "grok")) and \
            not moe.shared_experts and set(ffn) == {"E"}:
        # MixtralConfig family: num_local_experts (OLMoE, MiniCPM-MoE and Grok-1 say num_experts); the one
        # intermediate_size is the expert width
        key = "num_experts" if mt.startswith(("olmoe", "minicpm", "grok")) else "num_local_experts"
        cfg.update({key: moe.num_experts, "num_experts_per_tok": moe.experts_per_token,
                    "intermediate_size": moe.expert_ffn})
        return
    if mt.startswith("ernie4_5"):  # Ernie4_5_MoeConfig: moe_num_experts, moe_k, moe_layer_start_index
        layout = _ffn_layout(ffn)
        cfg.update(moe_num_experts=moe.num_experts, moe_k=moe.experts_per_token, moe_intermediate_size=moe.expert_ffn,
                   moe_num_shared_experts=moe.shared_experts,
                   moe_layer_start_index=layout.get("first_k_dense_replace", 0), moe_layer_interval=1)
        return
    if mt.startswith(("qwen2_moe", "qwen3", "qwen3_5")):  # Qwen-MoE: num_experts, decoder_sparse_step, mlp_only_layers
        cfg.update(num_experts=moe.num_experts, num_experts_per_tok=moe.experts_per_token,
                   moe_intermediate_size=moe.expert_ffn, decoder_sparse_step=1,
                   mlp_only_layers=[i for i, c in enumerate(ffn) if c != "E"])
        if moe.shared_experts:
            cfg["shared_expert_intermediate_size"] = moe.shared_experts * moe.shared_expert_ffn
        return
    layout = _ffn_layout(ffn)
    if layout is None:
        raise NotImplementedError(f"{a.name}: FFN pattern {ffn} has no config convention here")
    # DeepSeek-style (DeepseekV3Config, Glm4MoeConfig, Dots1Config); Ling 2.0 (bailing_moe_v2) and Hy3 (hy_v3) name
    # the counts num_experts / num_shared_experts (their entries' notes). Kimi Linear and Hunyuan A13B are written the
    # same way, unchecked against their config.json files (not in ../shared; their notes do not name these keys).
    names = ("num_experts", "num_shared_experts") if mt.startswith(("bailing", "hy_v3", "hunyuan", "kimi_linear")) else \
        ("n_routed_experts", "n_shared_experts")
    cfg.update({names[0]: moe.num_experts, names[1]: moe.shared_experts, "num_experts_per_tok": moe.experts_per_token,
                "moe_intermediate_size": moe.expert_ffn, "first_k_dense_replace": 0, **layout})
    if moe.shared_experts and moe.shared_expert_ffn != moe.expert_ffn:
        raise NotImplementedError(f"{a.name}: shared experts of width {moe.shared_expert_ffn} != routed "
                                  f"{moe.expert_ffn}: DeepSeek-style configs have one moe_intermediate_size")


def _mla(a: Architecture, cfg: dict[str, Any]) -> None:
    m = a.mla
    cfg.update(kv_lora_rank=m.kv_lora_rank, q_lora_rank=m.q_lora_rank, qk_rope_head_dim=m.qk_rope_head_dim,
               qk_nope_head_dim=m.qk_nope_head_dim, v_head_dim=m.v_head_dim)
    cfg["head_dim"] = m.qk_rope_head_dim  # DeepseekV3Config: head_dim = qk_rope_head_dim


def _ssm(a: Architecture, cfg: dict[str, Any], mt: str) -> None:
    s = a.ssm
    mix, ffn = a.mixers, a.moe.ffn if a.moe else ""
    if mt.startswith("nemotron_h"):
        chars = []
        for i, c in enumerate(mix):
            if c == "R":
                chars.append("M")
            elif c == "F":
                chars.append("*")
            else:  # an FFN-only layer: dense MLP (-) or MoE (E)
                chars.append("E" if ffn and ffn[i] == "E" else "-")
        cfg.update(hybrid_override_pattern="".join(chars), mamba_num_heads=s.n_heads, mamba_head_dim=s.head_dim,
                   n_groups=s.n_groups, ssm_state_size=s.d_state, conv_kernel=s.d_conv,
                   mlp_hidden_act=cfg.pop("hidden_act"))
        if a.moe:
            cfg.update(n_routed_experts=a.moe.num_experts, num_experts_per_tok=a.moe.experts_per_token,
                       moe_intermediate_size=a.moe.expert_ffn,
                       moe_shared_expert_intermediate_size=a.moe.shared_expert_ffn * a.moe.shared_experts,
                       n_shared_experts=a.moe.shared_experts)
        return
    if mt.startswith("granitemoehybrid"):
        cfg.update(layer_types=["mamba" if c == "R" else "attention" for c in mix], mamba_n_heads=s.n_heads,
                   mamba_d_head=s.head_dim, mamba_n_groups=s.n_groups, mamba_d_state=s.d_state, mamba_d_conv=s.d_conv)
        return
    if mt.startswith("falcon_h1"):
        cfg.update(mamba_n_heads=s.n_heads, mamba_d_head=s.head_dim, mamba_n_groups=s.n_groups,
                   mamba_d_state=s.d_state, mamba_d_conv=s.d_conv, mamba_d_ssm=s.d_inner)
        return
    if mt.startswith("jamba"):
        offset = mix.index("F")
        period = mix.index("F", offset + 1) - offset
        cfg.update(attn_layer_period=period, attn_layer_offset=offset, mamba_d_state=s.d_state,
                   mamba_expand=s.d_inner // a.hidden_size, mamba_d_conv=s.d_conv)
        return
    raise NotImplementedError(f"{a.name}: SSM layout of model_type {mt}")


def _linear(a: Architecture, cfg: dict[str, Any], mt: str) -> None:
    la, mix = a.linear_attn, a.mixers
    if la.kind == "other":  # LFM2 short-conv: layer_types, conv_L_cache; block_ff_dim auto-adjusted (2/3, multiple of 256)
        cfg["layer_types"] = ["conv" if c == "L" else "full_attention" for c in mix]
        cfg["conv_L_cache"] = la.conv_kernel
        cfg["tie_embedding"] = cfg.pop("tie_word_embeddings")
        ff = cfg.pop("intermediate_size")
        cfg.update(block_ff_dim=ff * 3 // 2, block_auto_adjust_ff_dim=True, block_ffn_dim_multiplier=1.0,
                   block_multiple_of=256)
        if a.moe:
            cfg.update(num_experts=a.moe.num_experts, num_experts_per_tok=a.moe.experts_per_token,
                       moe_intermediate_size=a.moe.expert_ffn, num_dense_layers=a.moe.ffn.index("E"),
                       intermediate_size=ff, block_ff_dim=ff)
            del cfg["block_auto_adjust_ff_dim"]
        return
    if la.kind == "kda":  # Kimi Linear: linear_attn_config, full (MLA) layers 1-based
        cfg["linear_attn_config"] = {
            "full_attn_layers": [i + 1 for i, c in enumerate(mix) if c != "L"],
            "kda_layers": [i + 1 for i, c in enumerate(mix) if c == "L"],
            "head_dim": la.head_k_dim, "num_heads": la.num_v_heads, "short_conv_kernel_size": la.conv_kernel}
        return
    cfg.update(linear_num_value_heads=la.num_v_heads, linear_num_key_heads=la.num_k_heads,
               linear_key_head_dim=la.head_k_dim, linear_value_head_dim=la.head_v_dim,
               linear_conv_kernel_dim=la.conv_kernel)
    if mt.startswith("qwen3_next"):
        cfg["full_attention_interval"] = mix.index("F") + 1
    else:  # Qwen3.5: text_config.layer_types
        cfg["layer_types"] = ["linear_attention" if c == "L" else "full_attention" for c in mix]


def _compressed(a: Architecture, cfg: dict[str, Any]) -> None:
    ca = a.compressed_attn
    ratio = {"W": 0, "X": ca.csa_ratio, "Y": ca.hca_ratio}
    cfg.update(compress_ratios=[ratio[c] for c in a.mixers] + [0],  # + the MTP layer's
               sliding_window=a.sliding_window, index_n_heads=ca.index_n_heads, index_head_dim=ca.index_head_dim,
               index_topk=ca.index_topk, q_lora_rank=ca.q_lora_rank, o_lora_rank=ca.o_lora_rank, o_groups=ca.o_groups)


def write_config(a: Architecture) -> dict[str, Any]:
    """The config.json of a catalog entry, in its family's convention (NotImplementedError where none fits)."""
    mt = model_type(a)
    cfg = _base(a, mt)
    if a.compressed_attn:
        _compressed(a, cfg)
    elif a.linear_attn:
        _linear(a, cfg, mt)
    elif a.ssm:
        _ssm(a, cfg, mt)
    else:
        _attention(a, cfg, mt)
    if a.mla:
        _mla(a, cfg)
    # MoE keys: LFM2-MoE (_linear) and nemotron_h (_ssm) wrote theirs with the layer layout
    if a.moe and mt.startswith("granitemoehybrid"):  # GraniteMoeHybridConfig: every layer MoE + one shared MLP
        cfg.update(num_local_experts=a.moe.num_experts, num_experts_per_tok=a.moe.experts_per_token,
                   intermediate_size=a.moe.expert_ffn, shared_intermediate_size=a.moe.shared_expert_ffn)
    elif a.moe and not mt.startswith(("lfm2", "nemotron_h")):
        _moe(a, cfg, mt)
    if not a.intermediate_size:  # every layer MoE: DeepSeek V4 and Qwen3.5-MoE configs carry no dense width
        cfg.pop("intermediate_size", None)
    if mt.endswith("_text") or "text_config" in a.notes:  # vision-language checkpoints: nested text_config
        outer = mt.removesuffix("_text")
        cfg["model_type"] = outer + "_text" if outer.startswith(("qwen3", "gemma", "llama4", "glm4v")) else mt
        return {"model_type": outer, "text_config": cfg}
    return cfg
