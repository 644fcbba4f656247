"""InferenceService family: every ``pvc://`` storage URI field (SPEC sections 2, 3.2, 3.3, 3.5).

Fields read:

- InferenceService ``serving.kserve.io/v1beta1``, for each of ``spec.predictor``,
  ``spec.explainer``, ``spec.transformer`` and ``spec.canary[*].predictor``: ``model.storageUri``,
  the framework shorthands' ``storageUri``, ``art.storageUri``, ``storageUris[*].uri`` and
  ``containers[*].env[STORAGE_URI].value``;
- LLMInferenceService and LLMInferenceServiceConfig (``v1alpha1``, ``v1alpha2``): ``spec.model.uri``
  and ``spec.model.lora.adapters[*].uri``;
- TrainedModel ``spec.model.storageUri``, where KServe rejects ``pvc://`` (an error result).

A file URI becomes the URI of its model root (``krm_fn.uris.decide``), with the original recorded
when ``recordOriginal`` is on. KServe's own render-time checks are reported as errors: ``storageUri``
and ``storageUris`` on one component, and a ``storageUris[*].mountPath`` that is not absolute or
climbs with ``..``. With ``readOnly`` set, ``storage.kserve.io/readonly`` is set on every resource
that uses a ``pvc://`` URI.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from krm_fn import uris
from krm_fn.ops import Path, format_path
from krm_fn.resource import PATH_TYPE_ANNOTATION, Resource, mapping
from krm_fn.results import Field, Result
from krm_fn.rules import Change, Context, Outcome

GROUP = "serving.kserve.io"
READONLY_ANNOTATION = "storage.kserve.io/readonly"
KINDS = {
    (GROUP, "InferenceService"),
    (GROUP, "LLMInferenceService"),
    (GROUP, "LLMInferenceServiceConfig"),
    (GROUP, "TrainedModel"),
}
NEEDS_PVC_URI = True

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
LLM_VERSIONS = ("serving.kserve.io/v1alpha1", "serving.kserve.io/v1alpha2")


@dataclass(frozen=True)
class UriField:
    """One storage URI in a resource, and what the model server behind it is."""

    path: Path
    value: str
    framework: str | None
    snapshot: bool = False


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _components(spec: Mapping[str, Any]) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    for name in ("predictor", "explainer", "transformer"):
        if isinstance(spec.get(name), Mapping):
            yield ("spec", name), spec[name]
    canary = spec.get("canary")
    if isinstance(canary, list):
        for i, entry in enumerate(canary):
            predictor = mapping(entry).get("predictor")
            if isinstance(predictor, Mapping):
                yield ("spec", "canary", i, "predictor"), predictor


def _component_fields(base: Path, comp: Mapping[str, Any]) -> Iterator[UriField]:
    model = mapping(comp.get("model"))
    framework = _str(mapping(model.get("modelFormat")).get("name"))
    if (uri := _str(model.get("storageUri"))) is not None:
        yield UriField((*base, "model", "storageUri"), uri, framework)
    for short in SHORTHANDS:
        if (uri := _str(mapping(comp.get(short)).get("storageUri"))) is not None:
            yield UriField((*base, short, "storageUri"), uri, short)
    if (uri := _str(mapping(comp.get("art")).get("storageUri"))) is not None:
        yield UriField((*base, "art", "storageUri"), uri, None)
    entries = comp.get("storageUris")
    if isinstance(entries, list):
        for i, entry in enumerate(entries):
            if (uri := _str(mapping(entry).get("uri"))) is not None:
                yield UriField((*base, "storageUris", i, "uri"), uri, framework)
    containers = comp.get("containers")
    if isinstance(containers, list):
        for i, container in enumerate(containers):
            env = mapping(container).get("env")
            if isinstance(env, list):
                for j, raw in enumerate(env):
                    var = mapping(raw)
                    if (
                        var.get("name") == "STORAGE_URI"
                        and (uri := _str(var.get("value"))) is not None
                    ):
                        yield UriField((*base, "containers", i, "env", j, "value"), uri, None)


def uri_fields(res: Resource) -> Iterator[UriField]:
    """Every storage URI field of an InferenceService-family resource (SPEC section 2's table)."""
    spec = mapping(res.data.get("spec"))
    if res.kind == "InferenceService":
        for base, comp in _components(spec):
            yield from _component_fields(base, comp)
    elif (
        res.kind in ("LLMInferenceService", "LLMInferenceServiceConfig")
        and res.api_version in LLM_VERSIONS
    ):
        model = mapping(spec.get("model"))
        if (uri := _str(model.get("uri"))) is not None:
            yield UriField(("spec", "model", "uri"), uri, None, snapshot=True)
        adapters = mapping(model.get("lora")).get("adapters")
        if isinstance(adapters, list):
            for i, adapter in enumerate(adapters):
                if (uri := _str(mapping(adapter).get("uri"))) is not None:
                    yield UriField(("spec", "model", "lora", "adapters", i, "uri"), uri, None)


def _result(
    res: Resource,
    severity: uris.Severity,
    message: str,
    path: Path,
    current: Any = None,
    *,
    proposed: Any = None,
) -> Result:
    return Result(message, severity, res.ref, Field(format_path(path), current, proposed), res.file)


def _validate_components(res: Resource, out: Outcome) -> None:
    for base, comp in _components(mapping(res.data.get("spec"))):
        entries = comp.get("storageUris")
        single = [
            f
            for f in _component_fields(base, comp)
            if f.path[len(base)] != "storageUris" and f.path[len(base)] != "containers"
        ]
        if isinstance(entries, list) and entries and single:
            out.findings.append(
                _result(
                    res,
                    "error",
                    f"{format_path(base)} sets both storageUri and storageUris; KServe accepts only one of them",
                    (*base, "storageUris"),
                )
            )
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            mount = mapping(entry).get("mountPath")
            if isinstance(mount, str) and (not mount.startswith("/") or ".." in mount.split("/")):
                out.findings.append(
                    _result(
                        res,
                        "error",
                        f"storageUris[{i}].mountPath {mount!r} must be an absolute path without '..' "
                        "(KServe rejects it)",
                        (*base, "storageUris", i, "mountPath"),
                        mount,
                    )
                )


def _trained_model(res: Resource, out: Outcome) -> None:
    uri = _str(mapping(mapping(res.data.get("spec")).get("model")).get("storageUri"))
    if uri is not None and uris.is_pvc_uri(uri):
        out.findings.append(
            _result(
                res,
                "error",
                f"TrainedModel storageUri {uri!r}: KServe accepts only s3, gs, http and https URIs here, not pvc://",
                ("spec", "model", "storageUri"),
                uri,
            )
        )


def check(res: Resource, ctx: Context) -> Outcome:
    """Find and fix the storage URIs of one InferenceService-family resource."""
    out = Outcome()
    if res.kind == "TrainedModel":
        _trained_model(res, out)
        return out
    spec = ctx.spec
    override = res.annotations.get(PATH_TYPE_ANNOTATION)
    path_type = override if override in ("file", "directory") else None
    uses_pvc = False
    for fld in uri_fields(res):
        if not uris.is_pvc_uri(fld.value):
            continue
        uses_pvc = True
        decision = uris.decide(
            fld.value,
            framework=fld.framework,
            extensions=spec.fileExtensions,
            path_type=path_type,
            file_uris=spec.fileUris,
            mount_mode=spec.mountMode,
            snapshot_field=fld.snapshot,
        )
        change_messages = [f.message for f in decision.findings if f.code == "file-uri"]
        for finding in decision.findings:
            if finding.code != "file-uri":
                out.findings.append(
                    _result(
                        res,
                        finding.severity,
                        finding.message,
                        fld.path,
                        fld.value,
                        proposed=decision.new_uri,
                    )
                )
        if decision.new_uri is not None:
            message = (
                change_messages[0] if change_messages else f"{fld.value} -> {decision.new_uri}"
            )
            out.changes.append(
                Change(fld.path, fld.value, decision.new_uri, message, original_uri=True)
            )
    if override is not None and path_type is None:
        out.findings.append(
            _result(
                res,
                "warning",
                f"{PATH_TYPE_ANNOTATION} must be 'file' or 'directory', got {override!r}; ignored",
                ("metadata", "annotations", PATH_TYPE_ANNOTATION),
                str(override),
            )
        )
    if res.kind == "InferenceService":
        _validate_components(res, out)
    if uses_pvc and spec.readOnly != "preserve":
        want = "true" if spec.readOnly else "false"
        have = res.annotations.get(READONLY_ANNOTATION)
        if have != want:
            out.changes.append(
                Change(
                    ("metadata", "annotations", READONLY_ANNOTATION),
                    have,
                    want,
                    f"set {READONLY_ANNOTATION}: {want!r} (readOnly policy)",
                )
            )
    return out
