"""FastAPI app: pages rendered from report_dict (the same object as `rigfit check --json`) and the JSON API."""

from __future__ import annotations

import csv
import gc
import io
import logging
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

from fastapi import Depends, FastAPI, Request
from fastapi import Query as Param
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from rigfit.catalog import (
    NotFound,
    find_hardware,
    find_model,
    load_hardware,
    load_models,
    load_quants,
)
from rigfit.catalog.workloads import load_modes, load_workloads
from rigfit.model.scenario import KV_TYPE_BYTES
from rigfit.estimate.commands import slug
from rigfit.ingest.resolve import looks_like_path
from rigfit.output import hardware_dict, model_dict, quant_dict, report_dict
from rigfit.catalog.catalog import get_catalog
from rigfit.estimate.evaluate import Request as EstimateRequest
from rigfit.estimate.market import settings_of
from rigfit.estimate.matrix import (
    cell_evaluation,
    pair_cell,
    LETTERS,
    ST_NO_FIT,
    STATUSES,
    hardware_cells,
    hardware_row,
    model_column,
)
from rigfit.estimate.report import best_quants, context_sweep, warm_shared
from rigfit.model.architecture import Architecture
from rigfit.model.hardware import Hardware
from rigfit.output import MATRIX_COLUMNS, matrix_rows
from rigfit.wording import STATUS_LABELS
from rigfit.query import (
    LOCAL_NAMES,
    MatrixQuery,
    Query,
    UserError,
    report,
    resolve_hardware,
    resolve_matrix,
    resolved_from,
    run_query,
    settle,
)
from rigfit import format as fmt
from rigfit.web import docs, listing, search, slugs, svg
from rigfit.web.api_models import ERRORS, Estimate, HardwareInfo, MatrixRow, ModelInfo, QuantInfo
from rigfit.web.inputs import KNOWN, Inputs, api_terms, inputs, runtimes_for, unknown_params
from rigfit.web.headers import SiteHeaders, security_headers
from rigfit.web.templating import page_templates
from rigfit.web.serving import MAX_NAME_CHARS, Admission, InlineRoute, PageCache, ServeConfig, prime, single_flight

HERE = Path(__file__).parent
logger = logging.getLogger("rigfit.web")
POPULAR = [("Kimi Linear 48B A3B", "RTX 3090"), ("Kimi Linear 48B A3B", "RTX PRO 4500 Blackwell"),
           ("Llama 3.1 8B", "RTX 4090"), ("Qwen3 30B A3B", "RTX 3060 12GB"), ("gpt-oss 120B", "NVIDIA DGX Spark"),
           ("Llama 3.3 70B", "Apple M2 Ultra 76-core GPU 192GB"), ("DeepSeek R1", "Apple M3 Ultra 80-core GPU 512GB")]
# Every number and identifier a template writes goes through rigfit/format.py: these are its filters.
FORMAT_FILTERS = ("label", "gib", "gib_num", "tokens", "tps", "seconds", "seconds_num", "pct", "score", "usd", "gbs",
                  "gbs_num", "bpw", "signed", "vendor", "kind", "params", "params_num", "tflops")
CHART_CONTEXTS = (4096, 8192, 16384, 32768, 65536, 131072)


class PageError(Exception):
    def __init__(self, status: int, title: str, message: str, suggestions: list[tuple[str, str]] | None = None):
        self.status, self.title, self.message, self.suggestions = status, title, message, suggestions or []


def web_model(model: str) -> str:
    """The site never reads files on the server: a name that looks like a path is an unknown model, answered as
    any other unknown name (nothing says whether such a file exists)."""
    if len(model) > MAX_NAME_CHARS:
        raise UserError(f"a model name is at most {MAX_NAME_CHARS} characters")
    if looks_like_path(model):
        raise UserError(str(NotFound("model", model, slugs.model_suggestions(model[-MAX_NAME_CHARS:]))))
    return model


@lru_cache(maxsize=4096)
def quoted(value: Any) -> str:
    return quote_plus(str(value))


@single_flight
def cached_report(model: str, hardware: str, inp: Inputs = Inputs()) -> dict[str, Any]:
    """The API: names as a user typed them, resolved once (a public server: catalog models, the hub's cache)."""
    public = ServeConfig.from_env().public
    q = replace(inp.query(web_model(model), hardware), offline=public, allow_local=not public)
    rep = run_query(q)
    return report_dict(rep, resolved_from(q, rep.request))


@single_flight
def pair_report(arch: Architecture, hw: Hardware, inp: Inputs = Inputs()) -> dict[str, Any]:
    """Pages: model and hardware already resolved from the URL; only the settings are read here."""
    return report_dict(report(request_for(arch, hw, inp)))


def request_for(arch: Architecture, hw: Hardware, inp: Inputs = Inputs()) -> EstimateRequest:
    return settle(arch, hw, inp.query(arch.name, hw.name))


@single_flight
def context_points(arch: Architecture, hw: Hardware, inp: Inputs, every_device: bool = False) -> list[dict]:
    """Decode at a full context of each size, TTFT for a prompt of that size, and memory (4K..128K, capped at the
    model's maximum): one engine call (estimate.report.context_sweep)."""
    req = request_for(arch, hw, replace(inp, context=None))
    return [{"context": p.context, "decode_tps": round(p.decode_tps, 1), "ttft_s": round(p.ttft_s, 2),
             "total_gib": round(p.total_gib, 2), "available_gib": round(p.available_gib, 2), "fit": p.fit}
            for p in context_sweep(get_catalog(), req, CHART_CONTEXTS, every_device)]


@single_flight
def model_rows(model: str) -> list[dict[str, Any]]:
    """The model on every catalog device at Q4_K_M, chat: one row of the shared matrix."""
    catalog = get_catalog()
    arch = find_model(model)
    req = request_for(arch, catalog.hardware[0])
    cells, i = hardware_row(catalog, arch, settings_of(req))
    best = best_quants(catalog, req, every="hardware")
    rows = []
    for j, hw in enumerate(cells.hardware.hardware):
        if not cells.supported[j]:
            continue
        runs = cells.status[i, j] != ST_NO_FIT
        rows.append({"hardware": hw.name, "vendor": hw.vendor, "grade": LETTERS[cells.letter[i, j]],
                     "score": float(cells.score[i, j]), "fit": STATUSES[cells.status[i, j]],
                     "decode_tps": round(float(cells.decode_tps[i, j]), 1) if runs else 0.0,
                     "best_quant": best[j], "msrp_usd": hw.msrp_usd, "url": slugs.pair_url(model, hw.name)})
    return sorted(rows, key=lambda r: (-r["score"], -r["decode_tps"]))


@single_flight
def hardware_rows(hardware: str) -> list[dict[str, Any]]:
    """Every catalog model on the device at Q4_K_M, chat: one column of the shared matrix."""
    catalog = get_catalog()
    hw = find_hardware(hardware)
    req = request_for(catalog.models[0], hw)
    cells, j = model_column(catalog, hw, settings_of(req))
    best = best_quants(catalog, req, every="model")
    rows = []
    for i, m in enumerate(cells.models.models):
        runs = cells.status[i, j] != ST_NO_FIT
        rows.append({"model": m.name, "family": m.family, "params_b": m.params_b, "grade": LETTERS[cells.letter[i, j]],
                     "score": float(cells.score[i, j]), "fit": STATUSES[cells.status[i, j]],
                     "decode_tps": round(float(cells.decode_tps[i, j]), 1) if runs else 0.0,
                     "best_quant": best[i], "url": slugs.pair_url(m.name, hardware)})
    return sorted(rows, key=lambda r: (-r["score"], -r["decode_tps"]))


@lru_cache(maxsize=1)
def popular_pairs() -> list[dict[str, Any]]:
    """The home page's pairs with their grade and speed (the report without the market scan)."""
    out = []
    for model, hardware in POPULAR:
        try:
            arch, hw = find_model(model), find_hardware(hardware)
            d = report_dict(report(request_for(arch, hw), with_market=False))
        except (NotFound, UserError, ValueError):
            continue
        out.append({"model": arch.name, "hardware": hw.name, "url": slugs.pair_url(arch.name, hw.name),
                    "grade": d["grade"], "score": d["score"], "decode_tps": d["speed"]["decode_tps"],
                    "verdict": d["verdict"], "fit_label": d["fit_label"]})
    return out


# A results page reads at most this many pairs (matrix cells: microseconds each).
MAX_SEARCH_PAIRS = 72
SHOWN_PAIRS = 12


def search_pairs(ms: search.Side, hs: search.Side) -> list[dict[str, Any]]:
    """The best-graded pairs among the candidates of a search, from the same rows as the index pages."""
    models = [ms.entry] if ms.entry else ms.candidates[:6]
    hws = [hs.entry] if hs.entry else hs.candidates[: max(1, MAX_SEARCH_PAIRS // max(1, len(models)))]
    out = []
    for m in models:
        for h in hws:
            try:
                req = request_for(m, h)
            except UserError:
                continue
            cells, i, j = pair_cell(get_catalog(), m, h, settings_of(req))
            ev = cell_evaluation(cells, i, j)
            out.append({"model": m.name, "hardware": h.name, "url": slugs.pair_url(m.name, h.name),
                        "grade": ev.grade.letter, "score": ev.grade.score, "decode_tps": round(ev.decode_tps, 1),
                        "fit_label": STATUS_LABELS[ev.placement.status]})
    return sorted(out, key=lambda r: (-r["score"], -r["decode_tps"]))[:SHOWN_PAIRS]


def variant_links(model: str, hardware: str, d: dict[str, Any]) -> dict[str, Any]:
    """The other memory / core configurations of this hardware, as pair-page links (one device only)."""
    if hardware == "local" or d["hardware"]["count"] > 1:
        return {"variants": [], "variant_base": ""}
    hw = find_hardware(hardware)
    return {"variants": [(v.name, slugs.pair_url(model, v.name)) for v in search.variants(hw)],
            "variant_base": search.variant_base(hw)[1]}


def schema_type(sch: dict[str, Any] | bool, spec: dict[str, Any]) -> str:
    """An OpenAPI schema in a few words: 'Estimate', 'list of ModelInfo', 'one of: f16, q8_0', 'integer or null'."""
    if isinstance(sch, bool) or not sch:  # `additionalProperties: true`: values of any type
        return "any"
    if "$ref" in sch:
        name = sch["$ref"].rsplit("/", 1)[1]
        target = spec.get("components", {}).get("schemas", {}).get(name, {})
        return schema_type(target, spec) if "enum" in target else name
    if "enum" in sch:
        return "one of: " + ", ".join(map(str, sch["enum"]))
    if "anyOf" in sch:
        return " or ".join(schema_type(x, spec) for x in sch["anyOf"])
    if sch.get("type") == "array":
        return "list of " + schema_type(sch.get("items", {}), spec)
    if sch.get("type") == "object" and "additionalProperties" in sch:
        return "map to " + schema_type(sch["additionalProperties"], spec)
    return str(sch.get("type", "any"))


def validation_message(exc: RequestValidationError) -> str:
    """FastAPI's list of errors as the one line a UserError would give."""
    parts = []
    for e in exc.errors():
        name = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body")) or "value"
        got = f" (got {e['input']!r})" if isinstance(e.get("input"), (str, int, float)) else ""
        parts.append(f"{name}: {e.get('msg', 'invalid value')}{got}")
    return "; ".join(parts).replace("\n", " ") or "invalid value"


def faq(d: dict[str, Any]) -> list[tuple[str, str]]:
    """Questions people ask, answered with the report's own numbers (nothing recomputed)."""
    m, h, s, mem, sp = d["model"]["name"], d["hardware"]["display_name"], d["settings"], d["memory"], d["speed"]
    limits, fix = d["context_limits"], d["bottleneck"]["fix"]
    can = d["verdict_label"]
    G, T, S, K = fmt.gib, fmt.tps, fmt.seconds, fmt.tokens
    out = [
        (f"Can {m} run on {h}?",
         (f"{can}: grade {d['grade']} ({fmt.score(d['score'])}/100, {d['fit_label'].lower()}) for "
          f"{fmt.label(s['workload']).lower()} in {fmt.label(s['mode']).lower()} mode at {s['quant']} and "
          f"{K(s['context'])} tokens of context.")),
        (f"How much memory does {m} need at {s['quant']}?",
         (f"{G(mem['total_gib'])} in all: {G(mem['weights_gib'])} of weights, {G(mem['kv_cache_gib'])} of KV cache, "
          f"{G(mem['recurrent_state_gib'])} of recurrent state, {G(mem['compute_buffer_gib'])} of compute buffers, "
          f"plus runtime and headroom; {h} offers {G(mem['available_gib'])} "
          f"({fmt.pct(mem['percent_of_available'])} used).")),
    ]
    if d["verdict"] != "no":
        out.append((f"How fast is {m} on {h}?",
                    (f"About {T(sp['decode_tps'])} tokens/s while generating (likely "
                     f"{fmt.tps_range(*sp['decode_likely_tps'])}) and {T(sp['prefill_tps'])} tokens/s reading the "
                     f"prompt; the first token after {S(sp['ttft_s'])} ({S(sp['cold_ttft_s'])} on a cold start).")))
    out.append((f"What is the longest context {m} handles on {h}?",
                f"Up to {K(limits['max_context'])} tokens run at all; {K(limits['max_context_on_device'])} run with "
                f"everything on the accelerator; the model's own limit is {K(d['model']['max_context'])} tokens."))
    if d["best_quant"]:
        out.append((f"Which quantization is best for {m} on {h}?", d["best_quant_reason"]))
    for w in d["workloads"]:
        if w["workload"] == "coding":
            out.append((f"Is {m} on {h} good for coding?",
                        (f"Grade {w['grade']} ({fmt.score(w['score'])}/100) for coding at {K(w['context'])} tokens "
                         f"of context: {T(w['decode_tps'])} tok/s and {S(w['ttft_s'])} to the first token.")))
    out.append((f"How would {m} run better?", f"{fix['title']}. {fix['detail']}"))
    return out


def warm(templates: Jinja2Templates) -> None:
    """At start-up, before the first visitor: load the catalog, compile the templates and compute the shared
    matrices that default pages read, so first visits cost what later ones do."""
    catalog = get_catalog()
    for name in templates.env.list_templates():
        templates.env.get_template(name)
    warm_shared(catalog, request_for(catalog.models[0], catalog.hardware[0]))
    arch, hw = catalog.models[0], catalog.hardware[0]  # one page's whole path, so nothing is first for a visitor
    faq(pair_report(arch, hw))
    svg.context_chart(context_points(arch, hw, Inputs()))


def first_paths(app: FastAPI) -> list[str]:
    """One request of each page kind a visitor lands on (see serving.prime), for the catalog's first pair."""
    catalog = get_catalog()
    arch, hw = catalog.models[0], catalog.hardware[0]
    return [app.url_path_for("home"), app.url_path_for("models_index"), app.url_path_for("hardware_index"),
            app.url_path_for("model_page", model_slug=slug(arch.name)),
            app.url_path_for("hardware_page", hardware_slug=slug(hw.name)), slugs.pair_url(arch.name, hw.name),
            app.url_path_for("api_estimate") + "?" + urlencode({"model": arch.name, "hardware": hw.name})]


# A page allocates tens of thousands of small objects: at CPython's default threshold (700) the collector ran ~1.5
# times a page and took ~7 % of the serving time, with pauses of 30-80 ms when it walked the whole heap (measured on
# 800 mixed requests: 1,196 collections, 500 ms; after this, 245 and 107 ms).
GC_THRESHOLDS = (50_000, 20, 20)


def settle_heap() -> None:
    """After start-up: the catalog, matrices and templates live as long as the process, so they leave the
    collector's view (gc.freeze), and collections run less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def add_security_headers(request: Request, response: Response) -> Response:
    """For answers made outside the middleware stack (the 500 handler)."""
    response.headers.update(security_headers(request.url.path, response.status_code))
    return response


def listed(request: Request, allowed: frozenset[str], filters: Any, entries: Any, as_dict: Any) -> list[dict]:
    """A catalog list (index page or API) under its filters; UserError for an unknown parameter or a bad filter."""
    if extra := unknown_params(request, allowed):
        raise UserError(extra)
    return [as_dict(e) for e in filters.check().apply(entries)]


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """The site and API; `config` defaults to the environment `rigfit serve` sets (uvicorn calls this factory)."""
    templates = page_templates(HERE / "templates")

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        warm(templates)
        failed = {path: status for path, status in (await prime(app, first_paths(app))).items() if status != 200}
        if failed:
            logger.error("pages failing at start-up: %s", failed)
        settle_heap()
        yield

    # FastAPI's Swagger UI loads its assets from a CDN; the site must work offline, so /docs is our own page
    # rendered from the same OpenAPI document (served at /openapi.json).
    app = FastAPI(title="rigfit", description="Will this LLM run on this hardware, and how well?", version="1",
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    config = config or ServeConfig.from_env()
    if config.public:
        app.router.route_class = InlineRoute
    # The last added runs first: headers on every answer (admission control's 503s included), then admission.
    if not config.bulk:  # `rigfit export` asks each page once, one at a time
        app.add_middleware(Admission, config=config)
        app.add_middleware(PageCache)
    app.add_middleware(SiteHeaders)
    templates.env.globals.update(pair_url=slugs.pair_url, slug=slug, why=docs.WHY)
    templates.env.filters.update({name: getattr(fmt, name) for name in FORMAT_FILTERS})
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):  # type: ignore[no-untyped-def]
        """A bug: logged with its traceback on the server, one line to the visitor, security headers as always."""
        logger.exception("unhandled error on %s", request.url.path)
        response: Response
        if is_api(request):
            response = JSONResponse({"detail": "internal error"}, status_code=500)
        else:
            response = templates.TemplateResponse(request, "error.html", {
                "title": "Something went wrong", "message": "This page failed; the error was logged.",
                "suggestions": []}, status_code=500)
        return add_security_headers(request, response)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        return PlainTextResponse("ok")

    @app.exception_handler(PageError)
    async def page_error(request: Request, exc: PageError):  # type: ignore[no-untyped-def]
        return templates.TemplateResponse(request, "error.html", {"title": exc.title, "message": exc.message,
                                                                   "suggestions": exc.suggestions}, status_code=exc.status)

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    @app.exception_handler(RequestValidationError)
    async def bad_value(request: Request, exc: RequestValidationError):  # type: ignore[no-untyped-def]
        """A value that is not even of the right type (context=abc): 422 with one line, like UserError."""
        message = validation_message(exc)
        if is_api(request):
            message = api_terms(message)
            return JSONResponse({"detail": message}, status_code=422)
        return templates.TemplateResponse(request, "error.html", {"title": "Cannot check that", "message": message,
                                                                   "suggestions": []}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):  # type: ignore[no-untyped-def]
        """Unknown paths: JSON under /api, an HTML page (with the path escaped) everywhere else."""
        if is_api(request):
            return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)
        title = "Page not found" if exc.status_code == 404 else str(exc.detail)
        message = f"Nothing at {request.url.path!r}." if exc.status_code == 404 else str(exc.detail)
        return templates.TemplateResponse(request, "error.html", {"title": title, "message": message,
                                                                   "suggest_heading": "Browse",
                                                                   "suggestions": [("Models", "/models"),
                                                                                   ("Hardware", "/hardware")]},
                                          status_code=exc.status_code, headers=exc.headers)

    def resolve_pair(pair: str) -> tuple[Architecture, Hardware, str]:
        """The model and hardware of a pair URL, resolved once; the third value is how links name the hardware."""
        if pair.endswith("-on-local") and not config.public:  # this machine, detected (the site served locally)
            arch = slugs.model_for(pair[: -len("-on-local")])
            if arch:
                return arch, resolve_hardware("local"), "local"
        arch, hw, mtext, htext = slugs.split_pair(pair)
        if arch and hw:
            return arch, hw, hw.name
        # every suggestion is a pair of real catalog entries, so each link lands on a page
        models = [arch.name] if arch else slugs.model_suggestions(mtext or pair)[:3]
        hws = [hw.name] if hw else slugs.hardware_suggestions(htext or pair)[:3]
        sugg = [(f"{m} on {h}", slugs.pair_url(m, h)) for m in models for h in hws]
        sugg.append((f"Search for {mtext.replace('-', ' ')!r} on {htext.replace('-', ' ')!r}",
                     "/check?" + urlencode({"model": mtext.replace("-", " "), "hardware": htext.replace("-", " ")})))
        raise PageError(404, "Not in the catalog", f"No model and hardware called {pair!r}.", sugg)

    def report_or_error(request: Request, arch: Architecture, hw: Hardware, inp: Inputs) -> dict[str, Any]:
        extra = unknown_params(request, KNOWN)
        if extra:
            raise PageError(422, "Cannot check that", extra)
        try:
            return pair_report(arch, hw, inp)
        except UserError as exc:
            raise PageError(422, "Cannot check that", str(exc)) from exc

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):  # type: ignore[no-untyped-def]
        return templates.TemplateResponse(request, "index.html", {
            "models": [m.name for m in load_models()], "hardware": [h.name for h in load_hardware()],
            "popular": popular_pairs()})

    @app.get("/check", response_class=HTMLResponse)
    def check(request: Request, model: str = "", hardware: str = ""):  # type: ignore[no-untyped-def]
        """Free text to the pair page when both sides name one entry; otherwise a results page (never a 404)."""
        extra = unknown_params(request, frozenset({"model", "hardware"}))
        if extra:
            raise PageError(422, "Cannot search that", extra)
        ms = search.search_model(model)
        if ms.entry and hardware.strip().lower() in LOCAL_NAMES and not config.public:  # this machine, served locally
            return RedirectResponse(slugs.pair_url(ms.entry.name, "local"), status_code=303)
        hs = search.search_hardware(hardware)
        if ms.entry and hs.entry:
            hw = hs.entry
            if hardware.strip() and hw.count > 1 and slugs.hardware_for(slug(hw.name)):  # "2x RTX 3090": ?gpus=2
                return RedirectResponse(f"{slugs.pair_url(ms.entry.name, hw.name)}?gpus={hw.count}", status_code=303)
            # "m4 max" lands on one configuration; the pair page lists the others to pick from
            return RedirectResponse(slugs.pair_url(ms.entry.name, hw.name), status_code=303)
        return templates.TemplateResponse(request, "results.html", {
            "model_text": model, "hardware_text": hardware, "ms": ms, "hs": hs,
            "pairs": search_pairs(ms, hs), "models": [m.name for m in load_models()],
            "hardware": [h.name for h in load_hardware()]})

    @app.get("/can-run/{pair:path}", response_class=HTMLResponse)
    def pair_page(request: Request, pair: str, inp: Inputs = Depends(inputs)):  # type: ignore[no-untyped-def]
        arch, hw, hardware = resolve_pair(pair)
        model = arch.name
        d = report_or_error(request, arch, hw, inp)
        base = slugs.pair_url(model, hardware)
        st = d["settings"]
        # the canonical spelling of every choice (what the engine resolved), so links are stable and safe
        canon = replace(inp, quant=st["quant"], workload=st["workload"], mode=st["mode"])
        state = {"quant": st["quant"], "context": inp.context, "workload": st["workload"], "mode": st["mode"],
                 "gpus": inp.gpus, "kv_type": inp.kv_type if inp.kv_type != "f16" else None,
                 "host": d["host"]["name"] if inp.host and d["host"] else None, "runtime": inp.runtime}

        def link(**change: Any) -> str:  # urlencode's output, with each value quoted once per process
            return base + "?" + "&".join(f"{k}={quoted(v)}" for k, v in {**state, **change}.items() if v is not None)

        pair_slug = base.removeprefix("/can-run/")
        # the embed card and badge show the same state as this page (defaults left out of the URL)
        shown = replace(canon, host=state["host"]).changed()
        suffix = ("?" + urlencode(shown)) if shown else ""
        points = context_points(arch, hw, canon, config.bulk)
        return templates.TemplateResponse(request, "pair.html", {
            "canonical": (config.base_url or str(request.base_url).rstrip("/")) + base + suffix, "d": d, "link": link, "state": state, "modes": load_modes(), "workloads": load_workloads(),
            "contexts": CHART_CONTEXTS, "base_url": base, "kv_types": list(KV_TYPE_BYTES),
            "hosts": [h.name for h in load_hardware() if h.kind == "cpu"], "runtimes": runtimes_for(st["quant"]),
            "meter": svg.need_meter(d["memory"]), "membar": svg.memory_bar(d["memory"]),
            "legend": svg.memory_legend(d["memory"]),
            "points": points, "chart": svg.context_chart(points),
            **variant_links(model, hardware, d),
            "faq": faq(d), "embed_url": f"/embed/{pair_slug}{suffix}",
            # a public server names itself from its configuration, never from the request's Host header
            "embed_abs": f"{config.base_url or str(request.base_url).rstrip('/')}/embed/{pair_slug}{suffix}",
            "card_url": f"/card/{pair_slug}.svg{suffix}",
            "model_url": f"/models/{slug(model)}",
            "hardware_url": f"/hardware/{slug(d['hardware']['name'])}" if hardware != "local" else "/hardware"})

    @app.get("/embed/{pair:path}", response_class=HTMLResponse)
    def embed(request: Request, pair: str, inp: Inputs = Depends(inputs)):  # type: ignore[no-untyped-def]
        arch, hw, hardware = resolve_pair(pair)
        d = report_or_error(request, arch, hw, inp)
        query = request.url.query
        return templates.TemplateResponse(request, "embed.html", {
            "d": d, "url": slugs.pair_url(arch.name, hardware) + (f"?{query}" if query else "")})

    @app.get("/card/{pair:path}.svg")
    def card(request: Request, pair: str, inp: Inputs = Depends(inputs)) -> Response:
        arch, hw, _ = resolve_pair(pair)
        d = report_or_error(request, arch, hw, inp)
        body = svg.badge(d["model"]["name"], d["hardware"]["display_name"], d["grade"], d["score"],
                         d["speed"]["decode_tps"], d["verdict"])
        return Response(body, media_type="image/svg+xml")

    @app.get("/models", response_class=HTMLResponse)
    def models_index(request: Request, f: listing.ModelFilters = Depends(listing.model_filters)):  # type: ignore[no-untyped-def]
        try:
            items = listed(request, listing.MODEL_FILTERS, f, load_models(), model_dict)
        except UserError as exc:
            raise PageError(422, "Cannot filter that", str(exc)) from exc
        return templates.TemplateResponse(request, "models.html", {
            "items": items, "families": [x.value for x in listing.ModelFamily], "f": f, "family": f.family or ""})

    @app.get("/hardware", response_class=HTMLResponse)
    def hardware_index(request: Request, f: listing.HardwareFilters = Depends(listing.hardware_filters)):  # type: ignore[no-untyped-def]
        try:
            items = listed(request, listing.HARDWARE_FILTERS, f, load_hardware(), hardware_dict)
        except UserError as exc:
            raise PageError(422, "Cannot filter that", str(exc)) from exc
        return templates.TemplateResponse(request, "hardware.html", {
            "items": items, "vendors": [x.value for x in listing.Vendor], "kinds": [x.value for x in listing.HardwareKind],
            "f": f, "vendor": f.vendor or ""})

    @app.get("/models/{model_slug:path}", response_class=HTMLResponse)
    def model_page(request: Request, model_slug: str, vendor: str = ""):  # type: ignore[no-untyped-def]
        if extra := unknown_params(request, frozenset({"vendor"})):
            raise PageError(422, "Cannot filter that", extra)
        arch = slugs.model_for(model_slug)
        if not arch:
            raise PageError(404, "Model not in the catalog", f"No model called {model_slug!r}.",
                            [(n, f"/models/{slug(n)}") for n in slugs.model_suggestions(model_slug)])
        rows = model_rows(arch.name)
        vendors = sorted({r["vendor"] for r in rows})
        shown = [r for r in rows if not vendor or r["vendor"] == vendor.lower()]
        return templates.TemplateResponse(request, "model.html", {
            "canonical": f"{config.base_url or str(request.base_url).rstrip('/')}/models/{slug(arch.name)}", "m": model_dict(arch), "rows": shown, "all_rows": rows, "vendors": vendors, "vendor": vendor.lower(),
            "downloads": sorted(get_catalog().repos_for(arch).items())})

    @app.get("/hardware/{hardware_slug:path}", response_class=HTMLResponse)
    def hardware_page(request: Request, hardware_slug: str, family: str = ""):  # type: ignore[no-untyped-def]
        if extra := unknown_params(request, frozenset({"family"})):
            raise PageError(422, "Cannot filter that", extra)
        hw = slugs.hardware_for(hardware_slug)
        if not hw:
            raise PageError(404, "Hardware not in the catalog", f"No hardware called {hardware_slug!r}.",
                            [(n, f"/hardware/{slug(n)}") for n in slugs.hardware_suggestions(hardware_slug)])
        rows = hardware_rows(hw.name)
        families = sorted({r["family"] for r in rows})
        shown = [r for r in rows if not family or r["family"].lower() == family.lower()]
        return templates.TemplateResponse(request, "hardware_page.html", {
            "canonical": f"{config.base_url or str(request.base_url).rstrip('/')}/hardware/{slug(hw.name)}", "h": hardware_dict(hw), "rows": shown, "all_rows": rows, "families": families, "family": family})

    @app.get("/api/v1/estimate", response_model=Estimate, responses=ERRORS,
             summary="Everything about one model on one piece of hardware")
    def api_estimate(request: Request, model: str, hardware: str, inp: Inputs = Depends(inputs)) -> Any:
        """Memory, placement, speed, grade, quantizations, workloads, upgrades and commands for one model on one
        piece of hardware: the object `rigfit check --json` prints for the same inputs. Sizes in GiB (2^30 bytes),
        speeds in tokens/s, times in seconds."""
        extra = unknown_params(request, KNOWN | {"model", "hardware"})
        if extra:
            return JSONResponse({"detail": extra}, status_code=422)
        try:
            # a ready JSON answer: FastAPI's generic encoder would walk the whole report again
            return JSONResponse(cached_report(model, hardware, inp))
        except UserError as exc:
            return JSONResponse({"detail": api_terms(str(exc))}, status_code=422)

    @app.get("/api/v1/matrix", response_model=list[MatrixRow], responses={**ERRORS, 200: {
        "description": "One row per cell (JSON), or the same rows as CSV with format=csv",
        "content": {"text/csv": {"schema": {"type": "string"}}}}}, summary="Every model on every device")
    def api_matrix(request: Request, quant: list[str] = Param(["Q4_K_M"]), workload: list[str] = Param(["chat"]),  # noqa: B008
                   mode: str = "balanced", context: int | None = None, hardware: list[str] = Param([]),  # noqa: B008
                   kv_type: str = "f16", format: str = "json") -> Any:
        """Every catalog model on every device (or the devices named): one row per cell, as `rigfit matrix`."""
        if extra := unknown_params(request, frozenset({"quant", "workload", "mode", "context", "hardware", "kv_type",
                                                       "format"})):
            return JSONResponse({"detail": extra}, status_code=422)
        if format not in ("json", "csv"):
            return JSONResponse({"detail": f"format must be json or csv, got {format!r}"}, status_code=422)
        try:
            settings, devices = resolve_matrix(MatrixQuery(tuple(quant), tuple(workload), mode, context,
                                                           tuple(hardware), kv_type))
        except UserError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)
        rows = [r for s in settings for r in matrix_rows(hardware_cells(get_catalog(), devices, s))]
        if format == "json":
            return JSONResponse(rows)  # a ready answer: the rows are the MatrixRow shape (tests/web/test_api_models.py)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=MATRIX_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response(out.getvalue(), media_type="text/csv")

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request):  # type: ignore[no-untyped-def]
        spec = app.openapi()
        endpoints = []
        for path, methods in spec["paths"].items():
            for method, op in methods.items():
                params = [{"name": p["name"], "required": p.get("required", False),
                           "type": schema_type(p.get("schema", {}), spec), "description": p.get("description", "")}
                          for p in op.get("parameters", [])]
                ok = op.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
                endpoints.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                                  "description": op.get("description", ""), "params": params,
                                  "returns": schema_type(ok, spec), "errors": sorted(k for k in op.get("responses", {}) if k != "200")})
        schemas = [{"name": name, "description": sch.get("description", ""),
                    "fields": [{"name": f, "type": schema_type(fs, spec), "unit": fs.get("x-unit", ""),
                                "description": fs.get("description", "").split(" [")[0]}
                               for f, fs in sch.get("properties", {}).items()]}
                   for name, sch in spec.get("components", {}).get("schemas", {}).items()
                   if name not in ("HTTPValidationError", "ValidationError")]
        return templates.TemplateResponse(request, "docs.html", {"endpoints": endpoints, "schemas": schemas})

    @app.get("/method", response_class=HTMLResponse, include_in_schema=False)
    def method_page(request: Request):  # type: ignore[no-untyped-def]
        return doc_page(request, "method")

    @app.get("/accuracy", response_class=HTMLResponse, include_in_schema=False)
    def accuracy_page(request: Request):  # type: ignore[no-untyped-def]
        return doc_page(request, "accuracy")

    def doc_page(request: Request, name: str):  # type: ignore[no-untyped-def]
        extra = unknown_params(request, frozenset())
        if extra:
            raise PageError(422, "Cannot show that", extra)
        title, body = docs.render(name)
        return templates.TemplateResponse(request, "doc.html", {"title": title, "body": body})

    @app.get("/api/v1/models", response_model=list[ModelInfo], responses=ERRORS, summary="Catalog models")
    def api_models(request: Request, f: listing.ModelFilters = Depends(listing.model_filters)) -> Any:
        """The catalog's models, filtered: every filter given must hold (family, MoE or dense, a parameter range in
        billions, a least context limit in tokens, search text)."""
        try:
            return listed(request, listing.MODEL_FILTERS, f, load_models(), model_dict)
        except UserError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/api/v1/hardware", response_model=list[HardwareInfo], responses=ERRORS,
             summary="Catalog GPUs, Macs and CPU/RAM profiles")
    def api_hardware(request: Request, f: listing.HardwareFilters = Depends(listing.hardware_filters)) -> Any:
        """The catalog's hardware, filtered: every filter given must hold (vendor, kind, a memory range in GiB per
        device, a least bandwidth in GB/s, a highest launch price in USD, search text)."""
        try:
            return listed(request, listing.HARDWARE_FILTERS, f, load_hardware(), hardware_dict)
        except UserError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/api/v1/quants", response_model=list[QuantInfo], responses=ERRORS, summary="Quantization formats")
    def api_quants(request: Request) -> Any:
        if extra := unknown_params(request, frozenset()):
            return JSONResponse({"detail": extra}, status_code=422)
        return [quant_dict(q) for q in load_quants()]

    return app


app = create_app()
