"""The schema validator with its references inlined finds exactly what kubernetes-validate's way finds.

``validation.compiled(..., inline=True)``, used once a bundle has many workloads of one kind, inlines
the ``$ref``s of the bundled schemas for speed; the reference here is the validator
``kubernetes_validate.validate()`` builds: the kind's schema as shipped, with the definitions
document in a ``referencing`` registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from referencing import Registry
from referencing import Resource as RefResource

from krm_fn import validation
from krm_fn.ops import format_path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NEWEST = validation.bundled_versions()[-1]
FILES = {("v1", "Pod"): "pod-v1.json", ("apps/v1", "Deployment"): "deployment-apps-v1.json"}


def _reference(api_version: str, kind: str) -> Any:
    schema = validation._schema(NEWEST, FILES[(api_version, kind)])
    registry: Registry[Any] = RefResource.from_contents(schema) @ Registry()
    registry = RefResource.from_contents(validation._definitions(NEWEST)) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _errors(validator: Any, data: Any) -> list[tuple[str, str]]:
    return sorted((format_path(list(e.absolute_path)), e.message) for e in validator.iter_errors(data))


def _same_errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    inlined = validation.compiled(NEWEST, data["apiVersion"], data["kind"], inline=True)
    ours = _errors(inlined, data)
    assert ours == _errors(_reference(data["apiVersion"], data["kind"]), data)
    assert ours == validation.schema_errors(data, NEWEST)
    return ours


def _workloads() -> list[dict[str, Any]]:
    found = []
    for path in sorted(FIXTURES.glob("*/input.yaml")):
        try:
            doc = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            continue  # the fixtures of unreadable input
        for item in doc.get("items") or [] if isinstance(doc, dict) else []:
            if isinstance(item, dict) and (item.get("apiVersion"), item.get("kind")) in FILES:
                found.append(item)
    return found


def test_fixture_workloads_get_the_same_errors() -> None:
    workloads = _workloads()
    assert len(workloads) > 20
    for w in workloads:
        _same_errors(w)


def test_an_invalid_pod_gets_the_same_errors() -> None:
    bad = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"a": 1}},
        "spec": {
            "containers": [{"image": "x", "volumeMounts": [{"name": "v", "mountPath": 5, "readOnly": "yes"}]}],
            "volumes": [{"name": "v", "persistentVolumeClaim": {}}],
        },
    }
    errors = _same_errors(bad)
    assert {path for path, _ in errors} >= {
        "metadata.labels.a",
        "spec.containers[0]",
        "spec.containers[0].volumeMounts[0].mountPath",
        "spec.containers[0].volumeMounts[0].readOnly",
        "spec.volumes[0].persistentVolumeClaim",
    }


VALUES = st.one_of(
    st.text(max_size=5),
    st.integers(-3, 70000),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.sampled_from(["name", "mountPath", "claimName", "x"]), st.text(max_size=4), max_size=2),
)
CONTAINER_KEYS = st.sampled_from(
    ["name", "image", "args", "env", "ports", "volumeMounts", "resources", "securityContext", "bogus"]
)
CONTAINER = st.dictionaries(CONTAINER_KEYS, VALUES, max_size=5)
SPEC_KEYS = st.sampled_from(["containers", "initContainers", "volumes", "nodeSelector", "restartPolicy", "hostname"])


@st.composite
def workloads(draw: st.DrawFn) -> dict[str, Any]:
    spec = draw(st.dictionaries(SPEC_KEYS, VALUES, max_size=3))
    spec["containers"] = draw(st.lists(CONTAINER, max_size=2))
    if draw(st.booleans()):
        spec["volumes"] = [{"name": draw(st.text(max_size=3)), "persistentVolumeClaim": draw(VALUES)}]
    if draw(st.booleans()):
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}
    template = {"metadata": {"labels": draw(VALUES)}, "spec": spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "annotations": draw(VALUES)},
        "spec": {"replicas": draw(VALUES), "selector": draw(VALUES), "template": template},
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workloads())
def test_generated_workloads_get_the_same_errors(data: dict[str, Any]) -> None:
    _same_errors(data)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_no_reference_is_left_but_recursive_ones(kind: tuple[str, str]) -> None:
    """Every ``$ref`` left after inlining points into the definitions, absolutely (the registry has it)."""
    schema = validation._schema(NEWEST, FILES[kind])
    definitions = validation._definitions(NEWEST)
    inlined = validation.inline_refs(schema, schema["$id"], definitions)
    left: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                left.append(node["$ref"])
            for key, value in node.items():
                if key not in ("default", "enum", "const", "example", "examples"):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(inlined)
    assert all(ref.startswith(definitions["$id"] + "#/$defs/") for ref in left), left[:3]


def test_the_inlined_schema_is_used_once_it_pays(monkeypatch: pytest.MonkeyPatch) -> None:
    kind = validation._KindValidator(NEWEST, "v1", "Pod")
    used: list[bool] = []
    real = validation.compiled

    def spy(*key: str, inline: bool) -> Any:
        used.append(inline)
        return real(*key, inline=inline)

    monkeypatch.setattr(validation, "compiled", spy)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}}
    for _ in range(validation._KindValidator.INLINE_AFTER + 2):
        assert list(kind.iter_errors(pod)) == []
    assert used == [False] * validation._KindValidator.INLINE_AFTER + [True, True]
