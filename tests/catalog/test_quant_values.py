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
    # 20-core M4 Pro (1.470 GHz) must not out-rate the per-core speed of the 40-core M4 Max (1.678 GHz)
    m4pro = next(h for h in apple if h.name.startswith("Apple M4 Pro 20-core"))
    m4max = next(h for h in apple if h.name.startswith("Apple M4 Max 40-core"))
    assert m4pro.fp16_tflops == pytest.approx(20 * 1.470 * 256 / 1000, abs=0.01)
    assert m4pro.fp16_tflops / 20 < m4max.fp16_tflops / 40
