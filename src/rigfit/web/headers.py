"""Headers on every answer, as plain ASGI (no per-request task or stream, unlike Starlette's BaseHTTPMiddleware):
security headers always; ETag and Cache-Control on pages and API answers, and a 304 for a matching
If-None-Match before any work is done."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rigfit.query import LOCAL_NAMES
from rigfit.web import caching

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'")


def security_headers(path: str, status: int) -> dict[str, str]:
    """CSP and nosniff on every answer, errors included; only the embed card and badge (not their errors) may be
    framed."""
    if path.startswith(("/embed/", "/card/")) and status < 400:
        return {"Content-Security-Policy": CSP + "; frame-ancestors *", "X-Content-Type-Options": "nosniff"}
    return {"Content-Security-Policy": CSP + "; frame-ancestors 'none'", "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff"}


def etag_of(scope: Scope) -> str | None:
    """The answer's ETag when it depends only on the site version and the URL; none for answers about the machine
    the server runs on (`hardware=local`), which differ per server."""
    path = scope["path"]
    if not caching.cacheable(scope["method"], path) or path == "/healthz":
        return None
    query = scope.get("query_string", b"").decode("latin-1")
    if QueryParams(query).get("hardware", "").strip().lower() in LOCAL_NAMES:
        return None
    return caching.etag_for(Headers(scope=scope).get("host", ""), path, query)


class SiteHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        etag = etag_of(scope)
        cache = {"ETag": etag, "Cache-Control": f"public, max-age={caching.MAX_AGE_S}"} if etag else {}
        if etag and caching.matches(Headers(scope=scope).get("if-none-match"), etag):
            headers = {**cache, **security_headers(path, 304)}
            await send({"type": "http.response.start", "status": 304,
                        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in {**(cache if message["status"] == 200 else {}),
                             **security_headers(path, message["status"])}.items():
                    headers[k] = v
            await send(message)

        await self.app(scope, receive, send_with_headers)
