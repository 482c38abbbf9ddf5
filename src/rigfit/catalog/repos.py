"""Verified Hugging Face repositories per catalog model and format (data/repos.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rigfit.catalog.loader import CatalogError, load_data

HF = "https://huggingface.co"
GGUF = "gguf"  # the format key of a GGUF repository (any GGUF quant, picked by its tag)


@dataclass(frozen=True)
class HubRepo:
    """One repository: its id, and where that id was read (the repository page itself is the source)."""

    repo: str
    seen: str

    @property
    def url(self) -> str:
        return f"{HF}/{self.repo}"


def repos_from(data: dict[str, Any]) -> dict[str, dict[str, HubRepo]]:
    """model name -> format key (gguf, MLX-4bit, AWQ-INT4, FP8, ...) -> repository."""
    out: dict[str, dict[str, HubRepo]] = {}
    for model, formats in (data.get("models") or {}).items():
        try:
            out[str(model)] = {str(k): HubRepo(repo=str(v["repo"]), seen=str(v["seen"])) for k, v in formats.items()}
        except (KeyError, TypeError, AttributeError) as exc:
            raise CatalogError(f"repos.yaml: entry {model!r}: {exc}") from exc
    return out


@lru_cache(maxsize=1)
def load_repos() -> dict[str, dict[str, HubRepo]]:
    return repos_from(load_data("repos"))


# Formats whose checkpoints a runtime reads from a repository as they are (quant families, catalog/data/quants.yaml).
REPO_FAMILIES = ("mlx", "awq", "gptq", "fp8", "nvfp4", "exl2", "exl3")
REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def problems(repos: dict[str, dict[str, HubRepo]], model_names: set[str],
             quant_families: dict[str, str]) -> list[str]:
    """Every entry that cannot be right: an unknown model, a format key that is neither `gguf` nor a quant of a
    repository format, a malformed id, a GGUF key on a repository that is not a GGUF one, no `seen`."""
    out = []
    for model, formats in repos.items():
        if model not in model_names:
            out.append(f"{model!r}: not a catalog model")
        for key, r in formats.items():
            where = f"{model!r} {key}"
            if key != GGUF and quant_families.get(key) not in REPO_FAMILIES:
                out.append(f"{where}: format key is neither 'gguf' nor a quant of {', '.join(REPO_FAMILIES)}")
            if not REPO_ID.match(r.repo):
                out.append(f"{where}: {r.repo!r} is not an owner/name repository id")
            if key == GGUF and "gguf" not in r.repo.lower():
                out.append(f"{where}: {r.repo!r} does not name a GGUF repository")
            if not r.seen.strip():
                out.append(f"{where}: says nowhere where the id was seen")
    return out
