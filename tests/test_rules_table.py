"""The pre-filter ``rules.interesting`` says yes exactly when some rule reads the item."""

from __future__ import annotations

import pytest

from krm_fn.rules import RULES, interesting

KINDS = sorted({kind for rule in RULES for _, kind in rule.kinds} | {"Secret", ""})
MARKERS = sorted({m for rule in RULES for markers in rule.markers.values() for m in markers})
TEXTS = ["", "spec: {}", *(f"x: {m}\n" for m in MARKERS)]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text", TEXTS)
def test_interesting_is_any_rule_that_reads_the_item(kind: str, text: str) -> None:
    reads = any(
        any(k == kind for _, k in rule.kinds)
        and (not rule.markers.get(kind) or any(m in text for m in rule.markers[kind]))
        for rule in RULES
    )
    assert interesting(kind, text) is reads
