"""Two kernel paths the llama.cpp scoreboard rows (benchmarks/data/llamacpp_scoreboard.csv) showed missing:
Vulkan on NVIDIA GPUs runs on the CUDA constants of the generation (speed.constants_backend), and the DP4A Pascal
chips multiply block-quantized weights with int8 dot products (speed.matrix_tflops). Expected values by hand."""
from __future__ import annotations

import pytest

from rigfit.catalog import find_hardware, find_model, find_quant
from rigfit.estimate import speed
from rigfit.estimate.fit import placement_for
from rigfit.model import Scenario


@pytest.mark.parametrize("backend, arch_key, expected", [
    ("Vulkan", "ada", "CUDA"),            # RTX 40: NV_coopmat2 tensor-core matmuls
    ("Vulkan", "ampere_hbm", "CUDA"),     # the HBM suffix of efficiency_key does not change the vendor
    ("Vulkan", "pascal", "CUDA"),
    ("Vulkan", "rdna3", "Vulkan"),        # AMD keeps the Vulkan constants
    ("Vulkan", "rdna3_5", "Vulkan"),
    ("Vulkan", "battlemage", "Vulkan"),   # Intel too
    ("CUDA", "ada", "CUDA"),
    ("ROCm", "rdna3", "ROCm"),
])
def test_constants_backend(backend, arch_key, expected):
    assert speed.constants_backend(backend, arch_key) == expected


def test_vulkan_on_nvidia_takes_the_cuda_generation_constants():
    assert speed.efficiency("Vulkan", "ada") == speed.efficiency("CUDA", "ada")
    assert speed.efficiency("Vulkan", "volta_hbm") == speed.efficiency("CUDA")  # no CUDA/volta_hbm key: generic CUDA
    assert speed.efficiency("Vulkan", "rdna3_5") == speed._constants()[0]["Vulkan/rdna3_5"]


def test_vulkan_and_cuda_predict_the_same_on_an_nvidia_card():
    arch, hw, q = find_model("Llama 2 7B"), find_hardware("RTX 4070 Ti"), find_quant("Q4_0")
    s = Scenario(quant=q, context=640)
    p = placement_for(arch, hw, s, arch.num_layers + 1, 0)
    for fn in (speed.prefill_tokens_per_s,):
        assert fn(arch, hw, s, p, 512, 0, "Vulkan") == fn(arch, hw, s, p, 512, 0, "CUDA")
    assert speed.decode_step(arch, hw, s, p, 64, "Vulkan").seconds == speed.decode_step(arch, hw, s, p, 64, "CUDA").seconds


@pytest.mark.parametrize("hardware, quant, expected", [
    # P40 (GP102): FP32 11.76 TFLOPS (catalog), int8 DP4A 4 x 11.76 = 47.04 TOPS (datasheet: 47), in FP16-tensor
    # units (int8 MMA runs at 2x FP16 on tensor-core GPUs) 47.04 / 2 = 23.52
    ("Tesla P40", "Q4_0", 23.52),
    ("Tesla P40", "Q4_K_M", 23.52),
    ("GTX 1080 Ti", "Q8_0", 22.68),        # GP102: 11.34 x 4 / 2
    ("GTX 1060 6GB", "Q4_0", 8.74),        # GP106: 4.37 x 4 / 2
    ("Tesla P40", "F16", 11.76),           # unquantized weights: no int8 path, the FP32 rate
    ("Tesla P100 16GB", "Q4_0", 18.7),     # GP100 is compute capability 6.0: no DP4A, its FP16 rate
    ("RTX 4090", "Q4_0", 330.3),           # tensor-core GPUs keep their FP16 tensor rate
])
def test_matrix_tflops_of_dp4a_pascal_chips(hardware, quant, expected):
    assert speed.matrix_tflops(find_hardware(hardware), find_quant(quant)) == pytest.approx(expected)
