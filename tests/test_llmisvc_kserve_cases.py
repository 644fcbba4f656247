"""LLMInferenceService reference cases re-derived from KServe's own unit tests at a tag (SPEC 2B).

``tests/data/kserve_llmisvc/kserve-<tag>/<GoTest>.yaml`` holds the cases of one Go test, with the tag,
commit and file it was read from. Each case runs through the rule code that models it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from krm_fn.config import PolicySpec
from krm_fn.resource import Resource
from krm_fn.rulekit import Context
from krm_fn.rules import llm_storage

DATA = Path(__file__).parent / "data" / "kserve_llmisvc"


def _cases(test: str) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for path in sorted(DATA.glob(f"kserve-*/{test}.yaml")):
        doc = yaml.safe_load(path.read_text())
        assert doc["tag"] == path.parent.name.removeprefix("kserve-")
        assert len(doc["commit"]) == 40
        out.extend((doc["tag"], doc, case) for case in doc["cases"])
    assert out, test
    return out


@pytest.mark.parametrize(("tag", "doc", "case"), _cases("TestSanitizeLoRAPathSegment"))
def test_sanitize_lora_path_segment(tag: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    assert llm_storage.lora_mount_path(case["name"]) == f"{llm_storage.LORA_ROOT}/{case['segment']}"


@pytest.mark.parametrize(("tag", "doc", "case"), _cases("TestValidateLoRAAdapters"))
def test_validate_lora_adapters(tag: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    data = {
        "apiVersion": "serving.kserve.io/v1alpha2",
        "kind": "LLMInferenceService",
        "metadata": {"name": case["base"], "namespace": "default"},
        "spec": {"model": {"uri": "hf://base-model", "name": case["base"], "lora": {"adapters": case["adapters"]}}},
    }
    release = tag.removeprefix("v").rsplit(".", 1)[0]
    out = llm_storage.check(Resource(0, data), Context(PolicySpec(kserveVersion=release)))
    rejected = [r.field.path for r in out.findings if r.rule == "lora-admission" and r.field is not None]
    assert rejected == case["errors"], case["name"]
