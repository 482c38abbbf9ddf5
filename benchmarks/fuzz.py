"""Fuzz the input layer in-process: names, numbers, config.json dicts, GGUF headers, CSV rows and web URLs.

Every generated input goes through the same functions the CLI and the API call (`query.build_request`,
`ingest.resolve.model_from_path`, `ingest.hf_config.architecture_from_config`, `validate.predict_*_row`). An input
passes when it returns, or raises the one-line error type of its layer (UserError / ValueError, or the row errors
validate reports per row). Anything else is a crash; an input running over 5 s is a hang. Reported: counts per
kind, each distinct crash (type, code location, one example input), the slowest input and the peak RSS.

    .venv/bin/python benchmarks/fuzz.py                # 100,000+ inputs, a few minutes on 2 cores
    .venv/bin/python benchmarks/fuzz.py --scale 0.05   # a quick look
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import signal
import struct
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

HANG_S = 5.0
CONFIGS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "model-configs"
# meta-llama/Llama-3.1-8B config.json (fields rigfit reads): the seed when ../shared is not present
LLAMA_8B = {"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
            "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
            "max_position_embeddings": 131072, "hidden_act": "silu", "tie_word_embeddings": False}
CONFIG_KEYS = ("num_hidden_layers", "hidden_size", "num_attention_heads", "num_key_value_heads", "head_dim",
               "intermediate_size", "vocab_size", "max_position_embeddings", "sliding_window", "use_sliding_window",
               "sliding_window_pattern", "layer_types", "hybrid_override_pattern", "kv_lora_rank", "qk_rope_head_dim",
               "v_head_dim", "q_lora_rank", "linear_attn_config", "full_attention_interval", "linear_num_value_heads",
               "linear_num_key_heads", "linear_key_head_dim", "linear_value_head_dim", "attn_layer_period",
               "attn_layer_offset", "expert_layer_period", "expert_layer_offset", "num_local_experts", "num_experts",
               "n_routed_experts", "num_experts_per_tok", "moe_intermediate_size", "first_k_dense_replace",
               "decoder_sparse_step", "mlp_only_layers", "n_shared_experts", "shared_expert_intermediate_size",
               "mamba_num_heads", "mamba_head_dim", "ssm_state_size", "mamba_expand", "n_groups", "text_config",
               "attention_chunk_size", "model_type", "hidden_act", "tie_word_embeddings", "multi_query",
               "_name_or_path")
NAME_ALPHABET = "abcXYZ019 .-_/~+x×*[]{}()<>'\"\\%&;|$`\n\r\t\x00\x1b\u200b\u00e9\u4e2d\U0001f600"


class Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:  # noqa: ARG001
    raise Hang()


def rss_mib() -> float:
    # ru_maxrss is KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- generators ---------------------------------------------------------------------------------------------------

def weird_value(rng: random.Random) -> Any:
    choice = rng.randrange(16)
    if choice == 0:
        return rng.choice([0, -1, 1, 2, 3, 7, 10**9, -10**9, 2**31, 2**63, 10**40, -(10**40)])
    if choice == 1:
        return rng.choice([0.0, -0.0, 0.5, 1.5, 1e9, -1e9, 1e308, float("inf"), float("-inf"), float("nan")])
    if choice == 2:
        return rng.choice(["", "x", "32", "-4", "1e9", "nan", "[/x]", "M*-E" * rng.randrange(1, 50), "\x00"])
    if choice == 3:
        return [rng.choice([0, 1, -1, "x", None, 1e9, "full_attention", "mamba"]) for _ in range(rng.randrange(0, 70))]
    if choice == 4:
        return {rng.choice(CONFIG_KEYS): weird_value(rng) for _ in range(rng.randrange(0, 4))}
    if choice == 5:
        return None
    if choice == 6:
        return rng.choice([True, False])
    if choice == 7:
        depth = rng.randrange(1, 3000)
        nested: Any = 1
        for _ in range(depth):
            nested = [nested]
        return nested
    return rng.randrange(-5, 5000)  # plausible-looking numbers, the most likely to pass the bounds


def config_seeds() -> list[dict[str, Any]]:
    seeds = [LLAMA_8B]
    if CONFIGS.exists():
        seeds += [json.loads(p.read_text()) for p in sorted(CONFIGS.glob("*.json"))]
    return seeds


def gen_config(rng: random.Random, seeds: list[dict[str, Any]]) -> dict[str, Any]:
    cfg = dict(rng.choice(seeds))
    for _ in range(rng.randrange(1, 5)):
        op = rng.randrange(5)
        key = rng.choice(CONFIG_KEYS)
        if op == 0:
            cfg.pop(key, None)
        elif op == 1 and isinstance(cfg.get(key), int) and not isinstance(cfg.get(key), bool):
            cfg[key] = cfg[key] + rng.choice([-1, 1, -cfg[key], cfg[key] * 1000])
        elif op == 2 and isinstance(cfg.get("text_config"), dict):
            cfg["text_config"] = {**cfg["text_config"], key: weird_value(rng)}
        else:
            cfg[key] = weird_value(rng)
    return cfg


def gen_name(rng: random.Random, names: list[str]) -> str:
    kind = rng.randrange(8)
    if kind == 0:
        return "".join(rng.choice(NAME_ALPHABET) for _ in range(rng.randrange(0, 40)))
    if kind == 1:
        return rng.choice(["a", "[", "/", "~"]) * rng.choice([199, 200, 201, 255, 256, 300, 4097, 20000])
    base = rng.choice(names)
    if kind == 2:
        i = rng.randrange(len(base) + 1)
        return base[:i] + rng.choice(NAME_ALPHABET) + base[i + 1:]
    if kind == 3:
        return f"{rng.choice([0, 1, 2, 8, 64, 65, 99, 10**30])}x {base}"
    if kind == 4:
        return " + ".join(f"{rng.randrange(1, 99)}x {rng.choice(names)}" for _ in range(rng.randrange(2, 6)))
    if kind == 5:
        return rng.choice(["org/", "a/b", "x/y%0A", "../", "~/", "./"]) + base.replace(" ", "-")
    if kind == 6:
        return base.upper() if rng.random() < 0.5 else base.lower()
    return base


URL_PATHS = ("/can-run/{a}-on-{b}", "/embed/{a}-on-{b}", "/card/{a}-on-{b}.svg", "/models/{a}", "/hardware/{b}",
             "/check?model={a}&hardware={b}", "/api/v1/estimate?model={a}&hardware={b}&{k}={v}",
             "/can-run/{a}-on-{b}?{k}={v}", "/api/v1/matrix?quant={a}&hardware={b}&{k}={v}", "/{a}", "/api/v1/{a}")
URL_KEYS = ("quant", "context", "workload", "mode", "gpus", "kv_type", "host", "runtime", "format", "x", "")
URL_VALUES = ("", "0", "-1", "1e9", "99999999999999999999", "nan", "Q4_K_M", "FP8", "q9", "scale_out", "local",
              "%00", "%0A", "%FF", "<script>", "../../etc/passwd", "a" * 3000)


def gen_url(rng: random.Random, names: list[str]) -> str:
    """A request path with hostile segments and values, percent-encoded or raw."""
    def part() -> str:
        text = gen_name(rng, names) if rng.random() < 0.8 else rng.choice(URL_VALUES)
        return quote(text, safe="") if rng.random() < 0.7 else text.replace(" ", "-")
    return rng.choice(URL_PATHS).format(a=part(), b=part(), k=rng.choice(URL_KEYS),
                                        v=quote(rng.choice(URL_VALUES), safe="%"))


def fuzz_web(rng: random.Random, names: list[str], count: int, tally: "Tally") -> None:
    """URLs through the public web app in-process: an answer of 500 or more is a crash."""
    import asyncio

    import httpx

    os.environ["RIGFIT_PUBLIC"] = "1"
    from rigfit.web.app import create_app

    app = create_app()
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                               base_url="http://fuzz")

    def get(url: str) -> None:
        status = loop.run_until_complete(client.get(url)).status_code
        if status >= 500:
            raise RuntimeError(f"HTTP {status}")

    for _ in range(count):
        url = gen_url(rng, names)
        tally.run("url", lambda u=url: get(u), (httpx.InvalidURL,), lambda u=url: u)
    loop.run_until_complete(client.aclose())
    loop.close()


def gguf_seed(tmp: Path) -> bytes:
    import numpy as np
    import gguf

    path = tmp / "seed.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(2)
    w.add_context_length(2048)
    w.add_embedding_length(64)
    w.add_feed_forward_length(128)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_tensor("token_embd.weight", np.zeros((256, 64), dtype=np.float16))
    for i in range(2):
        w.add_tensor(f"blk.{i}.attn_q.weight", np.zeros((64, 64), dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path.read_bytes()


def gen_gguf(rng: random.Random, seed: bytes) -> bytes:
    data = bytearray(seed)
    kind = rng.randrange(5)
    if kind == 0:  # a forged header: version, tensor count, metadata count
        struct.pack_into("<IQQ", data, 4, rng.choice([0, 1, 2, 3, 4, 2**31]),
                         rng.choice([0, 1, 3, 2**16, 2**16 + 1, 10**12, 2**64 - 1]),
                         rng.choice([0, 1, 6, 2**16 + 1, 10**12, 2**64 - 1]))
    elif kind == 1:  # truncated
        del data[rng.randrange(4, len(data)):]
    elif kind == 2:  # flipped bytes in the metadata region, where counts and lengths live
        for _ in range(rng.randrange(1, 8)):
            i = rng.randrange(4, min(len(data), 600))
            data[i] = rng.randrange(256)
    elif kind == 3:  # a metadata integer rewritten (block_count, head_count, ... are the 4-byte values after keys)
        for key in (b"llama.block_count", b"llama.attention.head_count", b"llama.embedding_length",
                    b"llama.context_length", b"llama.attention.head_count_kv"):
            at = data.find(key)
            if at >= 0 and rng.random() < 0.5:
                struct.pack_into("<I", data, at + len(key) + 4, rng.choice([0, 1, 3, 4097, 10**9, 2**32 - 1]))
    else:  # random bytes after the magic
        data = bytearray(b"GGUF" + rng.randbytes(rng.randrange(0, 200)))
    return bytes(data)


def dumps(obj: Any) -> str:
    """JSON text of a generated config; one nested too deeply for the encoder becomes its bracket text."""
    try:
        return json.dumps(obj, default=str)
    except RecursionError:
        return "[" * 5000 + "]" * 5000


# ---- harness ------------------------------------------------------------------------------------------------------

class Tally:
    def __init__(self) -> None:
        self.count: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.crashes: dict[tuple[str, str, str], tuple[int, str]] = {}
        self.hangs: list[tuple[str, str]] = []
        self.slowest: tuple[float, str, str] = (0.0, "", "")

    def run(self, kind: str, fn: Callable[[], Any], expected: tuple[type[BaseException], ...], shown: Callable[[], str]) -> None:
        self.count[kind] += 1
        signal.setitimer(signal.ITIMER_REAL, HANG_S)
        t = time.perf_counter()
        try:
            fn()
            self.accepted[kind] += 1
        except Hang:
            self.hangs.append((kind, shown()[:160]))
        except expected:
            pass
        except BaseException as exc:  # noqa: BLE001 - every other exception is what we are looking for
            if isinstance(exc, KeyboardInterrupt):
                raise
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if "rigfit" in f.filename]
            where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
            key = (kind, type(exc).__name__, where)
            n, example = self.crashes.get(key, (0, shown()[:160]))
            self.crashes[key] = (n + 1, example)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        dt = time.perf_counter() - t
        if dt > self.slowest[0]:
            self.slowest = (dt, kind, shown()[:80])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the default counts (1.0: 107,000 inputs)")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    counts = {k: max(1, int(v * args.scale)) for k, v in
              {"name": 20_000, "number": 12_000, "config": 50_000, "gguf": 15_000, "csv_row": 5_000,
               "url": 5_000}.items()}

    from rigfit.catalog import load_hardware, load_models, load_quants
    from rigfit.estimate.evaluate import evaluate
    from rigfit.ingest.hf_config import architecture_from_config
    from rigfit.ingest.resolve import model_from_path
    from rigfit.query import Query, UserError, build_request

    signal.signal(signal.SIGALRM, _alarm)
    rng = random.Random(args.seed)
    tally = Tally()
    names = [m.name for m in load_models()] + [h.name for h in load_hardware()] + [q.name for q in load_quants()]
    base = build_request(Query("Llama 3.1 8B", "RTX 3090"))
    start = time.perf_counter()
    rss0 = rss_mib()

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        fifo = tmp / "pipe.json"
        os.mkfifo(fifo)
        specials = ["/dev/zero", "/dev/urandom", str(fifo), "/proc/self/status", str(tmp), str(tmp / "none.gguf")]

        # names: model and hardware as typed (hub ids offline: the fuzz never touches the network)
        for i in range(counts["name"]):
            model = rng.choice(specials) if i % 200 == 0 else gen_name(rng, names)
            hardware = gen_name(rng, names) if rng.random() < 0.7 else "RTX 3090"
            q = Query(model if rng.random() < 0.6 else "Llama 3.1 8B", hardware, offline=True)
            tally.run("name", lambda q=q: build_request(q), (UserError,), lambda q=q: repr((q.model, q.hardware)))

        # numbers and option values
        ints = [None, 0, 1, -1, 2, 64, 65, 4096, 16 * 1024 * 1024, 16 * 1024 * 1024 + 1, 2**31, 2**63, -(2**63), 10**30]
        for _ in range(counts["number"]):
            q = Query("Llama 3.1 8B", rng.choice(["RTX 3090", "RTX 4090", "Apple M2 Ultra 76-core GPU 192GB"]),
                      quant=rng.choice(["Q4_K_M", "Q8_0", "FP8", "MLX-4bit", "q9", ""]),
                      context=rng.choice(ints) if rng.random() < 0.5 else None,
                      gpus=rng.choice(ints) if rng.random() < 0.5 else None,
                      kv_type=rng.choice(["f16", "f16", "q8_0", "q4_0", "x", ""]),
                      workload=rng.choice(["chat", "rag", "coding", "nope"]),
                      mode=rng.choice(["balanced", "scale_out", "interactive", "?"]),
                      host=rng.choice([None, None, "RTX 4090", "Desktop DDR5-5600 dual channel 64GB"]), offline=True)
            tally.run("number", lambda q=q: build_request(q), (UserError,), lambda q=q: repr(q))

        # config.json dicts; an accepted one is also estimated, so the engine sees what the ingest let through
        seeds = config_seeds()
        for i in range(counts["config"]):
            cfg = gen_config(rng, seeds)

            def one_config(cfg: dict[str, Any] = cfg, i: int = i) -> None:
                arch = architecture_from_config(cfg, "fuzz", "fuzz")
                if i % 10 == 0:
                    ev = evaluate(replace(base, arch=arch))
                    if not all(math.isfinite(x) and x >= 0 for x in (ev.decode_tps, ev.need.total)):
                        raise ArithmeticError(f"non-finite or negative estimate {ev.decode_tps} {ev.need.total}")

            tally.run("config", one_config, (ValueError,), lambda cfg=cfg: dumps(cfg)[:400])
        # the same dicts as files, through the path the CLI takes (JSON parse, size bound)
        for i in range(counts["config"] // 10):
            path = tmp / f"c{i % 50}.json"
            text = dumps(gen_config(rng, seeds)) if i % 7 else "[" * rng.randrange(1, 200_000)
            path.write_text(text)
            tally.run("config_file", lambda p=path: model_from_path(str(p)), (ValueError,), lambda t=text: t[:200])

        # GGUF files from a valid tiny file with forged headers, truncation and flipped bytes
        seed = gguf_seed(tmp)
        for i in range(counts["gguf"]):
            data = gen_gguf(rng, seed)
            path = tmp / f"g{i % 50}.gguf"
            path.write_bytes(data)
            tally.run("gguf", lambda p=path: model_from_path(str(p)), (ValueError,), lambda d=data: d[:64].hex())

        # CSV rows through validate's public per-row predictors (validate.py belongs to another change)
        try:
            from rigfit.validate import predict_memory_row, predict_speed_row
        except ImportError:
            predict_speed_row = predict_memory_row = None  # type: ignore[assignment]
        if predict_speed_row is not None:
            # rows shaped like tests/fixtures/speed_sample.csv and ../shared/benchmarks/memory.csv, one or two
            # fields replaced by hostile values
            speed = {"hardware": "RTX 4090", "n_devices": "1", "host": "", "backend": "CUDA", "model": "Llama 3.1 8B",
                     "quant": "Q4_K_M", "model_size_gib": "4.58", "params_b": "8.03", "ngl": "99", "offload": "",
                     "test": "tg512", "tok_s": "130.58"}
            memory = {"model": "Llama 3.1 8B", "quant": "Q4_0", "n_ctx": "512", "type_kv": "f16/f16",
                      "backend": "CUDA", "model_buffer_mib": "4000", "kv_buffer_mib": "64", "n_gpu_layers": "99"}
            values = ["", "1", "-1", "0", "8192", "1e9", "nan", "inf", "x", "[/x]", "a\nb", "Llama 3.1 8B",
                      "RTX 3090", "Q4_K_M", "tg128", "pp512", "pp512 @ d4096", "CPU", "q8_0/q8_0", "1000000000",
                      "999999999999", "x" * 100_000]
            for _ in range(counts["csv_row"]):
                use_speed = rng.random() < 0.5
                row = dict(speed if use_speed else memory)
                for _ in range(rng.randrange(0, 3)):
                    key = rng.choice(list(row))
                    if rng.random() < 0.2:
                        del row[key]
                    else:
                        row[key] = rng.choice(values)
                fn = predict_speed_row if use_speed else predict_memory_row
                tally.run("csv_row", lambda r=row, fn=fn: fn(r), (ValueError, LookupError), lambda r=row: repr(r))

        fuzz_web(rng, names, counts["url"], tally)

    elapsed = time.perf_counter() - start
    total = sum(tally.count.values())
    print(f"rigfit fuzz: {total:,} inputs in {elapsed:.0f} s (seed {args.seed}, python {sys.version.split()[0]})")
    for kind in tally.count:
        print(f"  {kind:12} {tally.count[kind]:>7,} inputs, {tally.accepted[kind]:>7,} accepted, "
              f"{sum(n for (k, _, _), (n, _) in tally.crashes.items() if k == kind):>5,} crashes")
    crashes = sum(n for n, _ in tally.crashes.values())
    print(f"crashes: {crashes:,} ({len(tally.crashes)} distinct)")
    for (kind, exc, where), (n, example) in sorted(tally.crashes.items(), key=lambda kv: -kv[1][0]):
        print(f"  {n:>6,}  {kind:10} {exc:20} {where:28} e.g. {example}")
    print(f"hangs over {HANG_S:g} s: {len(tally.hangs)}")
    for kind, example in tally.hangs[:10]:
        print(f"  {kind}: {example}")
    dt, kind, example = tally.slowest
    print(f"slowest input: {dt * 1000:.0f} ms ({kind}: {example})")
    print(f"peak RSS: {rss_mib():.0f} MiB (after loading the catalog: {rss0:.0f} MiB)")
    return 1 if crashes or tally.hangs else 0


if __name__ == "__main__":
    sys.exit(main())
