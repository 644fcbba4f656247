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
* **``storageUris`` entries are not judged as file or directory** (SPEC 2B item 10): KServe drops
  their path, so a rewrite to the file's directory would change nothing it mounts; the
  ``storage_uris`` rule reports the dropped path. Form problems are still reported and repaired.
* **The file rule off or ignored** (``spec.rules``, ``ignore.fn.kserve-pvc.dev/file-uri``): off, the
  URI is judged as with ``fileUris: ignore``; ignored on this resource, the rewrite is made as a change
  that ``krm_fn.suppression`` keeps apart (so it is counted), without server hints.
* **readOnly** covers LLMInferenceService and LLMInferenceServiceConfig too (they carry the model
  URI the same way); a TrainedModel with ``pvc://`` is only ever an error.
"""

from __future__ import annotations

from typing import Any

from krm_fn import kinds, pvc_uri, uris
from krm_fn.kserve_facts import Feature, holds
from krm_fn.ops import format_path, get_path
from krm_fn.resource import PATH_TYPE_ANNOTATION, Resource, mapping
from krm_fn.rulekit import (
    FILE_URI,
    PATH_TYPE_INVALID,
    Change,
    Context,
    Outcome,
    RuleDoc,
    file_extensions,
    finding,
    ignore_reason,
    path_type,
    read_only_change,
    rule_setting,
    uri_rule,
)

KINDS = {kinds.ISVC, kinds.LLMISVC, kinds.LLMISVC_CONFIG, kinds.TRAINED_MODEL}
#: KServe's storageUri/storageUris checks apply to every InferenceService, whatever its URIs.
MARKERS: dict[str, tuple[str, ...]] = {}
#: Findings about what the model server will look for in the rewritten directory.
SERVER_HINTS = frozenset({"one-file-server", "unsupported-ext", "snapshot-dir"})

COPY_MODE_GONE = RuleDoc(
    "copy-mode-gone",
    "warning",
    False,
    "`mountMode: copy` where KServe has no copy path: an InferenceService with `kserveVersion` 0.16 or newer, or any "
    "LLMInferenceService(Config). Its URIs are judged as in direct mode (a file URI is rewritten).",
    "Set `kserveVersion` to the cluster's release (0.15 or older for copy mode) or `mountMode: direct`.",
    facts=(Feature.COPY_PATH_REMOVED,),
)
TRAINED_MODEL_PVC = RuleDoc(
    "trainedmodel-pvc",
    "error",
    False,
    "A TrainedModel with a `pvc://` `spec.model.storageUri`. KServe rejects it: only s3, gs, http and https.",
    "Serve the model from an InferenceService, or copy it to object storage.",
    source="v0.20.0 pkg/apis/serving/v1alpha1/trainedmodel_webhook.go",
)
STORAGE_URI_AND_STORAGE_URIS = RuleDoc(
    "storage-uri-and-storage-uris",
    "error",
    False,
    "A component that sets both its `storageUri` and `storageUris`. KServe rejects the InferenceService (a canary "
    "predictor is not validated: see `canary-storage-uris`).",
    "Keep one of them: `storageUri` for one model, `storageUris` for several artifacts.",
    facts=(Feature.STORAGE_URIS,),
)
STORAGE_URIS_MOUNT_PATH = RuleDoc(
    "storage-uris-mount-path",
    "error",
    False,
    "A `storageUris[*].mountPath` that is not absolute, is `/`, or contains `..` (anywhere, as KServe checks). "
    "KServe rejects the InferenceService.",
    "Use an absolute path below `/` without `..`, such as `/mnt/models`.",
    facts=(Feature.STORAGE_URIS,),
)
RULE_DOCS = (COPY_MODE_GONE, TRAINED_MODEL_PVC, STORAGE_URI_AND_STORAGE_URIS, STORAGE_URIS_MOUNT_PATH)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


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


def _validate_components(res: Resource, ctx: Context, out: Outcome) -> None:
    """KServe's own render-time checks of ``storageUri`` / ``storageUris`` on each component."""
    canaries_unchecked = holds(ctx.spec, Feature.CANARY_NO_STORAGE_URIS)
    for base, comp in kinds.components(mapping(res.data.get("spec"))):
        if kinds.is_canary(base) and canaries_unchecked:
            continue  # reconcileCanaryDeployments skips validateMultipleStorageURIs (storage_uris reports it)
        entries = comp.get("storageUris")
        single = kinds.implementation_uri(base, comp)
        if isinstance(entries, list) and single is not None:
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"{format_path(base)} sets both {format_path(single)} and storageUris; "
                    "KServe accepts only one of them",
                    (*base, "storageUris"),
                    _str(get_path(res.data, single)),
                    rule=STORAGE_URI_AND_STORAGE_URIS.id,
                )
            )
        for i, entry in kinds.storage_uri_entries(comp):
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
                        rule=STORAGE_URIS_MOUNT_PATH.id,
                    )
                )


def _trained_model(res: Resource, out: Outcome) -> None:
    uri = _str(mapping(mapping(res.data.get("spec")).get("model")).get("storageUri"))
    if uri is not None and pvc_uri.is_pvc_uri(uri):
        out.findings.append(
            finding(
                res,
                "error",
                f"TrainedModel storageUri {uri!r}: KServe accepts only s3, gs, http and https URIs here, not pvc://",
                ("spec", "model", "storageUri"),
                uri,
                rule=TRAINED_MODEL_PVC.id,
            )
        )


def _judges_file(fld: kinds.UriField, ctx: Context) -> bool:
    """Whether a field's path is judged as file or directory (SPEC 2B item 10).

    A ``storageUris`` entry's path is dropped by KServe: rewriting a file there to its directory
    changes nothing KServe mounts, so the ``storage_uris`` rule reports the dropped path instead.
    """
    if not fld.plural:
        return True
    return holds(ctx.spec, Feature.STORAGE_URIS) and not holds(ctx.spec, Feature.STORAGE_URIS_PATH_DROPPED)


def _repaired_what(old: str, new: str) -> str:
    """What a form repair removed, for the change's message."""
    if old == old.strip():
        return "empty and '.' path segments removed"
    if new == old.strip():
        return "surrounding whitespace removed"
    return "surrounding whitespace and empty and '.' path segments removed"


def _copy_gone_message(res: Resource, ctx: Context) -> str:
    spec = ctx.spec
    if res.kind in kinds.LLM_KINDS:
        return (
            f"mountMode: copy does not apply to {res.kind} resources: KServe mounts their claims "
            "directly in every release, so these URIs are judged as in direct mode"
        )
    return (
        f"mountMode: copy with kserveVersion {spec.kserveVersion} describes no KServe release: "
        f"from 0.16 KServe always mounts the claims of this {res.kind} directly at "
        f"{spec.modelMountPath} (the copy path was removed, kserve/kserve#4694), so these URIs are "
        "judged as in direct mode; set kserveVersion to the cluster's release (0.15 or older for "
        "copy mode) or mountMode: direct"
    )


def check(res: Resource, ctx: Context) -> Outcome:
    """Find and fix the storage URIs of one InferenceService-family resource."""
    out = Outcome()
    if res.kind == "TrainedModel":
        _trained_model(res, out)
        return out
    spec = ctx.spec
    kind_path_type, bad_override = path_type(res.annotations)
    uses_pvc = False
    # LLMInferenceServices never had a copy path (workload_storage.go mounts claims directly).
    direct_only = res.kind in kinds.LLM_KINDS or holds(spec, Feature.COPY_PATH_REMOVED)
    copy_gone = spec.mountMode == "copy" and direct_only
    mount_mode: uris.MountMode = "direct" if copy_gone else spec.mountMode
    # Off: the rule neither rewrites nor reports. Ignored on this resource: the rewrite is made as a
    # change that krm_fn.suppression keeps apart (counted as suppressed), without the server hints.
    file_rule = rule_setting(spec, FILE_URI.id) != "off"
    file_ignored = ignore_reason(res, FILE_URI.id) is not None
    hinted: set[str] = set()  # a hint nobody can check at render time is said once per resource
    for fld in kinds.uri_fields(res, spec.modelMountPath):
        if not pvc_uri.is_pvc_uri(fld.value):
            continue
        if copy_gone and not uses_pvc:
            out.findings.append(
                finding(res, "warning", _copy_gone_message(res, ctx), fld.path, fld.value, rule=COPY_MODE_GONE.id)
            )
        uses_pvc = True
        decision = uris.decide(
            fld.value,
            framework=fld.framework,
            extensions=file_extensions(spec),
            path_type=kind_path_type,
            file_uris=spec.fileUris if file_rule and _judges_file(fld, ctx) else "ignore",
            mount_mode=mount_mode,
            snapshot_field=fld.snapshot,
        )
        # The info finding of a rewrite is the change's own result; everything else is reported as is.
        is_change = [f.code == "file-uri" and f.severity == "info" for f in decision.findings]
        change_messages = [f.message for f, c in zip(decision.findings, is_change, strict=True) if c]
        for found, change in zip(decision.findings, is_change, strict=True):
            if change or (found.code in SERVER_HINTS and (not fld.server_hints or file_ignored)):
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
                    rule=uri_rule(found.code),
                )
            )
        if decision.new_uri is not None:
            message = (
                change_messages[0]
                if change_messages
                else f"normalized {fld.value!r} to {decision.new_uri!r} "
                f"({_repaired_what(fld.value, decision.new_uri)})."
            )
            rule = FILE_URI.id if change_messages else uri_rule("repaired-form")
            out.changes.append(Change(fld.path, fld.value, decision.new_uri, message, rule, original_uri=True))
    if bad_override is not None:
        out.findings.append(
            finding(
                res,
                "warning",
                f"{PATH_TYPE_ANNOTATION} must be 'file' or 'directory', got {bad_override!r}; ignored",
                ("metadata", "annotations", PATH_TYPE_ANNOTATION),
                bad_override,
                rule=PATH_TYPE_INVALID.id,
            )
        )
    if res.kind == "InferenceService":
        _validate_components(res, ctx, out)
    if uses_pvc and (policy_change := read_only_change(("metadata",), res.annotations, spec, "")) is not None:
        out.changes.append(policy_change)
    return out
