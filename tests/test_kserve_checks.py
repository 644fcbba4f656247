"""The checks of what KServe v0.16-v0.20 lets through: a resource without the problem gets no finding,
and each finding is raised only for the KServe releases it holds for (``spec.kserveVersion``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from krm_fn.krm import run_krm


def run(items: list[dict[str, Any]], **spec: Any) -> list[dict[str, Any]]:
    doc = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": {"apiVersion": "fn.kserve-pvc.dev/v1alpha1", "kind": "PvcMountPolicy", "spec": spec},
    }
    # Through JSON: shared dicts would become YAML aliases, which the function refuses across items.
    answer = run_krm(yaml.safe_dump(json.loads(json.dumps(doc))).encode())
    return [r.to_dict() for r in answer.results][:-1]  # the summary is always last


def isvc(predictor: dict[str, Any], name: str = "m", namespace: str = "ml", **components: Any) -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace} if namespace else {"name": name}
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": meta,
        "spec": {"predictor": predictor, **components},
    }


def llm(spec: dict[str, Any], **annotations: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "llm", "namespace": "ml"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService", "metadata": meta, "spec": spec}


HF = {"modelFormat": {"name": "huggingface"}}
CLEAN = [
    isvc({"model": HF, "storageUris": [{"uri": "pvc://base"}, {"uri": "pvc://adapter", "mountPath": "/mnt/adapter"}]}),
    isvc({"model": {**HF, "storageUri": "pvc://c/models/llama"}, "workerSpec": {"tensorParallelSize": 2}}, "mn"),
    isvc(
        {
            "containers": [
                {"name": "kserve-container", "env": [{"name": "STORAGE_URI", "value": "pvc://c/models/iris"}]},
                {"name": "transformer-container", "image": "t:1"},
            ]
        },
        "collocated",
    ),
    isvc({"model": {**HF, "storageUri": "pvc://c/m"}}, "plain", transformer={"storageUris": [{"uri": "s3://b/x"}]}),
    llm(
        {
            "model": {
                "uri": "pvc://llm-store/models/llama",
                "lora": {"adapters": [{"name": "sql", "uri": "pvc://lora/sql"}, {"name": "chat", "uri": "hf://o/c"}]},
            }
        }
    ),
]


@pytest.mark.parametrize("version", ["0.15", "0.16", "0.19", "0.20", "0.21"])
def test_resources_without_the_problems_get_no_finding(version: str) -> None:
    results = run(CLEAN, kserveVersion=version)
    assert [r for r in results if r["severity"] != "info"] == []
    # The only info is where KServe mounts the LoRA adapter (from 0.19 on).
    infos = [r["message"] for r in results]
    assert all(m.startswith("LoRA adapter 'sql'") for m in infos)
    assert len(infos) == (1 if version >= "0.19" else 0)


def test_claim_in_own_namespace_is_not_reported_even_when_another_namespace_has_it_too() -> None:
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "spec": {"accessModes": ["ReadOnlyMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    claims = [{**pvc, "metadata": {"name": "c", "namespace": ns}} for ns in ("ml", "other")]
    assert run([*claims, isvc({"model": {**HF, "storageUri": "pvc://c/m"}})]) == []
    # A claim that is nowhere in the bundle may exist on the cluster: nothing is said.
    assert run([isvc({"model": {**HF, "storageUri": "pvc://elsewhere/m"}})]) == []
    # Without a namespace the InferenceService lands wherever it is applied: no mismatch is certain.
    assert run([claims[1], isvc({"model": {**HF, "storageUri": "pvc://c/m"}}, namespace="")]) == []
    unset = {**pvc, "metadata": {"name": "c"}}
    assert run([unset, claims[1], isvc({"model": {**HF, "storageUri": "pvc://c/m"}}, namespace="x")]) == []
    errors = run([claims[1], isvc({"model": {**HF, "storageUri": "pvc://c/m"}}, namespace="x")])
    assert [r["severity"] for r in errors] == ["error"]


PATH_DROPPED = isvc({"model": HF, "storageUris": [{"uri": "pvc://c/models/llama"}]})
BAD_VOLUME = isvc({"model": HF, "storageUris": [{"uri": "pvc://c", "mountPath": "/mnt/Models"}]})


@pytest.mark.parametrize(
    ("item", "version", "found"),
    [
        (PATH_DROPPED, "0.15", False),  # no storageUris before 0.16
        (PATH_DROPPED, "0.16", True),
        (PATH_DROPPED, "0.21", True),  # no fix known: still so at master
        (BAD_VOLUME, "0.20", True),
        (BAD_VOLUME, "0.21", False),  # kserve/kserve#6077 sanitizes volume names after v0.20.0
    ],
)
def test_findings_follow_kserve_version(item: dict[str, Any], version: str, found: bool) -> None:
    errors = [r for r in run([item], kserveVersion=version) if r["severity"] == "error"]
    assert bool(errors) is found


def test_path_dropped_says_where_the_files_are_and_what_to_write() -> None:
    (result,) = run([PATH_DROPPED])
    assert result["field"]["path"] == "spec.predictor.storageUris[0].uri"
    assert result["resourceRef"]["name"] == "m"
    assert "/mnt/models/models/llama" in result["message"]
    assert "spec.predictor.model.storageUri: 'pvc://c/models/llama'" in result["message"]


def test_copy_mode_is_honoured_for_kserve_0_15() -> None:
    file_uri = isvc({"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://c/iris/model.joblib"}})
    old = run([file_uri], mountMode="copy", kserveVersion="0.15")
    assert [r["severity"] for r in old] == ["info"]
    assert "copy-mode" in old[0]["message"]
    new = run([file_uri], mountMode="copy", kserveVersion="0.16")
    assert any(r["severity"] == "warning" and "describes no KServe release" in r["message"] for r in new)
    assert any(r["field"].get("proposedValue") == "pvc://c/iris" for r in new)


@pytest.mark.parametrize("value", ["0.20", "v0.20", "v0.20.1", "0.20.0"])
def test_kserve_version_forms(value: str) -> None:
    assert run([], kserveVersion=value) == []


@pytest.mark.parametrize("value", [0.2, "0.x", "latest", "1"])
def test_kserve_version_rejected(value: Any) -> None:
    (result,) = run([], kserveVersion=value)
    assert result["severity"] == "error"
    assert "kserveVersion" in result["message"]


GS, S3 = "gs://bucket/model1", "s3://bucket/model2"


@pytest.mark.parametrize(
    ("entries", "error_field"),
    [
        # KServe v0.20.0 pkg/apis/serving/v1beta1/inference_service_validation_test.go, TestValidateStorageUriSpec
        pytest.param([{"uri": "gs://bucket/model", "mountPath": "/mnt/models"}], None, id="ValidStorageUriSpec"),
        pytest.param([{"uri": "s3://bucket/model", "mountPath": "/"}], "[0].mountPath", id="WithRootPath"),
        pytest.param([{"uri": "", "mountPath": "/mnt/models"}], "[0].uri", id="EmptyUri"),
        pytest.param([{"uri": "gs://bucket/model", "mountPath": "mnt/models"}], "[0].mountPath", id="RelativePath"),
        # TestValidateStorageUri
        pytest.param([], None, id="EmptyList"),
        pytest.param([{"uri": GS, "mountPath": "/mnt/models"}], None, id="SingleValidStorageUri"),
        pytest.param(
            [{"uri": GS, "mountPath": "/mnt/models/model1"}, {"uri": S3, "mountPath": "/mnt/models/model2"}],
            None,
            id="MultipleValidStorageUrisWithCommonParent",
        ),
        pytest.param(
            [{"uri": GS, "mountPath": "/mnt/models"}, {"uri": S3, "mountPath": "/opt/models"}],
            "[1].mountPath",
            id="MultipleStorageUrisWithoutCommonParent",
        ),
        pytest.param(
            [{"uri": GS, "mountPath": "/mnt/models"}, {"uri": "", "mountPath": "/mnt/models/model2"}],
            "[1].uri",
            id="InvalidStorageUriInList",
        ),
        pytest.param(
            [{"uri": GS, "mountPath": "/mnt/models"}, {"uri": S3, "mountPath": "mnt/models/model2"}],
            "[1].mountPath",
            id="RelativePathInList",
        ),
    ],
)
def test_kserve_storage_uri_validation_cases(entries: list[dict[str, str]], error_field: str | None) -> None:
    """KServe's own validation cases: an error exactly when KServe errors, on the entry it names."""
    errors = [r for r in run([isvc({"model": HF, "storageUris": entries})]) if r["severity"] == "error"]
    assert [r["field"]["path"] for r in errors] == ([f"spec.predictor.storageUris{error_field}"] if error_field else [])


def _rwo(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "ml"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


@pytest.mark.parametrize(
    ("extra", "warns"),
    [
        ({}, False),
        ({"replicas": 2}, True),
        ({"worker": {}}, True),  # multi-node: a leader and a worker pod per replica
        ({"prefill": {}}, True),
        ({"router": {"scheduler": {}}}, False),  # no tokenizer sidecar: the scheduler mounts nothing
        ({"router": {"scheduler": {"template": {"containers": [{"name": "tokenizer"}]}}}}, True),
    ],
)
def test_llm_pods_counted_against_a_read_write_once_claim(extra: dict[str, Any], warns: bool) -> None:
    results = run([_rwo("llm-store"), llm({"model": {"uri": "pvc://llm-store/models/llama"}, **extra})])
    assert bool([r for r in results if r["severity"] == "warning" and "ReadWriteOnce" in r["message"]]) is warns
