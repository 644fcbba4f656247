"""A run creates no reference cycles.

The KRM function pauses the cyclic garbage collector while it runs (``pipeline.bulk_allocation``):
everything it builds must be freed by reference counting. A cycle per item (a recursive closure,
say) would leave the collector thousands of objects to walk once it is enabled again, which cost
a tenth of a 10,000-item run before it was found.
"""

from __future__ import annotations

import contextlib
import gc
from pathlib import Path

from krm_fn.krm import run_krm
from krm_fn.source import InputError

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _run(raw: bytes) -> None:
    with contextlib.suppress(InputError):
        run_krm(raw)


def test_no_fixture_leaves_cyclic_garbage() -> None:
    inputs = sorted(FIXTURES.glob("*/input.yaml"))
    assert len(inputs) > 50
    left: dict[str, int] = {}
    for path in inputs:
        raw = path.read_bytes()
        _run(raw)  # first run: caches (validators, schemas) are filled once and stay
        gc.collect()
        gc.disable()
        try:
            _run(raw)
        finally:
            found = gc.collect()
            gc.enable()
        if found:
            left[path.parent.name] = found
    assert left == {}
