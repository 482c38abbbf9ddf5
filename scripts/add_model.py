"""Write a catalog entry for a model from its Hugging Face config.json, through the same code rigfit uses to read a
config.json at run time (rigfit.ingest.hf_config.config_entry), and check its parameter count.

    python scripts/add_model.py CONFIG.json --source https://huggingface.co/ORG/REPO/blob/main/config.json \\
        [--name "Display Name"] [--params-b 30.5 --params-source "model card: 30.5B"] [--append FILE.yaml]

Prints the YAML entry to review (or appends it to a data/models/*.yaml file with --append). The parameter count of
the shapes (embeddings + attention/SSM + FFN/experts + norms) must agree with --params-b, the model card's figure,
within PARAMS_TOLERANCE, or the script stops: a disagreement means a misread config or a card counting a vision tower
or MTP layers (then pass the language-model figure). Without --params-b the shape count itself is written, and
params_source says so.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from rigfit.catalog.loader import architecture_from_entry
from rigfit.ingest.hf_config import config_entry, structural_params

PARAMS_TOLERANCE = 0.05  # shapes vs model card; norms, biases and rounding of the card's figure stay well below this
FIELD_ORDER = ("name", "aliases", "family", "developer", "hf_repo", "source", "release", "params_b", "params_source",
               "active_params_b", "vocab_size", "hidden_size", "num_layers", "num_heads", "num_kv_heads", "head_dim",
               "intermediate_size", "ffn_gated", "tie_embeddings", "max_context", "mixers", "sliding_window", "mla",
               "linear_attn", "ssm", "compressed_attn", "moe", "verified", "notes")


def repo_of(source: str) -> str:
    m = re.search(r"huggingface\.co/([^/]+/[^/]+)", source)
    return m.group(1) if m else ""


def build_entry(cfg: dict[str, Any], source: str, name: str | None = None, params_b: float | None = None,
                params_source: str | None = None) -> dict[str, Any]:
    """The catalog entry (a plain dict in catalog-schema order); raises ValueError on a parameter mismatch."""
    repo = repo_of(source)
    name = name or (repo.split("/")[-1] if repo else "model")
    entry = config_entry(cfg, name, source)
    entry["hf_repo"] = repo or entry.get("hf_repo", "")
    shapes = structural_params(entry)
    if params_b is not None:
        if abs(shapes / params_b - 1) > PARAMS_TOLERANCE:
            raise ValueError(f"{name}: the config's shapes add up to {shapes:.2f}B, the cited count is {params_b}B "
                             f"(more than {PARAMS_TOLERANCE:.0%} apart): check the config or cite the language-model count")
        entry["params_b"] = params_b
        entry["params_source"] = params_source or f"cited: {params_b}B (config shapes: {shapes:.2f}B)"
    else:
        entry["params_b"] = round(shapes, 2)
        entry["params_source"] = f"computed from config.json shapes by scripts/add_model.py ({shapes:.3f}B)"
    architecture_from_entry(entry)  # the loader must accept it
    return {k: entry[k] for k in FIELD_ORDER if k in entry} | {k: v for k, v in entry.items() if k not in FIELD_ORDER}


def to_yaml(entry: dict[str, Any]) -> str:
    text = yaml.safe_dump([entry], sort_keys=False, width=120, allow_unicode=True)
    return "".join("  " + line + "\n" for line in text.splitlines())  # indented to sit under a file's "models:"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config", type=Path)
    ap.add_argument("--source", required=True, help="the config.json URL (huggingface.co/ORG/REPO/blob/main/config.json)")
    ap.add_argument("--name")
    ap.add_argument("--params-b", type=float, help="total parameters of the language model (billions), from the card")
    ap.add_argument("--params-source")
    ap.add_argument("--append", type=Path, help="append the entry to this data/models/*.yaml file")
    a = ap.parse_args(argv)
    try:
        entry = build_entry(json.loads(a.config.read_text()), a.source, a.name, a.params_b, a.params_source)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = to_yaml(entry)
    if a.append:
        with a.append.open("a") as f:
            f.write("\n" + text)
        print(f"appended {entry['name']} to {a.append}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
