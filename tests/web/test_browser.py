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
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def console(browser):
    """Console errors of the shared page (a CSP violation shows up here)."""
    return []


@pytest.fixture(scope="module")
def page(browser, console):
    pg = browser.new_page(viewport={"width": 1280, "height": 1600})
    pg.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: console.append(str(e)))
    yield pg
    pg.close()


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


def test_simulated_chat_types_at_the_predicted_speed_after_the_predicted_wait(server, browser):
    import json
    import urllib.request

    url = f"{server}/api/v1/estimate?model=Llama+3.1+8B&hardware=RTX+4090"
    sp = json.load(urllib.request.urlopen(url))["speed"]
    ctx = browser.new_context()
    pg = ctx.new_page()
    # fake timers, paused: time moves only with run_for, however long the page takes to load on a busy machine
    pg.clock.install(time=0)
    pg.clock.pause_at(1000)
    pg.goto(f"{server}/can-run/llama-3-1-8b-on-rtx-4090")
    cold = pg.locator(".answer-text[data-kind='cold']")
    warm = pg.locator(".answer-text[data-kind='warm']")
    pg.clock.run_for(int(sp["cold_ttft_s"] * 1000) - 200)
    assert "waiting" in cold.inner_text()  # cold start: nothing before the cold time to first token
    pg.clock.run_for(200 + int(10 * 1000 / sp["decode_tps"]))
    first = cold.inner_text()
    assert first.startswith("Here")
    # typing rate, independent of when the timers started: 40 more tokens of ~4 characters each
    pg.clock.run_for(int(40 * 1000 / sp["decode_tps"]))
    grown = len(cold.inner_text()) - len(first)
    assert 80 <= grown <= 240, grown
    pg.clock.run_for(60_000)
    assert cold.inner_text().endswith("sorts each part recursively.")
    assert warm.inner_text().endswith("Google-style docstring.")
    pg.click("button.replay")
    pg.clock.run_for(100)
    assert "waiting" in cold.inner_text()
    ctx.close()


def test_sortable_table_and_filter(server, page):
    page.goto(f"{server}/models/llama-3-1-8b")
    decode_col = page.locator("#hardware-list th", has_text="Decode")
    decode_col.click()
    values = [float(v) for v in page.eval_on_selector_all(
        "#hardware-list tbody tr td:nth-child(6)", "cells => cells.map(c => c.dataset.sort)")]
    assert values == sorted(values)
    decode_col.click()
    values = [float(v) for v in page.eval_on_selector_all(
        "#hardware-list tbody tr td:nth-child(6)", "cells => cells.map(c => c.dataset.sort)")]
    assert values == sorted(values, reverse=True)
    page.select_option("#hardware-list select[name='vendor']", "apple")
    page.click("#hardware-list button[type='submit']")
    page.wait_for_load_state()
    assert "vendor=apple" in page.url and "RTX 4090" not in page.inner_text("#hardware-list tbody")


def test_works_without_javascript(server, browser):
    ctx = browser.new_context(java_script_enabled=False)
    pg = ctx.new_page()
    pg.goto(f"{server}/can-run/kimi-linear-48b-a3b-on-rtx-pro-4500-blackwell")
    assert "tok/s" in pg.inner_text("#feel")  # the chat's numbers as text
    decode = pg.inner_text("#decode")
    pg.click("a[data-quant='Q6_K']")
    assert "quant=Q6_K" in pg.url and pg.inner_text("#decode") != decode
    pg.select_option("#quant select[name='workload']", "rag")
    pg.click("#quant button[type='submit']")
    assert "workload=rag" in pg.url and "quant=Q6_K" in pg.url
    assert pg.is_hidden("button.copy")  # copy buttons appear only with JavaScript
    ctx.close()


def test_no_console_errors_and_no_csp_violations(server, page, console):
    console.clear()
    for path in ("/", "/can-run/kimi-linear-48b-a3b-on-rtx-3090", "/hardware", "/embed/kimi-linear-48b-a3b-on-rtx-3090"):
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
    assert console == []


# every page type, as a phone (390 px wide, an iPhone 12-15 viewport) opens it
PHONE_PAGES = ("/", "/can-run/kimi-linear-48b-a3b-on-rtx-3090", "/can-run/gpt-oss-120b-on-apple-m3-ultra-80-core-gpu-512gb",
               "/can-run/qwen3-30b-a3b-on-rtx-3060-12gb?mode=scale_out&gpus=2", "/models", "/hardware",
               "/models/llama-3-1-8b", "/hardware/rtx-3090", "/embed/kimi-linear-48b-a3b-on-rtx-3090", "/docs",
               "/can-run/foo-on-bar", "/no-such-page", "/method", "/accuracy", "/check?model=llama&hardware=8gb",
               "/hardware?vendor=apple&min_memory_gib=64&q=ultra", "/models?kind=moe&min_params_b=20")
# the smallest text a phone user can read without zooming (CSS px, after the SVG's own scaling)
MIN_TEXT_PX = 10


@pytest.fixture(scope="module")
def phone(browser):
    pg = browser.new_page(viewport={"width": 390, "height": 844})
    yield pg
    pg.close()


@pytest.mark.parametrize("path", PHONE_PAGES)
def test_no_page_is_wider_than_a_phone(server, phone, path):
    phone.goto(server + path)
    width, inner = phone.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert inner == 390 and width <= inner, (path, width)
    # SVG text is scaled with its viewBox: the size on screen is the font size times the SVG's scale
    sizes = phone.eval_on_selector_all(
        "svg:not(.swatch) text", "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)")
    assert all(s >= MIN_TEXT_PX for s in sizes), (path, min(sizes))


def test_the_pair_page_charts_are_drawn_readable_on_a_phone(server, phone):
    phone.goto(server + "/can-run/kimi-linear-48b-a3b-on-rtx-3090")
    sizes = phone.eval_on_selector_all(
        "#context-chart svg text", "ts => ts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)")
    assert len(sizes) > 20 and min(sizes) >= MIN_TEXT_PX
    # the legend of the memory bar is HTML text at the page's own size
    legend = phone.eval_on_selector("#breakdown ul.legend li", "li => parseFloat(getComputedStyle(li).fontSize)")
    assert legend >= 12
