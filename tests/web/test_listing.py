"""Model and hardware lists take validated filters (enums, ranges), refuse unknown parameters, and document both."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from rigfit.catalog import load_hardware, load_models
from rigfit.web.app import create_app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def names(r) -> list[str]:
    assert r.status_code == 200, r.text
    return [x["name"] for x in r.json()]


def test_model_filters(client):
    moe = client.get("/api/v1/models", params={"family": "Qwen3", "kind": "moe"}).json()
    assert moe and all(m["family"] == "Qwen3" and m["moe"] for m in moe)
    got = {m["name"] for m in moe}
    assert "Qwen3 30B A3B" in got and "Qwen3 8B" not in got  # Qwen3-30B-A3B: 128 experts; Qwen3-8B: dense
    dense = names(client.get("/api/v1/models", params={"kind": "dense", "min_params_b": 7, "max_params_b": 9}))
    # Llama 3.1 8B: 8.03 B parameters (config.json shapes), dense; 70B is outside the range
    assert "Llama 3.1 8B" in dense and "Llama 3.1 70B" not in dense
    assert all(7 <= m.params_b <= 9 and not m.is_moe for m in load_models() if m.name in dense)
    assert names(client.get("/api/v1/models", params={"q": "llama 70b"})) == \
        [m.name for m in load_models() if all(t in f"{m.name} {m.family} {m.hf_repo} {' '.join(m.aliases)}".lower()
                                              for t in ("llama", "70b"))]
    long = names(client.get("/api/v1/models", params={"min_context": 1_000_000}))
    assert "Kimi Linear 48B A3B" in long  # model_max_length 1,048,576
    assert all(m.max_context >= 1_000_000 for m in load_models() if m.name in long)


def test_hardware_filters(client):
    big = client.get("/api/v1/hardware", params={"vendor": "apple", "min_memory_gib": 128, "q": "ultra"}).json()
    assert big and all(h["vendor"] == "apple" and h["memory_gib"] >= 128 and "Ultra" in h["name"] for h in big)
    assert "Apple M2 Ultra 76-core GPU 192GB" in {h["name"] for h in big}
    gpus = client.get("/api/v1/hardware", params={"kind": "gpu", "min_memory_gib": 24, "max_memory_gib": 24}).json()
    assert "RTX 3090" in {h["name"] for h in gpus} and all(h["memory_gib"] == 24 for h in gpus)
    cheap = client.get("/api/v1/hardware", params={"max_price_usd": 500}).json()
    assert cheap and all(h["msrp_usd"] is not None and h["msrp_usd"] <= 500 for h in cheap)
    fast = names(client.get("/api/v1/hardware", params={"min_bandwidth_gbs": 3000}))
    assert fast == [h.name for h in load_hardware() if h.bandwidth_gbs >= 3000]


@pytest.mark.parametrize("url,params,fragment", [
    ("/api/v1/models", {"famly": "Qwen3"}, "unknown query parameter 'famly'"),
    ("/api/v1/models", {"family": "Nope"}, "family: Input should be"),
    ("/api/v1/models", {"kind": "sparse"}, "kind: Input should be 'moe' or 'dense'"),
    ("/api/v1/models", {"min_params_b": 70, "max_params_b": 7}, "min_params_b (70) is above max_params_b (7)"),
    ("/api/v1/models", {"min_params_b": -1}, "greater than or equal to 0"),
    ("/api/v1/models", {"q": "x" * 101}, "at most 100 characters"),
    ("/api/v1/hardware", {"kind": "tpu"}, "kind: Input should be"),
    ("/api/v1/hardware", {"min_memory_gib": "lots"}, "min_memory_gib"),
    ("/api/v1/hardware", {"min_memory_gib": 64, "max_memory_gib": 32}, "is above max_memory_gib"),
    ("/api/v1/quants", {"family": "gguf"}, "this endpoint takes none"),
    ("/api/v1/matrix", {"quants": "Q4_K_M"}, "unknown query parameter 'quants'"),
])
def test_bad_filters_are_422(client, url, params, fragment):
    r = client.get(url, params=params)
    assert r.status_code == 422 and fragment in r.json()["detail"], r.text


def test_openapi_documents_the_filters(client):
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/models"]["get"]["parameters"]}
    assert set(params) == {"family", "kind", "min_params_b", "max_params_b", "min_context", "q"}

    def schema(p: dict) -> dict:
        s = next(x for x in p["schema"].get("anyOf", [p["schema"]]) if x.get("type") != "null")
        return spec["components"]["schemas"][s["$ref"].rsplit("/", 1)[1]] if "$ref" in s else s

    assert schema(params["kind"])["enum"] == ["moe", "dense"]
    assert "Qwen3" in schema(params["family"])["enum"]
    assert schema(params["min_params_b"])["minimum"] == 0
    hw = {p["name"]: p for p in spec["paths"]["/api/v1/hardware"]["get"]["parameters"]}
    assert set(schema(hw["kind"])["enum"]) == {h.kind for h in load_hardware()}
    ok = spec["paths"]["/api/v1/models"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["items"]["$ref"].endswith("/ModelInfo")
    assert "422" in spec["paths"]["/api/v1/hardware"]["get"]["responses"]


def test_index_pages_take_the_same_filters(client):
    # an HTML form sends its empty fields as '': no filter, not an error
    r = client.get("/models", params={"family": "", "kind": "", "min_params_b": "", "max_params_b": "", "q": ""})
    assert r.status_code == 200 and r.text.count("<tr><td><a href=\"/models/") == len(load_models())
    moe = client.get("/models", params={"kind": "moe"}).text
    assert "Kimi Linear 48B A3B" in moe and ">Llama 3.1 8B<" not in moe
    hw = client.get("/hardware", params={"q": "3090", "vendor": "", "kind": "", "min_memory_gib": "",
                                         "max_memory_gib": ""})
    assert hw.status_code == 200 and "RTX 3090" in hw.text and "RTX 4090" not in hw.text
    assert client.get("/hardware", params={"min_memory_gib": "abc"}).status_code == 422
    assert client.get("/models", params={"kind": "sparse"}).status_code == 422


def test_model_page_lists_its_verified_repositories(client):
    html = client.get("/models/llama-3-1-8b").text
    part = html.split('id="downloads"')[1].split("</p>")[0]
    # catalog/data/repos.yaml, "Llama 3.1 8B"
    assert 'href="https://huggingface.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"' in part and "(GGUF)" in part
    assert "mlx-community/Meta-Llama-3.1-8B-Instruct-4bit</a> (MLX-4bit)" in part
    assert 'id="downloads"' not in client.get("/models/gemma-2-2b").text  # none verified


def test_model_and_hardware_pages_refuse_unknown_parameters(client):
    assert client.get("/models/llama-3-1-8b", params={"vendor": "apple"}).status_code == 200
    assert client.get("/models/llama-3-1-8b", params={"vendr": "apple"}).status_code == 422
    assert client.get("/hardware/rtx-3090", params={"family": "Qwen3"}).status_code == 200
    assert client.get("/hardware/rtx-3090", params={"famly": "Qwen3"}).status_code == 422
