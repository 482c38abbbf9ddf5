"""Run commands carry the placement's flags."""

from __future__ import annotations

from conftest import gpu, host_ram, kimi_linear, llama31_8b
from rigfit.catalog import find_quant
from rigfit.estimate.commands import run_commands
from rigfit.estimate.fit import place
from rigfit.model import Scenario


def test_expert_offload_command_has_n_cpu_moe():
    arch, hw = kimi_linear(), gpu(24)
    s = Scenario(quant=find_quant("Q4_K_M"), context=32768, host=host_ram())
    p = place(arch, hw, s)
    cmd = run_commands(arch, hw, s.quant, 32768, "f16", p)["llama.cpp"]
    assert f"--n-cpu-moe {p.cpu_moe_layers}" in cmd and "-ngl 99" in cmd and "-c 32768" in cmd


def test_layer_offload_command_has_ngl_and_kv_type():
    arch, hw = llama31_8b(), gpu(4)
    s = Scenario(quant=find_quant("Q4_K_M"), context=8192, kv_type="q8_0", host=host_ram())
    p = place(arch, hw, s)
    cmd = run_commands(arch, hw, s.quant, 8192, "q8_0", p)["llama.cpp"]
    assert f"-ngl {p.gpu_layers}" in cmd and "-ctk q8_0 -ctv q8_0" in cmd
    assert "--n-cpu-moe" not in cmd


def test_multi_gpu_split_and_vllm_tensor_parallel():
    arch = llama31_8b()
    hw = gpu(24).with_count(2)
    arch = arch.__class__(**{**arch.__dict__, "hf_repo": "meta-llama/Llama-3.1-8B-Instruct"})
    s = Scenario(quant=find_quant("FP8"), context=8192, host=host_ram())
    cmds = run_commands(arch, hw, s.quant, 8192, "f16", place(arch, hw, s))
    assert "--tensor-parallel-size 2" in cmds["vllm"] and "--max-model-len 8192" in cmds["vllm"]
    s2 = Scenario(quant=find_quant("Q4_K_M"), context=8192, host=host_ram())
    assert "--tensor-split 1,1" in run_commands(arch, hw, s2.quant, 8192, "f16", place(arch, hw, s2))["llama.cpp"]


def test_commands_say_where_the_files_come_from():
    from rigfit.catalog import find_model, find_quant
    from rigfit.estimate.commands import model_sources

    arch = find_model("Llama 3.1 8B")
    src = model_sources(arch, find_quant("Q4_K_M"))
    # no verified GGUF repository in the catalog: a hub search for GGUF files of the model, and its own checkpoint
    assert src["gguf"] == "https://huggingface.co/models?library=gguf&search=Llama-3.1-8B"
    assert src["checkpoint"] == f"https://huggingface.co/{arch.hf_repo}"
    assert "gguf" not in model_sources(arch, find_quant("FP8"))
