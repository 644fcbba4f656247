"""KServe's injector unit-test cases, captured as data under ``tests/data/kserve_injector``.

Shared by the injector's own tests and the fixtures that run the same cases through the function.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from krm_fn.krm import run_krm

DATA_DIR = Path(__file__).parent / "data" / "kserve_injector"


def _is_storage_container(path: Path) -> bool:
    return "storage_container_case" in yaml.safe_load(path.read_text(encoding="utf-8"))


_FILES = sorted(DATA_DIR.glob("*/*.yaml"))
#: Every captured case of the injector; ``kserve-<tag>/<GoTest>--<case>.yaml``.
ALL_CASE_FILES = [p for p in _FILES if not _is_storage_container(p)]
#: Cases of the injector test that a rule judges, not the injector: the ClusterStorageContainer
#: checks of ``CommonStorageInitialization`` (``tests/test_storage_container_kserve_cases.py``).
STORAGE_CONTAINER_CASE_FILES = [p for p in _FILES if _is_storage_container(p)]
#: ``inventory.yaml``: every pvc:// case of KServe's tests at both tags, captured or not applicable.
INVENTORY = DATA_DIR / "inventory.yaml"


def _is_plural(path: Path) -> bool:
    return "storage_uris" in yaml.safe_load(path.read_text(encoding="utf-8"))


#: Cases of the pod webhook's single source URI (the annotation), run through ``inject_pvc``.
CASE_FILES = [p for p in ALL_CASE_FILES if not _is_plural(p)]
CASE_IDS = [str(path.relative_to(DATA_DIR)) for path in CASE_FILES]
#: Cases of the plural ``storageUris`` branch, run through ``inject_pvc_storage_uris``.
PLURAL_CASE_FILES = [p for p in ALL_CASE_FILES if _is_plural(p)]
PLURAL_CASE_IDS = [str(path.relative_to(DATA_DIR)) for path in PLURAL_CASE_FILES]


def tag_of(case_file: Path) -> str:
    """``kserve-v0.20.0/...`` -> ``v0.20.0``."""
    return case_file.parent.name.removeprefix("kserve-")


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


def results_at(items: list[dict[str, Any]], version: str) -> list[dict[str, Any]]:
    """The function's results for ``items`` judged as KServe ``version`` (a KRM run, as kpt makes one)."""
    doc = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": {
            "apiVersion": "fn.kserve-pvc.dev/v1alpha1",
            "kind": "PvcMountPolicy",
            "spec": {"kserveVersion": version},
        },
    }
    # Through JSON: shared dicts would become YAML aliases, which the function refuses across items.
    answer = run_krm(yaml.safe_dump(json.loads(json.dumps(doc))).encode())
    return [r.to_dict() for r in answer.results]
