"""Sentences for the estimate layer's codes (explain.Note): the one place rigfit words a decision.

Every number a sentence shows is one of the note's values, written by rigfit/format.py (the functions the tables
use), so the sentence and the figures never disagree, not even in their rounding.
"""

from __future__ import annotations

from typing import Callable

from rigfit import format as fmt
from rigfit.estimate.explain import Note

# The labels live with the formatter (one table for CLI, pages and sentences); re-exported for older imports.
STRATEGY_LABELS = fmt.STRATEGY_LABELS
STATUS_LABELS = fmt.FIT_LABELS
VERDICT_LABELS = fmt.VERDICT_LABELS

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


G, T, S = fmt.gib, fmt.tps, fmt.seconds


def _tok(n: int) -> str:
    return f"{fmt.tokens(n)} tokens"


_SENTENCES: dict[str, Callable[[dict], str]] = {
    "capacity": lambda v: (f"The model needs {G(v['need_gib'])} at {_tok(v['context'])} of context; "
                           f"the hardware lets it use {G(v['have_gib'])}."),
    "host_ram": lambda v: (f"Offloading needs {G(v['host_need_gib'])} of host RAM; the host has "
                           f"{G(v['host_have_gib'])} usable."),
    "host_bandwidth": lambda v: (f"{fmt.pct(v['offload_percent'])} of the weights ({_offloaded(v)}, "
                                 f"{G(v['host_weights_gib'])}) stay in host RAM, read at host-memory bandwidth "
                                 "for every token."),
    "compute": lambda v: (f"Prefill runs at {T(v['prefill_tps'])} tok/s, so a prompt of {_tok(v['prompt_tokens'])} "
                          f"waits {S(v['ttft_s'])} before the first token."),
    "bandwidth": lambda v: (f"Every generated token reads about {fmt.gb(v['gb_per_token'])}; at "
                            f"{fmt.gbs(v['bandwidth_gbs'])} that caps decode at {T(v['roofline_tps'])} tok/s. A token "
                            f"takes {fmt.ms(v['token_ms'])}: {fmt.ms(v['stream_ms'])} streaming those bytes (kernels "
                            f"reach {fmt.pct(v['efficiency_percent'])} of the bandwidth), {fmt.ms(v['fixed_ms'])} of "
                            f"fixed cost over {v['layers']} layers and {fmt.ms(v['other_ms'])} of attention and other "
                            f"work: {T(v['decode_tps'])} tok/s."),
    "more_memory_or_smaller_quant": lambda v: (f"About {G(v['short_gib'])} more memory (see the upgrade options), "
                                               "or a lower-bit quantization that fits."),
    "more_host_ram_or_vram": lambda v: (f"About {G(v['short_gib'])} more system RAM, or more VRAM, holds the part "
                                        "of the model that does not fit on the GPU (the host profile sets the RAM)."),
    "more_vram": lambda v: f"About {G(v['extra_vram_gib'])} more device memory puts everything on the accelerator.",
    "more_compute_or_prompt_cache": lambda v: ("A GPU with more tensor throughput, or reusing cached prompt prefixes, "
                                               "cuts time to first token."),
    "faster_memory_or_fewer_bytes": lambda v: ("Hardware with more bandwidth, a smaller quantization, or a MoE model with "
                                               "fewer active parameters."),
    # advice
    "best_quant": lambda v: (f"{v['quant']} is the best quantization here: "
                             + (f"the fastest of the highest-quality quants that reach the workload's targets "
                                f"({T(v['decode_tps'])} tok/s of {T(v['target_tps'])}, first token in "
                                f"{S(v['ttft_s'])} of {S(v['target_ttft_s'])}; grade {v['letter']})."
                                if v["rule"] == "meets_target" else
                                f"no quant of acceptable quality reaches the workload's {T(v['target_tps'])} tok/s "
                                f"and {S(v['target_ttft_s'])} to the first token; it is the fastest "
                                f"({T(v['decode_tps'])} tok/s, grade {v['letter']}).")),
    "expert_offload": lambda v: (f"Keep the routed experts of the first {v['cpu_moe_layers']} layers in host RAM "
                                 f"(--n-cpu-moe {v['cpu_moe_layers']}) and everything else on the GPU: only the experts "
                                 "a token is routed to are read from host RAM."),
    "layer_offload": lambda v: (f"Offload {v['gpu_layers']} of {v['layers']} layers to the GPU (-ngl {v['gpu_layers']}); "
                                "the rest runs on the CPU."),
    "kv_q8": lambda v: (f"A q8_0 KV cache (-ctk q8_0 -ctv q8_0) saves {G(v['saved_gib'])} of the "
                        f"{G(v['kv_gib'])} cache with negligible quality loss."),
    "context_on_device": lambda v: ((f"Contexts up to {_tok(v['max_context_on_device'])} run entirely on the "
                                     f"accelerator; up to {fmt.tokens(v['max_context'])} run with offload.")
                                    if v["max_context_on_device"] else
                                    (f"No context runs entirely on the accelerator; up to {_tok(v['max_context'])} "
                                     "run with part of the model in host RAM.")),
    "tight": lambda v: "It fits only by using the 1 GiB llama.cpp normally keeps free: close other GPU applications.",
    "apple_wired_limit": lambda v: ("macOS caps GPU memory at about 3/4 of RAM by default; "
                                    "`sudo sysctl iogpu.wired_limit_mb=<MB>` raises it."),
    # upgrade reasons
    "makes_it_fit": lambda v: "Makes the model fit, where the current hardware cannot run it at all.",
    "no_offload": lambda v: "Holds the whole model in device memory: no host-RAM offload.",
    "faster_decode": lambda v: f"{fmt.ratio(v['ratio'])} the decode speed ({T(v['decode_tps'])} tok/s).",
    "more_bandwidth": lambda v: f"{fmt.ratio(v['ratio'])} the memory bandwidth, which sets decode speed.",
    "longer_context_on_device": lambda v: (f"Runs {_tok(v['max_context_on_device'])} of context on the device "
                                           f"(now {fmt.tokens(v['now'])})."),
    # quant rows that cannot run
    "needs_memory_no_offload": lambda v: (f"Needs {G(v['need_gib'])} of {G(v['have_gib'])}, and {v['runtime']} "
                                          "cannot offload to host RAM."),
    "needs_host_ram": lambda v: (f"Offload needs {G(v['host_need_gib'])} of host RAM; the host has "
                                 f"{G(v['host_have_gib'])} usable."),
    "needs_memory": lambda v: f"Needs {G(v['need_gib'])} of {G(v['have_gib'])}.",
}


def title(note: Note) -> str:
    return _TITLES.get(note.code, note.code.replace("_", " ").capitalize())


def sentence(note: Note) -> str:
    return _SENTENCES[note.code](note.as_dict)


def note_dict(note: Note) -> dict:
    return {"code": note.code, "values": {k: (round(v, 3) if isinstance(v, float) else v) for k, v in note.values},
            "text": sentence(note)}
