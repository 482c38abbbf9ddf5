"""data/repos.yaml: every entry names a catalog model, a known format and a well-formed repository id."""

from __future__ import annotations

from rigfit.catalog.catalog import get_catalog
from rigfit.catalog.repos import HubRepo, load_repos, problems, repos_from


def _families() -> dict[str, str]:
    return {q.name: q.family for q in get_catalog().quants}


def _names() -> set[str]:
    return {m.name for m in get_catalog().models}


def test_every_entry_is_valid():
    assert problems(load_repos(), _names(), _families()) == []


def test_unknown_model_or_format_fails_the_lint():
    bad = repos_from({"models": {
        "Llama 9000": {"gguf": {"repo": "someone/Llama-9000-GGUF", "seen": "x"}},
        "Llama 3.1 8B": {"Q4_K_M": {"repo": "a/b", "seen": "x"},  # a GGUF quant is not a repository format
                         "gguf": {"repo": "meta-llama/Llama-3.1-8B", "seen": ""}},  # not GGUF, no `seen`
    }})
    found = problems(bad, _names(), _families())
    assert any("'Llama 9000': not a catalog model" in p for p in found)
    assert any("'Llama 3.1 8B' Q4_K_M: format key" in p for p in found)
    assert any("does not name a GGUF repository" in p for p in found)
    assert any("says nowhere" in p for p in found)
    assert len(found) == 4


def test_at_least_forty_models_have_a_gguf_repository():
    repos = load_repos()
    assert sum("gguf" in f for f in repos.values()) >= 40


def test_catalog_reads_the_file():
    # repos.yaml, "Llama 3.1 8B": the id seen on the repository's own page
    got = get_catalog().repos_for(get_catalog().model_index.find("Llama 3.1 8B"))
    assert got["gguf"] == HubRepo("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", got["gguf"].seen)
    assert got["gguf"].url == "https://huggingface.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"
    assert got["AWQ-INT4"].repo == "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4"
