"""jsonschema-rs, which validates changed workloads, agrees with kubernetes-validate's own validator.

The reference is the validator ``kubernetes_validate.validate()`` builds: Python jsonschema's
Draft 2020-12 validator on the kind's schema as shipped, with the definitions document in a
``referencing`` registry. ``validation.schema_errors`` must give the same verdict and the same error
paths on every fixture workload, on a hand-made invalid pod and on generated workloads. The messages
are each library's own wording and are not compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
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


def _same_paths(data: dict[str, Any]) -> list[str]:
    """The error paths of ``data``, checked to be the reference's (as a sorted list, so counts match too)."""
    ours = [path for path, _ in validation.schema_errors(data, NEWEST)]
    reference = sorted(
        format_path(list(e.absolute_path)) for e in _reference(data["apiVersion"], data["kind"]).iter_errors(data)
    )
    assert ours == reference
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


def test_fixture_workloads_get_the_same_verdict_and_paths() -> None:
    workloads = _workloads()
    assert len(workloads) > 20
    invalid = [w for w in workloads if _same_paths(w)]
    assert invalid, "the fixtures hold at least one invalid workload"
    assert len(invalid) < len(workloads)


def test_an_invalid_pod_gets_the_same_paths() -> None:
    bad = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"a": 1}},
        "spec": {
            "containers": [{"image": "x", "volumeMounts": [{"name": "v", "mountPath": 5, "readOnly": "yes"}]}],
            "volumes": [{"name": "v", "persistentVolumeClaim": {}}],
        },
    }
    assert set(_same_paths(bad)) >= {
        "metadata.labels.a",
        "spec.containers[0]",
        "spec.containers[0].volumeMounts[0].mountPath",
        "spec.containers[0].volumeMounts[0].readOnly",
        "spec.volumes[0].persistentVolumeClaim",
    }
    messages = dict(validation.schema_errors(bad, NEWEST))
    assert messages["spec.containers[0]"] == '"name" is a required property'


def test_a_valid_pod_has_no_errors() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}
    assert _same_paths(pod) == []


def test_validators_are_built_once_per_kind() -> None:
    assert validation.compiled(NEWEST, "v1", "Pod") is validation.compiled(NEWEST, "v1", "Pod")
    assert validation.compiled(NEWEST, "v1", "Pod") is not validation.compiled(NEWEST, "apps/v1", "Deployment")


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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workloads())
def test_generated_workloads_get_the_same_verdict_and_paths(data: dict[str, Any]) -> None:
    _same_paths(data)


def test_only_the_reached_definitions_are_registered() -> None:
    """Every reference inside the registered subset points into the subset; other references make
    the whole document registered (``_reached`` gives None)."""
    definitions = validation._definitions(NEWEST)
    for kind in validation.VALIDATED_KINDS:
        group, name = kind
        api = f"{group}-v1" if group else "v1"
        schema = validation._schema(NEWEST, f"{name.lower()}-{api}.json")
        reached = validation._reached(schema, definitions)
        assert reached is not None
        assert 0 < len(reached) < len(definitions["$defs"])
        inner = validation._reached({"items": list(reached.values())}, definitions)
        assert inner is not None
        assert set(inner) <= set(reached)
    assert validation._reached({"$ref": "https://example.com/other.json"}, definitions) is None
    assert validation._reached({"$ref": "#/$defs/no.such.Definition"}, definitions) is None
    assert validation._reached({"enum": [{"$ref": "not a reference"}]}, definitions) == {}
