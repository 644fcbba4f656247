"""KServe's injector unit-test cases, captured as data under ``tests/data/kserve_injector``.

Shared by the injector's own tests and the fixtures that run the same cases through the function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data" / "kserve_injector"
CASE_FILES = sorted(DATA_DIR.glob("*/*.yaml"))
CASE_IDS = [str(path.relative_to(DATA_DIR)) for path in CASE_FILES]

#: Keys whose empty mapping is a set pointer in Go (``emptyDir: {}``), not a zero value.
MEANINGFUL_EMPTY = frozenset({"emptyDir"})


def load_case(path: Path) -> dict[str, Any]:
    """One captured KServe test case."""
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict)
    return case


def omit_zero(value: Any, key: str = "") -> Any:
    """Drop the fields Go's ``omitempty`` drops: null, false, "", empty lists and empty structs."""
    if isinstance(value, dict):
        pruned = {k: omit_zero(v, k) for k, v in value.items()}
        return {
            k: v for k, v in pruned.items() if v not in (None, False, "", [], {}) or (v == {} and k in MEANINGFUL_EMPTY)
        }
    if isinstance(value, list):
        return [omit_zero(item, key) for item in value]
    return value


def storage_uri_env(pod_spec: dict[str, Any]) -> dict[str, Any] | None:
    """The last ``STORAGE_URI`` entry of ``containers[0]``, found as the Go test finds it."""
    found = None
    for env in pod_spec["containers"][0].get("env") or []:
        if env["name"] == "STORAGE_URI":
            found = env
    return found
