"""Pods and workloads: injection, file-mount repair, PVC cross-checks, KServe config, schema validation."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from krm_fn import validation
from krm_fn.config import PolicySpec
from krm_fn.krm import run_krm
from krm_fn.resource import Resource
from krm_fn.rules import Context, kserve_config
from krm_fn.transform import transform

SOURCE = "internal.serving.kserve.io/storage-initializer-sourceuri"


def run(items: list[dict[str, Any]], **spec: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Run the KRM function; returns output items, our results and the exit code."""
    doc: dict[str, Any] = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items}
    if spec:
        doc["functionConfig"] = {
            "apiVersion": "fn.kserve-pvc.dev/v1alpha1",
            "kind": "PvcMountPolicy",
            "metadata": {"name": "p"},
            "spec": spec,
        }
    answer = run_krm(yaml.safe_dump(doc, sort_keys=False).encode())
    out = yaml.safe_load(answer.stdout)
    return out["items"], [r.to_dict() for r in answer.results], answer.exit_code


def pod(name: str = "p", annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def deployment(
    name: str, uri: str | None, replicas: int | None = None, namespace: str = "ns", **pod_spec: Any
) -> dict[str, Any]:
    template: dict[str, Any] = {"metadata": {"labels": {"app": name}}, "spec": pod_spec}
    if uri is not None:
        template["metadata"]["annotations"] = {SOURCE: uri}
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": name}}, "template": template}
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def pvc(name: str, *modes: str, namespace: str = "ns") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"accessModes": list(modes), "resources": {"requests": {"storage": "1Gi"}}},
    }


KSERVE = [{"name": "kserve-container", "image": "srv:1"}]


def by_severity(results: list[dict[str, Any]], severity: str) -> list[dict[str, Any]]:
    return [r for r in results if r["severity"] == severity and not r["message"].startswith("kserve-pvc-fn:")]


# -- injection ------------------------------------------------------------------------------------


def test_appends_are_reported_at_their_index() -> None:
    spec: dict[str, Any] = {
        "containers": [{"name": "kserve-container", "image": "s", "volumeMounts": [{"name": "a", "mountPath": "/a"}]}],
        "volumes": [{"name": "a", "emptyDir": {}}],
    }
    _, results, code = run([pod(annotations={SOURCE: "pvc://c/m"}, **spec)])
    assert code == 0
    paths = [r["field"]["path"] for r in by_severity(results, "info")]
    assert paths == ["spec.containers[0].volumeMounts[1]", "spec.volumes[1]"]


def test_modelmountpath_and_storage_uri_env() -> None:
    container = {"name": "kserve-container", "image": "s", "env": [{"name": "STORAGE_URI", "value": "pvc://c/m"}]}
    items, _, _ = run([pod(annotations={SOURCE: "pvc://c/m"}, containers=[container])], modelMountPath="/models")
    out = items[0]["spec"]["containers"][0]
    assert out["env"] == [{"name": "STORAGE_URI", "value": "/models"}]
    assert out["volumeMounts"] == [
        {"name": "kserve-pvc-source", "readOnly": True, "mountPath": "/models", "subPath": "m"}
    ]


def test_path_type_override_directory_keeps_dotted_name() -> None:
    annotations = {SOURCE: "pvc://c/models/model.onnx", "fn.kserve-pvc.dev/path-type": "directory"}
    items, _, _ = run([pod(annotations=annotations, containers=KSERVE)])
    assert items[0]["spec"]["containers"][0]["volumeMounts"][0]["subPath"] == "models/model.onnx"
    assert items[0]["metadata"]["annotations"][SOURCE] == "pvc://c/models/model.onnx"


@pytest.mark.parametrize("policy", ["error", "ignore"])
def test_file_uri_policies_on_source_uri(policy: str) -> None:
    items, results, code = run([pod(annotations={SOURCE: "pvc://c/m/model.pt"}, containers=KSERVE)], fileUris=policy)
    mounts = items[0]["spec"]["containers"][0].get("volumeMounts")
    if policy == "error":
        assert code == 1
        assert mounts is None
        assert by_severity(results, "error")[0]["field"]["path"] == f"metadata.annotations.{SOURCE}"
    else:
        assert code == 0
        assert mounts[0]["subPath"] == "m/model.pt"  # KServe's own behaviour, unchanged


def test_knative_service_needs_v1() -> None:
    ksvc = {
        "apiVersion": "serving.knative.dev/v1alpha1",
        "kind": "Service",
        "metadata": {"name": "k"},
        "spec": {"template": {"metadata": {"annotations": {SOURCE: "pvc://c/m"}}, "spec": {"containers": KSERVE}}},
    }
    items, results, _ = run([ksvc])
    assert items[0] == ksvc
    assert by_severity(results, "info") == []


def test_second_run_changes_nothing() -> None:
    first, _, _ = run([deployment("d", "pvc://c/models/iris/model.joblib", 1, containers=KSERVE)])
    second, results, _ = run(first)
    assert second == first
    assert by_severity(results, "info") == []


# -- file mounts on directory paths ---------------------------------------------------------------


def _mounted(sub: str, target: str = "/mnt/models", volume: dict[str, Any] | None = None) -> dict[str, Any]:
    return pod(
        containers=[{"name": "s", "image": "s", "volumeMounts": [{"name": "v", "mountPath": target, "subPath": sub}]}],
        volumes=[volume or {"name": "v", "persistentVolumeClaim": {"claimName": "c"}}],
    )


@pytest.mark.parametrize(
    ("policy", "sub", "target", "want"),
    [
        ("directory", "a/b/model.pkl", "/mnt/models", {"mountPath": "/mnt/models", "subPath": "a/b"}),
        ("directory", "model.pkl", "/mnt/models", {"mountPath": "/mnt/models", "subPath": ""}),
        ("file-mount", "a/model.pkl", "/mnt/models/", {"mountPath": "/mnt/models/model.pkl", "subPath": "a/model.pkl"}),
        ("directory", "a/model.pkl", "/srv/model.pkl", {"mountPath": "/srv/model.pkl", "subPath": "a/model.pkl"}),
        ("directory", "a/v1.2", "/mnt/models", {"mountPath": "/mnt/models", "subPath": "a/v1.2"}),
        ("ignore", "a/model.pkl", "/mnt/models", {"mountPath": "/mnt/models", "subPath": "a/model.pkl"}),
    ],
)
def test_file_mount_repair(policy: str, sub: str, target: str, want: dict[str, str]) -> None:
    items, _, code = run([_mounted(sub, target)], fileUris=policy)
    mount = items[0]["spec"]["containers"][0]["volumeMounts"][0]
    assert code == 0
    assert {k: mount[k] for k in ("mountPath", "subPath")} == want


def test_non_pvc_volume_is_not_repaired() -> None:
    items, results, _ = run([_mounted("a/model.pkl", volume={"name": "v", "emptyDir": {}})])
    assert items[0]["spec"]["containers"][0]["volumeMounts"][0]["subPath"] == "a/model.pkl"
    assert by_severity(results, "info") == []


# -- PVC cross-checks -----------------------------------------------------------------------------


def _daemonset(uri: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "ds", "namespace": "ns"},
        "spec": {
            "selector": {"matchLabels": {"app": "ds"}},
            "template": {
                "metadata": {"labels": {"app": "ds"}, "annotations": {SOURCE: uri}},
                "spec": {"containers": KSERVE},
            },
        },
    }


@pytest.mark.parametrize(
    ("modes", "workload", "severity"),
    [
        (["ReadWriteOnce"], deployment("d", "pvc://c/m", 3, containers=KSERVE), "warning"),
        (["ReadWriteOnce"], deployment("d", "pvc://c/m", 1, containers=KSERVE), None),
        (["ReadWriteOnce"], deployment("d", "pvc://c/m", None, containers=KSERVE), None),
        (["ReadWriteOnce"], _daemonset("pvc://c/m"), "warning"),
        (["ReadWriteOncePod"], deployment("d", "pvc://c/m", 2, containers=KSERVE), "error"),
        (["ReadWriteOnce", "ReadWriteMany"], deployment("d", "pvc://c/m", 3, containers=KSERVE), None),
        (["ReadOnlyMany"], deployment("d", "pvc://c/m", 3, containers=KSERVE), None),
        # The claim exists only in another namespace: the pods cannot mount it at all.
        (["ReadWriteOnce"], deployment("d", "pvc://c/m", 3, namespace="other", containers=KSERVE), "error"),
    ],
)
def test_access_modes(modes: list[str], workload: dict[str, Any], severity: str | None) -> None:
    _, results, _ = run([pvc("c", *modes), workload])
    found = [r for r in results if "claim 'c'" in r["message"] and r["severity"] != "info"]
    assert [r["severity"] for r in found] == ([severity] if severity else [])


def test_rox_with_writable_policy_is_error() -> None:
    _, results, code = run(
        [pvc("c", "ReadOnlyMany"), deployment("d", "pvc://c/m", 1, containers=KSERVE)], readOnly=False
    )
    errors = by_severity(results, "error")
    assert code == 1
    assert len(errors) == 1
    assert "only ReadOnlyMany" in errors[0]["message"]


def test_inferenceservice_min_replicas() -> None:
    def isvc(min_replicas: int | None) -> dict[str, Any]:
        predictor: dict[str, Any] = {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://c/m"}}
        if min_replicas is not None:
            predictor["minReplicas"] = min_replicas
        return {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": "i", "namespace": "ns"},
            "spec": {"predictor": predictor},
        }

    for replicas, count in ((3, 1), (1, 0), (0, 0), (None, 0)):
        _, results, _ = run([pvc("c", "ReadWriteOnce"), isvc(replicas)])
        warnings = [r for r in by_severity(results, "warning") if "ReadWriteOnce" in r["message"]]
        assert len(warnings) == count, replicas
        if count:
            assert warnings[0]["field"] == {"path": "spec.predictor.minReplicas", "currentValue": 3}


# -- inferenceservice-config ----------------------------------------------------------------------


def _config(text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "inferenceservice-config", "namespace": "kserve"},
        "data": {"storageInitializer": text},
    }


@pytest.mark.parametrize(
    ("text", "mode", "warns"),
    [
        ('{"enableDirectPvcVolumeMount": true}', "direct", False),
        ('{"enableDirectPvcVolumeMount": false}', "direct", True),
        ("{}", "direct", True),
        ("{}", "copy", False),
        ('{"enableDirectPvcVolumeMount": true}', "copy", True),
        ("not json", "direct", True),
    ],
)
def test_kserve_config_comparison(text: str, mode: str, warns: bool) -> None:
    items, results, _ = run([_config(text)], mountMode=mode, kserveVersion="0.15")
    assert bool(by_severity(results, "warning")) is warns
    assert items[0]["data"]["storageInitializer"] == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            '{"enableDirectPvcVolumeMount": {{ .Values.direct }}}',
            "holds an unexpanded template placeholder; not compared",
        ),
        ("not json", "is not valid JSON (Expecting value: line 1 column 1 (char 0)); not compared"),
    ],
)
def test_kserve_config_that_cannot_be_read_says_why(text: str, says: str) -> None:
    _, results, _ = run([_config(text)], mountMode="direct", kserveVersion="0.15")
    assert [r["message"] for r in by_severity(results, "warning")] == [
        f"inferenceservice-config storageInitializer {says}"
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [('{"enableDirectPvcVolumeMount": false}', True), ('{"enableDirectPvcVolumeMount": true}', True), ("{}", False)],
)
@pytest.mark.parametrize("mode", ["direct", "copy"])
def test_kserve_config_key_is_ignored_from_0_16(text: str, says: bool, mode: str) -> None:
    """KServe 0.16+ ignores enableDirectPvcVolumeMount: an info if it is there, never a rewrite."""
    items, results, _ = run([_config(text)], mountMode=mode, manageKServeConfig=True, kserveVersion="0.16")
    assert by_severity(results, "warning") == []
    assert bool([r for r in by_severity(results, "info") if "ignores" in r["message"]]) is says
    assert items[0]["data"]["storageInitializer"] == text


@pytest.mark.parametrize(("mode", "value"), [("direct", True), ("copy", False)])
def test_manage_kserve_config_rewrites_only_the_key(mode: str, value: bool) -> None:
    text = '{\n  "cpuLimit": "1",\n  "enableDirectPvcVolumeMount": ' + json.dumps(not value) + "\n}"
    items, results, _ = run([_config(text)], mountMode=mode, manageKServeConfig=True, kserveVersion="0.15")
    new = items[0]["data"]["storageInitializer"]
    assert new == text.replace(json.dumps(not value), json.dumps(value))
    assert by_severity(results, "warning") == []


@pytest.mark.parametrize(
    "text",
    ["{}", '{"a": 1}', '{\n    "a": [1, 2],\n    "b": {"c": null}\n}', '{"enableDirectPvcVolumeMount": "yes"}'],
)
def test_set_direct_keeps_json_meaning(text: str) -> None:
    new = kserve_config._set_direct(text, True)
    assert json.loads(new) == {**json.loads(text), "enableDirectPvcVolumeMount": True}
    if "enableDirectPvcVolumeMount" not in text:  # the existing entries are kept as written
        assert new.startswith(text.rstrip()[:-1].rstrip())


# -- schema validation ----------------------------------------------------------------------------


def test_invalid_result_is_not_written_and_not_reported_as_changed() -> None:
    bad = deployment("d", "pvc://c/m", None, containers=[{"name": "kserve-container", "image": "s", "ports": "8080"}])
    items, results, code = run([bad])
    assert code == 1
    assert items[0] == bad
    assert by_severity(results, "info") == []
    assert "fails the Kubernetes" in by_severity(results, "error")[0]["message"]


def test_validator_built_once_per_kind_and_version() -> None:
    validation.compiled.cache_clear()
    spec = PolicySpec()
    resources = [Resource(i, deployment(f"d{i}", "pvc://c/m", 1, containers=KSERVE), None) for i in range(20)]
    out = transform(resources, spec)
    assert len(out.ops) == 20
    info = validation.compiled.cache_info()
    assert info.misses == 1
    assert info.hits >= 19


@pytest.mark.parametrize(
    ("wanted", "resolved", "problem"),
    [(None, "newest", False), ("1.30", "1.30", False), ("1.30.4", "1.30", False), ("1.99", "newest", True)],
)
def test_resolve_version(wanted: str | None, resolved: str, problem: bool) -> None:
    newest = validation.bundled_versions()[-1]
    version, note = validation.resolve_version(wanted)
    assert version == (newest if resolved == "newest" else resolved)
    assert (note is not None) is problem


def test_schemas_are_the_ones_kubernetes_validate_reads() -> None:
    """The schema directory is read without importing kubernetes_validate; it must agree with it."""
    from kubernetes_validate import utils

    assert validation.bundled_versions() == tuple(
        sorted({utils.major_minor(v) for v in utils.all_versions()}, key=validation._key)
    )
    newest_full = utils.latest_version()
    newest = validation.bundled_versions()[-1]
    for name in ("_definitions.json", "pod-v1.json", "deployment-apps-v1.json"):
        theirs = utils.schema_contents(f"kubernetes-json-schema/v{newest_full}-local/{name}", newest_full)
        assert validation._schema(newest, name) == theirs


def test_version_older_than_bundled_blocks_change() -> None:
    version, note = validation.resolve_version("1.10")
    assert version is None
    assert note is not None


def test_schema_errors_name_the_field() -> None:
    data = pod(containers=[{"name": "a", "volumeMounts": [{"name": "v", "mountPath": "/m", "readOnly": "yes"}]}])
    errors = validation.schema_errors(data, validation.bundled_versions()[-1])
    assert [path for path, _ in errors] == ["spec.containers[0].volumeMounts[0].readOnly"]


def test_context_is_whole_bundle() -> None:
    """The cross-checks see PVCs even though they carry no pvc:// text."""
    from krm_fn.driver import candidate
    from krm_fn.resourcelist import read

    doc = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [pvc("c", "ReadWriteOnce")]}
    spans = read(yaml.safe_dump(doc).encode())[0].items
    assert [r.kind for i, s in enumerate(spans) if (r := candidate(i, s)) is not None] == ["PersistentVolumeClaim"]
    assert Context(PolicySpec()).resources == ()
