"""Hugging Face repos through a local stub of the hub (never the internet), the disk cache and --offline."""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from typer.testing import CliRunner

from rigfit.cli import app
from rigfit.ingest import hub
from rigfit.ingest.resolve import model_from_hub

CONFIG = {"model_type": "llama", "num_hidden_layers": 4, "hidden_size": 256, "num_attention_heads": 8,
          "num_key_value_heads": 2, "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 4096}


class Hub(http.server.BaseHTTPRequestHandler):
    def _answer(self, body: bool) -> None:
        if self.path == "/acme/tiny/resolve/main/config.json":
            data = json.dumps(CONFIG).encode()
            self.send_response(200)
            self.send_header("ETag", '"abc123"')
            self.send_header("X-Repo-Commit", "0" * 40)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)
        else:
            self.send_response(404)
            self.send_header("X-Error-Code", "RepoNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(True)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stub(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetch_builds_the_architecture_and_caches_it(stub):
    arch = model_from_hub("acme/tiny", endpoint=stub)
    assert arch.num_layers == 4 and arch.num_kv_heads == 2 and arch.hf_repo == "acme/tiny"
    assert (hub.cache_dir() / "acme--tiny.json").exists()
    again = model_from_hub("acme/tiny", offline=True)  # from the cache, no server needed
    assert again.num_layers == 4


def test_missing_repo_and_unreachable_hub_are_clear_errors(stub):
    with pytest.raises(ValueError, match="no such repository"):
        model_from_hub("acme/missing", endpoint=stub)
    with pytest.raises(ValueError, match="cannot reach the hub"):
        model_from_hub("acme/other", endpoint="http://127.0.0.1:9")


def test_offline_without_cache_is_one_line_exit_2(stub):
    res = CliRunner().invoke(app, ["check", "acme/never-fetched", "RTX 3090", "--offline"])
    assert res.exit_code == 2 and "not in the local cache" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_a_catalog_models_own_repo_id_needs_no_hub(stub):
    # Qwen/Qwen3-30B-A3B is the hf_repo of the catalog's Qwen3 30B A3B (48 layers, 4 KV heads per its config.json):
    # offline and with no cache the catalog entry answers, named exactly (no "read as" line).
    res = CliRunner().invoke(app, ["check", "Qwen/Qwen3-30B-A3B", "RTX 3090", "--offline", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["model"]["name"] == "Qwen3 30B A3B" and out["model"]["layers"] == 48
    assert out.get("resolved_from") is None
