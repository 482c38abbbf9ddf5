"""llama.cpp decode-graph node counts (benchmarks/graph_nodes.py) against the public load logs of
benchmarks/data/graph_nodes.yaml."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from rigfit.catalog import find_model

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from graph_nodes import graph_nodes, layer_nodes  # noqa: E402

LOGS = yaml.safe_load((BENCHMARKS / "data" / "graph_nodes.yaml").read_text())["logs"]
# Logs with flash attention (or not printing it): the graph the estimate's constants describe. Without flash
# attention the graph has ~4 more nodes per layer (gpt-oss 20B: 1446 against 1352).
WITH_FLASH = [e for e in LOGS if e["flash_attn"] != "0"]


def test_llama_graphs_are_six_plus_32_per_layer():
    # Llama 3 8B: 1030 = 6 + 32 x 32; Llama 3.1 70B (Reflection fine-tune): 2566 = 6 + 80 x 32 (graph_nodes.yaml)
    assert graph_nodes(find_model("Llama 3 8B")) == 1030
    assert graph_nodes(find_model("Llama 3.1 70B")) == 2566


def test_hand_counted_estimates():
    # Qwen3 30B A3B: 48 x (attention 24 + routed MoE 36) + 6 = 2886 (logs: 3031 with flash attention, 3222 without)
    assert graph_nodes(find_model("Qwen3 Coder 30B A3B")) == 2886
    # gpt-oss 20B: 24 x (24 + 36) + 6 = 1446 (log: 1352 with flash attention)
    assert graph_nodes(find_model("gpt-oss 20B")) == 1446
    # Qwen3.6 27B: 48 Gated DeltaNet x (60 + 8) + 16 attention x (24 + 8) + 6 = 3264 + 512 + 6 = 3782 (log: 3849)
    assert graph_nodes(find_model("Qwen3.6 27B")) == 3782
    # Qwen3.5 35B A3B: 30 x (60 + 36 + 8) + 10 x (24 + 36 + 8) + 6 = 3120 + 680 + 6 = 3806 (logs: 3729, 3787)
    assert graph_nodes(find_model("Qwen3.5 35B A3B")) == 3806


def test_a_hybrid_moe_layer_has_three_times_a_llama_layer():
    # Qwen3.5 35B A3B layer 0 (Gated DeltaNet, 256 experts + shared): 60 + 36 + 8 = 104 against Llama's 24 + 8 = 32
    assert layer_nodes(find_model("Qwen3.5 35B A3B"), 0) == 104
    assert layer_nodes(find_model("Llama 3.1 8B"), 0) == 32


@pytest.mark.parametrize("entry", WITH_FLASH, ids=lambda e: f"{e['model']}-{e['nodes']}")
def test_estimate_within_8_percent_of_each_log(entry):
    arch = find_model(entry["model"])
    assert arch.num_layers == entry["layers"]
    assert graph_nodes(arch) == pytest.approx(entry["nodes"], rel=0.08)


def test_every_log_names_its_source_and_quotes_the_figure():
    for e in LOGS:
        assert e["source"].startswith("find_string index id ")
        assert f"graph nodes  = {e['nodes']}" in e["quote"]
