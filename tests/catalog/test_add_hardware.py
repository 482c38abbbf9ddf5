"""scripts/add_hardware.py: spec row -> YAML entry -> Hardware, through the catalog's own hardware loader."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from rigfit.catalog.loader import hardware_from_entry, load_hardware

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "rigfit" / "catalog" / "data" / "hardware"
sys.path.insert(0, str(ROOT / "scripts"))
spec = importlib.util.spec_from_file_location("add_hardware", ROOT / "scripts" / "add_hardware.py")
add_hardware = importlib.util.module_from_spec(spec)
spec.loader.exec_module(add_hardware)

ENTRIES = [e for p in sorted(DATA.glob("*.yaml")) for e in yaml.safe_load(p.read_text())["hardware"]]
SPECS = "https://www.nvidia.com/en-us/geforce/graphics-cards/40-series/rtx-4090/ (384-bit, 21 Gbps)"


def _through_yaml(entry: dict[str, Any]) -> dict[str, Any]:
    """As a reviewer pastes the printed text under a data/hardware/*.yaml file's "hardware:"."""
    return yaml.safe_load("hardware:\n" + add_hardware.to_yaml(entry))["hardware"][0]


@pytest.mark.parametrize("e", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_round_trip_gives_the_catalog_entry(e: dict[str, Any]) -> None:
    others = [hw for hw in load_hardware() if hw.name != e["name"]]
    entry = add_hardware.build_entry(e, others)  # also: no other entry answers to its name or aliases
    assert hardware_from_entry(_through_yaml(entry)) == hardware_from_entry(e)


def _row(**kw: Any) -> dict[str, Any]:
    return {"name": "Test GPU 4090X", "vendor": "nvidia", "kind": "gpu", "memory_gib": 24, "bus_width_bits": 384,
            "data_rate_gbps": 21, "tensor_arch": "ada", "tensor_cores": 512, "boost_mhz": 2520,
            "specs_source": SPECS} | kw


def test_rtx_4090_bandwidth_and_tensor_tflops() -> None:
    entry = add_hardware.build_entry(_row())
    # 384 bit x 21 Gb/s / 8 = 1008 GB/s (NVIDIA RTX 4090 page: 1008 GB/s)
    assert entry["bandwidth_gbs"] == 1008
    # 512 tensor cores x 2.52 GHz x 256 FLOP/clk = 330.3 TFLOPS; BF16 half rate on GeForce = 165.2 (Ada whitepaper)
    assert (entry["fp16_tflops"], entry["bf16_tflops"], entry["fp8_tflops"]) == (330.3, 165.2, 330.3)
    assert entry["sources"]["compute"].startswith("derivation: scripts/derive_tensor_tflops.py ada 512 2520")


def test_rtx_3090_published_bandwidth_within_rounding_is_kept() -> None:
    # 384 x 19.5 / 8 = 936.0; NVIDIA publishes 936.2 GB/s (0.02% apart): the published figure stays
    entry = add_hardware.build_entry(_row(data_rate_gbps=19.5, bandwidth_gbs=936.2))
    assert entry["bandwidth_gbs"] == 936.2


def test_apple_fp16_from_cores_and_clock() -> None:
    row = {"name": "Test Apple M1 Max", "vendor": "apple", "kind": "apple", "chip": "M1 Max", "gpu_cores": 32,
           "memory_gib": 64, "bandwidth_gbs": 400, "specs_source": "https://support.apple.com/kb/SP858"}
    # 32 cores x 1.278 GHz x 256 FLOP/clk = 10.47 TFLOPS (Apple: M1 Max "10.4 teraflops")
    assert add_hardware.build_entry(row)["fp16_tflops"] == 10.47


@pytest.mark.parametrize(("kw", "message"), [
    ({"bandwidth_gbs": 1000}, "!= bus_width_bits 384 x data_rate_gbps 21 / 8 = 1008"),
    ({"bus_width_bits": None, "data_rate_gbps": None}, "no bandwidth"),
    ({"specs_source": None}, "need a source"),
    ({"msrp_usd": 1599}, "a price needs a source"),
    ({"fp16_tflops": 300.0}, "disagrees with scripts/derive_tensor_tflops.py"),
    ({"memory_gib": None}, "missing memory_gib"),
])
def test_inconsistent_rows_are_refused(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(add_hardware.RowError, match=message.replace("(", r"\(").replace(".", r"\.")):
        add_hardware.build_entry(_row(**kw))


def test_name_or_alias_clash_with_the_catalog_is_refused() -> None:
    catalog = load_hardware()
    with pytest.raises(add_hardware.RowError, match="'4090' is already 'RTX 4090'"):
        add_hardware.build_entry(_row(aliases=["4090"]), catalog)
    with pytest.raises(add_hardware.RowError, match="is already 'RTX 4090'"):
        add_hardware.build_entry(_row(name="GeForce RTX-4090"), catalog)


def test_cli_prints_yaml_and_refuses_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--name", "Test GPU 4090X", "--vendor", "nvidia", "--kind", "gpu", "--memory-gib", "24",
            "--bus-width-bits", "384", "--data-rate-gbps", "21", "--tensor", "ada", "512", "2520",
            "--specs-source", SPECS, "--set", "year=2022"]
    assert add_hardware.main(args) == 0
    printed = yaml.safe_load("hardware:\n" + capsys.readouterr().out)["hardware"][0]
    assert (printed["bandwidth_gbs"], printed["year"]) == (1008, 2022)
    assert add_hardware.main(args + ["--bandwidth-gbs", "1000"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: Test GPU 4090X: bandwidth_gbs 1000")
