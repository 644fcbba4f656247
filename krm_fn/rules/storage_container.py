"""``spec.predictor.storageContainerName`` against the ClusterStorageContainers of the bundle (SPEC 2A, 2B).

KServe v0.20 (kserve/kserve#5314) lets a predictor name the ``ClusterStorageContainer``
(``serving.kserve.io/v1alpha1``, cluster-scoped) that handles its storage; the name reaches the pod as
``internal.serving.kserve.io/storage-container-name`` and the webhook's
``GetStorageContainerSpecByName`` (``pkg/webhook/admission/pod/storage_initializer_injector.go``)
fails admission when that container is disabled (the **top-level** ``disabled``,
``storage_container_types.go`` L68 ``IsDisabled`` L83; a ``spec.disabled`` is pruned by the API
server and means nothing), is not ``workloadType: initContainer`` (the CRD default), or does not
support the URI (``spec.supportedUriFormats``: a ``prefix`` match, else a ``regex`` search, Go's
``MatchString``).

With ``storageUris`` (SPEC 2B item 2; ``components/predictor.go`` L782-786,
``storage_initializer_injector.go`` L422-426) only ``storageUris[0].uri`` is matched, and the
reconcile then fails ("storage container %q does not support multi-model download") unless
``spec.supportsMultiModelDownload`` is true (CRD default false); later entries are never matched.
In Knative mode that reconcile error is only logged and the Service is created without the mounts
(``ksvc_reconciler.go`` L186-189, SPEC 2B item 9): the message says "not mounted" there, "rejected"
in raw mode, and both when the annotation ``serving.kserve.io/deploymentMode`` does not say.

A named ClusterStorageContainer that is in the bundle and fails one of these is an error result on
``storageContainerName``. One that is not in the bundle may exist on the cluster: nothing is said.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from krm_fn import kinds, pvc_uri
from krm_fn.kserve_facts import Feature, holds
from krm_fn.resource import Resource, mapping
from krm_fn.rulekit import Context, Outcome, RuleDoc, finding

#: ClusterStorageContainers are read for the bundle; InferenceServices are checked.
KINDS = {kinds.ISVC, kinds.CLUSTER_STORAGE_CONTAINER}
MARKERS = {"InferenceService": ("storageContainerName",)}
INIT_CONTAINER = "initContainer"

STORAGE_CONTAINER = RuleDoc(
    "storage-container",
    "error",
    False,
    "`spec.predictor.storageContainerName` naming a ClusterStorageContainer of the bundle that is disabled "
    "(top-level `disabled`), not `workloadType: initContainer`, or whose `supportedUriFormats` do not match the "
    "`pvc://` URI (with `storageUris`: the first entry only), or, with `storageUris`, that lacks "
    "`supportsMultiModelDownload: true`. Admission or the reconcile fails; in Knative mode the Service is created "
    "without the mounts.",
    "Remove `storageContainerName` (KServe then mounts the claim directly), or name an enabled initContainer "
    "ClusterStorageContainer that supports `pvc://` (and multi-model download for `storageUris`).",
    facts=(Feature.STORAGE_CONTAINER_NAME, Feature.STORAGE_CONTAINER_FIRST_URI, Feature.KNATIVE_STORAGE_URIS_LOGGED),
)
SPEC_DISABLED = RuleDoc(
    "storage-container-spec-disabled",
    "warning",
    False,
    "A ClusterStorageContainer with `spec.disabled`. The CRD has no such field: the API server prunes it and the "
    "container stays enabled.",
    "Write `disabled: true` at the top level, beside `spec`.",
    facts=(Feature.STORAGE_CONTAINER_NAME,),
)
RULE_DOCS = (STORAGE_CONTAINER, SPEC_DISABLED)


def supports(spec: Mapping[str, Any], uri: str) -> bool | None:
    """KServe's ``IsStorageUriSupported``; ``None`` when a regex does not compile (KServe errors too)."""
    formats = spec.get("supportedUriFormats")
    for raw in formats if isinstance(formats, list) else []:
        fmt = mapping(raw)
        prefix, regex = fmt.get("prefix"), fmt.get("regex")
        if isinstance(prefix, str) and prefix:
            if uri.startswith(prefix):
                return True
        elif isinstance(regex, str) and regex:
            try:
                if re.search(regex, uri):
                    return True
            except re.error:
                return None
    return False


def _problem(name: str, container: Mapping[str, Any], uri: str) -> str | None:
    """KServe's admission error for this container and URI, or None."""
    spec = mapping(container.get("spec"))
    if container.get("disabled") is True:
        return f"ClusterStorageContainer {name!r} is disabled"
    workload = spec.get("workloadType", INIT_CONTAINER)
    if workload != INIT_CONTAINER:
        return (
            f"ClusterStorageContainer {name!r} has workloadType {workload!r}; "
            f"explicit selection requires {INIT_CONTAINER!r}"
        )
    supported = supports(spec, uri)
    if supported is None:
        return (
            f"ClusterStorageContainer {name!r} URI check failed for {uri!r}: "
            "a supportedUriFormats regex does not compile"
        )
    if not supported:
        return f"ClusterStorageContainer {name!r} does not support storageUri {uri!r}"
    return None


def _outcome_phrase(res: Resource) -> str:
    """What a failed reconcile of storageUris does, by deployment mode (SPEC 2B item 9)."""
    mode = kinds.deployment_mode(res)
    if mode == "knative":
        return "KServe logs the error and creates the Knative Service without the storageUris mounts (not mounted)"
    if mode == "raw":
        return "KServe's reconcile fails and the predictor is never deployed (rejected)"
    return (
        "KServe's reconcile fails (rejected) in RawDeployment/Standard mode; in Knative (Serverless) mode the Service "
        "is created without the storageUris mounts (not mounted)"
    )


def _plural_problem(name: str, container: Mapping[str, Any], res: Resource) -> str | None:
    """``storageUris``: only the first entry is matched, then multi-model download is required."""
    entries = mapping(mapping(res.data.get("spec")).get("predictor")).get("storageUris")
    if not isinstance(entries, list) or not entries:
        return None
    first = mapping(entries[0]).get("uri")
    if not isinstance(first, str) or not pvc_uri.is_pvc_uri(first) or pvc_uri.has_template(first):
        return None
    problem = _problem(name, container, first)
    if problem is not None:
        return f"{problem} (KServe matches storageUris[0] only): KServe's pod webhook rejects the predictor's pods"
    if mapping(container.get("spec")).get("supportsMultiModelDownload") is not True:
        return (
            f"ClusterStorageContainer {name!r} does not support multi-model download (spec.supportsMultiModelDownload "
            f"is not true) but the predictor uses storageUris: {_outcome_phrase(res)}"
        )
    return None


def _spec_disabled(container: Resource, ctx: Context, out: Outcome) -> None:
    spec = mapping(container.data.get("spec"))
    if "disabled" in spec and holds(ctx.spec, Feature.STORAGE_CONTAINER_NAME):
        out.findings.append(
            finding(
                container,
                "warning",
                f"ClusterStorageContainer {container.name!r} sets spec.disabled, which the CRD does not have: the API "
                "server prunes it and the container stays enabled; write disabled at the top level, beside spec",
                ("spec", "disabled"),
                spec.get("disabled") if isinstance(spec.get("disabled"), bool | str) else None,
                rule=SPEC_DISABLED.id,
            )
        )


def check(res: Resource, ctx: Context) -> Outcome:
    """Check a predictor's ``storageContainerName`` against the bundle, and a ClusterStorageContainer's own form."""
    out = Outcome()
    if (res.group, res.kind) == kinds.CLUSTER_STORAGE_CONTAINER:
        _spec_disabled(res, ctx, out)
        return out
    if not holds(ctx.spec, Feature.STORAGE_CONTAINER_NAME):
        return out
    name = mapping(mapping(res.data.get("spec")).get("predictor")).get("storageContainerName")
    if not isinstance(name, str) or not name:
        return out
    container = next(
        (
            c
            for c in ctx.by_kind.get(kinds.CLUSTER_STORAGE_CONTAINER, ())
            if c.name == name and c.api_version == "serving.kserve.io/v1alpha1"
        ),
        None,
    )
    if container is None:
        return out
    problem: str | None = None
    if holds(ctx.spec, Feature.STORAGE_CONTAINER_FIRST_URI):
        problem = _plural_problem(name, container.data, res)
    for fld in kinds.uri_fields(res, ctx.spec.modelMountPath):
        if problem is not None:
            break
        if fld.path[:2] != ("spec", "predictor") or fld.plural:
            continue
        if not pvc_uri.is_pvc_uri(fld.value) or pvc_uri.has_template(fld.value):
            continue
        found = _problem(name, container.data, fld.value)
        if found is not None:
            problem = (
                f"{found}: KServe's pod webhook rejects the predictor's pods, so the model at {fld.value!r} is never "
                "mounted"
            )
    if problem is not None:
        out.findings.append(
            finding(
                res,
                "error",
                f"{problem}; remove spec.predictor.storageContainerName (KServe then mounts the claim directly) or "
                "name an enabled initContainer ClusterStorageContainer whose supportedUriFormats include 'pvc://'",
                ("spec", "predictor", "storageContainerName"),
                name,
                rule=STORAGE_CONTAINER.id,
            )
        )
    return out
