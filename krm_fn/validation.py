"""Schema validation of changed Pods and pod-bearing workloads (SPEC section 4).

Every Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob that the
function changes is checked against the Kubernetes OpenAPI schema bundled with
``kubernetes-validate`` (no network), for ``spec.kubernetesVersion`` (default: the newest bundled
version). A failure becomes an error result and the resource is written unchanged.

kubernetes-validate is the source of the schemas and of the version choice; jsonschema-rs (Rust)
validates, against the same files, with the same verdicts and error paths as the Python jsonschema
validator that ``kubernetes_validate.validate()`` builds, at a small fraction of its import and
validation time (the messages are jsonschema-rs's own wording).

``kubernetes_validate.validate()`` re-reads and re-parses the 1.8 MB ``_definitions.json`` on every
call; here the definitions are loaded once per Kubernetes version and a compiled validator is kept
per (version, apiVersion, kind), so a bundle of many workloads costs one load. The schema files are
read from kubernetes-validate's package directory directly, the way ``kubernetes_validate.utils``
names them: importing that module (packaging, importlib_resources) adds to every cold start.

Kinds without a bundled schema (a Knative Service, CRDs) are not validated here.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from krm_fn.resource import Resource
from krm_fn.results import Field, Result

if TYPE_CHECKING:
    import jsonschema_rs

__all__ = ["VALIDATED_KINDS", "bundled_versions", "check_changed", "resolve_version", "schema_errors"]

#: (group, kind) pairs whose changed output is validated: the built-in pod-bearing kinds.
VALIDATED_KINDS = frozenset(
    {
        ("", "Pod"),
        ("", "PodTemplate"),
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("apps", "ReplicaSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
    }
)

#: At most this many schema errors are reported per resource; the rest are counted.
MAX_REPORTED = 5


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".")[:2])


@functools.cache
def _schema_root() -> Path:
    """kubernetes-validate's ``kubernetes-json-schema`` directory (found without importing the package)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("kubernetes-validate is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


@functools.cache
def _full_versions() -> dict[str, str]:
    """Minor version (``"1.37"``) -> the bundled directory's full version (``"1.37.0"``)."""
    found: dict[str, str] = {}
    for entry in sorted(p.name for p in _schema_root().iterdir()):
        m = re.match(r"v(\d+\.\d+)(\.\d+)?-local$", entry)
        if m:
            found[m[1]] = m[1] + (m[2] or "")
    return found


def _schema(version: str, name: str) -> Any:
    with (_schema_root() / f"v{_full_versions()[version]}-local" / name).open(encoding="utf-8") as f:
        return json.load(f)


def bundled_versions() -> tuple[str, ...]:
    """The Kubernetes minor versions (``"1.37"``) whose schemas kubernetes-validate ships, oldest first."""
    return tuple(sorted(_full_versions(), key=_key))


def resolve_version(wanted: str | None) -> tuple[str | None, str | None]:
    """The bundled version to validate against, and a problem text (None when all is well).

    ``None`` means the newest bundled version. A version newer than the newest bundled one is
    validated against the newest (the schema of pod specs changes slowly), with a note; one older
    than the oldest cannot be validated (``(None, problem)``).
    """
    versions = bundled_versions()
    if wanted is None:
        return versions[-1], None
    want = _key(wanted)
    usable = [v for v in versions if _key(v) <= want]
    if not usable:
        return None, (
            f"kubernetesVersion {wanted} is older than every schema kubernetes-validate ships "
            f"({versions[0]} to {versions[-1]})"
        )
    if want > _key(versions[-1]):
        return versions[-1], f"kubernetesVersion {wanted} is newer than the newest bundled schema; used {versions[-1]}"
    return usable[-1], None


@functools.cache
def _definitions(version: str) -> Any:
    """The ``_definitions.json`` document of one version, loaded once."""
    return _schema(version, "_definitions.json")


def _reached(schema: Any, definitions: Mapping[str, Any]) -> dict[str, Any] | None:
    """The definitions that ``schema`` reaches through ``$ref``s, by name; None if a reference
    points anywhere else (then the whole document is registered).

    A pod reaches about a sixth of the definitions; jsonschema-rs converts every registered
    document into its own form, so registering only those costs a few milliseconds less on every
    cold start that validates a change.
    """
    table = definitions.get("$defs")
    if not isinstance(table, Mapping):
        return None
    found: dict[str, Any] = {}
    todo = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                _, sep, name = ref.partition("#/$defs/")
                if not sep or "/" in name or "~" in name or "%" in name or name not in table:
                    return None
                if name not in found:
                    found[name] = table[name]
                    todo.append(table[name])
            todo.extend(v for k, v in node.items() if k not in _DATA_KEYWORDS)
    return found


# Keywords whose values are instance data, not schemas: a "$ref" in them is not a reference.
_DATA_KEYWORDS = frozenset({"$ref", "default", "enum", "const", "example", "examples"})


@functools.cache
def compiled(version: str, api_version: str, kind: str) -> jsonschema_rs.Validator:
    """The Draft 2020-12 validator of one kind, built once: the schema as kubernetes-validate ships it,
    with the definitions it reaches registered under the ``$id`` its references name."""
    import jsonschema_rs

    # Same file naming as kubernetes_validate.validate(): apps/v1 -> apps-v1, v1 -> v1.
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = _schema(version, f"{kind.lower()}-{api}.json")
    definitions = _definitions(version)
    reached = _reached(schema, definitions)
    document = definitions if reached is None else {**definitions, "$defs": reached}
    registry = jsonschema_rs.Registry([(str(definitions["$id"]), document)])
    return jsonschema_rs.Draft202012Validator(schema, registry=registry)


def schema_errors(data: Mapping[str, Any], version: str) -> list[tuple[str, str]]:
    """``(field path, message)`` for every schema violation of ``data`` (sorted by path).

    ``data`` must be of a kind in :data:`VALIDATED_KINDS`; ``version`` a bundled version.
    """
    from krm_fn.ops import format_path

    validator = compiled(version, str(data.get("apiVersion")), str(data.get("kind")))
    found = [
        (format_path([p if isinstance(p, int) else str(p) for p in err.instance_path]), err.message)
        for err in validator.iter_errors(data)
    ]
    return sorted(found)


def check_changed(res: Resource, new_data: Mapping[str, Any], kubernetes_version: str | None) -> list[Result]:
    """Results for ``new_data``, the changed form of ``res``: errors block the change.

    Returns ``[]`` when the kind is not validated or the data is valid, a warning when the version
    had to be substituted, and error results when the changed resource fails the schema (or cannot
    be validated at all).
    """
    if (res.group, res.kind) not in VALIDATED_KINDS:
        return []
    version, problem = resolve_version(kubernetes_version)
    if version is None:
        return [Result(f"not changed: {problem}; the change cannot be validated", "error", res.ref, None, res.file)]
    out: list[Result] = []
    if problem is not None:
        out.append(Result(problem, "warning", res.ref, None, res.file))
    errors = schema_errors(new_data, version)
    if not errors:
        return out
    # Whether the input was already invalid tells the user where to look first.
    before = set(schema_errors(res.data, version))
    for path, message in errors[:MAX_REPORTED]:
        origin = "already in the input" if (path, message) in before else "caused by the change"
        out.append(
            Result(
                f"not changed: the changed {res.kind} fails the Kubernetes {version} schema at "
                f"{path or '<root>'}: {message} ({origin})",
                "error",
                res.ref,
                Field(path) if path else None,
                res.file,
            )
        )
    if len(errors) > MAX_REPORTED:
        out.append(
            Result(
                f"not changed: {len(errors) - MAX_REPORTED} more schema error(s) in the changed {res.kind}",
                "error",
                res.ref,
                None,
                res.file,
            )
        )
    return out
