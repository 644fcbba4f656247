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

Decisions taken where the specification leaves room:

* **KServe's checks follow its webhook** (``validateMultipleStorageURIs``): the "single" URI is the
  ``storageUri`` of the component's implementation (``model``, a shorthand or ``art``, even when
  empty), or ``STORAGE_URI`` of the first container of a custom component; ``storageUris: []``
  counts as set. A ``mountPath`` of ``/``, a relative one and one containing ``..`` anywhere (a
  substring, as KServe checks it) are errors; an unset or empty one is KServe's default. These
  checks run on every InferenceService, ``pvc://`` or not, hence no ``MARKERS``.
* **Server hints on ``storageUris``**: an entry whose ``mountPath`` is set and is not
  ``modelMountPath`` holds side artifacts (preprocessors, adapters) the model server never lists,
  so it gets no ``one-file-server``, ``unsupported-ext`` or ``snapshot-dir`` warning.
* **Results of a decision**: the rewrite's own info finding becomes the change's message; every
  other finding is a result on the same field whose ``proposedValue`` is the finding's own proposal
  (an unapplied repair, or the directory ``fileUris: error`` refused to write) or else the new URI.
* **``mountMode: copy`` with ``kserveVersion`` >= 0.16** describes no KServe that exists for this
  family: the copy path was removed (kserve/kserve#4694) and the controller always mounts claims
  directly. One warning per resource says so, on its first ``pvc://`` field, and its URIs are judged
  as in direct mode (a file URI is rewritten). The same holds for LLMInferenceService(Config) at any
  version: it never had a copy path. Raw pods keep copy mode (the ``pods`` rule).
* **readOnly** covers LLMInferenceService and LLMInferenceServiceConfig too (they carry the model
  URI the same way); a TrainedModel with ``pvc://`` is only ever an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from krm_fn import uris
from krm_fn.ops import Path, format_path, get_path
from krm_fn.resource import PATH_TYPE_ANNOTATION, Resource, mapping
from krm_fn.rules import Change, Context, Outcome, file_extensions, finding, kserve_in

GROUP = "serving.kserve.io"
READONLY_ANNOTATION = "storage.kserve.io/readonly"
KINDS = {
    (GROUP, "InferenceService"),
    (GROUP, "LLMInferenceService"),
    (GROUP, "LLMInferenceServiceConfig"),
    (GROUP, "TrainedModel"),
}
#: KServe's storageUri/storageUris checks apply to every InferenceService, whatever its URIs.
MARKERS: dict[str, tuple[str, ...]] = {}
#: Findings about what the model server will look for in the rewritten directory.
SERVER_HINTS = frozenset({"one-file-server", "unsupported-ext", "snapshot-dir"})

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
LLM_KINDS = ("LLMInferenceService", "LLMInferenceServiceConfig")
#: The release that removed the webhook's copy path (kserve/kserve#4694).
COPY_REMOVED = (0, 16)


@dataclass(frozen=True)
class UriField:
    """One storage URI in a resource, and what the model server behind it is."""

    path: Path
    value: str
    framework: str | None
    snapshot: bool = False
    #: ``storageUris`` entries mounted away from the model directory (``mountPath`` set and not
    #: ``modelMountPath``) hold side artifacts the model server never lists: no server hints.
    server_hints: bool = True


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def components(spec: Mapping[str, Any]) -> Iterator[tuple[Path, Mapping[str, Any]]]:
    """Each component of an InferenceService spec and its path: predictor, explainer, transformer, canaries."""
    for name in ("predictor", "explainer", "transformer"):
        if isinstance(spec.get(name), Mapping):
            yield ("spec", name), spec[name]
    canary = spec.get("canary")
    if isinstance(canary, list):
        for i, entry in enumerate(canary):
            predictor = mapping(entry).get("predictor")
            if isinstance(predictor, Mapping):
                yield ("spec", "canary", i, "predictor"), predictor


def _storage_uri_entries(comp: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    entries = comp.get("storageUris")
    if isinstance(entries, list):
        for i, entry in enumerate(entries):
            yield i, mapping(entry)


def _mounted_at_model_dir(entry: Mapping[str, Any], model_mount_path: str) -> bool:
    """Whether a ``storageUris`` entry lands in the directory the model server lists."""
    mount = entry.get("mountPath")
    if not isinstance(mount, str) or not mount:
        return True  # KServe's default mount path is the model directory
    return (mount.rstrip("/") or "/") == model_mount_path


def _component_fields(base: Path, comp: Mapping[str, Any], model_mount_path: str = "/mnt/models") -> Iterator[UriField]:
    model = mapping(comp.get("model"))
    framework = _str(mapping(model.get("modelFormat")).get("name"))
    if (uri := _str(model.get("storageUri"))) is not None:
        yield UriField((*base, "model", "storageUri"), uri, framework)
    for short in SHORTHANDS:
        if (uri := _str(mapping(comp.get(short)).get("storageUri"))) is not None:
            yield UriField((*base, short, "storageUri"), uri, short)
    if (uri := _str(mapping(comp.get("art")).get("storageUri"))) is not None:
        yield UriField((*base, "art", "storageUri"), uri, None)
    for i, entry in _storage_uri_entries(comp):
        if (uri := _str(entry.get("uri"))) is not None:
            yield UriField(
                (*base, "storageUris", i, "uri"),
                uri,
                framework,
                server_hints=_mounted_at_model_dir(entry, model_mount_path),
            )
    containers = comp.get("containers")
    if isinstance(containers, list):
        for i, container in enumerate(containers):
            env = mapping(container).get("env")
            if isinstance(env, list):
                for j, raw in enumerate(env):
                    var = mapping(raw)
                    if var.get("name") == "STORAGE_URI" and (uri := _str(var.get("value"))) is not None:
                        yield UriField((*base, "containers", i, "env", j, "value"), uri, None)


def uri_fields(res: Resource, model_mount_path: str = "/mnt/models") -> Iterator[UriField]:
    """Every storage URI field of an InferenceService-family resource (SPEC section 2's table).

    ``model_mount_path`` is the model directory (``spec.modelMountPath``): a ``storageUris``
    entry mounted elsewhere gets no model-server hints.
    """
    spec = mapping(res.data.get("spec"))
    if res.kind == "InferenceService":
        for base, comp in components(spec):
            yield from _component_fields(base, comp, model_mount_path)
    elif res.kind in LLM_KINDS and res.api_version in LLM_VERSIONS:
        model = mapping(spec.get("model"))
        if (uri := _str(model.get("uri"))) is not None:
            yield UriField(("spec", "model", "uri"), uri, None, snapshot=True)
        adapters = mapping(model.get("lora")).get("adapters")
        if isinstance(adapters, list):
            for i, adapter in enumerate(adapters):
                if (uri := _str(mapping(adapter).get("uri"))) is not None:
                    yield UriField(("spec", "model", "lora", "adapters", i, "uri"), uri, None)


_IMPLEMENTATIONS = ("model", *SHORTHANDS, "art")


def _implementation_uri(base: Path, comp: Mapping[str, Any]) -> Path | None:
    """The path of the component's single ``storageUri``, as KServe's ``GetStorageUri`` sees it.

    That is the storageUri of the component's implementation (``model``, a framework shorthand or
    ``art``); a custom component (containers only) reads ``STORAGE_URI`` from its first container.
    A field that is present counts even when empty, as a non-nil pointer does in KServe.
    """
    for name in _IMPLEMENTATIONS:
        impl = comp.get(name)
        if isinstance(impl, Mapping):
            return (*base, name, "storageUri") if "storageUri" in impl else None
    containers = comp.get("containers")
    if isinstance(containers, list) and containers:
        env = mapping(containers[0]).get("env")
        for j, var in enumerate(env if isinstance(env, list) else []):
            if mapping(var).get("name") == "STORAGE_URI":
                return (*base, "containers", 0, "env", j, "value")
    return None


def _mount_path_problem(mount: str) -> str | None:
    """KServe's ``validateStorageURISpec`` on one ``mountPath`` (an unset one is defaulted)."""
    if mount == "/":
        return "is the filesystem root"
    if not mount.startswith("/"):
        return "is not an absolute path"
    if ".." in mount:
        # KServe rejects the substring, not only a '..' segment (directory traversal guard).
        return "contains '..'"
    return None


def _validate_components(res: Resource, out: Outcome) -> None:
    """KServe's own render-time checks of ``storageUri`` / ``storageUris`` on each component."""
    for base, comp in components(mapping(res.data.get("spec"))):
        entries = comp.get("storageUris")
        single = _implementation_uri(base, comp)
        if isinstance(entries, list) and single is not None:
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"{format_path(base)} sets both {format_path(single)} and storageUris; "
                    "KServe accepts only one of them",
                    (*base, "storageUris"),
                    _str(get_path(res.data, single)),
                )
            )
        for i, entry in _storage_uri_entries(comp):
            mount = entry.get("mountPath")
            if not isinstance(mount, str) or not mount:
                continue
            if (problem := _mount_path_problem(mount)) is not None:
                out.findings.append(
                    finding(
                        res,
                        "error",
                        f"{format_path(base)}.storageUris[{i}].mountPath {mount!r} {problem}; "
                        "KServe accepts only an absolute path below / without '..'",
                        (*base, "storageUris", i, "mountPath"),
                        mount,
                    )
                )


def _trained_model(res: Resource, out: Outcome) -> None:
    uri = _str(mapping(mapping(res.data.get("spec")).get("model")).get("storageUri"))
    if uri is not None and uris.is_pvc_uri(uri):
        out.findings.append(
            finding(
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
    # LLMInferenceServices never had a copy path (workload_storage.go mounts claims directly).
    direct_only = res.kind in LLM_KINDS or kserve_in(spec, COPY_REMOVED)
    copy_gone = spec.mountMode == "copy" and direct_only
    mount_mode: uris.MountMode = "direct" if copy_gone else spec.mountMode
    hinted: set[str] = set()  # a hint nobody can check at render time is said once per resource
    for fld in uri_fields(res, spec.modelMountPath):
        if not uris.is_pvc_uri(fld.value):
            continue
        if copy_gone and not uses_pvc:
            out.findings.append(
                finding(
                    res,
                    "warning",
                    (
                        f"mountMode: copy does not apply to {res.kind} resources: KServe mounts their claims "
                        "directly in every release, so these URIs are judged as in direct mode"
                        if res.kind in LLM_KINDS
                        else f"mountMode: copy with kserveVersion {spec.kserveVersion} describes no KServe release: "
                        f"from 0.16 KServe always mounts the claims of this {res.kind} directly at "
                        f"{spec.modelMountPath} (the copy path was removed, kserve/kserve#4694), so these URIs are "
                        "judged as in direct mode; set kserveVersion to the cluster's release (0.15 or older for "
                        "copy mode) or mountMode: direct"
                    ),
                    fld.path,
                    fld.value,
                )
            )
        uses_pvc = True
        decision = uris.decide(
            fld.value,
            framework=fld.framework,
            extensions=file_extensions(spec),
            path_type=path_type,
            file_uris=spec.fileUris,
            mount_mode=mount_mode,
            snapshot_field=fld.snapshot,
        )
        # The info finding of a rewrite is the change's own result; everything else is reported as is.
        is_change = [f.code == "file-uri" and f.severity == "info" for f in decision.findings]
        change_messages = [f.message for f, c in zip(decision.findings, is_change, strict=True) if c]
        for found, change in zip(decision.findings, is_change, strict=True):
            if change or (found.code in SERVER_HINTS and not fld.server_hints):
                continue
            hint = found.severity == "info" and found.code in SERVER_HINTS
            if hint:
                if found.code in hinted:
                    continue
                hinted.add(found.code)
            out.findings.append(
                finding(
                    res,
                    found.severity,
                    found.message,
                    fld.path,
                    fld.value,
                    # An error keeps the URI, but its result still shows what to write instead; a
                    # hint proposes nothing (an info result with a proposal reads as a change).
                    proposed=None if hint else found.proposed or decision.new_uri,
                )
            )
        if decision.new_uri is not None:
            message = (
                change_messages[0]
                if change_messages
                else f"normalized {fld.value!r} to {decision.new_uri!r} (empty and '.' path segments removed)."
            )
            out.changes.append(Change(fld.path, fld.value, decision.new_uri, message, original_uri=True))
    if override is not None and path_type is None:
        out.findings.append(
            finding(
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
