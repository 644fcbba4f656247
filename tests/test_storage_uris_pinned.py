"""What the ``storageUris`` rule tells the user, pinned field by field (issue 23).

Each test names a behaviour a user sees: the wording of a message, the field and value a result
points at, a boundary of when a result appears. The rule is called in process so that a changed
statement in ``krm_fn/rules/storage_uris.py`` fails here (``make mutation``; bench/MUTATION.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from krm_fn.config import PolicySpec
from krm_fn.resource import PATH_TYPE_ANNOTATION, Resource
from krm_fn.results import Result
from krm_fn.rulekit import Context
from krm_fn.rules import storage_uris


def _check(spec: dict[str, Any], annotations: dict[str, str] | None = None, **policy: Any) -> list[Result]:
    meta: dict[str, Any] = {"name": "m"}
    if annotations is not None:
        meta["annotations"] = annotations
    data = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": meta, "spec": spec}
    return storage_uris.check(Resource(0, data), Context(PolicySpec.model_validate(policy))).findings


def _by_rule(results: list[Result], rule: str) -> list[Result]:
    return [r for r in results if r.rule == rule]


def _one(results: list[Result], rule: str) -> Result:
    found = _by_rule(results, rule)
    assert len(found) == 1, [(r.rule, r.message) for r in results]
    return found[0]


def _predictor(entries: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"predictor": {"model": {"modelFormat": {"name": "sklearn"}}, "storageUris": entries, **extra}}


# --- storage-uris-path-dropped: where the files are, and the storageUri proposed ---------------------


def _advice(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> str:
    message = _one(_check(spec, annotations), storage_uris.PATH_DROPPED.id).message
    return message.split("; ", 1)[1]


def test_single_entry_advice_names_the_directory_a_framework_layout_puts_the_model_in() -> None:
    """The model root of a file URI follows the component's modelFormat (TF Serving's base path)."""
    tf = {
        "predictor": {"model": {"modelFormat": {"name": "tensorflow"}}, "storageUris": [{"uri": "pvc://c/tf/1/m.pb"}]}
    }
    assert _advice(tf) == (
        "write spec.predictor.model.storageUri: 'pvc://c/tf' instead of storageUris "
        "(storageUri mounts 'tf' as subPath at /mnt/models)"
    )
    # Without a known format the file's own directory is the model root.
    plain = {"predictor": {"model": {}, "storageUris": [{"uri": "pvc://c/tf/1/m.pb"}]}}
    assert "'pvc://c/tf/1' instead of storageUris" in _advice(plain)


def test_a_model_format_name_that_is_not_a_string_counts_as_unknown() -> None:
    spec = {"predictor": {"model": {"modelFormat": {"name": 5}}, "storageUris": [{"uri": "pvc://c/tf/1/m.pb"}]}}
    assert "'pvc://c/tf/1' instead of storageUris" in _advice(spec)


def test_single_entry_advice_follows_the_path_type_annotation() -> None:
    spec = _predictor([{"uri": "pvc://c/models/m.joblib"}])
    assert "'pvc://c/models' instead of storageUris" in _advice(spec)
    as_dir = _advice(spec, {PATH_TYPE_ANNOTATION: "directory"})
    assert "'pvc://c/models/m.joblib' instead of storageUris" in as_dir
    as_file = _advice(_predictor([{"uri": "pvc://c/models/weights"}]), {PATH_TYPE_ANNOTATION: "file"})
    assert "'pvc://c/models/' instead of storageUris" in as_file


def test_single_entry_advice_names_the_claim_root_for_a_file_at_the_root() -> None:
    assert _advice(_predictor([{"uri": "pvc://c/model.joblib"}])) == (
        "write spec.predictor.model.storageUri: 'pvc://c' instead of storageUris "
        "(storageUri mounts 'the claim root' as subPath at /mnt/models)"
    )


def test_single_entry_advice_names_the_field_of_the_components_implementation() -> None:
    """KServe has no ``spec.predictor.storageUri``: the single URI belongs to ``model`` or a shorthand."""
    shorthand = {"predictor": {"sklearn": {}, "storageUris": [{"uri": "pvc://c/models"}]}}
    assert _advice(shorthand).startswith("write spec.predictor.sklearn.storageUri: 'pvc://c/models' instead")
    bare = {"predictor": {"storageUris": [{"uri": "pvc://c/models"}]}}
    assert _advice(bare).startswith("write spec.predictor.model.storageUri: 'pvc://c/models' instead")
    explainer = {"explainer": {"art": {}, "storageUris": [{"uri": "pvc://c/models"}]}}
    assert _advice(explainer).startswith("write spec.explainer.art.storageUri: 'pvc://c/models' instead")
    custom = {"transformer": {"containers": [{"name": "t"}], "storageUris": [{"uri": "pvc://c/models"}]}}
    assert _advice(custom).startswith("write the STORAGE_URI env of spec.transformer.containers[0]: 'pvc://c/models'")


def test_the_files_are_under_the_mount_path_with_one_slash_and_normalised_segments() -> None:
    """Only trailing slashes of the mount path are trimmed; empty and ``.`` segments are dropped."""
    spec = _predictor([{"uri": "pvc://c/./models//m", "mountPath": "/mnt/dataX/"}])
    message = _one(_check(spec, kserveVersion="0.21"), storage_uris.PATH_DROPPED.id).message
    assert message == (
        "spec.predictor.storageUris[0] 'pvc://c/./models//m': KServe mounts storageUris entries with an empty "
        "subPath, so the whole claim 'c' is at '/mnt/dataX/' and the files of 'models/m' are at "
        "/mnt/dataX/models/m, not at '/mnt/dataX/'; point the consumer at /mnt/dataX/models/m, or mount a claim "
        "that holds the files at its root (pvc://c)"
    )


@pytest.mark.parametrize("uri", ["pvc://c/./", "pvc://c//", "pvc://c/.//./"])
def test_a_path_of_only_empty_and_dot_segments_is_the_claim_root(uri: str) -> None:
    assert not _by_rule(_check(_predictor([{"uri": uri, "mountPath": "/mnt/a"}])), storage_uris.PATH_DROPPED.id)


# --- storage-uris-volume-collision: the "only runs with two or more non-PVC entries" note ------------


def _collision(others: int) -> str:
    entries = [{"uri": "pvc://a", "mountPath": "/data/p"}, {"uri": "pvc://b", "mountPath": "/data/p"}]
    entries += [{"uri": f"s3://b/{k}", "mountPath": f"/mnt/models/{k}"} for k in range(others)]
    return _one(_check(_predictor(entries)), storage_uris.VOLUME_COLLISION.id).message


def test_a_repeated_pvc_mount_path_notes_kserves_skipped_check_below_two_non_pvc_entries() -> None:
    note = "KServe's 'PVC storage paths must be unique' check only runs with two or more non-PVC entries"
    assert note in _collision(0)
    assert note in _collision(1)
    assert note not in _collision(2)
    assert note not in _collision(3)


# --- storage-uris-common-parent: which entry the result points at ------------------------------------


def test_no_common_parent_points_at_the_last_non_pvc_entry() -> None:
    entries = [
        {"uri": "s3://b/a", "mountPath": "/a/x"},
        {"uri": "pvc://c", "mountPath": "/p"},
        {"uri": "s3://b/b", "mountPath": "/b/x"},
        {"uri": "s3://b/c", "mountPath": "/c/x"},
    ]
    found = _one(_check(_predictor(entries)), storage_uris.COMMON_PARENT.id)
    assert found.field is not None
    assert (found.field.path, found.field.currentValue) == ("spec.predictor.storageUris[3].mountPath", "/c/x")
    assert "the mount paths ['/a/x', '/b/x', '/c/x'] of the non-PVC entries" in found.message


# --- storage-uris-download-volume -------------------------------------------------------------------


def test_every_pvc_entry_on_the_download_volume_is_reported_not_only_the_first() -> None:
    entries = [
        {"uri": "s3://b/a", "mountPath": "/mnt/models/a"},
        {"uri": "s3://b/b", "mountPath": "/mnt/models/b"},
        {"uri": "pvc://elsewhere", "mountPath": "/data"},
        {"uri": "pvc://on-it", "mountPath": "/mnt/models"},
    ]
    found = _one(_check(_predictor(entries)), storage_uris.DOWNLOAD_VOLUME.id)
    assert found.field is not None
    assert (found.field.path, found.field.currentValue) == ("spec.predictor.storageUris[3].mountPath", "/mnt/models")
    assert "mounts claim 'on-it' at '/mnt/models'" in found.message


# --- storage-uris-empty-uri ---------------------------------------------------------------------------


def test_an_entry_without_uri_is_reported_at_its_uri_with_the_value_written() -> None:
    found = _by_rule(
        _check(_predictor([{"mountPath": "/mnt/a"}, {"uri": "", "mountPath": "/mnt/b"}])), storage_uris.EMPTY_URI.id
    )
    assert [(r.field.path, r.field.currentValue) for r in found if r.field] == [
        ("spec.predictor.storageUris[0].uri", None),
        ("spec.predictor.storageUris[1].uri", ""),
    ]
    assert found[1].message == (
        "spec.predictor.storageUris[1] has no uri: KServe rejects the InferenceService ('storage URI cannot be "
        "empty'); give the entry a uri such as pvc://<claim> or remove it"
    )
    assert found[1].severity == "error"


# --- storage-uris-multinode ---------------------------------------------------------------------------

MULTINODE = (
    "spec.predictor.workerSpec (multi-node) needs spec.predictor.model.storageUri with a pvc:// or oci:// URI; "
    "KServe refuses storageUris there. Move the model's URI to spec.predictor.model.storageUri"
)


def test_multinode_proposes_the_first_entrys_uri_as_storage_uri() -> None:
    spec = {"predictor": {"workerSpec": {}, "model": {}, "storageUris": [{"uri": ""}, {"uri": "pvc://c/m"}]}}
    found = _one(_check(spec), storage_uris.MULTINODE.id)
    assert found.message == MULTINODE + ": storageUri: 'pvc://c/m' (mounted at /mnt/models, its path as subPath)"
    assert found.field is not None
    assert (found.field.path, found.field.currentValue) == ("spec.predictor.storageUris", "pvc://c/m")


def test_multinode_without_any_uri_proposes_nothing_and_does_not_fail() -> None:
    spec = {"predictor": {"workerSpec": {}, "model": {}, "storageUris": [{"uri": ""}, {"mountPath": "/mnt/a"}]}}
    assert _one(_check(spec), storage_uris.MULTINODE.id).message == MULTINODE
    assert _one(_check({"predictor": {"workerSpec": {}, "model": {}, "storageUris": []}}), storage_uris.MULTINODE.id)


def test_multinode_with_both_storage_uri_and_storage_uris_is_left_to_the_inferenceservice_rule() -> None:
    spec = {"predictor": {"workerSpec": {}, "model": {"storageUri": "pvc://c/m"}, "storageUris": [{"uri": "pvc://c"}]}}
    assert not _by_rule(_check(spec), storage_uris.MULTINODE.id)


# --- canary-storage-uris ------------------------------------------------------------------------------


def _canary(entries: Any) -> dict[str, Any]:
    return {"predictor": {"model": {}}, "canary": [{"predictor": {"model": {}, "storageUris": entries}}]}


def test_a_canary_names_each_mount_path_left_empty() -> None:
    entries = [{"uri": "pvc://c", "mountPath": "/mnt/b"}, {"uri": "s3://b/x", "mountPath": "/mnt/a"}]
    message = _one(_check(_canary(entries)), storage_uris.CANARY.id).message
    assert "the canary starts with nothing at /mnt/a, /mnt/b (not mounted)" in message
    only_default = _one(_check(_canary([{"uri": "pvc://c"}])), storage_uris.CANARY.id).message
    assert "the canary starts with nothing at /mnt/models (not mounted)" in only_default


def test_a_canary_with_an_empty_storage_uris_list_is_not_reported() -> None:
    assert not _check(_canary([]))
    assert not _check(_canary(None))


# --- helpers ------------------------------------------------------------------------------------------


def test_common_parent_keeps_an_uppercase_single_letter_directory() -> None:
    assert storage_uris.common_parent(["/X/a", "/X"]) == "/X"
    assert storage_uris.common_parent(["/X/a", "/X/b"]) == "/X"


def test_suggested_mount_path_keeps_uppercase_letters_as_lowercase_at_the_ends() -> None:
    assert storage_uris.suggest_mount_path("/mnt/Model_X") == "/mnt/model-x"
    assert storage_uris.suggest_mount_path("/X/Data") == "/x/data"
