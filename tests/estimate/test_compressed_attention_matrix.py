"""The matrix engine equals the scalar reference for DeepSeek V4's compressed attention (mixers W/X/Y): window ring,
compressed caches padded per ratio, indexer keys and compressor states, at long contexts, several sequences and a
quantized cache, on every device of the catalog (flash attention: without it the scalar and matrix paths already
differ at an explicit long context on main for every model, e.g. Llama 3.1 8B at 131072 on an MI250X)."""

from __future__ import annotations

import pytest

from rigfit.estimate.matrix import Settings
from tests.estimate.test_matrix import CATALOG, HOST, check

V4_ROWS = [i for i, m in enumerate(CATALOG.models) if m.compressed_attn is not None]


def test_the_catalog_has_both_v4_models() -> None:
    assert sorted(CATALOG.models[i].name for i in V4_ROWS) == ["DeepSeek V4 Flash", "DeepSeek V4 Pro"]


@pytest.mark.parametrize("context, kv_type, mode, flash", [
    (50_000, "f16", "balanced", True),  # HCA cells pad(ceil(50176 / 128), 256) = 512: padding above ctx/128
    (131_072, "q8_0", "scale_out", True),  # several sequences: window ring and states per sequence
    (1_048_576, "f16", "balanced", True),  # the model's maximum
])
def test_matrix_equals_scalar_for_compressed_attention(context: int, kv_type: str, mode: str, flash: bool) -> None:
    settings = Settings(CATALOG.quant("Q4_K_M"), CATALOG.workload("agentic_coding"), CATALOG.mode(mode),
                        kv_type=kv_type, host=HOST, context=context, flash_attention=flash)
    cells = [(i, j) for i in V4_ROWS for j in range(len(CATALOG.hardware))]
    failures = check(settings, cells)
    assert not failures, failures[:5]
