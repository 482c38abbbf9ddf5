"""This machine and the ranking of what to run on it."""

from __future__ import annotations

import json
import sys
import types

from typer.testing import CliRunner

from rigfit.catalog import find_hardware
from rigfit.cli import app
from rigfit.ingest.detect import detect, detected_hardware

runner = CliRunner()


def test_detect_without_gpu_reports_cpu_and_ram(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # as on a machine without NVIDIA's library
    res = runner.invoke(app, ["detect", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["cpu"]["cores"] >= 1 and d["ram"]["total_gib"] > 0 and d["ram"]["bandwidth_gbs"] > 0
    if not d["gpus"]:
        assert d["note"] == "no GPU found" and d["hardware"]["kind"] == "cpu"


def test_nvidia_gpus_resolve_to_the_catalog(monkeypatch):
    class Mem:
        total = 24 * 1024**3
        free = 23 * 1024**3

    fake = types.SimpleNamespace(
        nvmlInit=lambda: None, nvmlShutdown=lambda: None, nvmlDeviceGetCount=lambda: 2,
        nvmlDeviceGetHandleByIndex=lambda i: i, nvmlDeviceGetName=lambda h: "NVIDIA GeForce RTX 3090",
        nvmlDeviceGetMemoryInfo=lambda h: Mem())
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    hw = detected_hardware(detect(measure=False))
    assert hw.name == "RTX 3090" and hw.count == 2


def test_local_is_a_hardware_name():
    res = runner.invoke(app, ["check", "Llama 3.2 1B", "local", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["hardware"]["name"]


def test_best_ranks_models_with_commands():
    res = runner.invoke(app, ["best", "--hardware", "RTX 3090", "--limit", "8", "--json"])
    rows = json.loads(res.stdout)["models"]
    assert len(rows) == 8
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert all(r["command"].startswith("llama-server") for r in rows)
    res = runner.invoke(app, ["best", "--hardware", "RTX 4090", "--limit", "3", "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)["models"]) == 3
    assert runner.invoke(app, ["best", "--hardware", "Nope GPU"]).exit_code == 2
