"""LLMInferenceService: how KServe mounts a ``pvc://`` model and LoRA adapters (SPEC 2A).

Read at v0.20.0 in ``pkg/controller/v1alpha2/llmisvc/workload_storage.go`` and ``workload_lora.go``
(``serving.kserve.io/v1alpha2``; ``v1alpha1`` is converted to it). Findings, nothing is changed:

- ``readonly-ignored`` (warning, >= 0.16): the claim is always mounted read-only;
  ``storage.kserve.io/readonly: "false"`` (as written, or as the ``readOnly`` policy sets it) has no
  effect, so a server that writes next to its model fails.
- ``initializer-disabled`` (error, >= 0.17, kserve/kserve#4970): with
  ``spec.storageInitializer.enabled: false`` the model is not mounted at all, ``pvc://`` included,
  and a ``pvc://`` LoRA adapter is rejected ("pvc:// requires a mounted volume").
- ``lora-mount`` (info, >= 0.19, kserve/kserve#5317): a ``pvc://`` adapter is mounted read-only at
  ``/mnt/lora/<name>`` (the name with characters outside ``[a-zA-Z0-9._-]`` turned into ``-``) under
  the volume ``lora-pvc-<name>`` (``kmeta.ChildName``: hashed beyond 63 characters); vLLM is given
  that path. Said once per adapter, since nobody can check the server's use of it at render time;
  the subPath named is the URI's after the ``inferenceservice`` rule's rewrite of a file URI.
- ``lora-name`` (error, >= 0.19): an adapter name that makes ``lora-pvc-<name>`` an invalid volume
  name (uppercase, ``_``, ``.``), a missing name, and two adapters that land on one mount path or
  one volume name (the second is not mounted).

Decisions taken where the specification leaves room: an ``LLMInferenceServiceConfig`` is a
template merged into services, so it gets the same findings as a service; adapters are reported in
their written order (KServe sorts them by name, which changes nothing reported here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from krm_fn import injector, uris
from krm_fn.ops import Path
from krm_fn.resource import PATH_TYPE_ANNOTATION, Resource, mapping
from krm_fn.rules import Context, Outcome, finding, inferenceservice, kserve_in

KINDS = {(inferenceservice.GROUP, "LLMInferenceService"), (inferenceservice.GROUP, "LLMInferenceServiceConfig")}
MARKERS = {kind: ("pvc://",) for _, kind in KINDS}

LORA_ROOT = "/mnt/lora"
LORA_VOLUME_PREFIX = "lora-pvc-"
_LORA_INVALID = re.compile(r"[^a-zA-Z0-9._-]")
_CHILD_NAME_MAX = 63


def lora_mount_path(name: str) -> str:
    """``filepath.Join("/mnt/lora", sanitizeLoRAPathSegment(name))``."""
    segment = _LORA_INVALID.sub("-", name)
    return f"{LORA_ROOT}/{segment if segment not in ('', '.', '..') else 'adapter'}"


def lora_volume_name(name: str) -> str | None:
    """``kmeta.ChildName("lora-pvc-", name)``; ``None`` when it is too long and KServe hashes it."""
    full = LORA_VOLUME_PREFIX + name
    return full if len(full) <= _CHILD_NAME_MAX else None


def _pvc(value: Any) -> str | None:
    return value if isinstance(value, str) and uris.is_pvc_uri(value) and not uris.has_template(value) else None


def _as_rendered(res: Resource, uri: str, ctx: Context) -> str:
    """The URI as the ``inferenceservice`` rule leaves it (a file URI becomes its directory)."""
    override = res.annotations.get(PATH_TYPE_ANNOTATION)
    decision = uris.decide(
        uri,
        framework=None,
        extensions=ctx.spec.fileExtensions,
        path_type=override if override in ("file", "directory") else None,
        file_uris=ctx.spec.fileUris,
        mount_mode="direct",  # KServe mounts LLMInferenceService claims directly in every release
    )
    return decision.new_uri or uri


def _model_checks(res: Resource, model: Mapping[str, Any], disabled: bool, ctx: Context, out: Outcome) -> None:
    uri = _pvc(model.get("uri"))
    if uri is None:
        return
    field: Path = ("spec", "model", "uri")
    if disabled and kserve_in(ctx.spec, (0, 17)):
        out.findings.append(
            finding(
                res,
                "error",
                f"spec.storageInitializer.enabled is false, so KServe mounts no model at all, pvc:// included: "
                f"{uri!r} never reaches {injector.MODEL_DIR} and vLLM finds nothing there; remove "
                "spec.storageInitializer.enabled: false (a pvc:// model is mounted directly, with no download)",
                field,
                uri,
            )
        )
    flag = res.annotations.get(injector.READONLY_ANNOTATION)
    if ctx.spec.readOnly != "preserve":
        flag = "true" if ctx.spec.readOnly else "false"
    if flag == "false" and kserve_in(ctx.spec, (0, 16)):
        out.findings.append(
            finding(
                res,
                "warning",
                f'{injector.READONLY_ANNOTATION}: "false" has no effect on an LLMInferenceService: KServe always '
                f"mounts {uri!r} read-only at {injector.MODEL_DIR}; a server that writes there fails. Write caches "
                "to an emptyDir or another volume instead",
                ("metadata", "annotations", injector.READONLY_ANNOTATION),
                flag,
            )
        )


def _lora_checks(res: Resource, model: Mapping[str, Any], disabled: bool, ctx: Context, out: Outcome) -> None:
    adapters = mapping(model.get("lora")).get("adapters")
    seen_paths: dict[str, int] = {}
    seen_volumes: dict[str, int] = {}
    for i, raw in enumerate(adapters if isinstance(adapters, list) else []):
        adapter = mapping(raw)
        uri = _pvc(adapter.get("uri"))
        if uri is None:
            continue
        base: Path = ("spec", "model", "lora", "adapters", i)
        if disabled and kserve_in(ctx.spec, (0, 17)):
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"LoRA adapter {adapter.get('name')!r}: KServe rejects a pvc:// adapter when "
                    "spec.storageInitializer.enabled is false ('pvc:// requires a mounted volume'); remove "
                    "spec.storageInitializer.enabled: false",
                    (*base, "uri"),
                    uri,
                )
            )
            continue
        if not kserve_in(ctx.spec, (0, 19)):
            continue
        name = adapter.get("name")
        if not isinstance(name, str) or not name:
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"LoRA adapter {uri!r} has no name: KServe derives its mount path ({LORA_ROOT}/<name>) and volume "
                    f"({LORA_VOLUME_PREFIX}<name>) from it; give it a name of lowercase letters, digits and '-'",
                    (*base, "name"),
                )
            )
            continue
        mount, volume = lora_mount_path(name), lora_volume_name(name)
        claim, path = injector.split_pvc_uri(_as_rendered(res, uri, ctx))
        where = f"subPath {path!r} of claim {claim!r}" if path else f"the root of claim {claim!r}"
        out.findings.append(
            finding(
                res,
                "info",
                f"LoRA adapter {name!r}: KServe mounts {where} read-only at {mount} (volume "
                f"{volume or LORA_VOLUME_PREFIX + '<hash>'}) and passes that path to vLLM; the adapter's files "
                f"(adapter_config.json, weights) must be directly in {mount}",
                (*base, "uri"),
                uri,
            )
        )
        if volume is not None and not uris.is_dns1123_label(volume):
            better = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "adapter"
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"LoRA adapter name {name!r}: KServe names its volume {volume!r}, which is not a valid volume name "
                    "(a DNS-1123 label: lowercase letters, digits and '-'), so the pod is rejected; name the adapter "
                    f"{better!r} (then mounted at {lora_mount_path(better)})",
                    (*base, "name"),
                    name,
                    proposed=better,
                )
            )
        clash = seen_paths.get(mount)
        if clash is None and volume is not None:
            clash = seen_volumes.get(volume)
        if clash is not None:
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"LoRA adapter {name!r} lands on the mount path {mount} or volume name of adapter "
                    f"spec.model.lora.adapters[{clash}]: KServe mounts only one of them; give each adapter a "
                    "distinct name",
                    (*base, "name"),
                    name,
                )
            )
            continue
        seen_paths[mount] = i
        if volume is not None:
            seen_volumes[volume] = i


def check(res: Resource, ctx: Context) -> Outcome:
    """Report how KServe mounts the ``pvc://`` model and adapters of one LLMInferenceService(Config)."""
    out = Outcome()
    if res.api_version not in inferenceservice.LLM_VERSIONS:
        return out
    spec = mapping(res.data.get("spec"))
    model = mapping(spec.get("model"))
    disabled = mapping(spec.get("storageInitializer")).get("enabled") is False
    _model_checks(res, model, disabled, ctx, out)
    _lora_checks(res, model, disabled, ctx, out)
    return out
