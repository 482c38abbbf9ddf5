"""Variant words ("H", "VL", "Coder", "Code", "Math") name another model of a family: a query that leaves one out
never resolves, by partial matching, to an entry carrying it (issue 11, "never answer for a different model")."""

import pytest

from rigfit.catalog import NotFound, find_model


@pytest.mark.parametrize(("query", "only_carrier"), [
    ("Nemotron 47B", "Nemotron-H 47B"),        # hybrid Mamba-2: never implied by a plain "Nemotron"
    ("Falcon 34B", "Falcon-H1 34B"),
    ("Qwen3 2B", "Qwen3-VL 2B"),               # Qwen3 has no 2B text model: the VL tower is another model
    ("Qwen3 480B", "Qwen3 Coder 480B A35B"),
])
def test_leaving_out_a_variant_word_of_the_only_match_is_a_miss(query: str, only_carrier: str) -> None:
    with pytest.raises(NotFound) as exc:
        find_model(query)
    assert only_carrier in exc.value.suggestions


@pytest.mark.parametrize(("query", "expected"), [
    ("Granite 4.0 H 350M", "Granite 4.0 H 350M"),
    ("granite4:350m-h", "Granite 4.0 H 350M"),
    ("Granite 4.0 1B", "Granite 4.0 1B"),  # the dense 1B: its own entry, never the hybrid H 1B
    ("Granite 4.0 H 1B", "Granite 4.0 H 1B"),
    ("Qwen2.5 Coder 7B", "Qwen2.5 Coder 7B"),
])
def test_variant_names_still_resolve_to_their_own_entry(query: str, expected: str) -> None:
    assert find_model(query).name == expected
