"""A Mac's name around its chip ("MacBook Pro", "Mac Studio", "Mac mini", "iMac") changes neither memory system nor
GPU: hardware lookups read the chip, and the computer's name is dropped as a phrase ("MacBook Pro M4" is the base M4)."""

import pytest

from rigfit.catalog import NotFound, find_hardware


@pytest.mark.parametrize(("query", "expected"), [
    ("MacBook Pro M4 Max 128GB", "Apple M4 Max 40-core GPU 128GB"),  # only the 40-core M4 Max takes 128GB
    ("MacBook Pro M4 Pro 48GB", "Apple M4 Pro 20-core GPU 48GB"),
    ("Mac Studio M4 Max 128GB", "Apple M4 Max 40-core GPU 128GB"),
    ("Mac mini M4 Pro 64GB", "Apple M4 Pro 20-core GPU 64GB"),
])
def test_a_mac_is_read_as_its_chip(query: str, expected: str) -> None:
    assert find_hardware(query).name == expected


def test_macbook_pro_with_a_base_chip_is_not_the_pro_chip() -> None:
    # "MacBook Pro M4" has a base M4 (8 or 10 GPU cores, 16-32GB): ambiguous between those, never an M4 Pro.
    with pytest.raises(NotFound) as exc:
        find_hardware("MacBook Pro M4")
    assert exc.value.suggestions and all("M4 Pro" not in s and "M4 Max" not in s for s in exc.value.suggestions)
    assert "MacBook Pro M4" in str(exc.value)  # the error names what was typed
