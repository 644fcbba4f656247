"""The ClusterStorageContainer cases of KServe's injector test, run through the ``storage-container`` rule.

``CommonStorageInitialization`` refuses ``storageUris`` when the storage container picked for
``storageUris[0]`` lacks ``supportsMultiModelDownload`` (SPEC 2B item 2). KServe's test hands the
container spec to the call; here the same container is a ClusterStorageContainer of the bundle that
the predictor names with ``storageContainerName`` and that supports the URIs, which is how the
controller reaches that call (``components/predictor.go`` L782-786). The function models ``pvc://``
URIs only, so the case's ``s3://`` entries become ``pvc://`` entries: KServe's check runs before any
URI is looked at, so the scheme does not change its answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kserve_cases import DATA_DIR, STORAGE_CONTAINER_CASE_FILES, load_case, results_at, tag_of

IDS = [str(p.relative_to(DATA_DIR)) for p in STORAGE_CONTAINER_CASE_FILES]


def as_pvc(uri: str) -> str:
    """``s3://bucket/model1`` -> ``pvc://bucket/model1``: the bucket stands for the claim."""
    _, _, rest = uri.partition("://")
    return f"pvc://{rest}"


def bundle(case: dict[str, Any], multi_model: bool | None) -> list[dict[str, Any]]:
    """The InferenceService and the ClusterStorageContainer equivalent to one Go case."""
    given = case["storage_container_case"]
    name = given["storage_container"]["container"]["name"]
    spec: dict[str, Any] = {
        "container": {**given["storage_container"]["container"], "image": "example/storage:1"},
        "supportedUriFormats": [{"prefix": "pvc://"}],
    }
    if multi_model is not None:
        spec["supportsMultiModelDownload"] = multi_model
    entries = [{"uri": as_pvc(e["uri"]), "mountPath": e["mountPath"]} for e in given["storage_uris"]]
    return [
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "ClusterStorageContainer",
            "metadata": {"name": name},
            "spec": spec,
        },
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": "case", "namespace": "default"},
            "spec": {
                "predictor": {
                    "storageContainerName": name,
                    "model": {"modelFormat": {"name": "sklearn"}},
                    "storageUris": entries,
                }
            },
        },
    ]


def storage_container_errors(items: list[dict[str, Any]], version: str) -> list[dict[str, Any]]:
    results = results_at(items, version)
    return [r for r in results if r.get("tags", {}).get("rule") == "storage-container"]


def test_cases_are_captured() -> None:
    assert IDS == [
        "kserve-v0.20.0/TestCommonStorageInitializationErrorCases--Multiple-URIs-Unsupported-Storage-Container.yaml"
    ]


@pytest.mark.parametrize("case_file", STORAGE_CONTAINER_CASE_FILES, ids=IDS)
def test_function_matches_kserve(case_file: Path) -> None:
    case = load_case(case_file)
    tag = tag_of(case_file)
    assert case["source"].startswith("kserve/kserve pkg/webhook/admission/pod/storage_initializer_injector_test.go")
    assert f" @ {tag} (" in case["source"]
    given = case["storage_container_case"]
    version = ".".join(tag[1:].split(".")[:2])
    errors = storage_container_errors(bundle(case, given["storage_container"]["supportsMultiModelDownload"]), version)
    if given["expect_error"]:
        assert [e for e in errors if given["error_contains"] in e["message"]], errors
        assert all(e["field"]["path"] == "spec.predictor.storageContainerName" for e in errors)
    else:
        assert errors == []


@pytest.mark.parametrize("case_file", STORAGE_CONTAINER_CASE_FILES, ids=IDS)
def test_the_same_container_with_multi_model_download_is_accepted(case_file: Path) -> None:
    """The control: only ``supportsMultiModelDownload`` makes the difference."""
    version = ".".join(tag_of(case_file)[1:].split(".")[:2])
    assert storage_container_errors(bundle(load_case(case_file), True), version) == []
