"""Cross-checks between claim users and the PersistentVolumeClaims in the same bundle (SPEC 3.4).

A user is a pod-bearing resource (its pod's ``persistentVolumeClaim`` volumes and its ``pvc://``
source-URI annotation) or an InferenceService (the ``pvc://`` URIs of each component). A claim
matches when a ``PersistentVolumeClaim`` of that name is in the bundle in the same namespace (an
unset namespace only matches an unset namespace: kustomize sets both or neither).

- ``ReadWriteOnce`` with more than one replica is a **warning**: every pod must run on the node that
  holds the volume.
- ``ReadWriteOncePod`` with more than one replica is an **error**: only one pod can ever mount it.
- A claim that is only ``ReadOnlyMany`` while the KServe mounts are writable
  (``storage.kserve.io/readonly: "false"``, after the ``readOnly`` policy) is an **error**.
- A claim that is not in the user's namespace while a PVC of that name is in the bundle in another
  namespace is an **error**: a pod mounts claims of its own namespace only. Only explicit
  namespaces count: a user or a PVC without one lands wherever it is applied, so nothing is said.

An LLMInferenceService (``spec.model.uri`` and ``pvc://`` LoRA adapters) is a user too: its pods are
``spec.replicas`` (default 1; doubled with ``spec.worker``, multi-node, where each replica is a
leader and at least one worker pod) plus ``spec.prefill.replicas`` when ``spec.prefill`` is set, plus
``spec.router.scheduler.replicas`` (default 1) scheduler pods when the scheduler template has a
``tokenizer`` container: from KServe 0.20 (``scheduler.go``, ``isUsingTokenizerSidecar``) those pods
mount the model at ``/mnt/models/base`` too. A tokenizer that only an LLMInferenceServiceConfig
preset adds is not seen at render time. KServe mounts these claims read-only, whatever the
annotation says.

Replicas: ``spec.replicas`` (Deployment, StatefulSet, ReplicaSet; default 1), ``parallelism`` (Job,
CronJob; default 1), one pod per node for a DaemonSet (counted as several), 1 for a Pod, and each
InferenceService component's ``minReplicas`` (default 1). ``ReadWriteMany``, or ``ReadOnlyMany``
with read-only mounts, serves any number of replicas. Nothing is changed; only results are given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from krm_fn import injector, uris
from krm_fn.ops import Path, format_path, get_path
from krm_fn.resource import Resource, mapping
from krm_fn.results import Field, Result
from krm_fn.rules import Context, Outcome, inferenceservice, kserve_in, pods

PVC_KIND = ("", "PersistentVolumeClaim")
ISVC_KIND = (inferenceservice.GROUP, "InferenceService")
LLMISVC_KIND = (inferenceservice.GROUP, "LLMInferenceService")
#: Claims are read for the bundle (every PVC); users are checked when they can name a claim.
KINDS = {PVC_KIND, ISVC_KIND, LLMISVC_KIND, *pods.KINDS}
MARKERS = {**pods.MARKERS, ISVC_KIND[1]: ("pvc://",), LLMISVC_KIND[1]: ("pvc://",)}

RWO, RWOP, ROX, RWX = "ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany", "ReadWriteMany"

#: Where the replica count of each workload kind is, and its default.
REPLICAS: dict[str, Path] = {
    "Deployment": ("spec", "replicas"),
    "StatefulSet": ("spec", "replicas"),
    "ReplicaSet": ("spec", "replicas"),
    "Job": ("spec", "parallelism"),
    "CronJob": ("spec", "jobTemplate", "spec", "parallelism"),
}


@dataclass(frozen=True)
class Use:
    """One use of a claim: by how many replicas (None: one per node), writable or not, and where."""

    claim: str
    replicas: int | None
    replicas_path: Path
    writable: bool
    where: Path
    who: str


def _effective_readonly(annotations: Mapping[str, Any], ctx: Context) -> bool:
    """KServe's read-only flag after the ``readOnly`` policy has set the annotation."""
    if ctx.spec.readOnly != "preserve":
        return bool(ctx.spec.readOnly)
    value = annotations.get(injector.READONLY_ANNOTATION)
    return injector.is_read_only({injector.READONLY_ANNOTATION: value} if isinstance(value, str) else {})


def _count(value: Any) -> int:
    """A replica count as written; anything but a non-negative int (a template) counts as 1."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 1


def _workload_uses(res: Resource, ctx: Context) -> Iterator[Use]:
    pod = pods.pod_view(res)
    if pod is None:
        return
    if res.kind == "DaemonSet":
        replicas: int | None = None
        replicas_path: Path = ("spec",)
    elif res.kind in REPLICAS:
        replicas_path = REPLICAS[res.kind]
        value = get_path(res.data, replicas_path)
        replicas = 1 if value is None else _count(value)
    else:
        replicas, replicas_path = 1, ()
    writable = not _effective_readonly(pod.annotations, ctx)
    who = f"{res.kind} {res.name!r}"
    seen: set[str] = set()
    uri = pod.source_uri
    if uri is not None and uris.is_pvc_uri(uri):
        claim = injector.split_pvc_uri(uri)[0]
        seen.add(claim)
        where = (*pod.meta_path, "annotations", injector.SOURCE_URI_ANNOTATION)
        yield Use(claim, replicas, replicas_path, writable, where, who)
    volumes = pod.spec.get("volumes")
    for i, volume in enumerate(volumes if isinstance(volumes, list) else []):
        name = mapping(mapping(volume).get("persistentVolumeClaim")).get("claimName")
        if not isinstance(name, str) or name in seen:
            continue
        seen.add(name)
        # Only KServe's own volume follows the read-only annotation; other mounts are the author's.
        own = mapping(volume).get("name") == injector.PVC_VOLUME_NAME
        yield Use(name, replicas, replicas_path, writable and own, (*pod.spec_path, "volumes", i), who)


def _isvc_uses(res: Resource, ctx: Context) -> Iterator[Use]:
    writable = not _effective_readonly(res.annotations, ctx)
    seen: set[tuple[Path, str]] = set()
    for fld in inferenceservice.uri_fields(res):
        parsed = uris.parse_pvc_uri(fld.value)
        if parsed is None or not parsed.claim:
            continue
        base = fld.path[:2] if fld.path[1] != "canary" else fld.path[:4]
        if (base, parsed.claim) in seen:
            continue
        seen.add((base, parsed.claim))
        component = mapping(get_path(res.data, base))
        replicas = _count(component.get("minReplicas")) if "minReplicas" in component else 1
        who = f"InferenceService {res.name!r} {format_path(base)}"
        yield Use(parsed.claim, replicas, (*base, "minReplicas"), writable, fld.path, who)


def _scheduler_pods(spec: Mapping[str, Any], ctx: Context) -> int:
    """Scheduler pods that mount the model: with a ``tokenizer`` sidecar, from KServe 0.20."""
    scheduler = mapping(mapping(spec.get("router")).get("scheduler"))
    containers = mapping(scheduler.get("template")).get("containers")
    tokenizer = any(mapping(c).get("name") == "tokenizer" for c in (containers if isinstance(containers, list) else []))
    if not tokenizer or not kserve_in(ctx.spec, (0, 20)):
        return 0
    return _count(scheduler.get("replicas")) if "replicas" in scheduler else 1


def _llm_uses(res: Resource, ctx: Context) -> Iterator[Use]:
    if res.api_version not in inferenceservice.LLM_VERSIONS:
        return
    spec = mapping(res.data.get("spec"))
    replicas = _count(spec.get("replicas")) if "replicas" in spec else 1
    parts = ["spec.replicas"]
    if isinstance(spec.get("worker"), Mapping):
        # Multi-node: each replica is a leader pod and at least one worker pod, all mounting the model.
        replicas *= 2
        parts = ["spec.replicas x (leader + worker, at least)"]
    if isinstance(spec.get("prefill"), Mapping):
        prefill = mapping(spec.get("prefill"))
        replicas += _count(prefill.get("replicas")) if "replicas" in prefill else 1
        parts.append("spec.prefill")
    if scheduler_pods := _scheduler_pods(spec, ctx):
        replicas += scheduler_pods
        parts.append("the scheduler's tokenizer, model at /mnt/models/base")
    who = f"LLMInferenceService {res.name!r} ({' + '.join(parts)})"
    seen: set[str] = set()
    for fld in inferenceservice.uri_fields(res):
        parsed = uris.parse_pvc_uri(fld.value)
        if parsed is None or not parsed.claim or parsed.claim in seen:
            continue
        seen.add(parsed.claim)
        yield Use(parsed.claim, replicas, ("spec", "replicas"), False, fld.path, who)


def _all_claims(ctx: Context) -> dict[str, list[str]]:
    """Every PVC name of the bundle and the namespaces it is in."""
    found: dict[str, list[str]] = {}
    for r in ctx.by_kind.get(PVC_KIND, ()):
        if r.api_version == "v1":
            found.setdefault(r.name, []).append(r.namespace)
    return found


def _claims(ctx: Context, namespace: str) -> dict[str, Mapping[str, Any]]:
    """The PVCs of the bundle in ``namespace``, by name."""
    return {r.name: r.data for r in ctx.by_kind.get(PVC_KIND, ()) if r.namespace == namespace and r.api_version == "v1"}


def check(res: Resource, ctx: Context) -> Outcome:
    """Cross-check one claim user against the bundle's PVCs (a PVC itself yields nothing)."""
    out = Outcome()
    if (res.group, res.kind) == PVC_KIND:
        return out
    kind = (res.group, res.kind)
    if kind == ISVC_KIND:
        uses = _isvc_uses(res, ctx)
    elif kind == LLMISVC_KIND:
        uses = _llm_uses(res, ctx)
    else:
        uses = _workload_uses(res, ctx)
    claims: dict[str, Mapping[str, Any]] | None = None
    for use in uses:
        if claims is None:
            claims = _claims(ctx, res.namespace)
        pvc = claims.get(use.claim)
        if pvc is None:
            namespaces = _all_claims(ctx).get(use.claim, [])
            # A resource without a namespace lands wherever it is applied: only two explicit,
            # different namespaces are a certain mismatch.
            elsewhere = sorted(namespaces) if res.namespace and all(namespaces) else []
            if elsewhere:
                here = res.namespace
                out.findings.append(
                    finding(
                        res,
                        "error",
                        f"claim {use.claim!r} is in the bundle only in namespace {', '.join(elsewhere)}, but "
                        f"{use.who} is in namespace {here}: a pod mounts claims of its own namespace only, so it "
                        f"stays Pending; create the claim in {here} or move {res.kind} {res.name!r} to "
                        f"{elsewhere[0]}",
                        use.where,
                    )
                )
            continue
        modes_raw = mapping(pvc.get("spec")).get("accessModes")
        modes = {m for m in modes_raw if isinstance(m, str)} if isinstance(modes_raw, list) else set()
        if not modes:
            continue
        several = use.replicas is None or use.replicas > 1
        count = "one pod per node" if use.replicas is None else f"{use.replicas} replicas"
        path = use.replicas_path if use.replicas_path and use.replicas is not None else use.where
        current = use.replicas if path == use.replicas_path else None
        shared = RWX in modes or (ROX in modes and not use.writable)
        if several and not shared:
            if RWOP in modes and RWO not in modes:
                out.findings.append(
                    finding(
                        res,
                        "error",
                        f"claim {use.claim!r} is ReadWriteOncePod, but {use.who} runs {count}: only one pod can "
                        "mount it, the others stay Pending; use one replica or a ReadOnlyMany/ReadWriteMany claim",
                        path,
                        current,
                    )
                )
            elif RWO in modes:
                out.findings.append(
                    finding(
                        res,
                        "warning",
                        f"claim {use.claim!r} is ReadWriteOnce, but {use.who} runs {count}: every pod must run on "
                        "the one node that has the volume attached; use a ReadOnlyMany or ReadWriteMany claim",
                        path,
                        current,
                    )
                )
        if use.writable and modes <= {ROX}:
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"claim {use.claim!r} is only ReadOnlyMany, but {use.who} mounts it writable "
                    f'({injector.READONLY_ANNOTATION}: "false"); mount it read-only or use a writable claim',
                    use.where,
                )
            )
    return out


def finding(res: Resource, severity: uris.Severity, message: str, path: Path, current: Any = None) -> Result:
    return Result(message, severity, res.ref, Field(format_path(path), current), res.file)
