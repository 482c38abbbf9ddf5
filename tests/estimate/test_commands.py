"""Run commands carry the placement's flags."""

from __future__ import annotations

from conftest import gpu, host_ram, kimi_linear, llama31_8b
from rigfit.catalog import find_quant
from rigfit.estimate.commands import run_commands
from rigfit.estimate.fit import place
from rigfit.model import Hardware, Scenario


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
    # no verified repository passed: a hub search for GGUF files of the model, and its own checkpoint
    assert src["gguf"] == "https://huggingface.co/models?library=gguf&search=Llama-3.1-8B"
    assert src["checkpoint"] == f"https://huggingface.co/{arch.hf_repo}"
    assert "gguf" not in model_sources(arch, find_quant("FP8"))
    # a verified one (catalog/data/repos.yaml): its page
    repos = {"gguf": "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"}
    assert model_sources(arch, find_quant("Q4_K_M"), repos)["gguf"] == \
        "https://huggingface.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"


REPOS = {"gguf": "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", "MLX-4bit": "mlx-community/Meta-Llama-3.1-8B-Instruct-4bit",
         "AWQ-INT4": "hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4"}


def test_verified_repositories_give_hf_forms():
    arch, hw = llama31_8b(), gpu(24)
    s = Scenario(quant=find_quant("Q4_K_M"), context=8192, host=host_ram())
    cmds = run_commands(arch, hw, s.quant, 8192, "f16", place(arch, hw, s), repos=REPOS)
    assert cmds["llama.cpp"].startswith("llama-server -hf bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M -c 8192")
    assert "FROM hf.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M\\n" in cmds["ollama"]
    awq = Scenario(quant=find_quant("AWQ-INT4"), context=8192, host=host_ram())
    vllm = run_commands(arch, hw, awq.quant, 8192, "f16", place(arch, hw, awq), repos=REPOS)["vllm"]
    assert vllm == ("vllm serve hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4 --max-model-len 8192 "
                    "--gpu-memory-utilization 0.90")


def test_awq_without_a_verified_repository_has_no_vllm_command():
    # serving the BF16 checkpoint would not be the AWQ quant the page estimates
    arch, hw = llama31_8b(), gpu(24)
    arch = arch.__class__(**{**arch.__dict__, "hf_repo": "meta-llama/Llama-3.1-8B"})
    awq = Scenario(quant=find_quant("AWQ-INT4"), context=8192, host=host_ram())
    assert "vllm" not in run_commands(arch, hw, awq.quant, 8192, "f16", place(arch, hw, awq))
    from rigfit.estimate.commands import model_sources
    assert model_sources(arch, awq.quant)["awq"] == "https://huggingface.co/models?search=Llama-3.1-8B+awq"


def test_mlx_server_on_a_verified_mlx_checkpoint():
    arch = llama31_8b()
    # Apple M4 Max 36GB figures are not what is tested: only the vendor picks the MLX command
    mac = Hardware(name="Test Mac", vendor="apple", kind="apple", memory_gib=36, bandwidth_gbs=546, fp16_tflops=34,
                   unified=True)
    s = Scenario(quant=find_quant("MLX-4bit"), context=8192, host=host_ram())
    cmds = run_commands(arch, mac, s.quant, 8192, "f16", place(arch, mac, s), repos=REPOS)
    assert cmds == {"mlx": "mlx_lm.server --model mlx-community/Meta-Llama-3.1-8B-Instruct-4bit"}


def test_report_offers_vllm_on_a_verified_4bit_checkpoint_where_it_fits():
    """Kimi Linear 48B A3B on one RTX PRO 4500 Blackwell (32 GB): FP8 (~49 GB of weights) cannot fit, the verified
    NVFP4 checkpoint (4.5 bpw, ~27 GiB) does and Blackwell runs NVFP4 natively; on an RTX 3090 (24 GB, Ampere) no
    vLLM format fits, so no vLLM command is shown."""
    from rigfit.output import report_dict
    from rigfit.query import Query, run_query

    d = report_dict(run_query(Query("Kimi Linear 48B A3B", "RTX PRO 4500 Blackwell")))
    assert d["commands"]["vllm"].startswith("vllm serve Firworks/Kimi-Linear-48B-A3B-Instruct-nvfp4 --max-model-len")
    assert d["sources"]["vllm"] == "https://huggingface.co/Firworks/Kimi-Linear-48B-A3B-Instruct-nvfp4"
    assert d["commands"]["llama.cpp"].startswith(
        "llama-server -hf bartowski/moonshotai_Kimi-Linear-48B-A3B-Instruct-GGUF:Q4_K_M ")
    assert {x["format"] for x in d["downloads"]} == {"gguf", "AWQ-INT4", "NVFP4"}
    assert "vllm" not in report_dict(run_query(Query("Kimi Linear 48B A3B", "RTX 3090")))["commands"]
