"""Real headless Chromium (Debian's, driven by Playwright): switch quant and mode, open the embed card, screenshot."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (make test installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from rigfit.web.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        pg = browser.new_page(viewport={"width": 1280, "height": 1600})
        yield pg
        browser.close()


def test_switch_quant_and_mode_changes_the_numbers(server, page):
    page.goto(f"{server}/can-run/kimi-linear-48b-a3b-on-rtx-3090")
    need = page.inner_text("#need-gib")
    decode = page.inner_text("#decode")
    page.click("a[data-quant='Q2_K']")
    page.wait_for_load_state()
    assert "quant=Q2_K" in page.url
    assert page.inner_text("#need-gib") != need
    assert page.inner_text("#decode") != decode
    workloads = page.inner_text("#workloads")
    page.click("a[data-mode='scale_out']")
    page.wait_for_load_state()
    assert "mode=scale_out" in page.url and "quant=Q2_K" in page.url
    assert page.inner_text("#mode .tab.on") == "Scale-out" and "16 concurrent" in page.inner_text("#mode")
    assert page.inner_text("#workloads") != workloads  # grades are weighed for serving now
    # the memory meter is drawn server-side (no JavaScript needed); JavaScript shows the copy and replay buttons
    assert page.is_visible("#memory-bar svg.meter")
    assert page.is_visible("button.replay")
    assert page.is_visible("button.copy")


def test_embed_card_and_screenshot(server, page, tmp_path):
    page.goto(f"{server}/embed/llama-3-1-8b-on-rtx-4090")
    assert page.is_visible("#fit-card")
    assert "RTX 4090" in page.inner_text("#fit-card")
    page.goto(f"{server}/can-run/llama-3-1-8b-on-rtx-4090")
    shot = tmp_path / "pair.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
