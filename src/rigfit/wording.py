"""Sentences for the estimate layer's codes (explain.Note): the one place rigfit words a decision.

Every number a sentence shows is one of the note's values, so the sentence and the figures never disagree.
"""

from __future__ import annotations

from typing import Callable

from rigfit.estimate.explain import Note

STRATEGY_LABELS = {
    "full_gpu": "All on the accelerator",
    "expert_offload": "Experts in host RAM (--n-cpu-moe)",
    "layer_offload": "Layers in host RAM (-ngl)",
    "cpu_only": "CPU and system RAM",
    "wont_fit": "Does not fit",
}
STATUS_LABELS = {"fits": "Fits", "tight": "Tight fit", "offload": "Runs with offload", "no_fit": "Won't run",
                 "unsupported": "Not supported"}
VERDICT_LABELS = {"yes": "Yes", "yes_with_offload": "Yes, with offload", "runs_too_slow": "Runs, but too slowly",
                  "no": "No"}

_TITLES = {
    "capacity": "Not enough usable memory",
    "host_ram": "Not enough host RAM for the offloaded part",
    "host_bandwidth": "Part of the model runs from host RAM",
    "compute": "Prompt processing (compute)",
    "bandwidth": "Memory bandwidth",
    "more_memory_or_smaller_quant": "More memory, or a smaller quantization",
    "more_host_ram_or_vram": "More system RAM or more VRAM",
    "more_vram": "More VRAM",
    "more_compute_or_prompt_cache": "More compute or prompt caching",
    "faster_memory_or_fewer_bytes": "Faster memory or fewer bytes per token",
}


def _offloaded(v: dict) -> str:
    if v["strategy"] == "expert_offload":
        return f"routed experts of the first {v['cpu_moe_layers']} layers"
    return f"{v['layers_on_host']} of {v['layers']} layers"


_SENTENCES: dict[str, Callable[[dict], str]] = {
    "capacity": lambda v: (f"The model needs {v['need_gib']:.1f} GiB at {v['context']:,} tokens of context; "
                           f"the hardware lets it use {v['have_gib']:.1f} GiB."),
    "host_ram": lambda v: (f"Offloading needs {v['host_need_gib']:.1f} GiB of host RAM; the host has "
                           f"{v['host_have_gib']:.1f} GiB usable."),
    "host_bandwidth": lambda v: (f"{v['offload_percent']:.0f}% of the weights ({_offloaded(v)}, "
                                 f"{v['host_weights_gib']:.1f} GiB) stay in host RAM, read at host-memory bandwidth "
                                 "for every token."),
    "compute": lambda v: (f"Prefill runs at {v['prefill_tps']:,.0f} tok/s, so a {v['prompt_tokens']:,}-token prompt "
                          f"waits {v['ttft_s']:.1f} s before the first token."),
    "bandwidth": lambda v: (f"Every generated token reads about {v['gb_per_token']:.2f} GB; at {v['bandwidth_gbs']:,.0f} GB/s "
                            f"that caps decode at {v['roofline_tps']:,.0f} tok/s. A token takes {v['token_ms']:.2f} ms: "
                            f"{v['stream_ms']:.2f} ms streaming those bytes (kernels reach "
                            f"{v['efficiency_percent']:.0f}% of the bandwidth), {v['fixed_ms']:.2f} ms of fixed cost "
                            f"over {v['layers']} layers and {v['other_ms']:.2f} ms of attention and other work: "
                            f"{v['decode_tps']:,.1f} tok/s."),
    "more_memory_or_smaller_quant": lambda v: (f"About {v['short_gib']:.1f} GiB more memory (see the upgrade options), "
                                               "or a lower-bit quantization that fits."),
    "more_host_ram_or_vram": lambda v: (f"About {v['short_gib']:.1f} GiB more system RAM, or more VRAM, holds the part "
                                        "of the model that does not fit on the GPU (the host profile sets the RAM)."),
    "more_vram": lambda v: f"About {v['extra_vram_gib']:.1f} GiB more device memory puts everything on the accelerator.",
    "more_compute_or_prompt_cache": lambda v: ("A GPU with more tensor throughput, or reusing cached prompt prefixes, "
                                               "cuts time to first token."),
    "faster_memory_or_fewer_bytes": lambda v: ("Hardware with more bandwidth, a smaller quantization, or a MoE model with "
                                               "fewer active parameters."),
    # advice
    "best_quant": lambda v: (f"{v['quant']} is the best quantization here: "
                             + (f"the fastest of the highest-quality quants that reach the workload's targets "
                                f"({v['decode_tps']:.1f} tok/s of {v['target_tps']:.0f}, first token in "
                                f"{v['ttft_s']:.1f} s of {v['target_ttft_s']:.0f}; grade {v['letter']})."
                                if v["rule"] == "meets_target" else
                                f"no quant of acceptable quality reaches the workload's {v['target_tps']:.0f} tok/s "
                                f"and {v['target_ttft_s']:.0f} s to the first token; it is the fastest "
                                f"({v['decode_tps']:.1f} tok/s, grade {v['letter']}).")),
    "expert_offload": lambda v: (f"Keep the routed experts of the first {v['cpu_moe_layers']} layers in host RAM "
                                 f"(--n-cpu-moe {v['cpu_moe_layers']}) and everything else on the GPU: only the experts "
                                 "a token is routed to are read from host RAM."),
    "layer_offload": lambda v: (f"Offload {v['gpu_layers']} of {v['layers']} layers to the GPU (-ngl {v['gpu_layers']}); "
                                "the rest runs on the CPU."),
    "kv_q8": lambda v: (f"A q8_0 KV cache (-ctk q8_0 -ctv q8_0) saves {v['saved_gib']:.1f} GiB of the "
                        f"{v['kv_gib']:.1f} GiB cache with negligible quality loss."),
    "context_on_device": lambda v: ((f"Contexts up to {v['max_context_on_device']:,} tokens run entirely on the "
                                     f"accelerator; up to {v['max_context']:,} run with offload.")
                                    if v["max_context_on_device"] else
                                    (f"No context runs entirely on the accelerator; up to {v['max_context']:,} tokens "
                                     "run with part of the model in host RAM.")),
    "tight": lambda v: "It fits only by using the 1 GiB llama.cpp normally keeps free: close other GPU applications.",
    "apple_wired_limit": lambda v: ("macOS caps GPU memory at about 3/4 of RAM by default; "
                                    "`sudo sysctl iogpu.wired_limit_mb=<MB>` raises it."),
    # upgrade reasons
    "makes_it_fit": lambda v: "Makes the model fit, where the current hardware cannot run it at all.",
    "no_offload": lambda v: "Holds the whole model in device memory: no host-RAM offload.",
    "faster_decode": lambda v: f"{v['ratio']:.1f}× the decode speed ({v['decode_tps']:.1f} tok/s).",
    "more_bandwidth": lambda v: f"{v['ratio']:.1f}× the memory bandwidth, which sets decode speed.",
    "longer_context_on_device": lambda v: (f"Runs {v['max_context_on_device']:,} tokens of context on the device "
                                           f"(now {v['now']:,})."),
    # quant rows that cannot run
    "needs_memory_no_offload": lambda v: (f"Needs {v['need_gib']:.1f} GiB of {v['have_gib']:.1f} GiB, and {v['runtime']} "
                                          "cannot offload to host RAM."),
    "needs_host_ram": lambda v: (f"Offload needs {v['host_need_gib']:.1f} GiB of host RAM; the host has "
                                 f"{v['host_have_gib']:.1f} GiB usable."),
    "needs_memory": lambda v: f"Needs {v['need_gib']:.1f} GiB of {v['have_gib']:.1f} GiB.",
}


def title(note: Note) -> str:
    return _TITLES.get(note.code, note.code.replace("_", " ").capitalize())


def sentence(note: Note) -> str:
    return _SENTENCES[note.code](note.as_dict)


def note_dict(note: Note) -> dict:
    return {"code": note.code, "values": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in note.values},
            "text": sentence(note)}
