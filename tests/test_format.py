"""The one formatter: hand-checked strings."""

from rigfit.format import gib, label, tokens, tps


def test_labels_have_no_raw_identifiers():
    assert label("no_fit") == "Won't run" and label("scale_out") == "Scale-out" and label("light_api") == "Light API"
    assert label("agentic_coding") == "Agentic coding" and label("expert_offload") == "expert offload"


def test_numbers():
    assert tokens(8192) == "8K" and tokens(131072) == "128K" and tokens(382720) == "382,720"  # 373.75 x 1024: not a whole K
    assert tokens(1_048_576) == "1,024K" and tokens(0) == "—"
    assert tps(134.24) == "134" and tps(13.44) == "13.4" and tps(1430.3) == "1,430" and tps(0) == "—"
    assert gib(29.11) == "29.1 GiB" and gib(29.11, 24.0) == "29.1 / 24.0 GiB"
