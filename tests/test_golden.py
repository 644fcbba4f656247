"""Golden cases: every folder under fixtures/ is one scenario, run twice.

``fixtures/<scenario>/input.yaml`` is the ResourceList on stdin; ``expected/output.yaml`` the exact
stdout, ``expected/results.yaml`` the results this function added, ``expected/exit-code`` the exit
code. The second run takes the first run's output and must change nothing: the same text, with only
a summary result appended. ``UPDATE_FIXTURES=1 pytest tests/test_golden.py`` rewrites the
expectations; review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from krm_fn.krm import run_krm
from krm_fn.source import InputError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "input.yaml").is_file())
UPDATE = os.environ.get("UPDATE_FIXTURES") == "1"


def _run(raw: bytes) -> tuple[str, int, list[dict[str, Any]]]:
    try:
        answer = run_krm(raw)
    except InputError:
        return "", 2, []
    return answer.stdout, answer.exit_code, [r.to_dict() for r in answer.results]


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    folder = FIXTURES / case
    expected = folder / "expected"
    stdout, code, results = _run((folder / "input.yaml").read_bytes())
    results_text = yaml.safe_dump(results, sort_keys=False, allow_unicode=True, width=1000)
    if UPDATE:
        expected.mkdir(exist_ok=True)
        (expected / "output.yaml").write_bytes(stdout.encode())
        (expected / "results.yaml").write_text(results_text)
        (expected / "exit-code").write_text(f"{code}\n")
    assert stdout.encode() == (expected / "output.yaml").read_bytes()
    assert results == yaml.safe_load((expected / "results.yaml").read_text())
    assert code == int((expected / "exit-code").read_text())
    if code == 2:
        assert stdout == ""
        return
    # Contract checks that hold for every case.
    assert stdout.strip(), "stdout is never empty unless the input is not a ResourceList"
    assert (code == 1) == any(r["severity"] == "error" for r in yaml.safe_load(stdout).get("results") or [])
    assert all("severity" in r for r in results)
    assert results[-1]["message"].startswith("kserve-pvc-fn:")


@pytest.mark.parametrize("case", CASES)
def test_golden_is_idempotent(case: str) -> None:
    first, code, _ = _run((FIXTURES / case / "input.yaml").read_bytes())
    if code == 2:
        return
    second, code2, results = _run(first.encode())
    assert code2 == code
    assert second.startswith(first), "a second run changed the text of the first run's output"
    assert [r for r in results if "proposedValue" in r.get("field", {}) and r["severity"] == "info"] == []
    before, after = yaml.safe_load(first), yaml.safe_load(second)
    assert after["items"] == before["items"]
