"""The functionConfig: ``PvcMountPolicy`` (SPEC 3.7) or a ConfigMap holding the same keys.

The pydantic models are the single source of truth: the README's config reference,
``kserve-pvc-fn schema`` and ``krm_fn/config.schema.json`` (from which ``krm_fn.settings`` takes a
well-formed config without importing pydantic) are generated from them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from krm_fn.identity import API_VERSION, KIND
from krm_fn.kserve_facts import NEWEST_TEXT
from krm_fn.model_files import DEFAULT_FILE_EXTENSIONS
from krm_fn.results import Field as ResultField
from krm_fn.results import ResourceRef, Result
from krm_fn.rules import BY_ID
from krm_fn.settings import fold_rules as _fold_rules
from krm_fn.settings import from_configmap_value as _from_configmap_value

#: Every rule id (``docs/rules.md``): the keys ``spec.rules`` accepts.
RuleId: Any = Literal[tuple(BY_ID)]
RuleSetting = Literal["off", "info", "warning", "error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Selector(_Strict):
    """Matches resources; every field given must match (AND). Labels and annotations match by value."""

    apiVersion: str | None = Field(None, description="Exact apiVersion, e.g. `serving.kserve.io/v1beta1`.")
    kind: str | None = Field(None, description="Exact kind, e.g. `InferenceService`.")
    name: str | None = Field(None, description="Exact metadata.name.")
    namespace: str | None = Field(None, description="Exact metadata.namespace.")
    labels: dict[str, str] = Field(
        default_factory=dict, description="Labels that must all be present with these values."
    )
    annotations: dict[str, str] = Field(
        default_factory=dict, description="Annotations that must all be present with these values."
    )


class StorageInitializer(_Strict):
    """The storage-initializer init container of copy mode (KServe's JSON names and defaults)."""

    image: str = Field("kserve/storage-initializer:latest", description="Image of the init container.")
    cpuRequest: str = Field("100m", description="CPU request.")
    cpuLimit: str = Field("1", description="CPU limit.")
    memoryRequest: str = Field("100Mi", description="Memory request.")
    memoryLimit: str = Field("1Gi", description="Memory limit.")


class PolicySpec(_Strict):
    """What the function does; every field is optional."""

    mode: Literal["mutate", "validate"] = Field(
        "mutate",
        description="`mutate` applies changes; `validate` changes nothing and reports each change as an error.",
    )
    mountMode: Literal["direct", "copy"] = Field(
        "direct",
        description="KServe's PVC mount strategy: `direct` (default from KServe 0.12, the only one from 0.16) "
        "or `copy` (storage-initializer, KServe <= 0.15 with enableDirectPvcVolumeMount false).",
    )
    fileUris: Literal["directory", "file-mount", "error", "ignore"] = Field(
        "directory",
        description="What to do with a `pvc://` URI that names a file in direct mode: rewrite it to its model "
        "directory, mount the file at `<modelMountPath>/<file>` (pods; URI fields are rewritten as with "
        "`directory`), report an error, or leave it.",
    )
    fileExtensions: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FILE_EXTENSIONS),
        description="Suffixes that make the last path segment a file (case-insensitive, whole multi-dot suffix). "
        "Setting it replaces the default list; to add to it, use `extraFileExtensions`.",
    )
    extraFileExtensions: list[str] = Field(
        default_factory=list,
        description="More suffixes that make a path a file, added to `fileExtensions` (e.g. `.engine`).",
    )
    readOnly: Literal["preserve"] | bool = Field(
        "preserve",
        description="`preserve` leaves `storage.kserve.io/readonly` alone; `true`/`false` sets it on every resource "
        "that uses a `pvc://` URI.",
    )
    modelMountPath: str = Field("/mnt/models", description="Where the model directory is mounted.")
    storageInitializer: StorageInitializer = Field(
        default_factory=StorageInitializer,
        description="Copy mode's init container (image and resources).",
    )
    recordOriginal: bool = Field(
        True,
        description="Record original URIs of rewritten fields in the annotation "
        "`fn.kserve-pvc.dev/original-storage-uris` (JSON object: field path -> URI).",
    )
    manageKServeConfig: bool = Field(
        False,
        description="Rewrite a bundled `inferenceservice-config` ConfigMap that disagrees with `mountMode`.",
    )
    kserveVersion: str = Field(
        NEWEST_TEXT,
        description="KServe release the checks assume (`0.16`, `v0.21.0`; kept as major.minor; default the newest "
        "release the function knows). Findings are raised only for releases they hold for; from 0.16 on "
        "InferenceServices are always mounted directly, whatever `mountMode` says. A newer or unknown release is "
        "judged as the newest, with one info result. Quote it in YAML: `0.20` unquoted is the number 0.2.",
    )
    rules: dict[RuleId, RuleSetting] = Field(
        default_factory=dict,
        description="Per rule id (docs/rules.md): `off` (no findings, no rewrites), or the severity its findings get "
        '(`info`, `warning`, `error`). ConfigMap form: `rules.<id>: off`, or `rules: \'{"<id>": "off"}\'`.',
    )
    kubernetesVersion: str | None = Field(
        None,
        description="Kubernetes version for output schema validation; default the newest available.",
    )
    selectors: list[Selector] = Field(
        default_factory=list,
        description="Only resources matching one of these are changed (empty: all).",
    )
    exclude: list[Selector] = Field(
        default_factory=list, description="Resources matching one of these are never changed."
    )
    # Limits (krm_fn/limits.py): the ceilings come from KSERVE_PVC_FN_MAX_* environment variables and
    # apply before this config is read; here they can only be tightened.
    maxInputBytes: int | None = Field(
        None, ge=1, description="Tighter input size limit in bytes (ceiling: KSERVE_PVC_FN_MAX_INPUT_BYTES)."
    )
    maxAliases: int | None = Field(
        None,
        ge=0,
        description="Tighter limit on nodes that YAML aliases stand for (ceiling: KSERVE_PVC_FN_MAX_ALIASES).",
    )
    maxDepth: int | None = Field(
        None, ge=1, description="Tighter nesting depth limit (ceiling: KSERVE_PVC_FN_MAX_DEPTH)."
    )

    @field_validator("fileExtensions", "extraFileExtensions")
    @classmethod
    def _dotted(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not v.startswith(".") or len(v) < 2]
        if bad:
            raise ValueError(f"each extension starts with '.', got {bad}")
        return value

    @field_validator("modelMountPath")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or ".." in value.split("/"):
            raise ValueError("must be an absolute path without '..'")
        return value.rstrip("/") or "/"

    @field_validator("kserveVersion", mode="before")
    @classmethod
    def _kserve_version(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be a quoted string such as '0.20' (YAML reads 0.20 unquoted as the number 0.2)")
        parts = value.removeprefix("v").split(".")
        if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
            raise ValueError("must look like 0.20 or v0.20.0")
        return f"{int(parts[0])}.{int(parts[1])}"

    @field_validator("kubernetesVersion")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None:
            parts = value.removeprefix("v").split(".")
            if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
                raise ValueError("must look like 1.31 or 1.31.0")
            return ".".join(parts[:2])
        return value


class PvcMountPolicy(_Strict):
    """The functionConfig resource."""

    apiVersion: Literal["fn.kserve-pvc.dev/v1alpha1"] = "fn.kserve-pvc.dev/v1alpha1"
    kind: Literal["PvcMountPolicy"] = "PvcMountPolicy"
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: PolicySpec = Field(default_factory=PolicySpec)


def _allowed(loc: tuple[Any, ...], root: type[BaseModel]) -> str:
    model = root
    for part in loc[:-1]:
        fld = model.model_fields.get(str(part))
        ann = getattr(fld, "annotation", None) if fld else None
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
        elif str(part) in ("selectors", "exclude"):
            model = Selector
    return ", ".join(model.model_fields)


#: How a list or object is written where the config holds strings (``--set``, a ConfigMap).
_FORMS = {
    "selectors": '[{"namespace": "ml"}]',
    "exclude": '[{"namespace": "legacy"}]',
    "fileExtensions": '".plan,.engine" or [".plan", ".engine"]',
    "extraFileExtensions": '".plan,.engine" or [".plan", ".engine"]',
    "storageInitializer": '{"image": "kserve/storage-initializer:v0.15.2"}',
}
#: Where a config key came from, as the message names it (default: the functionConfig).
Origin = Callable[[str], str]


def _nearest(word: str, choices: list[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice (case-insensitive), or nothing."""
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return f"; did you mean {lowered[close[0]]!r}?" if close else ""


def _message(e: Any, loc: tuple[Any, ...], root: type[BaseModel]) -> str:
    msg = str(e["msg"])
    value = e.get("input")
    if e["type"] == "extra_forbidden":
        allowed = _allowed(loc, root)
        return f"unknown key; allowed keys: {allowed}{_nearest(str(loc[-1]), allowed.split(', '))}"
    if e["type"] == "literal_error" and "rules" in loc and e["loc"][-1] == "[key]":
        return f"unknown rule id {value!r}{_nearest(str(value), list(BY_ID))} (docs/rules.md lists the ids)"
    if e["type"] == "literal_error" and isinstance(value, str):
        choices = re.findall(r"'([^']*)'", str(e.get("ctx", {}).get("expected", "")))
        return f"{msg} (got {value!r}){_nearest(value, choices)}"
    top = str(loc[0]) if loc else ""
    if e["type"] in ("list_type", "dict_type", "model_type") and len(loc) == 1 and top in _FORMS:
        return f"{msg}; write it as JSON, e.g. {top}={_FORMS[top]}"
    return msg


def _errors(
    err: ValidationError,
    ref: ResourceRef,
    prefix: tuple[Any, ...],
    root: type[BaseModel],
    origin: Origin | None = None,
) -> list[Result]:
    out = []
    errors = err.errors()
    for e in errors:
        loc = tuple(p for p in e["loc"] if not isinstance(p, str) or p not in ("literal['preserve']", "bool", "[key]"))
        key = ".".join(str(p) for p in prefix + loc)
        if e["type"] == "bool_parsing" and e["loc"][-1] == "bool" and len(errors) > 1:
            continue  # readOnly: the literal's message already lists what is allowed
        msg = _message(e, loc, root)
        if e["type"] == "literal_error" and e["loc"][-1] == "literal['preserve']":
            msg = f"Input should be 'preserve', true or false (got {e.get('input')!r})"
        out.append(
            Result(
                message=f"{origin(key) if origin else f'functionConfig: {key}'}: {msg}",
                severity="error",
                resourceRef=ref,
                field=ResultField(path=key, currentValue=_jsonable(e.get("input"))),
            )
        )
    return out


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) else None


def load_config(function_config: Any, origin: Origin | None = None) -> tuple[PolicySpec | None, list[Result]]:
    """Validate a functionConfig; returns the spec, or None with error results naming each key.

    ``origin`` turns a key's path (``data.mountMode``, ``spec.mountMode``) into where the user
    wrote it (``--set mountMode``); by default messages name the functionConfig.
    """
    if function_config is None or function_config == {}:
        return PolicySpec.model_validate({}), []
    if not isinstance(function_config, Mapping):
        return None, [Result(message="functionConfig is not a mapping", severity="error")]
    ref = ResourceRef.of(function_config)
    kind, api = function_config.get("kind"), function_config.get("apiVersion")
    if kind == "ConfigMap" and api == "v1":
        data = function_config.get("data") or {}
        if not isinstance(data, Mapping):
            return None, [
                Result(
                    message="functionConfig: data is not a mapping",
                    severity="error",
                    resourceRef=ref,
                )
            ]
        spec_in = _fold_rules({k: _from_configmap_value(str(k), v) for k, v in data.items()})
        try:
            return PolicySpec.model_validate(spec_in), []
        except ValidationError as err:
            return None, _errors(err, ref, ("data",), PolicySpec, origin)
    if kind != KIND or api != API_VERSION:
        return None, [
            Result(
                message=f"functionConfig: kind {kind!r} of {api!r} is not supported; use {KIND} of {API_VERSION} "
                "or a v1 ConfigMap",
                severity="error",
                resourceRef=ref,
            )
        ]
    try:
        return PvcMountPolicy.model_validate(function_config).spec, []
    except ValidationError as err:
        return None, _errors(err, ref, (), PvcMountPolicy, origin)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``PvcMountPolicy``."""
    return PvcMountPolicy.model_json_schema()
