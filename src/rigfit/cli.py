"""rigfit's command line: Typer + Rich over the one engine. Every command also has --json."""

from __future__ import annotations

import csv
import json
import os
import sys
from typing import Any, Optional

import typer
from rich import box
from rich.console import Console
from typer.core import TyperGroup

try:  # Typer >= 0.26 vendors Click as typer._click; older releases use Click itself
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover
    from click import exceptions as click_exc  # type: ignore[no-redef]
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from rigfit import format as fmt
from rigfit.catalog.loader import CatalogError
from rigfit.errors import UserError

# The engine (numpy, the catalogs) is imported inside the commands that use it, so `rigfit --help` starts at once.

console = Console()
err = Console(stderr=True)

# What reaches the user when a command fails for a reason that is not their input (a bug): one line, exit 1, and
# the traceback only when RIGFIT_DEBUG is set.
INTERNAL_ERROR_EXIT = 1


def error_line(message: str) -> None:
    """One `error: ...` line on stderr. User text is never Rich markup: "[/x]" is printed as typed."""
    first = " ".join(str(message).split())  # newlines and tabs in user text must not make a second line
    err.print(Text.assemble(("error:", "bold red"), " ", first), highlight=False, soft_wrap=True)


class OneLineErrors(TyperGroup):
    """Usage errors (missing argument, unknown option, bad value) as one line instead of Click/Rich's boxed block."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False,
                                **extra)
        except click_exc.NoArgsIsHelpError as exc:  # bare `rigfit`: the help text is the answer
            if exc.format_message():  # Rich help is printed while the error is built; plain help is its message
                sys.stdout.write(exc.format_message() + "\n")
            code = exc.exit_code
        except click_exc.ClickException as exc:
            where = exc.ctx.command_path if getattr(exc, "ctx", None) else "rigfit"  # type: ignore[union-attr]
            error_line(f"{exc.format_message()} (see `{where} --help`)")
            code = exc.exit_code
        except typer.Abort:
            code = 130
        except CatalogError as exc:
            error_line(f"catalog data: {exc}")
            code = 1
        except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, the traceback on request
            if os.environ.get("RIGFIT_DEBUG"):
                raise
            error_line(f"internal error ({type(exc).__name__}); rerun with RIGFIT_DEBUG=1 for the traceback")
            code = INTERNAL_ERROR_EXIT
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, cls=OneLineErrors,
                  help="Will this LLM run on this hardware, and how well?")

GRADE_STYLE = {"S": "bold magenta", "A": "bold green", "B": "green", "C": "yellow", "D": "dark_orange", "F": "bold red"}


def fail(message: str, code: int = 2) -> None:
    error_line(message)
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
    label = f"{letter}{'' if score is None else f' {fmt.score(score)}'}"
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
    from rigfit.output import report_dict
    from rigfit.query import Query, resolved_from, run_query

    q = Query(model, hardware, quant, context, workload, mode, gpus, kv_type, host, offline=offline)
    try:
        rep = run_query(q, shared=False)  # one report: compute only the rows and columns it needs
    except UserError as exc:
        fail(str(exc))
        return
    data = report_dict(rep, resolved_from(q, rep.request))
    if as_json:
        emit_json(data)
        return
    render_check(data)


def render_check(d: dict[str, Any]) -> None:
    m, h, s = d["model"], d["hardware"], d["settings"]
    mem, place, speed = d["memory"], d["placement"], d["speed"]
    verdict = d["verdict_label"].upper()
    style = {"yes": "green", "yes_with_offload": "yellow", "runs_too_slow": "dark_orange", "no": "red"}[d["verdict"]]
    head = Text.assemble(
        (f"Can {m['name']} run on {h['display_name']}?  ", "bold"), (verdict, f"bold {style}"), "   ",
        grade_text(d["grade"], d["score"]),
    )
    summary = (
        f"{s['quant']} at {fmt.tokens(s['context'])} tokens needs {fmt.gib(mem['total_gib'])}; {h['display_name']} has "
        f"{fmt.gib(h['memory_gib'] * h['count'])} ({fmt.gib_num(mem['available_gib'])} usable). "
        f"{place['label']}" + (f", {fmt.pct(place['offload_percent'])} of weights in host RAM" if place['offload_percent'] else "")
        + f". Backend {s['backend']}, workload {fmt.label(s['workload'])}, mode {fmt.label(s['mode'])}."
    )
    console.print(Panel(Text.assemble(head, "\n", summary), expand=False))
    for side in (d.get("resolved_from") or {}).values():
        line = f"{side['typed']!r} was read as {side['answered_for']}"
        if side.get("variants"):
            line += f"; it also comes as {', '.join(side['variants'])}: name one to check it"
        console.print(Text(line + "."), style="yellow")

    key = Table.grid(padding=(0, 3))
    limits = d["context_limits"]
    lo, hi = speed["decode_likely_tps"]
    if speed["concurrency"] > 1:  # serving modes: what each user sees and all of them together
        key.add_row("Per user", "Aggregate", "TTFT", "Max context", "On device", "Memory", "Offload")
        first = (f"[bold]{tps(speed['per_user_tps'])}[/] tok/s", f"[bold]{tps(speed['aggregate_tps'])}[/] tok/s "
                 f"({speed['concurrency']} at once)")
    else:
        key.add_row("Decode", "Prefill", "TTFT", "Max context", "On device", "Memory", "Offload")
        first = (f"[bold]{tps(speed['decode_tps'])}[/] tok/s (likely {tps(lo)}–{tps(hi)})", f"{tps(speed['prefill_tps'])} tok/s")
    key.add_row(
        *first, f"[bold]{fmt.seconds(speed['ttft_s'])}[/]", f"[bold]{ctx_label(limits['max_context'])}[/]",
        ctx_label(limits['max_context_on_device']), fmt.gib(mem['total_gib'], mem['available_gib']),
        fmt.pct(place['offload_percent']),
    )
    console.print(key)
    for kind, m in d.get("measured", {}).items():
        console.print(f"[green]Measured[/] {escape(kind)}: {tps(m['tok_s'])} tok/s ({escape(str(m['test']))}, "
                      f"{escape(str(m['source']))})", highlight=False)

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
    console.print("        " + "  ".join(f"[{c}]■[/] {n} {fmt.gib(v)}" for n, v, c in parts if v > 0))
    if d.get("naive_layer_offload"):
        n = d["naive_layer_offload"]
        console.print(f"Expert offload: {tps(speed['decode_tps'])} tok/s vs {tps(n['decode_tps'])} tok/s with whole-layer "
                      f"offload (-ngl {n['gpu_layers']}, {fmt.pct(n['offload_percent'])} of weights on CPU).")

    b = d["bottleneck"]
    # Texts below can quote the model's name, which a config.json or a file name sets: never read them as markup.
    console.print(f"\n[bold]What limits this setup:[/] {escape(b['title'])}. {escape(b['detail'])}")
    console.print(f"[bold]Best improvement:[/] {escape(b['fix']['title'])}. {escape(b['fix']['detail'])}")
    for a in d["advice"]:
        console.print(f"  • {escape(a)}")

    wt = table("Performance by workload", ("Workload", "Grade", "Fit", "Decode tok/s", "TTFT s", "Context",
                                           "On device"), left=("Workload", "Fit"))
    for w in d["workloads"]:
        wt.add_row(w["label"], grade_text(w["grade"], w["score"]), fmt.fit_short(w["fit"]), tps(w["decode_tps"]),
                   fmt.seconds_num(w['ttft_s']), ctx_label(w["context"]), ctx_label(w["max_context_on_device"]))
    console.print(wt)

    qt = table(f"Quantizations on {escape(h['display_name'])}", ("Quant", "Bits", "Total GiB", "Quality", "Fit",
                                                                  "Grade", "Decode tok/s", "On device"),
               left=("Quant", "Quality", "Fit"))
    for q in d["quants"]:
        name = escape(q["name"]) + (" ★" if q["best"] else "")
        qt.add_row(name, fmt.bpw(q['effective_bpw']), fmt.gib_num(q['total_gib']), q["quality"], fmt.fit_short(q["fit"]),
                   grade_text(q["grade"], q["score"]), tps(q["decode_tps"] or 0), ctx_label(q["max_context_on_device"]))
    console.print(qt)
    if d["best_quant_reason"]:
        console.print(f"[bold]Best quant:[/] {escape(d['best_quant_reason'])}")
    for q in d["quants"]:
        if q["why_not"]:
            console.print(f"  {escape(q['name'])}: {escape(q['why_not']['text'])}", highlight=False)

    if d["upgrades"]:
        ut = table("Upgrade options", ("Pick", "Hardware", "GiB", "GB/s", "Grade", "Decode tok/s", "Price"),
                   left=("Pick", "Hardware"))
        for u in d["upgrades"]:
            ut.add_row(fmt.label(u["pick"]), escape(u["hardware"]), fmt.gib_num(u['memory_gib']), fmt.gbs_num(u['bandwidth_gbs']),
                       grade_text(u["grade"], u["score"]), tps(u["decode_tps"]), fmt.usd(u['msrp_usd']))
        console.print(ut)
        for u in d["upgrades"]:
            console.print(f"  [bold]{escape(u['hardware'])}[/]: {escape(' '.join(u['why']))}")
    if d["alternatives"]:
        console.print("[bold]Other models that run well here:[/] " + escape(", ".join(
            f"{a['model']} {a['quant']} ({a['grade']}, {tps(a['decode_tps'])} tok/s)" for a in d["alternatives"])))
    console.print("\n[bold]Run it:[/]")
    if not d["commands"]:
        console.print("  No command: this setup cannot run the model (see the upgrade options and quantizations above).")
    for runtime, cmd in d["commands"].items():
        console.print(f"[dim]{runtime:>9}[/]  {escape(cmd)}", highlight=False, soft_wrap=True)
    if d["commands"]:
        for kind, url in d["sources"].items():
            console.print(f"[dim]{fmt.label(kind)}:[/] {escape(url)}", highlight=False, soft_wrap=True)


@app.command()
def models(
    fits: Optional[str] = typer.Option(None, "--fits", help="Only models that run on this hardware (Q4_K_M)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List catalog models."""
    from rigfit.catalog import load_models
    from rigfit.estimate.matrix import STATUSES as STATUS_NAMES
    from rigfit.output import model_dict

    rows = [model_dict(m) for m in load_models()]
    if fits:
        from rigfit.catalog.catalog import get_catalog
        from rigfit.estimate.market import settings_of
        from rigfit.estimate.matrix import LETTERS, ST_NO_FIT, model_column

        try:
            req = _request(load_models()[0].name, fits)  # resolves the hardware (and `local`) once
        except UserError as exc:
            fail(str(exc))
            return
        cells, j = model_column(get_catalog(), req.hw, settings_of(req))
        keep = [{**model_dict(m), "grade": LETTERS[cells.letter[i, j]], "score": float(cells.score[i, j]),
                 "decode_tps": round(float(cells.decode_tps[i, j]), 1), "fit": STATUS_NAMES[cells.status[i, j]]}
                for i, m in enumerate(cells.models.models) if cells.status[i, j] != ST_NO_FIT]
        rows = sorted(keep, key=lambda r: -r["score"])
    if as_json:
        emit_json(rows)
        return
    t = Table(title=f"{len(rows)} models" + (f" that run on {escape(fits)}" if fits else ""), title_justify="left")
    for c in ("Model", "Params B", "Active B", "Layers", "Layer types", "Max ctx") + (("Grade", "Decode", "Fit") if fits else ()):
        t.add_column(c)
    for r in rows:
        extra = (grade_text(r["grade"], r["score"]), tps(r["decode_tps"]), fmt.fit_short(r["fit"])) if fits else ()
        t.add_row(escape(r["name"]), fmt.params_num(r["params_b"]), fmt.params_num(r["active_params_b"]), str(r["layers"]),
                  ", ".join(f"{v} {k}" for k, v in r["layer_types"].items()), ctx_label(r["max_context"]), *extra)
    console.print(t)


def _request(model: str, hardware: str, **settings: str):  # type: ignore[no-untyped-def]
    from rigfit.query import Query, resolve

    return resolve(Query(model, hardware, **settings))


@app.command()
def hardware(
    vendor: Optional[str] = typer.Option(None, "--vendor", help="nvidia | amd | intel | apple | cpu"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List catalog hardware."""
    from rigfit.catalog import load_hardware
    from rigfit.output import hardware_dict

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
        t.add_row(r["name"], fmt.vendor(r["vendor"]), r["architecture"], fmt.gib_num(r['memory_gib']), fmt.gbs_num(r['bandwidth_gbs']),
                  fmt.tflops(r["fp16_tflops"]), str(r["year"] or "—"),
                  fmt.usd(r["msrp_usd"]))
    console.print(t)


@app.command()
def quants(as_json: bool = typer.Option(False, "--json")) -> None:
    """List quantization formats."""
    from rigfit.catalog import load_quants
    from rigfit.output import quant_dict

    rows = [quant_dict(q) for q in load_quants()]
    if as_json:
        emit_json(rows)
        return
    t = Table(title=f"{len(rows)} quantization formats", title_justify="left")
    for c in ("Quant", "Family", "Bits", "Effective bpw", "Quality", "Runtimes", "Native on"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["name"], r["family"], f"{r['bits']:g}", fmt.bpw(r["effective_bpw"]), r["quality"],
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

    from rigfit.validate import summary, summary_by_backend, validate_file

    path = Path(file)
    try:
        regular = path.is_file()  # raises for a name over the file system's limit ("file name too long")
    except OSError:
        regular = False
    if not regular:
        fail(f"no such file: {file}")
    try:
        results = validate_file(path)
    except (ValueError, KeyError, TypeError, OverflowError, OSError, RecursionError) as exc:
        fail(f"cannot read {file}: {exc}")
        return
    except csv.Error as exc:
        fail(f"cannot read {file}: {exc}")
        return
    lines = {r.line for r in results}
    resolved = {r.line for r in results if r.predicted is not None}
    stats = summary(results)
    unresolved = sorted({(r.line, r.label, r.error) for r in results if r.predicted is None})
    data = {"rows": len(lines), "resolved": len(resolved), **stats, "by_backend": summary_by_backend(results),
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
            t.add_row(str(r.line), r.kind, escape(r.label), f"{r.measured:,.2f}", "—" if r.predicted is None else f"{r.predicted:,.2f}",
                      escape(r.error[:60]) if pe is None else f"{pe:+.1f}")
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
    public: bool = typer.Option(False, "--public", help="Serve the public: no `local`, hub models from the cache "
                                "only, file-like names are unknown models"),
    base_url: str = typer.Option("", "--base-url", help="Absolute URL of the site (embed snippets, public mode)"),
    workers: int = typer.Option(1, "--workers", help="Worker processes (each holds its own caches)"),
    max_active: Optional[int] = typer.Option(None, "--max-active", help="Requests computed at once per worker "
                                             "(default 1 with --public, where pages run on the event loop; else 4)"),
    max_waiting: int = typer.Option(16, "--max-waiting", help="Requests waiting per worker; past that: 503"),
) -> None:
    """Serve the web site and the JSON API (FastAPI). Past its limits the server answers 503 at once."""
    import os

    import uvicorn

    if not 0 < port < 65536:
        fail(f"--port must be between 1 and 65535, got {port}")
    max_active = max_active if max_active is not None else (1 if public else 4)
    if not 1 <= workers <= 64 or max_active < 1 or max_waiting < 0:
        fail("--workers must be 1 to 64, --max-active at least 1, --max-waiting at least 0")
    os.environ.update({"RIGFIT_PUBLIC": "1" if public else "0", "RIGFIT_BASE_URL": base_url,
                       "RIGFIT_MAX_ACTIVE": str(max_active), "RIGFIT_MAX_WAITING": str(max_waiting)})
    console.print(f"rigfit web site at http://{escape(host)}:{port}/  (API: /api/v1/estimate, docs: /docs)"
                  + ("  (public)" if public else ""))
    # Admission control (web/serving.py) answers 503 + Retry-After past max_active + max_waiting requests; uvicorn's
    # own limit (a bare 503) is the backstop at four times that. The accept backlog is deep enough (1,024) that a burst
    # never overflows it: an overflow drops the SYN and the client (or a health probe) waits a full second to retry,
    # where an accepted connection gets its 503 in milliseconds. SIGTERM: stop accepting, finish what is in flight for at most 5 s, exit.
    try:
        uvicorn.run("rigfit.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", timeout_graceful_shutdown=5, limit_concurrency=4 * (max_active + max_waiting),
                    backlog=1024)
    except OSError as exc:  # address in use, no such address, no permission for a low port
        fail(f"cannot listen on {host}:{port} ({exc.strerror or exc})")


@app.command()
def export(
    directory: str = typer.Argument(..., help="Folder to write the site into"),
    model: list[str] = typer.Option([], "--model", help="Only these models (repeat; default: the whole catalog)"),
    hardware: list[str] = typer.Option([], "--hardware", help="Only these devices (repeat; default: all)"),
    base_url: str = typer.Option("", "--base-url", help="The live site: links out of a slice point there"),
    jobs: int = typer.Option(2, "--jobs", help="Processes rendering pages"),
) -> None:
    """The whole site as static files at default settings: pair pages, embeds, badges and JSON, model and hardware
    pages, indexes and a sitemap, for any static host or CDN."""
    from pathlib import Path

    from rigfit.catalog import find_hardware, find_model
    from rigfit.catalog.catalog import get_catalog
    from rigfit.web.export import export_site

    if not 1 <= jobs <= 64:
        fail("--jobs must be between 1 and 64")
    out = Path(directory)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        fail(f"{directory} exists and is not an empty folder")
    catalog = get_catalog()
    try:
        models = [find_model(m) for m in model] or list(catalog.models)
        devices = [find_hardware(h) for h in hardware] or [h for h in catalog.hardware if h.kind != "cpu"]
    except (LookupError, ValueError) as exc:
        fail(str(exc))
        return
    if any(h.count > 1 or " + " in h.name for h in devices):
        fail("export takes catalog devices, one at a time")
    stats = export_site(out, models, devices, everything=not model and not hardware, base_url=base_url.rstrip("/"),
                        jobs=jobs)
    console.print(f"{stats.files:,} files ({stats.pages:,} pages) in {stats.seconds:.1f} s into {escape(directory)}"
                  + (f"; {len(stats.failures)} failed: {escape(stats.failures[0])}" if stats.failures else ""))
    if stats.failures:
        raise typer.Exit(1)


@app.command()
def detect(as_json: bool = typer.Option(False, "--json")) -> None:
    """Describe this machine (GPUs, CPU, RAM, measured RAM bandwidth) and the hardware rigfit will use for it."""
    from rigfit.output import hardware_dict
    from rigfit.ingest.detect import detect as detect_machine, detected_hardware

    info = detect_machine()
    hw = detected_hardware(info)
    info["hardware"] = hardware_dict(hw)
    if as_json:
        emit_json(info)
        return
    console.print(f"[bold]CPU[/] {escape(str(info['cpu']['model']))} ({info['cpu']['cores']} cores, {info['cpu']['threads']} threads)")
    console.print(f"[bold]RAM[/] {info['ram']['total_gib']} GiB ({info['ram']['available_gib']} GiB free), "
                  f"measured copy bandwidth {info['ram']['bandwidth_gbs']} GB/s")
    for g in info["gpus"]:
        console.print(f"[bold]GPU[/] {escape(str(g['name']))} ({g['memory_gib']} GiB)")
    if not info["gpus"]:
        console.print("[bold]GPU[/] no GPU found")
    console.print(f"Checks on [bold]local[/] use: {escape(hw.display_name)}")


@app.command()
def best(
    workload: str = typer.Option("chat", "--workload", "-w"),
    mode: str = typer.Option("balanced", "--mode", "-m"),
    limit: int = typer.Option(10, "--limit", "-n"),
    hardware: str = typer.Option("local", "--hardware", help="Catalog hardware name, or local (detected)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The catalog models that run best on this hardware, with the quant and the command."""
    from rigfit.catalog import load_models
    from rigfit.output import hardware_dict
    from rigfit.catalog.catalog import get_catalog
    from rigfit.estimate.market import rank_models
    from rigfit.output import ranked_dict

    if limit < 1:
        fail("--limit must be at least 1")
    try:
        req = _request(load_models()[0].name, hardware, workload=workload, mode=mode)
    except UserError as exc:
        fail(str(exc))
        return
    hw = req.hw
    rows = [ranked_dict(r, req) for r in rank_models(get_catalog(), req, limit)]
    if as_json:
        emit_json({"hardware": hardware_dict(hw), "models": rows})
        return
    t = Table(title=f"Best models for {escape(hw.display_name)} ({fmt.label(req.workload.key)}, {fmt.label(req.mode.key)} mode)",
              title_justify="left")
    for c in ("#", "Model", "Quant", "Grade", "Decode tok/s", "Score", "Command"):
        t.add_column(c)
    for i, r in enumerate(rows, 1):
        t.add_row(str(i), escape(r["model"]), r["quant"], grade_text(r["grade"], r["grade_score"]),
                  tps(r["decode_tps"] or 0), fmt.score(r['score']), escape(r["command"]))
    console.print(t)


@app.command()
def matrix(
    quant: list[str] = typer.Option(["Q4_K_M"], "--quant", "-q", help="Quantization (repeat for several)"),
    workload: list[str] = typer.Option(["chat"], "--workload", "-w", help="Workload (repeat for several)"),
    mode: str = typer.Option("balanced", "--mode", "-m"),
    context: Optional[int] = typer.Option(None, "--context", "-c", help="Context tokens (default: each workload's)"),
    hardware: list[str] = typer.Option([], "--hardware", help="Hardware (repeat; default: every catalog device)"),
    kv_type: str = typer.Option("f16", "--kv-type"),
    fmt: str = typer.Option("csv", "--format", help="csv | json"),
) -> None:
    """Every catalog model on every device: one row per cell (model, hardware, quant, workload)."""
    import csv

    from rigfit.catalog.catalog import get_catalog
    from rigfit.estimate.matrix import hardware_cells
    from rigfit.output import MATRIX_COLUMNS, matrix_rows
    from rigfit.query import MatrixQuery, resolve_matrix

    if fmt not in ("csv", "json"):
        fail(f"--format must be csv or json, got {fmt!r}")
    try:
        settings, devices = resolve_matrix(MatrixQuery(tuple(quant), tuple(workload), mode, context, tuple(hardware),
                                                       kv_type))
    except UserError as exc:
        fail(str(exc))
        return
    catalog = get_catalog()
    rows = [row for s in settings for row in matrix_rows(hardware_cells(catalog, devices, s))]
    if fmt == "json":
        emit_json(rows)
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=MATRIX_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
