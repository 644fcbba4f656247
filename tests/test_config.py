"""functionConfig: PvcMountPolicy, the ConfigMap form, defaults and errors naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from krm_fn.config import PolicySpec, load_config

DEFAULTS = PolicySpec()


def policy(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "fn.kserve-pvc.dev/v1alpha1",
        "kind": "PvcMountPolicy",
        "metadata": {"name": "p"},
        "spec": spec,
    }


def configmap(**data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fn"}, "data": data}


@pytest.mark.parametrize("fc", [None, {}, policy(), configmap()])
def test_no_or_empty_config_is_all_defaults(fc: Any) -> None:
    spec, errors = load_config(fc)
    assert errors == []
    assert spec == DEFAULTS


def test_configmap_strings_are_parsed_like_kpt_key_value() -> None:
    spec, errors = load_config(
        configmap(
            mountMode="copy",
            readOnly="false",
            recordOriginal="false",
            fileExtensions=".joblib, .pt",
            storageInitializer='{"image": "kserve/storage-initializer:v0.15.2", "cpuLimit": "2"}',
            exclude='[{"namespace": "legacy"}]',
        )
    )
    assert errors == []
    assert spec is not None
    assert spec.mountMode == "copy"
    assert spec.readOnly is False
    assert spec.recordOriginal is False
    assert spec.fileExtensions == [".joblib", ".pt"]
    assert spec.storageInitializer.image == "kserve/storage-initializer:v0.15.2"
    assert spec.storageInitializer.cpuLimit == "2"
    assert spec.storageInitializer.memoryLimit == "1Gi"
    assert spec.exclude[0].namespace == "legacy"


@pytest.mark.parametrize(
    ("fc", "path", "needle"),
    [
        (policy(mountMode="webhook"), "spec.mountMode", "'direct' or 'copy'"),
        (policy(fileUris="rename"), "spec.fileUris", "'directory', 'file-mount', 'error' or 'ignore'"),
        (policy(mode="dry-run"), "spec.mode", "'mutate' or 'validate'"),
        (policy(colour="blue"), "spec.colour", "allowed keys: mode, mountMode"),
        (policy(recordOriginal="perhaps"), "spec.recordOriginal", "boolean"),
        (policy(fileExtensions=["joblib"]), "spec.fileExtensions", "starts with '.'"),
        (policy(modelMountPath="models"), "spec.modelMountPath", "absolute"),
        (policy(storageInitializer={"cpu": "1"}), "spec.storageInitializer.cpu", "allowed keys: image, cpuRequest"),
        (policy(selectors=[{"kinds": "Pod"}]), "spec.selectors.0.kinds", "allowed keys: apiVersion, kind"),
        (configmap(mountMode="webhook"), "data.mountMode", "'direct' or 'copy'"),
    ],
)
def test_bad_values_are_error_results_naming_the_key(fc: dict[str, Any], path: str, needle: str) -> None:
    spec, errors = load_config(fc)
    assert spec is None
    assert [e.severity for e in errors] == ["error"] * len(errors)
    assert any(e.field is not None and e.field.path == path and needle in e.message for e in errors), [
        e.message for e in errors
    ]


def test_wrong_kind_of_config_is_an_error() -> None:
    spec, errors = load_config({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})
    assert spec is None
    assert "PvcMountPolicy" in errors[0].message
