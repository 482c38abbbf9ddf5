"""rigfit's command line: Typer + Rich over the one engine. Every command also has --json."""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

import typer
from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rigfit import format as fmt
from rigfit.catalog import CatalogError, load_hardware, load_models, load_quants
from rigfit.output import hardware_dict, model_dict, quant_dict, report_dict
from rigfit.query import Query, UserError, run_query

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Will this LLM run on this hardware, and how well?")
console = Console()
err = Console(stderr=True)

GRADE_STYLE = {"S": "bold magenta", "A": "bold green", "B": "green", "C": "yellow", "D": "dark_orange", "F": "bold red"}


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def table(title: str, columns: tuple[str, ...], left: tuple[str, ...] = ()) -> Table:
    """A table readable at 80 columns: light borders, no padding at the edges, headers never cut (each column at
    least as wide as its header's longest word, numbers never wrapped)."""
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for c in columns:
        # two-word headers stack ("Decode" over "tok/s"), so numbers keep narrow columns
        t.add_column(c.replace(" ", "\n") if c not in left else c, justify="left" if c in left else "right",
                     min_width=max(len(w) for w in c.split()), no_wrap=c not in left or c in ("Quant", "Fit"))
    return t


def grade_text(letter: str, score: float | None = None) -> Text:
    label = f"{letter}{'' if score is None else f' {score:.0f}'}"
    return Text(label, style=GRADE_STYLE.get(letter, ""))


tps = fmt.tps
ctx_label = fmt.tokens


@app.command()
def check(
    model: str = typer.Argument(..., help="Model name from the catalog, e.g. 'Kimi Linear 48B A3B'"),
    hardware: str = typer.Argument(..., help="Hardware name, e.g. 'RTX 3090' or '2x RTX 4090'"),
    quant: str = typer.Option("Q4_K_M", "--quant", "-q", help="Quantization (see `rigfit quants`)"),
    context: Optional[int] = typer.Option(None, "--context", "-c", help="Context tokens (default: the workload's)"),
    workload: str = typer.Option("chat", "--workload", "-w", help="chat | coding | agentic_coding | reasoning | rag"),
    mode: str = typer.Option("balanced", "--mode", "-m", help="interactive | balanced | light_api | scale_out"),
    gpus: Optional[int] = typer.Option(None, "--gpus", "-g", help="Number of identical GPUs"),
    kv_type: str = typer.Option("f16", "--kv-type", help="KV cache type: f16 | q8_0 | q4_0 | ..."),
    host: Optional[str] = typer.Option(None, "--host", help="Host CPU/RAM profile for offload (catalog cpu entry)"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object"),
    offline: bool = typer.Option(False, "--offline", help="Hugging Face repos from the local cache only"),
) -> None:
    """Everything about one model on one piece of hardware.

    MODEL is a catalog name, a Hugging Face repo id (org/name), a config.json or a .gguf file; HARDWARE a catalog
    name, "2x NAME", "NAME + NAME", or local (this machine).
    """
    try:
        rep = run_query(Query(model, hardware, quant, context, workload, mode, gpus, kv_type, host, offline=offline))
    except UserError as exc:
        fail(str(exc))
        return
    data = report_dict(rep)
    if as_json:
        emit_json(data)
        return
    render_check(data)


def render_check(d: dict[str, Any]) -> None:
    m, h, s = d["model"], d["hardware"], d["settings"]
    mem, place, speed = d["memory"], d["placement"], d["speed"]
    verdict = {"yes": "YES", "yes_with_offload": "YES, with offload", "no": "NO"}[d["verdict"]]
    style = {"yes": "green", "yes_with_offload": "yellow", "no": "red"}[d["verdict"]]
    head = Text.assemble(
        (f"Can {m['name']} run on {h['display_name']}?  ", "bold"), (verdict, f"bold {style}"), "   ",
        grade_text(d["grade"], d["score"]),
    )
    summary = (
        f"{s['quant']} at {s['context']:,} tokens needs {mem['total_gib']:.1f} GiB; {h['display_name']} has "
        f"{h['memory_gib'] * h['count']:.1f} GiB ({mem['available_gib']:.1f} usable). "
        f"{place['label']}" + (f", {place['offload_percent']:.0f}% of weights in host RAM" if place['offload_percent'] else "")
        + f". Backend {s['backend']}, workload {fmt.label(s['workload'])}, mode {fmt.label(s['mode'])}."
    )
    console.print(Panel(Text.assemble(head, "\n", summary), expand=False))

    key = Table.grid(padding=(0, 3))
    key.add_row("Decode", "TTFT", "Prefill", "Safe context", "Memory", "Offload")
    lo, hi = speed["decode_likely_tps"]
    key.add_row(
        f"[bold]{tps(speed['decode_tps'])}[/] tok/s (likely {tps(lo)}–{tps(hi)})", f"[bold]{speed['ttft_s']:.2f}[/] s",
        f"{tps(speed['prefill_tps'])} tok/s", f"[bold]{ctx_label(d['safe_context']['power_of_two'])}[/] "
        f"({d['safe_context']['exact']:,})", f"{mem['total_gib']:.1f} / {mem['available_gib']:.1f} GiB",
        f"{place['offload_percent']:.0f}%",
    )
    console.print(key)
    for kind, m in d.get("measured", {}).items():
        console.print(f"[green]Measured[/] {kind}: {m['tok_s']:,.1f} tok/s ({m['test']}, {m['source']})", highlight=False)

    parts = [("Weights", mem["weights_gib"], "cyan"), ("KV cache", mem["kv_cache_gib"], "magenta"),
             ("State", mem["recurrent_state_gib"], "blue"), ("Compute", mem["compute_buffer_gib"], "yellow"),
             ("Runtime", mem["runtime_overhead_gib"], "white"), ("Headroom", mem["headroom_gib"], "grey50")]
    total = max(mem["total_gib"], mem["available_gib"], 1e-9)
    width = 60
    bar = Text()
    for _, v, color in parts:
        bar.append("█" * int(round(v / total * width)), style=color)
    bar.append("·" * max(0, width - len(bar.plain)), style="grey37")
    console.print(Text("Memory  ") + bar)
    console.print("        " + "  ".join(f"[{c}]■[/] {n} {v:.2f} GiB" for n, v, c in parts if v > 0))
    if d.get("naive_layer_offload"):
        n = d["naive_layer_offload"]
        console.print(f"Expert offload: {tps(speed['decode_tps'])} tok/s vs {tps(n['decode_tps'])} tok/s with whole-layer "
                      f"offload (-ngl {n['gpu_layers']}, {n['offload_percent']:.0f}% of weights on CPU).")

    b = d["bottleneck"]
    console.print(f"\n[bold]What limits this setup:[/] {b['title']}. {b['detail']}")
    console.print(f"[bold]Best improvement:[/] {b['fix']['title']}. {b['fix']['detail']}")
    for a in d["advice"]:
        console.print(f"  • {a}")

    wt = table("Performance by workload", ("Workload", "Grade", "Fit", "Decode tok/s", "TTFT s", "Context", "Safe ctx"),
               left=("Workload", "Fit"))
    for w in d["workloads"]:
        wt.add_row(w["label"], grade_text(w["grade"], w["score"]), fmt.fit_short(w["fit"]), tps(w["decode_tps"]), f"{w['ttft_s']:.2f}",
                   ctx_label(w["context"]), ctx_label(w["safe_context"]))
    console.print(wt)

    qt = table(f"Quantizations on {h['display_name']}", ("Quant", "Bits", "Weights GiB", "Total GiB", "Quality", "Fit",
                                                         "Grade", "Decode tok/s", "Safe ctx"), left=("Quant", "Quality", "Fit"))
    for q in d["quants"]:
        name = q["name"] + (" ★" if q["best"] else "")
        qt.add_row(name, f"{q['effective_bpw']:.2f}", f"{q['weights_gib']:.1f}", f"{q['total_gib']:.1f}", q["quality"],
                   fmt.fit_short(q["fit"]), grade_text(q["grade"], q["score"]), tps(q["decode_tps"]), ctx_label(q["safe_context"]))
    console.print(qt)

    if d["upgrades"]:
        ut = table("Upgrade options", ("Pick", "Hardware", "Memory", "Bandwidth", "Grade", "Decode tok/s", "MSRP"),
                   left=("Pick", "Hardware", "Memory", "Bandwidth"))
        for u in d["upgrades"]:
            ut.add_row(fmt.label(u["pick"]), u["hardware"], f"{u['memory_gib']:g} GiB ({u['memory_delta_gib']:+g})",
                       f"{u['bandwidth_gbs']:,.0f} GB/s ({u['bandwidth_delta_gbs']:+,.0f})", grade_text(u["grade"], u["score"]),
                       tps(u["decode_tps"]), f"${u['msrp_usd']:,.0f}")
        console.print(ut)
        for u in d["upgrades"]:
            console.print(f"  [bold]{u['hardware']}[/]: {' '.join(u['why'])}")
    if d["alternatives"]:
        console.print("[bold]Other models that run well here:[/] " + ", ".join(
            f"{a['model']} {a['quant']} ({a['grade']}, {tps(a['decode_tps'])} tok/s)" for a in d["alternatives"]))
    console.print("\n[bold]Run it:[/]")
    if not d["commands"]:
        console.print("  No command: this setup cannot run the model (see the upgrade options and quantizations above).")
    for runtime, cmd in d["commands"].items():
        console.print(f"[dim]{runtime:>9}[/]  {cmd}", highlight=False, soft_wrap=True)


@app.command()
def models(
    fits: Optional[str] = typer.Option(None, "--fits", help="Only models that run on this hardware (Q4_K_M)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List catalog models."""
    rows = [model_dict(m) for m in load_models()]
    if fits:
        from rigfit.estimate.check import evaluate

        keep = []
        for m in load_models():
            try:
                rep_req = _request(m.name, fits)
            except UserError as exc:
                fail(str(exc))
                return
            ev = evaluate(rep_req)
            if ev.placement.status != "no_fit":
                keep.append({**model_dict(m), "grade": ev.grade.letter, "score": ev.grade.score,
                             "decode_tps": round(ev.decode_tps, 1), "fit": ev.placement.status})
        rows = sorted(keep, key=lambda r: -r["score"])
    if as_json:
        emit_json(rows)
        return
    t = Table(title=f"{len(rows)} models" + (f" that run on {fits}" if fits else ""), title_justify="left")
    for c in ("Model", "Params B", "Active B", "Layers", "Layer types", "Max ctx") + (("Grade", "Decode", "Fit") if fits else ()):
        t.add_column(c)
    for r in rows:
        extra = (grade_text(r["grade"], r["score"]), tps(r["decode_tps"]), r["fit"]) if fits else ()
        t.add_row(r["name"], f"{r['params_b']:g}", f"{r['active_params_b']:g}", str(r["layers"]),
                  ", ".join(f"{v} {k}" for k, v in r["layer_types"].items()), ctx_label(r["max_context"]), *extra)
    console.print(t)


def _request(model: str, hardware: str):
    from rigfit.query import build_request

    return build_request(Query(model, hardware))


@app.command()
def hardware(
    vendor: Optional[str] = typer.Option(None, "--vendor", help="nvidia | amd | intel | apple | cpu"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List catalog hardware."""
    items = list(load_hardware())
    if vendor:
        vendors = {h.vendor for h in items}
        if vendor.lower() not in vendors:
            fail(f"unknown vendor {vendor!r} (one of: {', '.join(sorted(vendors))})")
        items = [h for h in items if h.vendor == vendor.lower()]
    rows = [hardware_dict(h) for h in items]
    if as_json:
        emit_json(rows)
        return
    t = Table(title=f"{len(rows)} hardware entries", title_justify="left")
    for c in ("Hardware", "Vendor", "Arch", "Memory GiB", "GB/s", "FP16 TFLOPS", "Year", "MSRP"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["name"], r["vendor"], r["architecture"], f"{r['memory_gib']:g}", f"{r['bandwidth_gbs']:,.0f}",
                  "—" if r["fp16_tflops"] is None else f"{r['fp16_tflops']:,.1f}", str(r["year"] or "—"),
                  "—" if r["msrp_usd"] is None else f"${r['msrp_usd']:,.0f}")
    console.print(t)


@app.command()
def quants(as_json: bool = typer.Option(False, "--json")) -> None:
    """List quantization formats."""
    rows = [quant_dict(q) for q in load_quants()]
    if as_json:
        emit_json(rows)
        return
    t = Table(title=f"{len(rows)} quantization formats", title_justify="left")
    for c in ("Quant", "Family", "Bits", "Effective bpw", "Quality", "Runtimes", "Native on"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["name"], r["family"], f"{r['bits']:g}", f"{r['effective_bpw']:.2f}", r["quality"],
                  ", ".join(r["runtimes"]), ", ".join(r["native_on"]) or "all supported")
    console.print(t)


@app.command()
def validate(
    file: str = typer.Argument(..., help="CSV of measurements (../shared/benchmarks format: speed.csv or memory.csv)"),
    as_json: bool = typer.Option(False, "--json"),
    rows: bool = typer.Option(True, "--rows/--no-rows", help="Print the per-row table"),
) -> None:
    """Predict every measured row and report the error: median and p90 absolute % error, and bias."""
    from pathlib import Path

    from rigfit.validate import summary, validate_file

    path = Path(file)
    if not path.is_file():
        fail(f"no such file: {file}")
    try:
        results = validate_file(path)
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
        return
    lines = {r.line for r in results}
    resolved = {r.line for r in results if r.predicted is not None}
    stats = summary(results)
    unresolved = sorted({(r.line, r.label, r.error) for r in results if r.predicted is None})
    data = {"rows": len(lines), "resolved": len(resolved), **stats,
            "unresolved": [{"line": ln, "row": lab, "error": e} for ln, lab, e in unresolved]}
    if as_json:
        emit_json(data)
        return
    if rows:
        t = Table(title="Predicted vs measured", title_justify="left")
        for c in ("Line", "Kind", "Row", "Measured", "Predicted", "Error %"):
            t.add_column(c, justify="right" if c in ("Line", "Measured", "Predicted", "Error %") else "left")
        for r in results:
            pe = r.pct_error
            t.add_row(str(r.line), r.kind, r.label, f"{r.measured:,.2f}", "—" if r.predicted is None else f"{r.predicted:,.2f}",
                      r.error[:60] if pe is None else f"{pe:+.1f}")
        console.print(t)
    st = Table(title=f"{len(resolved)} of {len(lines)} rows resolved", title_justify="left")
    for c in ("Quantity", "N", "Median |error| %", "P90 |error| %", "Median signed %"):
        st.add_column(c)
    for kind in ("decode", "prefill", "memory"):
        k = stats[kind]
        fmt = lambda v: "—" if v is None else f"{v:.1f}"  # noqa: E731
        st.add_row(kind, str(k["n"]), fmt(k["median_ape"]), fmt(k["p90_ape"]), fmt(k["median_signed_pe"]))
    console.print(st)
    if unresolved:
        console.print(f"[yellow]{len(unresolved)} row(s) not resolved[/] (listed above with the reason).")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", help="Port to listen on"),
) -> None:
    """Serve the web site and the JSON API (FastAPI)."""
    import uvicorn

    from rigfit.web.app import create_app

    if not 0 < port < 65536:
        fail(f"--port must be between 1 and 65535, got {port}")
    console.print(f"rigfit web site at http://{host}:{port}/  (API: /api/v1/estimate, docs: /docs)")
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")


@app.command()
def export(
    directory: str = typer.Argument(..., help="Folder to write the static site into"),
    model: list[str] = typer.Option([], "--model", help="Only this model (repeatable; default: the whole catalog)"),
    hardware_names: list[str] = typer.Option([], "--hardware", help="Only this hardware (repeatable; default: all)"),
    base_url: str = typer.Option("https://rigfit.example", "--base-url", help="Site address for canonical links, embeds and the sitemap"),
) -> None:
    """Write the web site at default settings as static files: pair, model and hardware pages, indexes, embeds,
    cards, the JSON of each pair and a sitemap."""
    from pathlib import Path

    from rigfit.catalog import NotFound
    from rigfit.web.export import export as export_site

    try:
        res = export_site(Path(directory), model or None, hardware_names or None, base_url)
    except (NotFound, ValueError) as exc:
        fail(str(exc))
        return
    console.print(f"Wrote {res.files:,} files ({res.pairs:,} pairs) to {directory} in {res.seconds:.1f} s")


@app.command()
def detect(as_json: bool = typer.Option(False, "--json")) -> None:
    """Describe this machine (GPUs, CPU, RAM, measured RAM bandwidth) and the hardware rigfit will use for it."""
    from rigfit.ingest.detect import detect as detect_machine, detected_hardware

    info = detect_machine()
    hw = detected_hardware(info)
    info["hardware"] = hardware_dict(hw)
    if as_json:
        emit_json(info)
        return
    console.print(f"[bold]CPU[/] {info['cpu']['model']} ({info['cpu']['cores']} cores, {info['cpu']['threads']} threads)")
    console.print(f"[bold]RAM[/] {info['ram']['total_gib']} GiB ({info['ram']['available_gib']} GiB free), "
                  f"measured copy bandwidth {info['ram']['bandwidth_gbs']} GB/s")
    for g in info["gpus"]:
        console.print(f"[bold]GPU[/] {g['name']} ({g['memory_gib']} GiB)")
    if not info["gpus"]:
        console.print("[bold]GPU[/] no GPU found")
    console.print(f"Checks on [bold]local[/] use: {hw.display_name}")


@app.command()
def best(
    workload: str = typer.Option("chat", "--workload", "-w"),
    mode: str = typer.Option("balanced", "--mode", "-m"),
    limit: int = typer.Option(10, "--limit", "-n"),
    hardware: str = typer.Option("local", "--hardware", help="Catalog hardware name, or local (detected)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The catalog models that run best on this hardware, with the quant and the command."""
    from rigfit.ingest.best import rank_models
    from rigfit.query import DEFAULT_HOST, resolve_hardware

    if limit < 1:
        fail("--limit must be at least 1")
    try:
        hw = resolve_hardware(hardware)
        from rigfit.catalog import find_hardware as _find

        rows = rank_models(hw, _find(DEFAULT_HOST), workload, mode, limit)
    except (ValueError, LookupError) as exc:
        fail(str(exc))
        return
    if as_json:
        emit_json({"hardware": hardware_dict(hw), "models": rows})
        return
    t = Table(title=f"Best models for {hw.display_name} ({workload}, {mode})", title_justify="left")
    for c in ("#", "Model", "Quant", "Grade", "Decode tok/s", "Score", "Command"):
        t.add_column(c)
    for i, r in enumerate(rows, 1):
        t.add_row(str(i), r["model"], r["quant"], grade_text(r["grade"], r["grade_score"]), tps(r["decode_tps"]),
                  f"{r['score']:.0f}", r["command"])
    console.print(t)


def main() -> None:
    try:
        app()
    except CatalogError as exc:
        err.print(f"error: catalog data: {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
