"""The structure of a model, as far as memory and speed depend on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from rigfit.model.hashing import cached_hash

# One character per decoder layer; see docs/catalog-schema.md.
FULL, SLIDING, CHUNKED, MLA_LAYER, LINEAR, SSM_LAYER, HYBRID, NO_MIXER = "FSCMLRHN"
# DeepSeek V4 hybrid attention (compressed_attn): a sliding window only (W), plus compressed sparse attention (X, CSA)
# or heavily compressed attention (Y, HCA)
CA_WINDOW, CA_SPARSE, CA_HEAVY = "WXY"
COMPRESSED_KINDS = "WXY"
MIXER_KINDS = frozenset("FSCMLRHN" + COMPRESSED_KINDS)
ATTENTION_KINDS = frozenset("FSCH")  # layers holding a GQA K/V cache
DENSE_FFN, MOE_FFN, NO_FFN = "DEN"


@dataclass(frozen=True)
class MLA:
    kv_lora_rank: int
    qk_rope_head_dim: int
    qk_nope_head_dim: int = 128
    v_head_dim: int = 128
    q_lora_rank: int | None = None


@dataclass(frozen=True)
class CompressedAttention:
    """DeepSeek V4 hybrid attention (CSA / HCA), mixers W, X, Y.

    Every layer keeps one shared key=value vector of head_dim per token for a sliding window of `sliding_window`
    tokens (one KV head, MQA). A CSA layer (X) also folds every `csa_ratio` tokens into one compressed entry of head_dim
    and keeps a lightning-indexer key of index_head_dim per entry, whose top index_topk entries each query attends; an
    HCA layer (Y) folds every `hca_ratio` tokens into one entry and attends all of them (DeepSeek-V4 inference
    model.py: Compressor, Indexer only where compress_ratio == 4; llama.cpp src/llama-kv-cache-dsv4.cpp).
    """

    csa_ratio: int
    hca_ratio: int
    index_n_heads: int
    index_head_dim: int
    index_topk: int
    q_lora_rank: int
    o_lora_rank: int
    o_groups: int


@dataclass(frozen=True)
class LinearAttention:
    kind: str  # kda | gated_deltanet | lightning | other
    num_v_heads: int
    num_k_heads: int
    head_k_dim: int
    head_v_dim: int
    conv_kernel: int = 4


@dataclass(frozen=True)
class SSM:
    kind: str  # mamba1 | mamba2
    d_inner: int
    d_state: int
    d_conv: int = 4
    n_heads: int = 0
    head_dim: int = 0
    n_groups: int = 1


@dataclass(frozen=True)
class MoE:
    num_experts: int
    experts_per_token: int
    expert_ffn: int
    shared_experts: int = 0
    shared_expert_ffn: int = 0
    ffn: str = ""  # one char per layer: D dense, E MoE, N none


@dataclass(frozen=True)
class Architecture:
    name: str
    params_b: float
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    max_context: int
    mixers: str
    tie_embeddings: bool = False
    sliding_window: int | None = None
    mla: MLA | None = None
    linear_attn: LinearAttention | None = None
    ssm: SSM | None = None
    compressed_attn: CompressedAttention | None = None
    moe: MoE | None = None
    active_params_b: float | None = None
    family: str = ""
    hf_repo: str = ""
    source: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)
    release: str = ""
    notes: str = ""
    gguf_repo: str = ""
    verified: bool = True  # False: shapes not yet checked against the cited config.json (shown to users)
    ffn_gated: bool = True  # SwiGLU/GeGLU (gate, up, down); False for plain MLPs (relu², gelu: up, down)
    # Exact tensor bytes of a GGUF file: (embedding, output, per-layer dense, per-layer routed experts)
    exact_weights: tuple[float, float, tuple[float, ...], tuple[float, ...]] | None = None

    __hash__ = cached_hash

    def __post_init__(self) -> None:
        # A model that cannot exist (no layers, no heads, negative widths) must never reach the engine: it would be
        # graded, e.g. negative heads make a negative KV cache and an S grade.
        for what, value in (("num_layers", self.num_layers), ("num_heads", self.num_heads),
                            ("hidden_size", self.hidden_size), ("vocab_size", self.vocab_size),
                            ("head_dim", self.head_dim), ("max_context", self.max_context)):
            if value < 1:
                raise ValueError(f"{self.name}: {what} must be positive, got {value}")
        if self.num_kv_heads < 0 or self.intermediate_size < 0:
            raise ValueError(f"{self.name}: negative num_kv_heads or intermediate_size")
        if self.num_kv_heads < 1 and set(self.mixers) & ATTENTION_KINDS:
            raise ValueError(f"{self.name}: attention layers need num_kv_heads of at least 1")
        if self.sliding_window is not None and self.sliding_window < 1:
            raise ValueError(f"{self.name}: sliding_window must be positive, got {self.sliding_window}")
        if self.moe and not 1 <= self.moe.experts_per_token <= self.moe.num_experts:
            raise ValueError(f"{self.name}: {self.moe.experts_per_token} experts per token of {self.moe.num_experts}")
        if self.moe and (self.moe.expert_ffn < 1 or self.moe.shared_experts < 0 or self.moe.shared_expert_ffn < 0):
            raise ValueError(f"{self.name}: MoE widths must be positive")
        if len(self.mixers) != self.num_layers:
            raise ValueError(f"{self.name}: mixers has {len(self.mixers)} chars for {self.num_layers} layers")
        if not set(self.mixers) <= MIXER_KINDS:
            raise ValueError(f"{self.name}: unknown mixer kinds {set(self.mixers) - MIXER_KINDS}")
        if self.moe and len(self.moe.ffn) != self.num_layers:
            raise ValueError(f"{self.name}: moe.ffn has {len(self.moe.ffn)} chars for {self.num_layers} layers")
        if "M" in self.mixers and self.mla is None:
            raise ValueError(f"{self.name}: MLA layers without mla parameters")
        if "L" in self.mixers and self.linear_attn is None:
            raise ValueError(f"{self.name}: linear-attention layers without linear_attn parameters")
        if set("RH") & set(self.mixers) and self.ssm is None:
            raise ValueError(f"{self.name}: SSM layers without ssm parameters")
        if set("SC" + COMPRESSED_KINDS) & set(self.mixers) and not self.sliding_window:
            raise ValueError(f"{self.name}: sliding layers without sliding_window")
        if set(COMPRESSED_KINDS) & set(self.mixers):
            ca = self.compressed_attn
            if ca is None:
                raise ValueError(f"{self.name}: compressed-attention layers without compressed_attn parameters")
            if min(ca.csa_ratio, ca.hca_ratio, ca.index_n_heads, ca.index_head_dim, ca.index_topk, ca.q_lora_rank,
                   ca.o_lora_rank, ca.o_groups) < 1:
                raise ValueError(f"{self.name}: compressed_attn fields must be positive")
        if self.params_b <= 0:
            raise ValueError(f"{self.name}: params_b must be positive")

    def count(self, kinds: str) -> int:
        return sum(self.mixers.count(k) for k in kinds)

    @property
    def is_moe(self) -> bool:
        return self.moe is not None

    @property
    def total_params(self) -> float:
        return self.params_b * 1e9

    @property
    def embedding_params(self) -> float:
        return float(self.vocab_size * self.hidden_size)

    @property
    def output_params(self) -> float:
        """The LM head; zero when tied to the embedding (the embedding tensor is reused)."""
        return 0.0 if self.tie_embeddings else float(self.vocab_size * self.hidden_size)

    @property
    def moe_layers(self) -> int:
        return self.moe.ffn.count(MOE_FFN) if self.moe else 0

    @property
    def ffn_matrices(self) -> int:
        """Weight matrices per FFN / expert: 3 when gated (gate, up, down), 2 for plain MLPs (relu², gelu: up, down)."""
        return 3 if self.ffn_gated else 2

    @property
    def routed_expert_params(self) -> float:
        """Parameters of all routed experts (ffn_matrices·hidden·ffn each: Nemotron-H relu² experts have 2)."""
        if not self.moe:
            return 0.0
        return float(self.moe_layers * self.moe.num_experts * self.ffn_matrices * self.hidden_size * self.moe.expert_ffn)

    @property
    def active_routed_expert_params(self) -> float:
        if not self.moe:
            return 0.0
        return float(self.moe_layers * self.moe.experts_per_token * self.ffn_matrices * self.hidden_size * self.moe.expert_ffn)

    @property
    def active_params(self) -> float:
        """Parameters touched per token: all but the routed experts not chosen.

        A cited figure (model card) wins; otherwise derived from the routed-expert structure.
        """
        if self.active_params_b:
            return self.active_params_b * 1e9
        return self.total_params - self.routed_expert_params + self.active_routed_expert_params

    @property
    def dense_params(self) -> float:
        """Everything but the routed experts: attention, norms, dense FFNs, shared experts, embeddings."""
        return self.total_params - self.routed_expert_params
