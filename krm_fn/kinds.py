"""Where each kind keeps its storage URIs, its pod and its replica count (SPEC 2, 3.4).

One table per question, one row per kind: adding a kind is adding a row. The rules read resources
through these functions and never through each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from krm_fn.injector import SOURCE_URI_ANNOTATION
from krm_fn.ops import Path, format_path, get_path
from krm_fn.resource import Resource, mapping

GROUP = "serving.kserve.io"
ISVC = (GROUP, "InferenceService")
LLMISVC = (GROUP, "LLMInferenceService")
LLMISVC_CONFIG = (GROUP, "LLMInferenceServiceConfig")
TRAINED_MODEL = (GROUP, "TrainedModel")
CLUSTER_STORAGE_CONTAINER = (GROUP, "ClusterStorageContainer")
PVC = ("", "PersistentVolumeClaim")
LLM_VERSIONS = ("serving.kserve.io/v1alpha1", "serving.kserve.io/v1alpha2")
LLM_KINDS = (LLMISVC[1], LLMISVC_CONFIG[1])
KNATIVE_SERVICE_API = "serving.knative.dev/v1"
#: InferenceService deployment mode annotation; Knative mode only logs storageUris errors (SPEC 2B item 9).
DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
KNATIVE_MODES = ("Serverless", "Knative")
RAW_MODES = ("RawDeployment", "Standard")

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
_IMPLEMENTATIONS = ("model", *SHORTHANDS, "art")


# -- storage URIs ---------------------------------------------------------------------------------


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
    #: A ``storageUris`` entry: KServe drops its path (SPEC 2B item 10).
    plural: bool = False


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


def is_canary(base: Path) -> bool:
    """Whether a component path is a ``spec.canary[*].predictor``."""
    return len(base) > 1 and base[1] == "canary"


def storage_uri_entries(comp: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """``(index, entry)`` of a component's ``storageUris``."""
    entries = comp.get("storageUris")
    if isinstance(entries, list):
        for i, entry in enumerate(entries):
            yield i, mapping(entry)


def _mounted_at_model_dir(entry: Mapping[str, Any], model_mount_path: str) -> bool:
    mount = entry.get("mountPath")
    if not isinstance(mount, str) or not mount:
        return True  # KServe's default mount path is the model directory
    return (mount.rstrip("/") or "/") == model_mount_path


def _component_fields(base: Path, comp: Mapping[str, Any], model_mount_path: str) -> Iterator[UriField]:
    model = mapping(comp.get("model"))
    framework = _str(mapping(model.get("modelFormat")).get("name"))
    if (uri := _str(model.get("storageUri"))) is not None:
        yield UriField((*base, "model", "storageUri"), uri, framework)
    for short in SHORTHANDS:
        if (uri := _str(mapping(comp.get(short)).get("storageUri"))) is not None:
            yield UriField((*base, short, "storageUri"), uri, short)
    if (uri := _str(mapping(comp.get("art")).get("storageUri"))) is not None:
        yield UriField((*base, "art", "storageUri"), uri, None)
    for i, entry in storage_uri_entries(comp):
        if (uri := _str(entry.get("uri"))) is not None:
            hints = _mounted_at_model_dir(entry, model_mount_path)
            yield UriField((*base, "storageUris", i, "uri"), uri, framework, server_hints=hints, plural=True)
    containers = comp.get("containers")
    if isinstance(containers, list):
        for i, container in enumerate(containers):
            env = mapping(container).get("env")
            if isinstance(env, list):
                for j, raw in enumerate(env):
                    var = mapping(raw)
                    if var.get("name") == "STORAGE_URI" and (uri := _str(var.get("value"))) is not None:
                        yield UriField((*base, "containers", i, "env", j, "value"), uri, None)


def _isvc_fields(res: Resource, model_mount_path: str) -> Iterator[UriField]:
    for base, comp in components(mapping(res.data.get("spec"))):
        yield from _component_fields(base, comp, model_mount_path)


def _llm_fields(res: Resource, model_mount_path: str) -> Iterator[UriField]:
    if res.api_version not in LLM_VERSIONS:
        return
    model = mapping(mapping(res.data.get("spec")).get("model"))
    if (uri := _str(model.get("uri"))) is not None:
        yield UriField(("spec", "model", "uri"), uri, None, snapshot=True)
    for i, adapter in enumerate(lora_adapters(model)):
        if (uri := _str(adapter.get("uri"))) is not None:
            yield UriField(("spec", "model", "lora", "adapters", i, "uri"), uri, None)


def _trained_model_fields(res: Resource, model_mount_path: str) -> Iterator[UriField]:
    uri = _str(mapping(mapping(res.data.get("spec")).get("model")).get("storageUri"))
    if uri is not None:
        yield UriField(("spec", "model", "storageUri"), uri, None)


#: Where each kind keeps its storage URIs (SPEC section 2's table).
URI_FIELDS: dict[tuple[str, str], Callable[[Resource, str], Iterator[UriField]]] = {
    ISVC: _isvc_fields,
    LLMISVC: _llm_fields,
    LLMISVC_CONFIG: _llm_fields,
    TRAINED_MODEL: _trained_model_fields,
}


def uri_fields(res: Resource, model_mount_path: str = "/mnt/models") -> Iterator[UriField]:
    """Every storage URI field of a resource (none for a kind not in :data:`URI_FIELDS`).

    ``model_mount_path`` is the model directory (``spec.modelMountPath``): a ``storageUris``
    entry mounted elsewhere gets no model-server hints.
    """
    reader = URI_FIELDS.get((res.group, res.kind))
    return reader(res, model_mount_path) if reader is not None else iter(())


def lora_adapters(model: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The ``spec.model.lora.adapters`` entries of an LLMInferenceService model, as mappings."""
    adapters = mapping(model.get("lora")).get("adapters")
    return [mapping(a) for a in adapters] if isinstance(adapters, list) else []


def implementation_uri(base: Path, comp: Mapping[str, Any]) -> Path | None:
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


def storage_uri_target(base: Path, comp: Mapping[str, Any]) -> str:
    """Where a component's single ``storageUri`` is written, for a message (KServe has no ``storageUri``
    on the component itself): its implementation's field (``model``, a framework shorthand or ``art``),
    ``model.storageUri`` for a predictor without one, else the ``STORAGE_URI`` env of the first container
    (a custom transformer or explainer).
    """
    for name in _IMPLEMENTATIONS:
        if isinstance(comp.get(name), Mapping):
            return format_path((*base, name, "storageUri"))
    if base[-1] == "predictor":
        return format_path((*base, "model", "storageUri"))
    return f"the STORAGE_URI env of {format_path((*base, 'containers', 0))}"


def deployment_mode(res: Resource) -> str | None:
    """``knative``, ``raw`` or None (the cluster's default decides, unknown at render time)."""
    value = res.annotations.get(DEPLOYMENT_MODE_ANNOTATION)
    if value in KNATIVE_MODES:
        return "knative"
    if value in RAW_MODES:
        return "raw"
    return None


# -- pods and replicas ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PodKind:
    """Where a kind keeps its pod template, and its replica count (``None``: one pod per node)."""

    template: Path
    replicas: Path | None = ()


#: Pod-bearing kinds: the pod template (the mapping holding ``metadata`` and ``spec``) and the
#: replica count (``()``: always one pod; defaults are 1).
POD_KINDS: dict[tuple[str, str], PodKind] = {
    ("", "Pod"): PodKind(()),
    ("", "PodTemplate"): PodKind(("template",)),
    ("apps", "Deployment"): PodKind(("spec", "template"), ("spec", "replicas")),
    ("apps", "StatefulSet"): PodKind(("spec", "template"), ("spec", "replicas")),
    ("apps", "DaemonSet"): PodKind(("spec", "template"), None),
    ("apps", "ReplicaSet"): PodKind(("spec", "template"), ("spec", "replicas")),
    ("batch", "Job"): PodKind(("spec", "template"), ("spec", "parallelism")),
    ("batch", "CronJob"): PodKind(
        ("spec", "jobTemplate", "spec", "template"), ("spec", "jobTemplate", "spec", "parallelism")
    ),
    ("serving.knative.dev", "Service"): PodKind(("spec", "template")),
}


@dataclass(frozen=True)
class PodView:
    """The pod inside a resource: where its metadata and spec are, and their data."""

    meta_path: Path
    spec_path: Path
    annotations: Mapping[str, Any]
    spec: Mapping[str, Any]

    @property
    def source_uri(self) -> str | None:
        """The KServe source-URI annotation, if it is a string."""
        value = self.annotations.get(SOURCE_URI_ANNOTATION)
        return value if isinstance(value, str) else None


def pod_view(res: Resource) -> PodView | None:
    """The pod of a pod-bearing resource, or None (other kinds, or no pod spec mapping)."""
    kind = POD_KINDS.get((res.group, res.kind))
    if kind is None:
        return None
    if res.group == "serving.knative.dev" and res.api_version != KNATIVE_SERVICE_API:
        return None
    base = kind.template
    spec = get_path(res.data, (*base, "spec"))
    if not isinstance(spec, Mapping):
        return None
    meta = mapping(get_path(res.data, (*base, "metadata")))
    return PodView((*base, "metadata"), (*base, "spec"), mapping(meta.get("annotations")), spec)


def count(value: Any) -> int:
    """A replica count as written; anything but a non-negative int (a template) counts as 1."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 1
