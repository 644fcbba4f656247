"""``spec.predictor.storageContainerName`` against the ClusterStorageContainers of the bundle (SPEC 2A).

KServe v0.20 (kserve/kserve#5314) lets a predictor name the ``ClusterStorageContainer``
(``serving.kserve.io/v1alpha1``, cluster-scoped) that handles its storage; the name reaches the pod as
``internal.serving.kserve.io/storage-container-name`` and the webhook's
``GetStorageContainerSpecByName`` (``pkg/webhook/admission/pod/storage_initializer_injector.go``)
fails admission when that container is disabled (``spec.disabled``), is not
``workloadType: initContainer`` (the CRD default), or does not support the URI
(``spec.supportedUriFormats``: a ``prefix`` match, else a ``regex`` search, Go's ``MatchString``).
For each ``pvc://`` URI of the predictor, a named ClusterStorageContainer that is in the bundle and
fails one of these is an error result on ``storageContainerName``. One that is not in the bundle
may exist on the cluster: nothing is said. Only for ``kserveVersion`` >= 0.20.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from krm_fn import uris
from krm_fn.resource import Resource, mapping
from krm_fn.rules import Context, Outcome, finding, inferenceservice, kserve_in

CSC_KIND = (inferenceservice.GROUP, "ClusterStorageContainer")
ISVC_KIND = (inferenceservice.GROUP, "InferenceService")
#: ClusterStorageContainers are read for the bundle; InferenceServices are checked.
KINDS = {ISVC_KIND, CSC_KIND}
MARKERS = {"InferenceService": ("storageContainerName",)}
FIRST = (0, 20)
INIT_CONTAINER = "initContainer"


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


def _problem(name: str, spec: Mapping[str, Any], uri: str) -> str | None:
    """KServe's admission error for this container and URI, or None."""
    if spec.get("disabled") is True:
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


def check(res: Resource, ctx: Context) -> Outcome:
    """Check a predictor's ``storageContainerName`` against the bundle (a ClusterStorageContainer yields nothing)."""
    out = Outcome()
    if (res.group, res.kind) != ISVC_KIND or not kserve_in(ctx.spec, FIRST):
        return out
    name = mapping(mapping(res.data.get("spec")).get("predictor")).get("storageContainerName")
    if not isinstance(name, str) or not name:
        return out
    container = next(
        (c for c in ctx.by_kind.get(CSC_KIND, ()) if c.name == name and c.api_version == "serving.kserve.io/v1alpha1"),
        None,
    )
    if container is None:
        return out
    csc_spec = mapping(container.data.get("spec"))
    for fld in inferenceservice.uri_fields(res, ctx.spec.modelMountPath):
        if fld.path[:2] != ("spec", "predictor") or not uris.is_pvc_uri(fld.value) or uris.has_template(fld.value):
            continue
        problem = _problem(name, csc_spec, fld.value)
        if problem is None:
            continue
        out.findings.append(
            finding(
                res,
                "error",
                f"{problem}: KServe's pod webhook rejects the predictor's pods, so the model at {fld.value!r} is never "
                "mounted; remove spec.predictor.storageContainerName (KServe then mounts the claim directly) or "
                "name an enabled initContainer ClusterStorageContainer whose supportedUriFormats include 'pvc://'",
                ("spec", "predictor", "storageContainerName"),
                name,
            )
        )
        break  # one result per resource: the first URI KServe would check fails admission
    return out
