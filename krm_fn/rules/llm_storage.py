"""LLMInferenceService: how KServe mounts a ``pvc://`` model and LoRA adapters (SPEC 2A).

Read at v0.20.0 in ``pkg/controller/v1alpha2/llmisvc/workload_storage.go`` and ``workload_lora.go``
(``serving.kserve.io/v1alpha2``; ``v1alpha1`` is converted to it). Findings, nothing is changed:

- ``llm-read-only-ignored`` (warning, >= 0.16): the claim is always mounted read-only;
  ``storage.kserve.io/readonly: "false"`` (as written, or as the ``readOnly`` policy sets it) has no
  effect, so a server that writes next to its model fails.
- ``llm-initializer-disabled`` (error, >= 0.17, kserve/kserve#4970): with
  ``spec.storageInitializer.enabled: false`` the model is not mounted at all, ``pvc://`` included,
  and a ``pvc://`` LoRA adapter is rejected ("pvc:// requires a mounted volume").
- ``lora-mount`` (info, >= 0.19, kserve/kserve#5317): a ``pvc://`` adapter is mounted read-only at
  ``/mnt/lora/<name>`` (the name with characters outside ``[a-zA-Z0-9._-]`` turned into ``-``) under
  the volume ``lora-pvc-<name>`` (``kmeta.ChildName``: hashed beyond 63 characters); vLLM is given
  that path. Said once per adapter, since nobody can check the server's use of it at render time;
  the subPath named is the URI's after the ``inferenceservice`` rule's rewrite of a file URI.
- ``lora-volume-name`` (error, 0.19-0.20; #6077 fixes it in 0.21): an adapter name that makes
  ``lora-pvc-<name>`` an invalid volume name (uppercase, ``_``, ``.``); ``lora-collision``: two
  adapters that land on one mount path or volume name (the second is not mounted).
- ``lora-admission`` (error; v1alpha2 from 0.19, v1alpha1 from 0.21, #5938): a missing name, ``.``,
  ``..``, a duplicate, or the base model's name (``spec.model.name``, else ``metadata.name``) is
  rejected when applied (``llm_inference_service_validation.go`` L420-487).

Decisions taken where the specification leaves room: an ``LLMInferenceServiceConfig`` is a
template merged into services, so it gets the same findings as a service; adapters are reported in
their written order (KServe sorts them by name, which changes nothing reported here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from krm_fn import injector, kinds, pvc_uri, uris
from krm_fn.kserve_facts import Feature, holds
from krm_fn.ops import Path
from krm_fn.resource import Resource, mapping
from krm_fn.rulekit import Context, Outcome, RuleDoc, file_extensions, finding, path_type, read_only

KINDS = {kinds.LLMISVC, kinds.LLMISVC_CONFIG}
MARKERS = {kind: ("pvc://",) for _, kind in KINDS}

READ_ONLY_IGNORED = RuleDoc(
    "llm-read-only-ignored",
    "warning",
    False,
    '`storage.kserve.io/readonly: "false"` (as written or as the `readOnly` policy sets it) on an '
    "LLMInferenceService: KServe always mounts its model claim read-only, so a server that writes there fails.",
    "Write caches to an emptyDir or another volume.",
    facts=(Feature.LLM_READ_ONLY,),
)
INITIALIZER_DISABLED = RuleDoc(
    "llm-initializer-disabled",
    "error",
    False,
    "`spec.storageInitializer.enabled: false` with a `pvc://` model (not mounted at all) or a `pvc://` LoRA adapter "
    '(rejected: "pvc:// requires a mounted volume").',
    "Remove `spec.storageInitializer.enabled: false`: a `pvc://` model is mounted directly, with no download.",
    facts=(Feature.LLM_INITIALIZER_DISABLED,),
)
LORA_MOUNT = RuleDoc(
    "lora-mount",
    "info",
    False,
    "Where KServe mounts a `pvc://` LoRA adapter: read-only at `/mnt/lora/<name>`, volume `lora-pvc-<name>`, the "
    "path that vLLM is given. Said once per adapter: the adapter's files must be directly there.",
    "Nothing to fix; keep `adapter_config.json` and the weights directly in the adapter's directory.",
    facts=(Feature.LORA_PVC_ADAPTERS,),
)
LORA_VOLUME_NAME = RuleDoc(
    "lora-volume-name",
    "error",
    False,
    "A LoRA adapter name that makes `lora-pvc-<name>` an invalid volume name (uppercase, `_`, `.`, `/`): the pod is "
    "rejected. KServe 0.21 makes such names valid (kserve/kserve#6077).",
    "Name the adapter with lowercase letters, digits and `-` (the message proposes one), or run KServe 0.21.",
    facts=(Feature.LORA_VOLUME_NAME_RAW,),
)
LORA_COLLISION = RuleDoc(
    "lora-collision",
    "error",
    False,
    "Two LoRA adapters with different names that land on one mount path or volume name: only one is mounted.",
    "Give each adapter a name that stays distinct after KServe's clean-up (characters outside `[a-zA-Z0-9._-]` "
    "become `-`).",
    facts=(Feature.LORA_PVC_ADAPTERS,),
)
LORA_ADMISSION = RuleDoc(
    "lora-admission",
    "error",
    False,
    "A LoRA adapter that KServe's admission rejects when the resource is applied: a missing name, `.`, `..`, a "
    "duplicate name, or the base model's name (`spec.model.name`, else `metadata.name`).",
    "Give every adapter its own name, different from the base model's.",
    facts=(Feature.LORA_ADMISSION_V1ALPHA2, Feature.LORA_ADMISSION_V1ALPHA1),
)
RULE_DOCS = (READ_ONLY_IGNORED, INITIALIZER_DISABLED, LORA_MOUNT, LORA_VOLUME_NAME, LORA_COLLISION, LORA_ADMISSION)

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
    return value if isinstance(value, str) and pvc_uri.is_pvc_uri(value) and not pvc_uri.has_template(value) else None


def _as_rendered(res: Resource, uri: str, ctx: Context) -> str:
    """The URI as the ``inferenceservice`` rule leaves it (a file URI becomes its directory)."""
    decision = uris.decide(
        uri,
        framework=None,
        extensions=file_extensions(ctx.spec),
        path_type=path_type(res.annotations)[0],
        file_uris=ctx.spec.fileUris,
        mount_mode="direct",  # KServe mounts LLMInferenceService claims directly in every release
    )
    return decision.new_uri or uri


def _admission_applies(res: Resource, ctx: Context) -> bool:
    """LoRA admission: v1alpha2 from 0.19, v1alpha1 from 0.21 (kserve/kserve#5938)."""
    if res.api_version.endswith("/v1alpha2"):
        return holds(ctx.spec, Feature.LORA_ADMISSION_V1ALPHA2)
    return holds(ctx.spec, Feature.LORA_ADMISSION_V1ALPHA1)


def _admission(res: Resource, model: Mapping[str, Any], ctx: Context, out: Outcome) -> set[int]:
    """KServe's ``validateLoRAAdapters`` (SPEC 2B item 8); returns the adapters it rejects."""
    if not _admission_applies(res, ctx):
        return set()
    base_name = model.get("name") if isinstance(model.get("name"), str) and model.get("name") else res.name
    seen: dict[str, int] = {}
    rejected: set[int] = set()
    for i, adapter in enumerate(kinds.lora_adapters(model)):
        name = adapter.get("name")
        problem = None
        if not isinstance(name, str) or not name:
            problem = "has no name"
        elif name in (".", ".."):
            problem = f"is named {name!r}"
        elif name == base_name:
            problem = f"has the base model's name {name!r}"
        elif name in seen:
            problem = f"repeats the name {name!r} of spec.model.lora.adapters[{seen[name]}]"
        if isinstance(name, str) and name and name not in seen:
            seen[name] = i
        if problem is None:
            continue
        rejected.add(i)
        out.findings.append(
            finding(
                res,
                "error",
                f"LoRA adapter spec.model.lora.adapters[{i}] {problem}: KServe rejects the {res.kind} when it is "
                "applied; give every adapter its own name, different from the base model's",
                ("spec", "model", "lora", "adapters", i, "name"),
                name if isinstance(name, str) else None,
                rule=LORA_ADMISSION.id,
            )
        )
    return rejected


def _model_checks(res: Resource, model: Mapping[str, Any], disabled: bool, ctx: Context, out: Outcome) -> None:
    uri = _pvc(model.get("uri"))
    if uri is None:
        return
    field: Path = ("spec", "model", "uri")
    if disabled and holds(ctx.spec, Feature.LLM_INITIALIZER_DISABLED):
        out.findings.append(
            finding(
                res,
                "error",
                f"spec.storageInitializer.enabled is false, so KServe mounts no model at all, pvc:// included (not "
                f"mounted): "
                f"{uri!r} never reaches {injector.MODEL_DIR} and vLLM finds nothing there; remove "
                "spec.storageInitializer.enabled: false (a pvc:// model is mounted directly, with no download)",
                field,
                uri,
                rule=INITIALIZER_DISABLED.id,
            )
        )
    if not read_only(res.annotations, ctx.spec) and holds(ctx.spec, Feature.LLM_READ_ONLY):
        out.findings.append(
            finding(
                res,
                "warning",
                f'{injector.READONLY_ANNOTATION}: "false" has no effect on an LLMInferenceService: KServe always '
                f"mounts {uri!r} read-only at {injector.MODEL_DIR}; a server that writes there fails. Write caches "
                "to an emptyDir or another volume instead",
                ("metadata", "annotations", injector.READONLY_ANNOTATION),
                "false",
                rule=READ_ONLY_IGNORED.id,
            )
        )


def _lora_checks(res: Resource, model: Mapping[str, Any], disabled: bool, ctx: Context, out: Outcome) -> None:
    rejected = _admission(res, model, ctx, out)
    seen_paths: dict[str, int] = {}
    seen_volumes: dict[str, int] = {}
    for i, adapter in enumerate(kinds.lora_adapters(model)):
        uri = _pvc(adapter.get("uri"))
        if uri is None:
            continue
        base: Path = ("spec", "model", "lora", "adapters", i)
        if disabled and holds(ctx.spec, Feature.LLM_INITIALIZER_DISABLED):
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"LoRA adapter {adapter.get('name')!r}: KServe rejects a pvc:// adapter when "
                    "spec.storageInitializer.enabled is false ('pvc:// requires a mounted volume'); remove "
                    "spec.storageInitializer.enabled: false",
                    (*base, "uri"),
                    uri,
                    rule=INITIALIZER_DISABLED.id,
                )
            )
            continue
        if not holds(ctx.spec, Feature.LORA_PVC_ADAPTERS) or i in rejected:
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
                    rule=LORA_ADMISSION.id,
                )
            )
            continue
        mount, volume = lora_mount_path(name), lora_volume_name(name)
        claim, path = injector.split_pvc_uri(_as_rendered(res, uri, ctx))
        where = f"subPath {path!r} of claim {claim!r}" if path else f"the root of claim {claim!r}"
        raw_names = holds(ctx.spec, Feature.LORA_VOLUME_NAME_RAW)
        if raw_names:
            volume_text = f"volume {volume or LORA_VOLUME_PREFIX + '<hash>'}"
        else:
            volume_text = f"in a volume whose valid name KServe derives from {LORA_VOLUME_PREFIX}{name}"
        out.findings.append(
            finding(
                res,
                "info",
                f"LoRA adapter {name!r}: KServe mounts {where} read-only at {mount} ({volume_text}) "
                "and passes that path to vLLM; the adapter's files "
                f"(adapter_config.json, weights) must be directly in {mount}",
                (*base, "uri"),
                uri,
                rule=LORA_MOUNT.id,
            )
        )
        if raw_names and volume is not None and not pvc_uri.is_dns1123_label(volume):
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
                    rule=LORA_VOLUME_NAME.id,
                )
            )
        clash = seen_paths.get(mount)
        if clash is None and volume is not None and raw_names:
            # From 0.21 one helper makes the names valid and keeps distinct names distinct (#6077).
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
                    rule=LORA_COLLISION.id,
                )
            )
            continue
        seen_paths[mount] = i
        if volume is not None:
            seen_volumes[volume] = i


def check(res: Resource, ctx: Context) -> Outcome:
    """Report how KServe mounts the ``pvc://`` model and adapters of one LLMInferenceService(Config)."""
    out = Outcome()
    if res.api_version not in kinds.LLM_VERSIONS:
        return out
    spec = mapping(res.data.get("spec"))
    model = mapping(spec.get("model"))
    disabled = mapping(spec.get("storageInitializer")).get("enabled") is False
    _model_checks(res, model, disabled, ctx, out)
    _lora_checks(res, model, disabled, ctx, out)
    return out
