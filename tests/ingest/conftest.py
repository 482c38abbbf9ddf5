"""Each test sees a fresh machine detection: detect() caches its result per process, tests fake the machine."""

from __future__ import annotations

import pytest

from rigfit.ingest import detect


@pytest.fixture(autouse=True)
def fresh_detection():
    detect._DETECTED.clear()
    yield
    detect._DETECTED.clear()
