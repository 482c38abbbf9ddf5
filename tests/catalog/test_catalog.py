"""The catalogs: size, a source for every entry, internal consistency, and name resolution."""

from __future__ import annotations

import pytest

from rigfit.catalog import NotFound, find_hardware, find_model, find_quant, load_hardware, load_models, load_quants
from rigfit.estimate.structure import layer_params


def test_catalog_sizes():
    assert len(load_models()) >= 100
    assert len(load_hardware()) >= 150
    assert len(load_quants()) >= 20


def test_every_model_cites_its_config():
    for m in load_models():
        assert m.source.startswith("http"), m.name
        assert m.hf_repo, m.name


def test_every_hardware_entry_cites_a_source():
    for h in load_hardware():
        assert h.sources and all(v for _, v in h.sources), h.name


def test_every_quant_cites_a_source():
    for q in load_quants():
        assert q.source, q.name
        assert 1.0 < q.body_bpw <= 16.5, q.name


def test_names_are_unique():
    for items in (load_models(), load_hardware(), load_quants()):
        names = [x.name.lower() for x in items]
        assert len(names) == len(set(names))


def test_config_shapes_agree_with_cited_parameter_counts():
    # The per-layer structure computed from the config must add up to the cited total within 15%:
    # a transcription error in hidden size, layers or FFN width shows up here.
    bad = {m.name: round(layer_params(m).scale, 3) for m in load_models() if not 0.85 <= layer_params(m).scale <= 1.15}
    assert not bad


def test_moe_active_parameters_are_below_total():
    for m in load_models():
        if m.is_moe:
            assert 0 < m.active_params < m.total_params, m.name


@pytest.mark.parametrize("query,expected", [
    ("3090", "RTX 3090"),
    ("rtx3090", "RTX 3090"),
    ("RTX 3090 24GB", "RTX 3090"),
    ("NVIDIA GeForce RTX 4090", "RTX 4090"),
    ("RTX PRO 4500 Blackwell 32GB", "RTX PRO 4500 Blackwell"),
])
def test_hardware_aliases(query, expected):
    assert find_hardware(query).name == expected


@pytest.mark.parametrize("query,expected", [
    ("kimi linear", "Kimi Linear 48B A3B"),
    ("llama3.1 8b", "Llama 3.1 8B"),
    ("Llama-3.1-8B", "Llama 3.1 8B"),
    ("qwen3-30b-a3b", "Qwen3 30B A3B"),
    ("GPT-OSS 20b", "gpt-oss 20B"),
])
def test_model_aliases(query, expected):
    assert find_model(query).name == expected


def test_quant_names_are_case_insensitive():
    assert find_quant("q4_k_m").name == "Q4_K_M"
    assert find_quant("Q4-K-M").name == "Q4_K_M"


def test_miss_suggests_three_close_names():
    with pytest.raises(NotFound) as exc:
        find_model("Lama 3.1 8")
    assert 1 <= len(exc.value.suggestions) <= 3
    assert any("Llama" in s for s in exc.value.suggestions)


def test_multi_gpu_prefix():
    hw = find_hardware("2x RTX 3090")
    assert hw.count == 2 and hw.name == "RTX 3090"


def test_mixed_devices_combine_as_a_layer_split():
    hw = find_hardware("RTX 3090 + RTX 4090")
    assert hw.count == 2 and hw.memory_gib == 24
    # memory-weighted harmonic mean: between the two, closer to the slower
    assert 936.2 < hw.bandwidth_gbs < 1008
    assert hw.display_name == "RTX 3090 + RTX 4090"


def test_parsed_catalog_cache_is_keyed_by_content(tmp_path, monkeypatch):
    """The JSON cache of a parsed data file is used only for the very bytes it was made from."""
    from rigfit.catalog import loader

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    f = tmp_path / "x.yaml"
    f.write_text("a: 1\nb: [2, 3]\n")
    assert loader._read(f) == {"a": 1, "b": [2, 3]}
    assert len(list((tmp_path / "rigfit" / "catalog").glob("*.json"))) == 1
    assert loader._read(f) == {"a": 1, "b": [2, 3]}  # from the cache
    f.write_text("a: 2\n")
    assert loader._read(f) == {"a": 2}  # changed bytes: parsed afresh
    g = tmp_path / "y.yaml"
    g.write_text("1: one\n")  # an integer key JSON would turn into "1": never cached
    assert loader._read(g) == {1: "one"} and loader._read(g) == {1: "one"}
