"""Hugging Face repos: config.json (and the exact parameter count from safetensors headers) with a disk cache.

Only headers and the config are fetched, never weights. The cache ($XDG_CACHE_HOME/rigfit/hub, else
~/.cache/rigfit/hub) lets a second check of the same repo work offline; `offline=True` uses it alone.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def looks_like_repo_id(text: str) -> bool:
    # fullmatch, not match + strip: "org/name\n" (a %0A in a URL) is not an id ($ matches before a final newline)
    return bool(REPO_ID.fullmatch(text))


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rigfit" / "hub"


def _cache_file(repo_id: str) -> Path:
    return cache_dir() / (repo_id.replace("/", "--") + ".json")


def fetch_config(repo_id: str, offline: bool = False, endpoint: str | None = None) -> tuple[dict[str, Any], float | None]:
    """(config dict, parameter count in billions or None). ValueError with one line on any failure."""
    cached = _cache_file(repo_id)
    if not looks_like_repo_id(repo_id):
        raise ValueError(f"{repo_id[:100]!r} is not a Hugging Face repo id (org/name)")
    if cached.is_file():
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
            return dict(data["config"]), data.get("params_b")
        except (ValueError, KeyError, TypeError, RecursionError, OSError):
            raise ValueError(f"{repo_id}: the cached config is damaged; delete {cached.name} from the rigfit "
                             "cache and fetch again") from None
    if offline:
        raise ValueError(f"{repo_id}: not in the local cache ({cached.parent}); run once without --offline")
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError
    except ImportError:  # pragma: no cover - a dependency of the project
        raise ValueError("huggingface_hub is not installed") from None
    token = os.environ.get("HF_TOKEN") or None
    _check_reachable(repo_id, endpoint)
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # its retry chatter is not for the user
    try:
        path = hf_hub_download(repo_id, "config.json", endpoint=endpoint, token=token, etag_timeout=10)
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except GatedRepoError:
        raise ValueError(f"{repo_id}: gated repository; accept its licence on the hub and set HF_TOKEN") from None
    except RepositoryNotFoundError:
        raise ValueError(f"{repo_id}: no such repository on the hub (or it is private: set HF_TOKEN)") from None
    except Exception as exc:  # noqa: BLE001 - network, HTTP and file errors all mean "could not fetch"
        kind = type(exc).__name__
        raise ValueError(f"{repo_id}: could not fetch config.json from the hub ({kind}); use --offline with a cached "
                         "repo, or pass a local config.json") from None
    params_b = _safetensors_params(repo_id, token) if endpoint is None else None
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps({"config": config, "params_b": params_b}), encoding="utf-8")
    return config, params_b


def _check_reachable(repo_id: str, endpoint: str | None) -> None:
    """One quick request first, so an offline machine gets one clear line now, not minutes of retries."""
    import httpx

    from huggingface_hub import constants

    base = (endpoint or constants.ENDPOINT).rstrip("/")
    try:
        httpx.head(f"{base}/{repo_id}/resolve/main/config.json", timeout=5.0, follow_redirects=False)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        # the endpoint is not named: over the web it would tell a visitor where this server fetches from
        raise ValueError(f"{repo_id}: cannot reach the hub ({type(exc).__name__}); use --offline with a "
                         "cached repo, or pass a local config.json") from None


def _safetensors_params(repo_id: str, token: str | None) -> float | None:
    """Exact parameter count from the safetensors headers (HTTP range requests, no weights), when available."""
    try:
        from huggingface_hub import get_safetensors_metadata

        meta = get_safetensors_metadata(repo_id, token=token)
        return sum(meta.parameter_count.values()) / 1e9
    except Exception:  # noqa: BLE001 - a repo without safetensors still has a config; shapes give the count
        return None
