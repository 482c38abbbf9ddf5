"""Serving under load: admission control, input bounds at the edge, single-flight caching, serving settings.

A public server must answer at once when it cannot keep up (503 with Retry-After) rather than queue work for
minutes, must never compute one page twice at the same moment, and must refuse oversized input before any work.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable, TypeVar

from fastapi.routing import APIRoute
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rigfit.web.headers import etag_of

T = TypeVar("T")

MAX_URL_BYTES = 2048  # path + query; longer URLs are refused with 414 before routing
MAX_NAME_CHARS = 200  # a model or hardware name longer than this is no name (catalog names are under 80)


@dataclass(frozen=True)
class ServeConfig:
    """How the server behaves; `rigfit serve` sets it from its options through environment variables, so that
    every worker process reads the same values."""

    public: bool = False  # refuse `local`, read hub models from the cache only, never read files
    base_url: str = ""  # absolute URL for embed snippets (public mode; never the request's Host header)
    max_active: int = 1  # requests computed at once per worker: one core each; pages run on the loop (public)
    max_waiting: int = 16  # requests waiting for a slot; past that: 503 at once
    wait_s: float = 1.0  # the longest a request waits for a slot before a 503
    # pages asked in bulk by `rigfit export`: no admission control (it asks one page at a time itself), and a model's
    # context chart swept over every device at once (the model's other pages read it)
    bulk: bool = False

    @classmethod
    def from_env(cls) -> "ServeConfig":
        env = os.environ
        return cls(
            public=env.get("RIGFIT_PUBLIC", "") == "1",
            base_url=env.get("RIGFIT_BASE_URL", "").rstrip("/"),
            max_active=int(env.get("RIGFIT_MAX_ACTIVE") or cls.max_active),
            max_waiting=int(env.get("RIGFIT_MAX_WAITING", cls.max_waiting)),
            wait_s=float(env.get("RIGFIT_WAIT_S", cls.wait_s)),
        )


def _is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/openapi.json"


def _refuse(scope: Scope, status: int, message: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    if _is_api(scope.get("path", "")):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return PlainTextResponse(message, status_code=status, headers=headers)


async def _client_left(receive: Receive) -> tuple[bool, list[Message]]:
    """Whether the client has closed its connection, without waiting: the request's own messages (a GET's empty
    body) are read and returned, to be replayed to the app; a further message ready at once can only be the
    server's notice that the client went away."""
    read: list[Message] = []
    while True:
        task = asyncio.ensure_future(receive())
        await asyncio.sleep(0)
        if not task.done():
            task.cancel()
            return False, read
        message = task.result()
        if message["type"] == "http.disconnect":
            return True, read
        read.append(message)  # then look again: once the body is complete, only a disconnect can be ready


def _replaying(read: list[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        return read.pop(0) if read else await receive()
    return replay


class Admission:
    """ASGI middleware: at most `max_active` requests run, at most `max_waiting` wait (each no longer than
    `wait_s`); any other request is answered 503 with Retry-After at once. Static files and the health probe skip
    the queue, so a saturated server still shows it is alive. A client that left while waiting costs nothing: its
    request is dropped when its turn comes."""

    def __init__(self, app: ASGIApp, config: ServeConfig) -> None:
        self.app = app
        self.config = config
        self._slots: asyncio.Semaphore | None = None
        self._admitted = 0  # requests past the bound check, waiting or running

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        raw = len(scope.get("raw_path", b"") or path.encode()) + len(scope.get("query_string", b""))
        if raw > MAX_URL_BYTES:
            await _refuse(scope, 414, f"URL longer than {MAX_URL_BYTES} bytes")(scope, receive, send)
            return
        if path.startswith("/static/") or path == "/healthz":
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.config.max_active)
        if self._admitted >= self.config.max_active + self.config.max_waiting:
            await self._busy(scope, receive, send)
            return
        self._admitted += 1
        try:
            await self._serve(scope, receive, send)
        finally:
            self._admitted -= 1

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self._slots is not None
        # Yield once before taking a slot: requests that arrived together are all counted before any of them runs
        # (a page runs on the loop without yielding), so the bound above sees the real queue.
        await asyncio.sleep(0)
        try:
            await asyncio.wait_for(self._slots.acquire(), timeout=self.config.wait_s)
        except asyncio.TimeoutError:
            await self._busy(scope, receive, send)
            return
        try:
            left, read = await _client_left(receive)
            if not left:
                await self.app(scope, _replaying(read, receive), send)
                # Keep the slot through one more turn of the loop: the next page starts only after the loop has
                # accepted, refused and probed whatever arrived meanwhile.
                await asyncio.sleep(0)
        finally:
            self._slots.release()

    async def _busy(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _refuse(scope, 503, "the server is busy; try again in a second",
                      {"Retry-After": "1"})(scope, receive, send)


async def prime(app: ASGIApp, paths: list[str]) -> dict[str, int]:
    """GET each path once through the whole stack, before the first visitor; the status of each, bodies discarded.
    FastAPI reads an endpoint's source file on that endpoint's first request (fastapi.routing.
    _extract_endpoint_context calls inspect.getsourcelines: ~2 ms per route, once), and a page kind's first render
    fills caches the later ones share: done at start-up, no visitor pays for it."""
    statuses: dict[str, int] = {}
    for path in paths:
        requested = False

        async def receive() -> Message:  # the empty body once, then no disconnect until the answer is done
            nonlocal requested
            if requested:
                await asyncio.Event().wait()  # cancelled by the server once the response is sent
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def note_status(message: Message, path: str = path) -> None:
            if message["type"] == "http.response.start":
                statuses[path] = message["status"]

        target, _, query = path.partition("?")
        await app({"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                   "scheme": "http", "path": target, "raw_path": target.encode(), "query_string": query.encode(),
                   "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 0), "server": ("localhost", 80),
                   "root_path": ""}, receive, note_status)
    return statuses


class PageCache:
    """ASGI middleware: a GET answer that depends only on its URL (one with an ETag: not `local`) and came out 200 is
    kept, whole, least recently used dropped past `limit_bytes`; the same URL asked again is replayed from memory
    without admission or any work. Model, hardware and index pages are asked again and again; a page costs
    milliseconds to render, a replay microseconds."""

    MAX_ANSWER_BYTES = 512 * 1024  # larger answers (a whole matrix over the API) are not kept

    def __init__(self, app: ASGIApp, limit_bytes: int = 48 * 2**20) -> None:
        self.app = app
        self.limit_bytes = limit_bytes
        self.size = 0
        self.items: OrderedDict[str, tuple[Message, bytes]] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = etag_of(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        kept = self.items.get(key)
        if kept is not None:
            self.items.move_to_end(key)
            start, body = kept
            await send(dict(start, headers=list(start["headers"])))
            await send({"type": "http.response.body", "body": body})
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":  # a copy: the headers middleware adds to the message
                start = {"type": message["type"], "status": message["status"], "headers": list(message["headers"])}
            elif message["type"] == "http.response.body" and start.get("status") == 200:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._put(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, keep)

    def _put(self, key: str, start: Message, body: bytes) -> None:
        if len(body) > self.MAX_ANSWER_BYTES or any(k == b"set-cookie" for k, _ in start["headers"]):
            return
        self.items[key] = (start, body)
        self.size += len(body)
        while self.size > self.limit_bytes:
            _, (_, dropped) = self.items.popitem(last=False)
            self.size -= len(dropped)


def single_flight(fn: Callable[..., T]) -> Callable[..., T]:
    """Memoize `fn` (arguments must be hashable) so that concurrent calls with the same arguments compute once:
    the first caller computes, the others wait for its result. Errors are not cached."""
    results: dict[Any, T] = {}
    locks: dict[Any, threading.Lock] = {}
    guard = threading.Lock()
    limit = 512  # a pair report is ~50 KB of dicts: 512 of them is ~25 MB per cached function and worker

    missing = object()

    @wraps(fn)
    def wrapper(*args: Any) -> T:
        # one lookup, never "in" then "[]": another thread may evict the key between the two
        value = results.get(args, missing)
        if value is not missing:
            return value  # type: ignore[return-value]
        with guard:
            lock = locks.setdefault(args, threading.Lock())
        with lock:
            value = results.get(args, missing)
            if value is not missing:
                return value  # type: ignore[return-value]
            value = fn(*args)
            if len(results) >= limit:
                results.pop(next(iter(results)))
            results[args] = value  # type: ignore[assignment]
        with guard:
            locks.pop(args, None)
        return value

    wrapper.cache_clear = results.clear  # type: ignore[attr-defined]
    return wrapper


class InlineRoute(APIRoute):
    """A route whose plain (def) endpoint runs on the event loop itself instead of in a worker thread. Pages take
    milliseconds of pure Python: a thread only adds a hand-off and makes the loop fight page threads for the GIL,
    so accepting, refusing (503) and health probes slow down exactly when the server is busy. Used by the public
    server, which never waits on the network or the machine (no hub fetches, no `local`); a server for one person
    keeps threads, since there a request may wait seconds on the hub."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not asyncio.iscoroutinefunction(endpoint):
            endpoint = _on_loop(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _on_loop(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)  # FastAPI reads the parameters (and their annotations' module) through __wrapped__
    async def call(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)
    return call
