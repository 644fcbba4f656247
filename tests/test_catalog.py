"""The catalog entry: the KRMFunctionDefinition is generated from the models and says what the function takes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

from krm_fn import catalog

REPO = Path(__file__).resolve().parent.parent
# Required by KEP-2906's schema of KRMFunctionDefinition (spec and each version).
SPEC_KEYS = {"group", "names", "description", "publisher", "versions"}
VERSION_KEYS = {"name", "schema", "idempotent", "runtime", "usage", "examples", "license"}


def _schema() -> dict[str, Any]:
    document = yaml.safe_load(catalog.OUT.read_text(encoding="utf-8"))
    (version,) = document["spec"]["versions"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def test_the_definition_is_fresh() -> None:
    assert catalog.OUT.read_text(encoding="utf-8") == catalog.generated(), "stale: run `make docs`"


def test_the_definition_has_what_kep_2906_requires() -> None:
    document = yaml.safe_load(catalog.OUT.read_text(encoding="utf-8"))
    assert (document["apiVersion"], document["kind"]) == ("config.kubernetes.io/v1alpha1", "KRMFunctionDefinition")
    assert set(document["spec"]) >= SPEC_KEYS
    for version in document["spec"]["versions"]:
        assert set(version) >= VERSION_KEYS
        assert version["license"] == "Apache 2.0", "the KEP's schema allows only this spelling"
        assert version["runtime"]["container"]["requireNetwork"] is False
        for path in [version["usage"], *version["examples"]]:
            assert (REPO / path).is_file(), path


def test_the_schema_has_no_json_schema_only_keywords() -> None:
    text = catalog.OUT.read_text(encoding="utf-8")
    for keyword in ("$ref", "$defs", "const:", "title:", "type: 'null'", "type: null"):
        assert keyword not in text, keyword


@pytest.mark.parametrize(
    "config",
    [
        REPO / "kustomization.example" / "kserve-pvc-fn.yaml",
        REPO / "examples" / "kpt" / "kserve-models" / "kserve-pvc-policy.yaml",
        REPO / "examples" / "kpt" / "kserve-models" / "kserve-pvc-policy-validate.yaml",
    ],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_the_shipped_configs_are_valid_against_the_schema(config: Path) -> None:
    jsonschema_rs.validate(_schema(), yaml.safe_load(config.read_text()))


@pytest.mark.parametrize(
    "spec",
    [{"mountMode": "sometimes"}, {"nope": 1}, {"storageInitializer": {"image": 3}}, {"selectors": [{"kind": 1}]}],
)
def test_the_schema_rejects_what_the_models_reject(spec: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from krm_fn.config import PolicySpec

    with pytest.raises(ValidationError):
        PolicySpec.model_validate(spec)
    document = {"apiVersion": "fn.kserve-pvc.dev/v1alpha1", "kind": "PvcMountPolicy", "spec": spec}
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validate(_schema(), document)


def test_the_catalog_metadata_names_the_same_image_and_existing_examples() -> None:
    metadata = yaml.safe_load((REPO / "catalog" / "metadata.yaml").read_text())
    document = yaml.safe_load(catalog.OUT.read_text(encoding="utf-8"))
    assert metadata["image"] == document["spec"]["versions"][0]["runtime"]["container"]["image"]
    assert {"image", "description", "tags", "sourceURL", "examplePackageURLs", "license"} <= set(metadata)
    for path in [metadata["sourceURL"], *metadata["examplePackageURLs"]]:
        assert (REPO / path).exists(), path
