"""The issue's checks against the running site: `rigfit serve` on a free port, fetched with httpx as a client would."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rigfit", "serve", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # start-up warms the shared matrices (seconds on a loaded machine)
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("rigfit serve did not start")
        with httpx.Client(base_url=base, timeout=60) as client:
            yield client
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_alias_url_names_its_canonical_url_and_pages_cache(site):
    r = site.get("/can-run/kimi-linear-48b-a3b-on-rtx-3090-24gb")
    assert r.status_code == 200
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', r.text).group(1)
    assert canonical == str(site.base_url).rstrip("/") + "/can-run/kimi-linear-48b-a3b-on-rtx-3090"
    for url in ("/can-run/kimi-linear-48b-a3b-on-rtx-3090", "/api/v1/models?kind=moe", "/models/llama-3-1-8b"):
        first = site.get(url)
        assert first.headers["cache-control"] == "public, max-age=3600" and first.headers["etag"], url
        assert site.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304, url


def test_api_answers_with_verified_commands_and_refuses_unknown_filters(site):
    d = site.get("/api/v1/estimate", params={"model": "Qwen3 8B", "hardware": "RTX 4090"}).json()
    # catalog/data/repos.yaml, "Qwen3 8B": ggml-org/Qwen3-8B-GGUF (the ggml-org Qwen 3 collection page)
    assert d["commands"]["llama.cpp"].startswith("llama-server -hf ggml-org/Qwen3-8B-GGUF:Q4_K_M ")
    assert "FROM hf.co/ggml-org/Qwen3-8B-GGUF:Q4_K_M" in d["commands"]["ollama"]
    assert any(x["repo"] == "Qwen/Qwen3-8B-AWQ" for x in d["downloads"])
    r = site.get("/api/v1/hardware", params={"vendr": "apple"})
    assert r.status_code == 422 and "unknown query parameter 'vendr'" in r.json()["detail"]
