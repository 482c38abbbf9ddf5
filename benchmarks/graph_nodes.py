"""Size of llama.cpp's compute graph for one decode step: the `graph nodes  = N` line of its load log.

llama.cpp builds (or checks and re-uses) this ggml graph on the host for every generated token, and the backend walks
it node by node (CUDA: checks each node against the captured CUDA graph, or launches one kernel per node; CPU: one
thread barrier per node). A host-side cost per token would grow with the node count, which differs by layer kind far
more than the layer count does: a Qwen3.5 35B A3B layer (Gated DeltaNet or gated attention, 256 routed experts and a
shared expert) has about three times the nodes of a Llama layer.

The constants below are fitted to the `graph nodes` lines of public load logs; benchmarks/data/graph_nodes.yaml lists
each log with its model, build and figure, and tests/test_graph_nodes.py checks the estimate against them
(Llama exactly, the others within 8 %). A log's figure is the graph llama.cpp reserves at load; the one-token decode
graph has the same nodes (the logs' "graph splits = a (with bs=512), b (with bs=1)" differs, the nodes do not).
Builds differ by a few nodes per layer: flash attention off adds nodes (Qwen3 30B A3B 3222 nodes with
`flash_attn = 0`, Qwen3 Coder 30B A3B 3031 with it), and about a third of the nodes are layout views that no
device kernel runs (an exported qwen35moe graph: 1372 VIEW / RESHAPE / TRANSPOSE / PERMUTE of 3729).

Not used by the speed formulas: the experiment of a per-node decode cost (docs/method.md §6) did not improve the
predictions on rows never seen in fitting.
"""

from __future__ import annotations

from functools import lru_cache

from rigfit.model.architecture import (ATTENTION_KINDS, DENSE_FFN, HYBRID, LINEAR, MLA_LAYER, MOE_FFN, NO_FFN,
                                       SSM_LAYER, Architecture)

# Mixers with a recurrent state (a hybrid-head layer runs attention and an SSM side by side: both blocks).
RECURRENT_KINDS = frozenset((LINEAR, SSM_LAYER, HYBRID))

# Outside the layers: token embedding lookup, output norm (rms_norm + mul), output matmul and the row selection of
# the outputs. Llama 3 8B: 1030 = 6 + 32 x 32; Llama 3.1 70B: 2566 = 6 + 80 x 32 (graph_nodes.yaml).
NODES_OUTSIDE_LAYERS = 6
# One attention block (norm, Q/K/V projections, RoPE, cache writes and views, attention, output projection,
# residual add): a Llama layer's 32 nodes less its dense FFN's 8.
NODES_ATTENTION = 24
# A dense gated FFN: ffn_norm (rms_norm, mul), gate, up, the fused swiglu, down, residual add, and the layer's
# output view (src/llama-graph.cpp build_ffn). With NODES_ATTENTION, the 32 nodes of a Llama layer.
NODES_DENSE_FFN = 8
# A routed MoE FFN without shared expert (src/llama-graph.cpp build_moe_ffn: router matmul, softmax, argsort and
# views, get_rows of the weights, their sum and division, three mul_mat_id, the glu, the weighting, and the
# experts_per_token - 1 adds that sum the experts). Mean of the two MoE logs with flash attention, less the
# attention block: Qwen3 Coder 30B A3B (48 layers) 3031 nodes = 6 + 48 x 63.0 (-> 39), gpt-oss 20B (24 layers)
# 1352 nodes = 6 + 24 x 56.1 (-> 32).
NODES_MOE_FFN = 36
# A shared expert beside the routed ones: a dense FFN's matmuls, its sigmoid gate and the add to the routed sum
# (an exported qwen35moe graph lists the shared expert's gate/up/down path, sigmoid, mul and final adds).
NODES_SHARED_EXPERT = NODES_DENSE_FFN
# One recurrent mixer (Gated DeltaNet / Mamba: projections, conv1d over the cached states, the recurrence op, gated
# norm, output projection, state copies back to the cache). Fitted to the hybrid logs, which it matches within
# 2.1 %: Qwen3.6 27B (qwen35, 48 Gated DeltaNet + 16 attention layers, dense FFN) 3849 nodes leaves 61.4 per
# recurrent layer; Qwen3.5 MoE (qwen35moe, 30 + 10 layers) 3729 and 3787 nodes leave 57.4 and 59.4.
NODES_RECURRENT = 60


def layer_nodes(arch: Architecture, layer: int) -> int:
    """Graph nodes of one decoder layer: its mixer (attention, recurrent, or both for a hybrid-head layer) and FFN."""
    mixer = arch.mixers[layer]
    nodes = 0
    if mixer in ATTENTION_KINDS or mixer == MLA_LAYER:
        nodes += NODES_ATTENTION
    if mixer in RECURRENT_KINDS:
        nodes += NODES_RECURRENT
    ffn = arch.moe.ffn[layer] if arch.moe else (NO_FFN if arch.intermediate_size == 0 else DENSE_FFN)
    if ffn == MOE_FFN:
        nodes += NODES_MOE_FFN + (NODES_SHARED_EXPERT if arch.moe and arch.moe.shared_experts else 0)
    elif ffn == DENSE_FFN:
        nodes += NODES_DENSE_FFN
    return nodes


@lru_cache(maxsize=1024)
def graph_nodes(arch: Architecture) -> int:
    """Estimated node count of llama.cpp's decode graph for a model (the load log's `graph nodes`)."""
    return NODES_OUTSIDE_LAYERS + sum(layer_nodes(arch, i) for i in range(arch.num_layers))

