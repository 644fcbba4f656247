"""The InferenceService-family rule on plain data: fields found, results, KServe checks, readOnly."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krm_fn.config import PolicySpec
from krm_fn.kinds import uri_fields
from krm_fn.ops import Path, format_path
from krm_fn.resource import Resource
from krm_fn.rules import Context, Outcome
from krm_fn.rules.inferenceservice import check

V1BETA1 = "serving.kserve.io/v1beta1"
# SPEC section 2's framework shorthands, written out so the rule's own list is under test.
SHORTHANDS = (
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "huggingface",
    "pmml",
    "lightgbm",
    "paddle",
)


def isvc(spec: dict[str, Any], annotations: dict[str, str] | None = None, name: str = "m") -> Resource:
    """An InferenceService with this spec."""
    meta: dict[str, Any] = {"name": name}
    if annotations is not None:
        meta["annotations"] = annotations
    return Resource(0, {"apiVersion": V1BETA1, "kind": "InferenceService", "metadata": meta, "spec": spec})


def run(res: Resource, **policy: Any) -> Outcome:
    """check() under a policy given as keyword arguments."""
    return check(res, Context(PolicySpec.model_validate(policy)))


def changes(out: Outcome) -> dict[str, tuple[Any, Any]]:
    """field path -> (current, proposed) of every change."""
    return {format_path(c.path): (c.current, c.proposed) for c in out.changes}


def findings(out: Outcome) -> list[tuple[str, str, str]]:
    """(severity, field path, message) of every finding."""
    return [(r.severity, r.field.path if r.field else "", r.message) for r in out.findings]


def set_path(data: Any, path: Path, value: Any) -> None:
    """Set ``value`` at ``path`` in nested plain data."""
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


# --------------------------------------------------------------------------------------------
# Where URIs are found


def test_every_component_and_field_location_is_found() -> None:
    component = {
        "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://c/a/model.joblib"},
        **{short: {"storageUri": f"pvc://c/{short}/model.bin"} for short in SHORTHANDS},
        "art": {"storageUri": "pvc://c/art/x.pkl"},
        "storageUris": [{"uri": "pvc://c/s0"}, {"uri": "pvc://c/s1/m.onnx", "mountPath": "/mnt/models/x"}],
        "containers": [
            {"name": "kserve-container", "env": [{"name": "A", "value": "b"}, {"name": "STORAGE_URI", "value": "x"}]},
            {"name": "side", "env": [{"name": "STORAGE_URI", "valueFrom": {"secretKeyRef": {}}}]},
        ],
    }
    spec = {
        "predictor": component,
        "explainer": {"art": {"storageUri": "pvc://c/e"}},
        "transformer": {"containers": [{"env": [{"name": "STORAGE_URI", "value": "pvc://c/t"}]}]},
        "canary": [{"predictor": {"xgboost": {"storageUri": "pvc://c/canary"}}}, "not a mapping"],
    }
    found = {format_path(f.path): f for f in uri_fields(isvc(spec))}
    expected = [
        "spec.predictor.model.storageUri",
        *(f"spec.predictor.{short}.storageUri" for short in SHORTHANDS),
        "spec.predictor.art.storageUri",
        "spec.predictor.storageUris[0].uri",
        "spec.predictor.storageUris[1].uri",
        "spec.predictor.containers[0].env[1].value",
        "spec.explainer.art.storageUri",
        "spec.transformer.containers[0].env[0].value",
        "spec.canary[0].predictor.xgboost.storageUri",
    ]
    assert list(found) == expected
    assert found["spec.predictor.model.storageUri"].framework == "sklearn"
    assert found["spec.predictor.triton.storageUri"].framework == "triton"
    # A storageUris entry takes its component's model format, and only the one at the model
    # directory gets model-server hints.
    assert found["spec.predictor.storageUris[0].uri"].framework == "sklearn"
    assert found["spec.predictor.storageUris[0].uri"].server_hints
    assert not found["spec.predictor.storageUris[1].uri"].server_hints
    assert found["spec.predictor.art.storageUri"].framework is None


@pytest.mark.parametrize("kind", ["LLMInferenceService", "LLMInferenceServiceConfig"])
@pytest.mark.parametrize("version", ["v1alpha1", "v1alpha2"])
def test_llm_kinds_read_model_uri_and_lora_adapters(kind: str, version: str) -> None:
    res = Resource(
        0,
        {
            "apiVersion": f"serving.kserve.io/{version}",
            "kind": kind,
            "metadata": {"name": "llm"},
            "spec": {"model": {"uri": "pvc://c/m", "lora": {"adapters": [{"uri": "pvc://c/a"}, {"name": "x"}]}}},
        },
    )
    found = [(format_path(f.path), f.snapshot) for f in uri_fields(res)]
    assert found == [("spec.model.uri", True), ("spec.model.lora.adapters[0].uri", False)]


def test_unknown_llm_version_is_not_read() -> None:
    res = Resource(
        0,
        {
            "apiVersion": "serving.kserve.io/v9",
            "kind": "LLMInferenceService",
            "spec": {"model": {"uri": "pvc://c/m.pt"}},
        },
    )
    assert list(uri_fields(res)) == []
    assert run(res).changes == []


# --------------------------------------------------------------------------------------------
# Rewrites and findings


def test_file_uri_change_carries_path_current_and_proposed() -> None:
    out = run(isvc({"predictor": {"sklearn": {"storageUri": "pvc://store/models/iris/model.pkl"}}}))
    assert changes(out) == {
        "spec.predictor.sklearn.storageUri": ("pvc://store/models/iris/model.pkl", "pvc://store/models/iris")
    }
    assert all(c.original_uri for c in out.changes)
    (warning,) = out.findings
    assert warning.severity == "info"  # one model file in the directory: nobody can check it at render time
    assert warning.field is not None
    assert warning.field.path == "spec.predictor.sklearn.storageUri"
    assert warning.field.currentValue == "pvc://store/models/iris/model.pkl"
    assert warning.field.proposedValue is None  # a hint proposes nothing; the change does
    assert ".joblib .pkl .pickle" in warning.message


def test_storage_uris_file_entries_are_not_rewritten() -> None:
    """SPEC 2B item 10: KServe drops a storageUris entry's path, so rewriting a file there changes nothing
    it mounts; the storage_uris rule reports the dropped path instead. No rewrite, no server hint."""
    spec = {
        "predictor": {
            "model": {"modelFormat": {"name": "sklearn"}},
            "storageUris": [
                {"uri": "pvc://c/model/iris.bst"},
                {"uri": "pvc://c/pre/scaler.bst", "mountPath": "/mnt/models/pre"},
                {"uri": "pvc://c//third/x.bst", "mountPath": "/mnt/models/"},
            ],
        }
    }
    out = run(isvc(spec))
    # Only the form repair of the third entry is a change; no entry becomes its directory.
    assert changes(out) == {"spec.predictor.storageUris[2].uri": ("pvc://c//third/x.bst", "pvc://c/third/x.bst")}
    assert [severity for severity, _, _ in findings(out)] == ["warning"]


def test_error_keeps_the_uri_and_proposes_the_directory() -> None:
    out = run(isvc({"predictor": {"sklearn": {"storageUri": "pvc://c/m/model.pkl"}}}), fileUris="error")
    assert out.changes == []
    (error,) = out.findings
    assert error.severity == "error"
    assert error.field is not None
    assert (error.field.currentValue, error.field.proposedValue) == ("pvc://c/m/model.pkl", "pvc://c/m")


def test_form_repair_is_a_change_and_a_warning() -> None:
    out = run(isvc({"predictor": {"onnx": {"storageUri": "pvc://c//m/./v1/"}}}))
    assert changes(out) == {"spec.predictor.onnx.storageUri": ("pvc://c//m/./v1/", "pvc://c/m/v1/")}
    assert "normalized" in out.changes[0].message
    assert [(s, p) for s, p, _ in findings(out)] == [("warning", "spec.predictor.onnx.storageUri")]


def test_non_pvc_uris_are_ignored() -> None:
    out = run(isvc({"predictor": {"sklearn": {"storageUri": "s3://b/m/model.pkl"}}}), readOnly=True)
    assert out.changes == []
    assert out.findings == []


def test_path_type_annotation_applies_to_every_uri_and_a_bad_value_warns() -> None:
    spec = {
        "predictor": {"sklearn": {"storageUri": "pvc://c/a/model.pkl"}},
        "transformer": {"art": {"storageUri": "pvc://c/b"}},
    }
    as_dirs = run(isvc(spec, {"fn.kserve-pvc.dev/path-type": "directory"}))
    assert as_dirs.changes == []
    as_files = run(isvc(spec, {"fn.kserve-pvc.dev/path-type": "file"}))
    assert set(changes(as_files)) == {"spec.predictor.sklearn.storageUri", "spec.transformer.art.storageUri"}
    bad = run(isvc(spec, {"fn.kserve-pvc.dev/path-type": "dir"}))
    assert ("warning", "metadata.annotations.fn.kserve-pvc.dev/path-type") in [(s, p) for s, p, _ in findings(bad)]


def test_lora_adapters_get_no_snapshot_warning() -> None:
    res = Resource(
        0,
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "LLMInferenceService",
            "metadata": {"name": "llm"},
            "spec": {
                "model": {
                    "uri": "pvc://c/base/w.safetensors",
                    "lora": {"adapters": [{"uri": "pvc://c/ad/a.safetensors"}]},
                }
            },
        },
    )
    out = run(res)
    assert set(changes(out)) == {"spec.model.uri", "spec.model.lora.adapters[0].uri"}
    assert [(s, p) for s, p, m in findings(out) if "snapshot" in m] == [("info", "spec.model.uri")]


def test_hints_nobody_can_check_are_info_and_said_once_per_resource() -> None:
    spec = {
        "predictor": {"sklearn": {"storageUri": "pvc://c/a/model.joblib"}},
        "transformer": {"containers": [{"name": "t", "env": [{"name": "STORAGE_URI", "value": "pvc://c/b/x.joblib"}]}]},
        "canary": [{"predictor": {"sklearn": {"storageUri": "pvc://c/c/model.pkl"}}}],
    }
    out = run(isvc(spec))
    assert len(changes(out)) == 3
    hints = [(s, p) for s, p, m in findings(out) if "exactly one model file" in m]
    assert hints == [("info", "spec.predictor.sklearn.storageUri")]
    # A file the server never loads will fail: still a warning, for every field it concerns.
    out = run(isvc({"predictor": {"sklearn": {"storageUri": "pvc://c/a/model.bst"}}}))
    assert [s for s, _, m in findings(out) if "never loads" in m] == ["warning"]


def test_trained_model_pvc_is_an_error_and_nothing_else() -> None:
    res = Resource(
        0,
        {
            "apiVersion": "serving.kserve.io/v1alpha1",
            "kind": "TrainedModel",
            "metadata": {"name": "tm"},
            "spec": {"model": {"storageUri": "pvc://c/m/model.pkl", "framework": "sklearn"}},
        },
    )
    out = run(res, readOnly=True)
    assert out.changes == []
    assert [(s, p) for s, p, _ in findings(out)] == [("error", "spec.model.storageUri")]
    s3 = copy.deepcopy(dict(res.data))
    s3["spec"] = {"model": {"storageUri": "s3://b/m"}}
    assert run(Resource(0, s3)).findings == []


# --------------------------------------------------------------------------------------------
# KServe's own render-time validation


@pytest.mark.parametrize(
    ("component", "single"),
    [
        ({"model": {"storageUri": "s3://b/m"}}, "spec.predictor.model.storageUri"),
        ({"sklearn": {"storageUri": ""}}, "spec.predictor.sklearn.storageUri"),
        (
            {"containers": [{"env": [{"name": "STORAGE_URI", "value": "s3://b/m"}]}]},
            "spec.predictor.containers[0].env[0].value",
        ),
    ],
)
def test_storage_uri_and_storage_uris_together_is_an_error(component: dict[str, Any], single: str) -> None:
    out = run(isvc({"predictor": {**component, "storageUris": []}}))
    (error,) = out.findings
    assert error.severity == "error"
    assert error.field is not None
    assert error.field.path == "spec.predictor.storageUris"
    assert single in error.message


def test_model_without_storage_uri_next_to_storage_uris_is_fine() -> None:
    spec = {
        "predictor": {
            "model": {"modelFormat": {"name": "huggingface"}},
            # a collocated transformer's STORAGE_URI is not the predictor's storageUri
            "containers": [{"name": "kserve-container"}, {"env": [{"name": "STORAGE_URI", "value": "s3://x"}]}],
            "storageUris": [{"uri": "s3://b/base", "mountPath": "/mnt/models/base"}],
        }
    }
    assert run(isvc(spec)).findings == []


@pytest.mark.parametrize(
    ("mount", "ok"),
    [
        ("/mnt/models", True),
        ("/mnt/models/base/", True),
        ("", True),
        ("mnt/models", False),
        ("/", False),
        ("/mnt/../etc", False),
        ("/mnt/models..bak", False),  # KServe rejects the substring
    ],
)
def test_storage_uris_mount_path(mount: str, ok: bool) -> None:
    out = run(isvc({"predictor": {"storageUris": [{"uri": "s3://b/m", "mountPath": mount}]}}))
    assert [(s, p) for s, p, _ in findings(out)] == (
        [] if ok else [("error", "spec.predictor.storageUris[0].mountPath")]
    )


# --------------------------------------------------------------------------------------------
# readOnly policy


@pytest.mark.parametrize(
    ("policy", "have", "want"), [(True, None, "true"), (False, "true", "false"), (True, "false", "true")]
)
def test_read_only_policy_sets_the_annotation(policy: bool, have: str | None, want: str) -> None:
    annotations = {} if have is None else {"storage.kserve.io/readonly": have}
    out = run(isvc({"predictor": {"sklearn": {"storageUri": "pvc://c/m/"}}}, annotations), readOnly=policy)
    assert changes(out) == {"metadata.annotations.storage.kserve.io/readonly": (have, want)}


def test_read_only_preserve_and_already_set_change_nothing() -> None:
    res = isvc({"predictor": {"sklearn": {"storageUri": "pvc://c/m/"}}}, {"storage.kserve.io/readonly": "true"})
    assert run(res).changes == []
    assert run(res, readOnly=True).changes == []


# --------------------------------------------------------------------------------------------
# Properties over generated InferenceServices

SEGMENT = st.sampled_from(
    [
        "models",
        "iris",
        "1",
        "0001",
        "v1.2",
        "model-store",
        "",
        ".",
        "model.joblib",
        "m.bst",
        "w.onnx",
        "a.mar",
        "x.tar.gz",
    ]
)
URI = st.builds(
    lambda claim, segs, slash: "pvc://" + claim + "".join("/" + s for s in segs) + ("/" if slash else ""),
    st.sampled_from(["c", "store", "Bad_Claim", ""]),
    st.lists(SEGMENT, max_size=5),
    st.booleans(),
)
FRAMEWORK = st.sampled_from(["sklearn", "xgboost", "triton", "tensorflow", "pytorch", "huggingface", "onnx"])


@st.composite
def inference_services(draw: st.DrawFn) -> Resource:
    """An InferenceService with pvc:// URIs in randomly chosen field locations."""
    spec: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(["predictor", "explainer", "transformer"]), min_size=1, unique=True)):
        comp: dict[str, Any] = {}
        if draw(st.booleans()):
            comp["model"] = {"modelFormat": {"name": draw(FRAMEWORK)}, "storageUri": draw(URI)}
        else:
            comp[draw(st.sampled_from([*SHORTHANDS, "art"]))] = {"storageUri": draw(URI)}
        if draw(st.booleans()):
            comp["containers"] = [{"name": "kserve-container", "env": [{"name": "STORAGE_URI", "value": draw(URI)}]}]
        spec[name] = comp
    return isvc(spec)


def _apply(res: Resource, out: Outcome) -> Resource:
    data = copy.deepcopy(dict(res.data))
    for change in out.changes:
        if change.path[0] == "spec":
            set_path(data, change.path, change.proposed)
    return Resource(0, data)


@settings(max_examples=150, deadline=None)
@given(res=inference_services(), mode=st.sampled_from(["direct", "copy"]))
def test_property_rule_is_idempotent_and_touches_only_uri_fields(res: Resource, mode: str) -> None:
    out = run(res, mountMode=mode)
    fields = {f.path for f in uri_fields(res)}
    for change in out.changes:
        assert change.path in fields
        assert change.proposed != change.current
    errored = {r.field.path for r in out.findings if r.severity == "error" and r.field is not None}
    assert not errored & {format_path(c.path) for c in out.changes}, "an error never comes with a change"
    again = run(_apply(res, out), mountMode=mode)
    assert again.changes == []
