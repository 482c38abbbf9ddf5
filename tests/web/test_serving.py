"""Serving under load and in public: admission control, bounds at the edge, one error path, public mode."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from starlette.responses import PlainTextResponse

from rigfit.web.serving import MAX_URL_BYTES, Admission, PageCache, ServeConfig, prime, single_flight


def slow_app(config: ServeConfig) -> Admission:
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict:
        await asyncio.sleep(0.3)
        return {"ok": True}

    @app.get("/api/slow")
    async def api_slow() -> dict:
        await asyncio.sleep(0.3)
        return {"ok": True}

    return Admission(app, config)


def fire(app, paths: list[str]) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    """Send the requests at once to the app served by uvicorn on a loopback port (real concurrency)."""
    import socket

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            return list(await asyncio.gather(*(client.get(p) for p in paths)))

    try:
        return asyncio.run(go())
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_past_the_queue_the_server_answers_503_at_once():
    app = slow_app(ServeConfig(max_active=1, max_waiting=1, wait_s=5))
    t = time.perf_counter()
    answers = (fire(app, ["/slow", "/slow", "/api/slow"]))
    codes = sorted(r.status_code for r in answers)
    # one runs, one waits for it, the third finds the queue full
    assert codes == [200, 200, 503]
    busy = next(r for r in answers if r.status_code == 503)
    assert busy.headers["Retry-After"] == "1" and busy.json()["detail"].startswith("the server is busy")
    assert time.perf_counter() - t < 1.5  # the 503 did not wait behind the others


def test_a_request_that_waits_too_long_gets_503():
    app = slow_app(ServeConfig(max_active=1, max_waiting=10, wait_s=0.05))
    codes = sorted(r.status_code for r in (fire(app, ["/slow", "/slow"])))
    assert codes == [200, 503]


def test_overlong_urls_are_refused_before_any_work():
    app = slow_app(ServeConfig())
    (r,) = (fire(app, ["/slow?x=" + "a" * MAX_URL_BYTES]))
    assert r.status_code == 414


def test_single_flight_computes_once_for_concurrent_callers():
    calls = []

    @single_flight
    def work(x: int) -> int:
        calls.append(x)
        time.sleep(0.2)
        return x * 2

    results = []
    threads = [threading.Thread(target=lambda: results.append(work(21))) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [42] * 8 and calls == [21]


@pytest.fixture
def public_client(monkeypatch):
    monkeypatch.setenv("RIGFIT_PUBLIC", "1")
    monkeypatch.setenv("RIGFIT_BASE_URL", "https://rigfit.example")
    from rigfit.web.app import cached_report, create_app

    cached_report.cache_clear()
    yield TestClient(create_app())
    cached_report.cache_clear()


def test_public_server_never_checks_its_own_machine(public_client):
    r = public_client.get("/api/v1/estimate", params={"model": "Llama 3.1 8B", "hardware": "local"})
    assert r.status_code == 422 and "does not check its own machine" in r.json()["detail"]
    assert public_client.get("/can-run/llama-3-1-8b-on-local").status_code == 404


def test_public_server_embed_snippet_uses_its_configured_address(public_client):
    html = public_client.get("/can-run/llama-3-1-8b-on-rtx-4090", headers={"Host": "evil.example"}).text
    assert "https://rigfit.example/embed/llama-3-1-8b-on-rtx-4090" in html
    assert "evil.example" not in html


def test_long_and_file_like_model_names_are_unknown_models_not_500s():
    from rigfit.web.app import create_app

    client = TestClient(create_app())
    long = client.get("/api/v1/estimate", params={"model": "x" * 300, "hardware": "RTX 3090"})
    assert long.status_code == 422 and "at most 200 characters" in long.json()["detail"]
    path = client.get("/api/v1/estimate", params={"model": "../../etc/shadow", "hardware": "RTX 3090"})
    assert path.status_code == 422 and path.json()["detail"].startswith("unknown model '../../etc/shadow'")


def test_a_bug_is_a_500_with_the_security_headers_and_no_traceback():
    from rigfit.web.app import create_app

    app = create_app()

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    client = TestClient(app, raise_server_exceptions=False)
    r = client.get("/api/v1/boom")
    assert r.status_code == 500 and r.json() == {"detail": "internal error"}
    assert "Content-Security-Policy" in r.headers and r.headers["X-Content-Type-Options"] == "nosniff"
    assert "secret" not in r.text


def test_error_pages_under_embed_cannot_be_framed():
    from rigfit.web.app import create_app

    r = TestClient(create_app()).get("/embed/nothing-on-nowhere")
    assert r.status_code == 404 and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


def test_hostile_inputs_from_the_reliability_review_are_4xx():
    """Each input that once cost seconds or a 500 (issue: reliability and security) answers 4xx at once."""
    from rigfit.web.app import create_app

    client = TestClient(create_app())
    t = time.perf_counter()
    assert client.get("/check", params={"model": "x" * 10_000, "hardware": "RTX 3090"}).status_code == 414
    assert time.perf_counter() - t < 1.0
    hub_newline = client.get("/api/v1/estimate", params={"model": "org/name\n", "hardware": "RTX 3090"})
    assert hub_newline.status_code == 422
    many = " + ".join(["99x RTX 3090"] * 10)  # 990 devices in 148 characters
    r = client.get("/api/v1/estimate", params={"model": "Llama 3.1 8B", "hardware": many})
    assert r.status_code == 422 and "64" in r.json()["detail"]
    assert client.get("/api/v1/estimate", params={"model": "a\nb", "hardware": "RTX 3090"}).status_code == 422


def blocking_app(config: ServeConfig, seconds: float) -> Admission:
    """Pages that run on the event loop and block it while they compute, as the public server's do."""
    from rigfit.web.serving import InlineRoute

    app = FastAPI()
    app.router.route_class = InlineRoute

    @app.get("/page")
    def page() -> dict:
        time.sleep(seconds)
        return {"ok": True}

    return Admission(app, config)


def test_a_burst_past_the_bound_is_refused_although_pages_block_the_loop():
    # 10 at once, 1 computing + 2 waiting allowed: pages never yield while they compute, so the bound must count
    # every request that arrived before the first page starts, or all 10 would be computed one after another
    # (a request arriving after the first page finished may take a freed place: hence "at least")
    answers = fire(blocking_app(ServeConfig(max_active=1, max_waiting=2, wait_s=5), 0.3), ["/page"] * 10)
    codes = [r.status_code for r in answers]
    assert codes.count(200) >= 3 and codes.count(503) >= 5 and set(codes) == {200, 503}


def test_a_client_that_left_while_waiting_costs_no_work():
    called = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        called.append((await receive())["type"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def receiver(then_disconnect: bool):  # type: ignore[no-untyped-def]
        messages = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive():  # type: ignore[no-untyped-def]
            if messages:
                return messages.pop(0)
            if then_disconnect:
                return {"type": "http.disconnect"}
            await asyncio.Event().wait()  # a client still connected: nothing more to read
        return receive

    async def sent(message):  # type: ignore[no-untyped-def]
        pass

    scope = {"type": "http", "path": "/page", "raw_path": b"/page", "query_string": b"", "method": "GET"}
    gate = Admission(app, ServeConfig())
    asyncio.run(gate(scope, receiver(then_disconnect=True), sent))
    assert called == []  # gone: not computed
    asyncio.run(gate(scope, receiver(then_disconnect=False), sent))
    assert called == ["http.request"]  # still there: computed, and the app read the request's own message


def test_public_pages_run_on_the_event_loop_thread():
    from rigfit.web.serving import InlineRoute

    seen: dict[str, int] = {}
    app = FastAPI()
    app.router.route_class = InlineRoute

    @app.get("/sync")
    def sync_page() -> dict:
        seen["sync"] = threading.get_ident()
        return {}

    @app.get("/async")
    async def async_page() -> dict:
        seen["loop"] = threading.get_ident()
        return {}

    with TestClient(app) as client:
        client.get("/sync")
        client.get("/async")
    assert seen["sync"] == seen["loop"]  # no hand-off to a worker thread


def counting_app(limit_bytes: int = 1 << 20):  # type: ignore[no-untyped-def]
    app = FastAPI()
    calls: list[str] = []

    @app.get("/page/{name}")
    def page(name: str) -> PlainTextResponse:
        calls.append(name)
        return PlainTextResponse(name * 100)

    @app.get("/missing")
    def missing() -> PlainTextResponse:
        calls.append("missing")
        return PlainTextResponse("no", status_code=404)

    return PageCache(app, limit_bytes=limit_bytes), calls


def test_a_page_asked_again_is_replayed_not_recomputed():
    app, calls = counting_app()
    client = TestClient(app)
    first, again = client.get("/page/a"), client.get("/page/a")
    assert first.text == again.text == "a" * 100 and again.headers["content-length"] == "100"
    client.get("/page/a?x=1")  # another URL is another answer
    assert calls == ["a", "a"]


def test_errors_and_answers_about_this_machine_are_never_kept():
    app, calls = counting_app()
    client = TestClient(app)
    client.get("/missing"), client.get("/missing")
    client.get("/page/x-on-local"), client.get("/page/x-on-local")
    assert calls == ["missing", "missing", "x-on-local", "x-on-local"]


def test_the_page_cache_keeps_to_its_byte_limit():
    # 100-byte answers under a 250-byte limit: the third evicts the least recently used (a, since b was read last)
    app, calls = counting_app(limit_bytes=250)
    client = TestClient(app)
    for name in ("a", "b", "b", "c", "b", "a"):
        client.get(f"/page/{name}")
    assert calls == ["a", "b", "c", "a"] and app.size <= 250


def test_start_up_asks_every_landing_page_kind_once_and_each_answers():
    # prime() is how the first visitor is spared FastAPI's per-route first-request cost: each path must reach a real
    # page (a 404 would prime the error handler instead), through the whole stack (the page cache then holds it)
    from rigfit.web.app import create_app, first_paths

    app = create_app()
    paths = first_paths(app)
    kinds = {p.split("/")[1].split("?")[0] or "home" for p in paths}
    assert kinds == {"home", "models", "hardware", "can-run", "api"} and len(paths) == 7
    assert asyncio.run(prime(app, paths)) == {p: 200 for p in paths}


def test_prime_reports_a_page_that_fails():
    app = FastAPI()

    @app.get("/ok")
    def ok() -> PlainTextResponse:
        return PlainTextResponse("ok")

    assert asyncio.run(prime(app, ["/ok", "/nowhere"])) == {"/ok": 200, "/nowhere": 404}
