"""`rigfit validate`: replay of measured rows, error statistics, unresolved rows listed.

fixtures/speed_sample.csv: rows copied from ../shared/benchmarks/speed.csv (each keeps its source) plus one made-up
row naming hardware no catalog has, for the unresolved path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rigfit.cli import app

FIXTURE = Path(__file__).parent / "fixtures" / "speed_sample.csv"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


def validate_json(path: Path) -> dict:
    res = CliRunner().invoke(app, ["validate", str(path), "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_validate_json_shape_and_unresolved_rows():
    d = validate_json(FIXTURE)
    assert d["rows"] >= 4 and d["resolved"] == d["rows"] - 1
    for kind in ("decode", "prefill", "memory"):
        assert set(d[kind]) == {"n", "median_ape", "p90_ape", "median_signed_pe"}
    assert d["decode"]["n"] >= 2
    assert any("Imaginary GPU 9000" in u["row"] for u in d["unresolved"])


def test_validate_missing_file_is_one_line_exit_2():
    res = CliRunner().invoke(app, ["validate", "/nonexistent.csv"])
    assert res.exit_code == 2 and "no such file" in res.output


@pytest.mark.skipif(not (SHARED / "speed.csv").exists(), reason="../shared/benchmarks not present")
def test_accuracy_targets_on_shared_measurements():
    d = validate_json(SHARED / "speed.csv")
    assert d["resolved"] >= d["rows"] - 2  # every name in the shared data resolves through the catalog
    assert d["decode"]["median_ape"] <= 10 and d["decode"]["p90_ape"] <= 25
    assert d["prefill"]["median_ape"] <= 20
    assert d["memory"]["median_ape"] <= 3
    mem = validate_json(SHARED / "memory.csv")
    assert mem["memory"]["median_ape"] <= 3
