"""Every catalog model round-trips: its family's config.json -> scripts/add_model.py -> YAML -> the catalog loader."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from rigfit.catalog.loader import architecture_from_entry, load_models
from rigfit.model.architecture import Architecture

from .config_writer import write_config

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("add_model", ROOT / "scripts" / "add_model.py")
add_model = importlib.util.module_from_spec(spec)
spec.loader.exec_module(add_model)

SHAPE_FIELDS = ("vocab_size", "hidden_size", "num_layers", "num_heads", "num_kv_heads", "head_dim", "mixers",
                "tie_embeddings", "sliding_window", "mla", "linear_attn", "ssm", "compressed_attn", "moe",
                "max_context", "params_b", "intermediate_size", "ffn_gated")

# Entries whose layout no config family that hf_config.py reads can express (reason per entry).
EXCLUDED: dict[str, str] = {}


def shapes(a: Architecture) -> dict[str, Any]:
    out = {f: getattr(a, f) for f in SHAPE_FIELDS}
    if a.moe and not a.moe.shared_experts:  # no shared expert: its width means nothing (reader fills the routed one)
        out["moe"] = replace(a.moe, shared_expert_ffn=0)
    return out


def round_trip(ref: Architecture) -> Architecture:
    cfg = write_config(ref)
    entry = add_model.build_entry(cfg, ref.source, ref.name, ref.params_b)
    return architecture_from_entry(yaml.safe_load("models:\n" + add_model.to_yaml(entry))["models"][0])


MODELS = [m for m in load_models() if m.name not in EXCLUDED]


@pytest.mark.parametrize("ref", MODELS, ids=[m.name for m in MODELS])
def test_every_catalog_model_round_trips(ref: Architecture) -> None:
    arch = round_trip(ref)
    got, want = shapes(arch), shapes(ref)
    diffs = {f: (got[f], want[f]) for f in SHAPE_FIELDS if got[f] != want[f]}
    assert not diffs
