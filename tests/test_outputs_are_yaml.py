"""Every output of the golden suites is valid YAML with no directive (SPEC 4; issue 23 row 6).

The golden tests compare each run's stdout with ``expected/output.yaml`` byte for byte, so reading
those files reads every output the suites produce. Composing (never constructing) accepts any tag,
so an item held back for its tag still reads; an undefined tag handle, a broken flow collection or
a stray directive does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
OUTPUTS = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.glob("*/expected/output.yaml"))


@pytest.mark.parametrize("output", OUTPUTS)
def test_golden_output_is_valid_yaml(output: str) -> None:
    path = FIXTURES / output
    text = path.read_bytes().decode("utf-8-sig")
    if not text:
        return  # exit 2, or a run that writes no stream
    docs = list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
    assert not [line for line in text.splitlines() if line.startswith("%")], "a directive was written"
    if (path.parent.parent / "input.yaml").is_file():  # KRM mode: exactly one ResourceList
        assert len(docs) == 1
        assert isinstance(docs[0], yaml.MappingNode)


def test_the_suites_have_outputs() -> None:
    assert len(OUTPUTS) > 100
