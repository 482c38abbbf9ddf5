"""Every field the API answers is declared in web/api_models.py (extra=forbid): the JSON and its OpenAPI schema
cannot drift apart."""

from __future__ import annotations

import pytest

from rigfit.catalog import load_hardware, load_models, load_quants
from rigfit.output import hardware_dict, model_dict, quant_dict, report_dict
from rigfit.query import Query, run_query
from rigfit.web.api_models import Estimate, HardwareInfo, ModelInfo, QuantInfo


@pytest.mark.parametrize("query", [
    Query("Kimi Linear 48B A3B", "RTX 3090"),  # expert offload, verified GGUF / AWQ / NVFP4 repositories
    Query("Kimi Linear 48B A3B", "RTX PRO 4500 Blackwell"),  # a vLLM command on the NVFP4 checkpoint
    Query("Qwen3 8B", "Apple M4 Max 40-core GPU 128GB"),  # an MLX command on a verified MLX checkpoint
    Query("Llama 3.1 405B", "RTX 3060 12GB"),  # does not run: no command, upgrades
    Query("Llama 3.1 8B", "RTX 4090", gpus=2, mode="scale_out", kv_type="q8_0"),
    Query("Gemma 2 2B", "RTX 4090"),  # no verified repository: hub search links
])
def test_report_matches_the_response_model(query):
    d = report_dict(run_query(query))
    assert Estimate.model_validate(d).model_dump(mode="json", exclude_unset=True) == d


def test_lists_match_their_models():
    for m in load_models():
        ModelInfo.model_validate(model_dict(m))
    for h in load_hardware():
        HardwareInfo.model_validate(hardware_dict(h))
    for q in load_quants():
        QuantInfo.model_validate(quant_dict(q))


def test_matrix_rows_match_their_model():
    from fastapi.testclient import TestClient

    from rigfit.web.api_models import MatrixRow
    from rigfit.web.app import create_app

    c = TestClient(create_app())
    rows = c.get("/api/v1/matrix", params={"hardware": ["RTX 3090", "Apple M4 Max 40-core GPU 128GB"]}).json()
    assert rows and all(MatrixRow.model_validate(r).model_dump() == r for r in rows)
    spec = c.get("/openapi.json").json()["paths"]["/api/v1/matrix"]["get"]["responses"]["200"]["content"]
    assert spec["application/json"]["schema"]["items"]["$ref"].endswith("/MatrixRow") and "text/csv" in spec
