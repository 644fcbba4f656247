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
``tokenizer`` container: from KServe 0.18 (#5121, ``scheduler.go``, ``isUsingTokenizerSidecar``) those
pods mount the model at ``/mnt/models/base`` too; from 0.21 (#5712, inferred) one more pod, the
standalone ``<name>-tokenizer`` Deployment, when ``spec.router.scheduler.tokenizer`` is set or the
scheduler config has a ``token-producer`` or ``precise-prefix-cache-scorer`` plugin (the config is
``config.inline``, else a ``--config-text`` argument of the scheduler's ``main`` container); neither
scheduler-side pod runs when ``spec.router.scheduler.pool.ref`` names an external InferencePool. KV-cache
offloading claims (``kvCacheOffloading.secondary[*].fileSystem.pvc.ref``, 0.20, #5740) are mounted
**writable** in every main, leader, worker and prefill pod. A tokenizer that only an LLMInferenceServiceConfig
preset adds is not seen at render time. KServe mounts these claims read-only, whatever the
annotation says.

Replicas: ``spec.replicas`` (Deployment, StatefulSet, ReplicaSet; default 1), ``parallelism`` (Job,
CronJob; default 1), one pod per node for a DaemonSet (counted as several), 1 for a Pod, and each
InferenceService component's ``minReplicas`` (default 1). ``ReadWriteMany``, or ``ReadOnlyMany``
with read-only mounts, serves any number of replicas. Nothing is changed; only results are given.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from krm_fn import injector, kinds, limits, pvc_uri
from krm_fn.kinds import count
from krm_fn.kserve_facts import Feature, holds
from krm_fn.ops import Path, format_path, get_path
from krm_fn.resource import Resource, mapping
from krm_fn.rulekit import Context, Outcome, RuleDoc, finding, read_only

#: Claims are read for the bundle (every PVC); users are checked when they can name a claim.
KINDS = {kinds.PVC, kinds.ISVC, kinds.LLMISVC, *kinds.POD_KINDS}
MARKERS = {
    **{kind: ("pvc://", "persistentVolumeClaim") for _, kind in kinds.POD_KINDS},
    kinds.ISVC[1]: ("pvc://",),
    kinds.LLMISVC[1]: ("pvc://", "kvCacheOffloading"),
}

RWO, RWOP, ROX, RWX = "ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany", "ReadWriteMany"
#: Scheduler config plugins that make KServe create the standalone tokenizer Deployment (tokenizer.go).
TOKENIZER_PLUGINS = ("token-producer", "precise-prefix-cache-scorer")
#: The scheduler's config flags; the first four carry the config text (master scheduler.go L633-642).
CONFIG_TEXT_FLAGS = ("--config-text", "-config-text", "--configText", "-configText")
CONFIG_FLAGS = (*CONFIG_TEXT_FLAGS, "--config-file", "-config-file", "--configFile", "-configFile")

_LLM_FACTS = (Feature.TOKENIZER_SIDECAR, Feature.TOKENIZER_DEPLOYMENT, Feature.KV_CACHE_OFFLOADING)
RWO_REPLICAS = RuleDoc(
    "pvc-rwo-replicas",
    "warning",
    False,
    "A ReadWriteOnce claim of the bundle used by more than one pod (workload `replicas`, InferenceService "
    "`minReplicas`, LLMInferenceService pods including the tokenizer and KV-cache mounts): every pod must run on the "
    "one node that has the volume attached (Multi-Attach errors otherwise).",
    "Use a ReadOnlyMany or ReadWriteMany claim, or one replica.",
    facts=_LLM_FACTS,
)
RWOP_REPLICAS = RuleDoc(
    "pvc-rwop-replicas",
    "error",
    False,
    "A ReadWriteOncePod claim used by more than one pod: only one pod can ever mount it; the others stay Pending.",
    "Use one replica or a ReadOnlyMany/ReadWriteMany claim.",
    facts=_LLM_FACTS,
)
ROX_WRITABLE = RuleDoc(
    "pvc-read-only-many-writable",
    "error",
    False,
    'A claim that is only ReadOnlyMany while it is mounted writable (`storage.kserve.io/readonly: "false"`, or a '
    "KV-cache offloading claim, which KServe always mounts writable).",
    "Mount it read-only or use a writable claim.",
    facts=(Feature.KV_CACHE_OFFLOADING,),
)
OTHER_NAMESPACE = RuleDoc(
    "pvc-other-namespace",
    "error",
    False,
    "A claim that the bundle has only in another namespace than its user: a pod mounts claims of its own namespace "
    "only, so it stays Pending.",
    "Create the claim in the user's namespace, or move the user.",
    source="Kubernetes: a pod's persistentVolumeClaim volumes are in its own namespace",
)
RULE_DOCS = (RWO_REPLICAS, RWOP_REPLICAS, ROX_WRITABLE, OTHER_NAMESPACE)


@dataclass(frozen=True)
class Use:
    """One use of a claim: by how many replicas (None: one per node), writable or not, and where."""

    claim: str
    replicas: int | None
    replicas_path: Path
    writable: bool
    where: Path
    who: str


def _workload_uses(res: Resource, ctx: Context) -> Iterator[Use]:
    pod = kinds.pod_view(res)
    if pod is None:
        return
    where_replicas = kinds.POD_KINDS[(res.group, res.kind)].replicas
    if where_replicas is None:
        replicas: int | None = None
        replicas_path: Path = ("spec",)
    elif where_replicas:
        replicas_path = where_replicas
        value = get_path(res.data, replicas_path)
        replicas = 1 if value is None else count(value)
    else:
        replicas, replicas_path = 1, ()
    writable = not read_only(pod.annotations, ctx.spec)
    who = f"{res.kind} {res.name!r}"
    seen: set[str] = set()
    uri = pod.source_uri
    if uri is not None and pvc_uri.is_pvc_uri(uri):
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
    writable = not read_only(res.annotations, ctx.spec)
    seen: set[tuple[Path, str]] = set()
    for fld in kinds.uri_fields(res):
        parsed = pvc_uri.parse_pvc_uri(fld.value)
        if parsed is None or not parsed.claim:
            continue
        base = fld.path[:2] if fld.path[1] != "canary" else fld.path[:4]
        if (base, parsed.claim) in seen:
            continue
        seen.add((base, parsed.claim))
        component = mapping(get_path(res.data, base))
        replicas = count(component.get("minReplicas")) if "minReplicas" in component else 1
        who = f"InferenceService {res.name!r} {format_path(base)}"
        yield Use(parsed.claim, replicas, (*base, "minReplicas"), writable, fld.path, who)


def _external_pool(scheduler: Mapping[str, Any]) -> bool:
    """``scheduler.pool.ref`` names an InferencePool of someone else's: KServe then runs neither the scheduler
    Deployment (v0.20.0 ``scheduler.go`` L174) nor the tokenizer Deployment (master ``tokenizer.go`` L150-156)."""
    name = mapping(mapping(scheduler.get("pool")).get("ref")).get("name")
    return isinstance(name, str) and name != ""


def _scheduler_pods(spec: Mapping[str, Any], ctx: Context) -> int:
    """Scheduler pods that mount the model: with a ``tokenizer`` sidecar, from KServe 0.18 (#5121)."""
    scheduler = mapping(mapping(spec.get("router")).get("scheduler"))
    containers = mapping(scheduler.get("template")).get("containers")
    tokenizer = any(mapping(c).get("name") == "tokenizer" for c in (containers if isinstance(containers, list) else []))
    if not tokenizer or _external_pool(scheduler) or not holds(ctx.spec, Feature.TOKENIZER_SIDECAR):
        return 0
    return count(scheduler.get("replicas")) if "replicas" in scheduler else 1


def _scheduler_config(scheduler: Mapping[str, Any]) -> Any:
    """The scheduler config KServe reads plugins from (master ``tokenizer.go`` inlineSchedulerConfigBytes):
    ``config.inline``, else the value of the first config flag of the template's ``main`` container
    when that flag carries the text (``--config-text``); a ``--config-file`` cannot be read.

    An ``inline`` written as a string (the CRD wants an object, but KServe's own latency-predictor
    sample writes one) is read as the config text it holds."""
    inline = mapping(scheduler.get("config")).get("inline")
    if inline is not None:
        return _parse_config(inline) if isinstance(inline, str) else inline
    containers = mapping(scheduler.get("template")).get("containers")
    main = next((mapping(c) for c in _list(containers) if mapping(c).get("name") == "main"), {})
    args = _list(main.get("args"))
    for flag, value in itertools.pairwise(args):
        if flag in CONFIG_FLAGS:
            return _parse_config(value) if flag in CONFIG_TEXT_FLAGS and isinstance(value, str) else None
    return None


def _parse_config(text: str) -> Any:
    """Config text as data; None when it is not YAML (KServe's yaml.Unmarshal fails too: no plugin)."""
    raw = text.encode()
    if limits.exact_depth_over(raw, limits.DEFAULT_MAX_DEPTH):
        return None
    try:
        return yaml.load(raw, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _tokenizer_deployment(spec: Mapping[str, Any], ctx: Context) -> bool:
    """The standalone ``<name>-tokenizer`` Deployment (1 replica, #5712, 0.21 inferred): mounts the model.

    KServe's ``isTokenizerEnabled``: ``spec.router.scheduler.tokenizer`` set, or a plugin of a
    :data:`TOKENIZER_PLUGINS` type in the scheduler config's ``plugins``."""
    if not holds(ctx.spec, Feature.TOKENIZER_DEPLOYMENT):
        return False
    scheduler = mapping(mapping(spec.get("router")).get("scheduler"))
    if _external_pool(scheduler):
        return False
    if scheduler.get("tokenizer") is not None:
        return True
    plugins = _list(mapping(_scheduler_config(scheduler)).get("plugins"))
    return any(mapping(plugin).get("type") in TOKENIZER_PLUGINS for plugin in plugins)


def _workload_pods(spec: Mapping[str, Any]) -> tuple[int, list[str]]:
    """The main, leader, worker and prefill pods of an LLMInferenceService, and how they were counted."""
    replicas = count(spec.get("replicas")) if "replicas" in spec else 1
    parts = ["spec.replicas"]
    if isinstance(spec.get("worker"), Mapping):
        # Multi-node: each replica is a leader pod and at least one worker pod, all mounting the model.
        replicas *= 2
        parts = ["spec.replicas x (leader + worker, at least)"]
    if isinstance(spec.get("prefill"), Mapping):
        prefill = mapping(spec.get("prefill"))
        replicas += count(prefill.get("replicas")) if "replicas" in prefill else 1
        parts.append("spec.prefill")
    return replicas, parts


def _kv_cache_uses(res: Resource, spec: Mapping[str, Any], pods: int, ctx: Context) -> Iterator[Use]:
    """KV-cache offloading claims: mounted **writable** in every workload pod (SPEC 2B item 6)."""
    if not holds(ctx.spec, Feature.KV_CACHE_OFFLOADING):
        return
    for base in (("spec",), ("spec", "prefill")):
        secondary = mapping(get_path(spec, (*base[1:], "kvCacheOffloading"))).get("secondary")
        for i, tier in enumerate(secondary if isinstance(secondary, list) else []):
            name = mapping(mapping(mapping(mapping(tier).get("fileSystem")).get("pvc")).get("ref")).get("name")
            if isinstance(name, str) and name:
                where = (*base, "kvCacheOffloading", "secondary", i, "fileSystem", "pvc", "ref", "name")
                who = f"LLMInferenceService {res.name!r} (KV-cache offloading at /mnt/kv-cache-{i}, in every pod)"
                yield Use(name, pods, ("spec", "replicas"), True, where, who)


def _llm_uses(res: Resource, ctx: Context) -> Iterator[Use]:
    if res.api_version not in kinds.LLM_VERSIONS:
        return
    spec = mapping(res.data.get("spec"))
    pods, parts = _workload_pods(spec)
    replicas = pods
    if scheduler_pods := _scheduler_pods(spec, ctx):
        replicas += scheduler_pods
        parts.append("the scheduler's tokenizer, model at /mnt/models/base")
    if _tokenizer_deployment(spec, ctx):
        replicas += 1
        parts.append(f"the {res.name}-tokenizer Deployment")
    who = f"LLMInferenceService {res.name!r} ({' + '.join(parts)})"
    seen: set[str] = set()
    for fld in kinds.uri_fields(res):
        parsed = pvc_uri.parse_pvc_uri(fld.value)
        if parsed is None or not parsed.claim or parsed.claim in seen:
            continue
        seen.add(parsed.claim)
        yield Use(parsed.claim, replicas, ("spec", "replicas"), False, fld.path, who)
    yield from _kv_cache_uses(res, spec, pods, ctx)


def _all_claims(ctx: Context) -> dict[str, list[str]]:
    """Every PVC name of the bundle and the namespaces it is in."""
    found: dict[str, list[str]] = {}
    for r in ctx.by_kind.get(kinds.PVC, ()):
        if r.api_version == "v1":
            found.setdefault(r.name, []).append(r.namespace)
    return found


def _claims(ctx: Context, namespace: str) -> dict[str, Mapping[str, Any]]:
    """The PVCs of the bundle in ``namespace``, by name."""
    return {
        r.name: r.data for r in ctx.by_kind.get(kinds.PVC, ()) if r.namespace == namespace and r.api_version == "v1"
    }


def check(res: Resource, ctx: Context) -> Outcome:
    """Cross-check one claim user against the bundle's PVCs (a PVC itself yields nothing)."""
    out = Outcome()
    if (res.group, res.kind) == kinds.PVC:
        return out
    kind = (res.group, res.kind)
    if kind == kinds.ISVC:
        uses = _isvc_uses(res, ctx)
    elif kind == kinds.LLMISVC:
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
                        rule=OTHER_NAMESPACE.id,
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
                        rule=RWOP_REPLICAS.id,
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
                        rule=RWO_REPLICAS.id,
                    )
                )
        if use.writable and modes <= {ROX}:
            how = (
                "(KServe mounts KV-cache offloading claims writable)"
                if "kvCacheOffloading" in use.where
                else f'({injector.READONLY_ANNOTATION}: "false")'
            )
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"claim {use.claim!r} is only ReadOnlyMany, but {use.who} mounts it writable "
                    f"{how}; mount it read-only or use a writable claim",
                    use.where,
                    rule=ROX_WRITABLE.id,
                )
            )
    return out
