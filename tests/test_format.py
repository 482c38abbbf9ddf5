"""The one formatter: hand-checked strings."""

from rigfit.format import gib, label, params, pct, seconds, signed, tokens, tps, usd


def test_labels_have_no_raw_identifiers():
    assert label("no_fit") == "Won't run" and label("scale_out") == "Scale-out" and label("light_api") == "Light API"
    assert label("agentic_coding") == "Agentic coding" and label("expert_offload") == "Experts in host RAM (--n-cpu-moe)"
    assert label("some_new_code") == "some new code"


def test_numbers():
    assert tokens(8192) == "8K" and tokens(131072) == "128K" and tokens(382720) == "373K"  # 373.75 x 1024, rounded down
    assert tokens(26368) == "25K" and tokens(1000) == "1,000"
    assert tokens(1_048_576) == "1,024K" and tokens(0) == "—"
    assert tps(134.24) == "134" and tps(13.44) == "13.4" and tps(1430.3) == "1,430" and tps(0) == "—"
    assert gib(29.11) == "29.1 GiB" and gib(29.11, 24.0) == "29.1 / 24.0 GiB"


def test_cli_tables_keep_their_headers_at_80_columns(monkeypatch):
    from rich.console import Console
    from typer.testing import CliRunner

    import rigfit.cli as cli

    monkeypatch.setattr(cli, "console", Console(width=80, force_terminal=False, color_system=None))
    r = CliRunner().invoke(cli.app, ["check", "Kimi Linear 48B A3B", "RTX 3090"])
    assert r.exit_code == 0
    out = r.output
    assert "…" not in out  # nothing cut
    for header in ("Weights", "Quality", "Decode", "tok/s", "Max", "context", "Workload", "GB/s"):
        assert header in out, header
    tables = out.split("Performance by workload")[1].split("Run it:")[0]
    assert max(len(line) for line in tables.splitlines()) <= 80


def test_other_quantities():
    # Llama 3.1 8B: 8,030,261,248 parameters (config.json shapes) -> "8.0B"; Kimi K2 1,026.41 B -> "1,026B"
    assert params(8.030261248) == "8.0B" and params(1026.41) == "1,026B" and params(48.9) == "48.9B"
    assert seconds(0.354) == "0.35 s" and seconds(12.34) == "12.3 s" and seconds(250.0) == "250 s"
    assert pct(21.6) == "22%" and usd(1599) == "$1,599" and usd(None) == "—"
    assert signed(8) == "+8" and signed(-128, "GB/s") == "-128 GB/s" and signed(2.5, "GiB") == "+2.5 GiB"
    assert tps(99.96) == "100" and tps(99.94) == "99.9"  # never '100.0'
