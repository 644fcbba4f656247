"""The KServe facts table, the rule ids and the docs generated from both (SPEC 2B, 3.8)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from krm_fn import docs, kserve_facts
from krm_fn.config import PolicySpec
from krm_fn.kserve_facts import FACTS, NEWEST, RELEASES, Feature, holds, judged, version_note
from krm_fn.resource import Resource
from krm_fn.rules import BY_ID, RULE_DOCS, rule_ids
from krm_fn.transform import transform

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_each_feature_is_one_row_with_its_source() -> None:
    assert [f.feature for f in FACTS] == list(dict.fromkeys(f.feature for f in FACTS))
    assert {f.feature for f in FACTS} == set(Feature)
    for fact in FACTS:
        assert fact.since in RELEASES
        assert fact.until is None or (fact.until in RELEASES and fact.since <= fact.until)
        assert fact.source
        assert fact.meaning
        # A row whose 0.21 behaviour is inferred says so: it starts or ends at the 0.20/0.21 border.
        if fact.inferred:
            assert fact.since == NEWEST or fact.until == (0, 20)


@pytest.mark.parametrize(
    ("version", "judged_as", "note"),
    [("0.20", (0, 20), False), ("0.21", (0, 21), False), ("0.25", NEWEST, True), ("1.0", NEWEST, True)],
)
def test_unknown_or_newer_releases_are_judged_as_the_newest(
    version: str, judged_as: tuple[int, int], note: bool
) -> None:
    spec = PolicySpec(kserveVersion=version)
    assert judged(spec) == judged_as
    assert (version_note(spec) is not None) is note


def test_default_is_the_newest_release() -> None:
    assert PolicySpec().kserveVersion == kserve_facts.NEWEST_TEXT == "0.21"


def test_rows_are_what_the_rules_ask() -> None:
    v20, v21 = PolicySpec(kserveVersion="0.20"), PolicySpec(kserveVersion="0.21")
    assert holds(v20, Feature.STORAGE_URIS_VOLUME_NAME_RAW)
    assert not holds(v21, Feature.STORAGE_URIS_VOLUME_NAME_RAW)
    assert holds(PolicySpec(kserveVersion="0.18"), Feature.TOKENIZER_SIDECAR)
    assert not holds(PolicySpec(kserveVersion="0.17"), Feature.TOKENIZER_SIDECAR)
    assert holds(v21, Feature.STORAGE_URIS_PATH_DROPPED)
    assert not holds(v20, Feature.LORA_ADMISSION_V1ALPHA1)


def test_rule_ids_are_kebab_case_unique_and_documented() -> None:
    ids = [doc.id for doc in RULE_DOCS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    text = docs.RULES_FILE.read_text(encoding="utf-8")
    for rule, summary, anchor in rule_ids():
        assert anchor == f"docs/rules.md#{rule}"
        assert f'<a id="{rule}"></a>' in text
        assert summary


def test_every_result_of_the_golden_cases_names_a_documented_rule() -> None:
    """Each finding of every scenario carries a rule id, and the id is in docs/rules.md."""
    seen: set[str] = set()
    for results in FIXTURES.glob("*/expected/results.yaml"):
        for result in yaml.safe_load(results.read_text()) or []:
            rule = (result.get("tags") or {}).get("rule")
            if rule is not None:
                assert rule in BY_ID, (results, rule)
                seen.add(rule)
            elif set(result.get("field") or {}) & {"currentValue", "proposedValue"} and "functionConfig" not in str(
                result["message"]
            ):
                # A finding about a field of a resource comes from a rule (the reader's and the
                # config's own results carry none).
                raise AssertionError(f"{results}: a field finding without a rule id: {result['message']}")
    assert len(seen) >= len(BY_ID) * 3 // 4  # most rules have a golden case


def test_generated_docs_are_fresh() -> None:
    assert docs.RULES_FILE.read_text(encoding="utf-8") == docs.rules_markdown(), "run `make docs`"
    for doc, path in docs.FACT_DOCS.items():
        text = path.read_text(encoding="utf-8")
        assert docs.FACTS_BEGIN in text
        assert text == docs.facts_into(text, doc), f"{path}: run `make docs`"


def _isvc(annotations: dict[str, str]) -> Resource:
    data = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "m", "namespace": "ml", "annotations": annotations},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://c/m/model.pkl"}}},
    }
    return Resource(0, data)


def test_suppressed_findings_are_kept_with_their_reason_and_counted() -> None:
    res = _isvc({"ignore.fn.kserve-pvc.dev/file-uri": "served by path", "ignore.fn.kserve-pvc.dev/one-model-file": ""})
    out = transform([res], PolicySpec())
    assert out.ops == {}
    assert [(r.rule, r.suppression) for r in out.suppressed] == [("file-uri", "served by path")]
    warnings = [r for r in out.results if r.severity == "warning"]
    assert [r.rule for r in warnings] == ["ignore-annotation"]
    assert out.results[-1].message.endswith("1 suppressed")


def test_off_rules_neither_rewrite_nor_report_and_severities_change() -> None:
    out = transform([_isvc({})], PolicySpec(rules={"file-uri": "off"}))
    assert out.ops == {}
    assert [r.rule for r in out.results[:-1]] == []
    louder = transform([_isvc({})], PolicySpec(rules={"one-model-file": "error"}))
    assert [r.severity for r in louder.results if r.rule == "one-model-file"] == ["error"]
    assert 0 in louder.ops  # the rewrite itself is still made
