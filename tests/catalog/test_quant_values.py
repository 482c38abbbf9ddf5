"""Quantization values checked against llama.cpp src/llama-quant.cpp and the formats' own definitions."""

import pytest

from rigfit.catalog import find_model, find_quant
from rigfit.estimate.memory import weight_bytes
from rigfit.query import Query, UserError, build_request


@pytest.mark.parametrize(
    ("quant", "embed_bpw"),
    [  # llama_tensor_get_type, token_embd.weight: IQ2_XXS/IQ2_XS/IQ1_S/IQ1_M -> Q2_K; IQ2_S/IQ2_M/IQ3_XXS -> IQ3_S
        ("IQ2_XXS", 2.625), ("IQ2_XS", 2.625), ("IQ1_S", 2.625), ("IQ1_M", 2.625),
        ("IQ2_S", 3.4375), ("IQ2_M", 3.4375), ("IQ3_XXS", 3.4375),
    ],
)
def test_token_embedding_types(quant: str, embed_bpw: float) -> None:
    assert find_quant(quant).embed_bpw == embed_bpw


@pytest.mark.parametrize(
    ("quant", "body_bpw"),
    [  # (ref GiB x 2^30 x 8 - 525,336,576 x embed bpw - 525,336,576 x output bpw) / 6,979,588,096 linear params
        ("IQ2_XXS", 2.1330),  # 2.23 GiB, token_embd Q2_K 2.625, output Q5_K 5.5
        ("IQ2_S", 2.4779),  # 2.56 GiB, token_embd IQ3_S 3.4375, output Q5_K
        ("IQ3_XXS", 3.0687),  # 3.04 GiB, token_embd IQ3_S, output Q5_K
        ("IQ3_XS", 3.2718),  # 3.27 GiB, token_embd IQ3_S (the ftype's default type), output Q6_K 6.5625
    ],
)
def test_derived_linear_bpw_moves_with_the_embedding_type(quant: str, body_bpw: float) -> None:
    assert find_quant(quant).body_bpw == pytest.approx(body_bpw, abs=5e-4)


def test_iq3_xs_token_embedding_is_its_default_type_iq3_s() -> None:
    # llama-quant.cpp: case LLAMA_FTYPE_MOSTLY_IQ3_XS: default_type = GGML_TYPE_IQ3_S; no token_embd override for it
    assert find_quant("IQ3_XS").embed_bpw == 3.4375


def test_gptq_int8_bpw() -> None:
    assert find_quant("GPTQ-INT8").body_bpw == pytest.approx(8 + 16 / 128 + 8 / 128)  # 8.1875


def test_mxfp4_moe_keeps_non_expert_tensors_q8_0() -> None:
    q = find_quant("MXFP4_MOE")
    assert (q.expert_bpw, q.body_bpw, q.embed_bpw, q.output_bpw) == (4.25, 8.5, 8.5, 8.5)
    gptoss = find_quant("MXFP4")
    assert (gptoss.expert_bpw, gptoss.body_bpw) == (4.25, 16.0)


def test_mxfp4_moe_smaller_than_gpt_oss_style_for_a_moe_model() -> None:
    arch = find_model("gpt-oss 120B")
    assert weight_bytes(arch, find_quant("MXFP4_MOE")).total < weight_bytes(arch, find_quant("MXFP4")).total


@pytest.mark.parametrize("quant", ["MXFP4", "MXFP4_MOE"])
def test_mxfp4_refused_for_dense_model(quant: str) -> None:
    with pytest.raises(UserError, match="dense"):
        build_request(Query(model="Llama 3.1 8B", hardware="RTX 3090", quant=quant))


def test_corrected_hardware_values() -> None:
    from rigfit.catalog import find_hardware

    assert find_hardware("RTX 2000 Ada").bandwidth_gbs == 224.0  # NVIDIA datasheet: 128-bit x 14 Gbps / 8
    assert find_hardware("B300").msrp_usd == 45000  # huggingface.js hardware-nvidia.ts


def test_every_apple_entry_has_fp16_tflops() -> None:
    from rigfit.catalog import load_hardware

    apple = [h for h in load_hardware() if h.vendor == "apple"]
    assert apple and all(h.fp16_tflops for h in apple)
    # One measured clock per generation (scripts/derive_apple_tflops.py): M4 family 1.578 GHz (Eclectic Light,
    # Mac mini M4 Pro 20-core GPU under powermetrics). 20 x 1.578 x 256 / 1000 = 8.08; 40 x 1.578 x 256 / 1000 = 16.16.
    m4pro = next(h for h in apple if h.name.startswith("Apple M4 Pro 20-core"))
    m4max = next(h for h in apple if h.name.startswith("Apple M4 Max 40-core"))
    assert m4pro.fp16_tflops == pytest.approx(8.08, abs=0.01)
    assert m4max.fp16_tflops == pytest.approx(16.16, abs=0.01)
    # M5 Pro / M5 Max carry FP16 too (lower bound: the M4-family clock): 20 / 40 cores x 1.578 x 256.
    m5pro = next(h for h in apple if h.name.startswith("Apple M5 Pro 20-core"))
    m5max = next(h for h in apple if h.name.startswith("Apple M5 Max 40-core"))
    assert (m5pro.fp16_tflops, m5max.fp16_tflops) == (pytest.approx(8.08, abs=0.01), pytest.approx(16.16, abs=0.01))


def test_apple_fp16_per_core_rate_is_one_per_generation() -> None:
    """cores x clock x 256: within a generation every chip has the same FP16 rate per GPU core."""
    from collections import defaultdict

    from rigfit.catalog import load_hardware

    per_core: dict[str, list[float]] = defaultdict(list)
    for h in load_hardware():
        if h.vendor == "apple":
            per_core[h.chip.split()[0]].append(h.fp16_tflops / h.gpu_cores)
    expected = {"M1": 1.278, "M2": 1.398, "M3": 1.398, "M4": 1.578, "M5": 1.578}  # GHz; x 256 FLOP/clk/core
    for gen, ghz in expected.items():
        # values are stored to 2 decimals: 0.01 TFLOPS over 7+ cores is < 0.0015 per core
        assert per_core[gen] and all(r == pytest.approx(ghz * 256 / 1000, abs=0.0015) for r in per_core[gen]), gen
