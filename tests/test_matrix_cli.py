"""`rigfit matrix` and /api/v1/matrix: one row per cell, the same rows, clear errors."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rigfit.catalog.catalog import get_catalog
from rigfit.cli import app
from rigfit.output import MATRIX_COLUMNS
from rigfit.web.app import create_app

runner = CliRunner()
CATALOG = get_catalog()


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_matrix_default_is_every_model_on_every_device_at_q4_k_m_chat():
    res = runner.invoke(app, ["matrix"])
    assert res.exit_code == 0, res.output
    rows = rows_of(res.stdout)
    assert list(rows[0]) == list(MATRIX_COLUMNS)
    # GGUF runs on every vendor: one row per model × device
    assert len(rows) == len(CATALOG.models) * len(CATALOG.hardware)
    row = next(r for r in rows if r["model"] == "Llama 3.1 8B" and r["hardware"] == "RTX 4090")
    # 4.6 GiB of Q4_K_M weights on a 24 GB card at 8K: on the device, grade S (docs/method.md, README)
    assert (row["quant"], row["workload"], row["context"], row["fit"], row["strategy"], row["grade"]) == (
        "Q4_K_M", "chat", "8192", "fits", "full_gpu", "S")
    assert row["max_context_on_device"] == "131072"


def test_matrix_leaves_out_cells_whose_runtime_does_not_run_there():
    res = runner.invoke(app, ["matrix", "--quant", "MLX-4bit", "--format", "json"])
    assert res.exit_code == 0
    vendors = {h.name: h.vendor for h in CATALOG.hardware}
    rows = json.loads(res.stdout)
    assert rows and {vendors[r["hardware"]] for r in rows} == {"apple"}


def test_matrix_several_quants_and_workloads_and_named_hardware():
    res = runner.invoke(app, ["matrix", "-q", "Q4_K_M", "-q", "Q8_0", "-w", "chat", "-w", "coding",
                              "--hardware", "RTX 3090", "--format", "json"])
    rows = json.loads(res.stdout)
    assert len(rows) == len(CATALOG.models) * 4
    assert {(r["quant"], r["workload"]) for r in rows} == {(q, w) for q in ("Q4_K_M", "Q8_0") for w in ("chat", "coding")}


def test_matrix_bad_input_is_one_line_and_exit_2():
    for args in (["--quant", "Q9_X"], ["--format", "xml"], ["--context", "0"], ["--hardware", "RTX 9999"]):
        res = runner.invoke(app, ["matrix", *args])
        assert res.exit_code == 2, args
        assert len(res.output.strip().splitlines()) == 1, res.output


def test_api_matrix_matches_the_cli_and_refuses_bad_input():
    client = TestClient(create_app())
    r = client.get("/api/v1/matrix", params={"hardware": "RTX 4090", "quant": "Q4_K_M"})
    assert r.status_code == 200
    api_rows = r.json()
    cli = json.loads(runner.invoke(app, ["matrix", "--hardware", "RTX 4090", "--format", "json"]).stdout)
    assert api_rows == cli
    c = client.get("/api/v1/matrix", params={"hardware": "RTX 4090", "format": "csv"})
    assert c.headers["content-type"].startswith("text/csv") and rows_of(c.text)[0]["hardware"] == "RTX 4090"
    bad = client.get("/api/v1/matrix", params={"quant": "Q9_X"})
    assert bad.status_code == 422 and "Q9_X" in bad.json()["detail"]
