"""Two llama.cpp terms the unseen DGX Spark rows (benchmarks/data/dgx_spark.csv) showed missing: the measured read
bandwidth of LPDDR5X unified memory, and which MXFP4 file layout a row ran (llama-bench prints "MXFP4 MoE" for both)."""

from __future__ import annotations

import pytest

from rigfit.catalog import find_hardware, find_model
from rigfit.estimate.memory import weight_bytes
from rigfit.estimate.speed import stream_bandwidth
from rigfit.model.hardware import GIB
from rigfit.validate import row_quant


def test_dgx_spark_streams_at_its_measured_read_bandwidth():
    # antirez/ds4#773: a saturating read kernel on GB10 measures 231-234 GB/s; the spec peak is 273 GB/s
    hw = find_hardware("DGX Spark")
    assert hw.bandwidth_gbs == 273.0
    assert stream_bandwidth(hw) == pytest.approx(232e9)


def test_parts_without_a_measured_read_bandwidth_stream_from_the_spec_figure():
    hw = find_hardware("RTX 4090")  # 384-bit GDDR6X at 21 Gbps = 1008 GB/s
    assert hw.read_bandwidth_gbs is None
    assert stream_bandwidth(hw) == pytest.approx(1008e9)


@pytest.mark.parametrize(("printed_gib", "layout"), [
    # ggml-org/llama.cpp benches/dgx-spark.md: "gpt-oss 20B MXFP4 MoE | 11.27 GiB" (non-expert tensors Q8_0)
    (11.27, "MXFP4_MOE"),
    # lhl/strix-halo-testing gpt-oss-20b-F16 rows: "12.83 GiB" (non-expert tensors BF16)
    (12.83, "MXFP4"),
])
def test_the_printed_size_picks_the_mxfp4_layout(printed_gib, layout):
    arch = find_model("gpt-oss 20B")
    q = row_quant({"quant": "MXFP4", "model_size_gib": str(printed_gib)}, arch)
    assert q.name == layout
    # experts 24 x 32 x 3 x 2880 x 2880 = 19.1 B weights at 4.25 bpw = 10.15 GB; the other ~1.8 B weights at
    # 8.5 bpw (Q8_0) = 1.9 GB -> 12.05 GB = 11.2 GiB, or at 16 bpw (BF16) = 3.6 GB -> 13.75 GB = 12.8 GiB
    assert weight_bytes(arch, q).total / GIB == pytest.approx(printed_gib, rel=0.02)


def test_without_a_printed_size_the_named_quant_stands():
    arch = find_model("gpt-oss 20B")
    assert row_quant({"quant": "MXFP4"}, arch).name == "MXFP4"
    assert row_quant({"quant": "Q4_K_M", "model_size_gib": "11.27"}, arch).name == "Q4_K_M"
