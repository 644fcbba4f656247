"""Pods and pod templates: KServe's PVC injection at render time and file-mount repair (SPEC 3.4, 3.5).

Kinds and where their pod is: Pod (``spec``), PodTemplate (``template.spec``), Deployment,
StatefulSet, DaemonSet, ReplicaSet, Job (``spec.template.spec``), CronJob
(``spec.jobTemplate.spec.template.spec``) and Knative ``serving.knative.dev/v1`` Service
(``spec.template.spec``). The annotations read are the pod's own.

- **Injection.** A pod whose ``internal.serving.kserve.io/storage-initializer-sourceuri`` is a
  ``pvc://`` URI gets what KServe's pod webhook would add (:func:`krm_fn.injector.inject_pvc`) for
  ``mountMode``. The URI is normalized first (:func:`krm_fn.uris.decide`): in direct mode a file
  URI becomes its directory and the annotation is rewritten to it (the original is recorded), or,
  with ``fileUris: file-mount``, the file is mounted at ``<modelMountPath>/<file name>`` and the
  annotation is kept. A URI with an error (no claim, ``..``, an archive in direct mode,
  ``fileUris: error``) or a template placeholder is reported and nothing is injected. Pods are not
  tied to a framework here, so a file's model root is always its directory.
- **File mounts on directory paths.** Any container mount of a ``persistentVolumeClaim`` volume
  whose ``subPath`` names a file while its ``mountPath`` does not end in that file name is
  repaired: ``fileUris: directory`` sets ``subPath`` to the file's directory, ``file-mount`` sets
  ``mountPath`` to ``<mountPath>/<file name>``, ``error`` reports it, ``ignore`` leaves it.
  ``fn.kserve-pvc.dev/path-type`` applies to the source URI only, never to these mounts.
- **readOnly policy.** With ``readOnly: true|false`` the pod's ``storage.kserve.io/readonly``
  annotation is set, and the injection uses that value, as the webhook would.

Every change is one info result whose field path points at the exact entry
(``spec.template.spec.containers[0].volumeMounts[1]``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from krm_fn import injector, kinds, model_files, pvc_uri, uris
from krm_fn.kinds import PodView, pod_view
from krm_fn.kserve_facts import Feature
from krm_fn.ops import Append, Path, diff_ops, format_path, get_path, plain_copy
from krm_fn.resource import Resource, mapping
from krm_fn.rulekit import (
    FILE_URI,
    Change,
    Context,
    Outcome,
    RuleDoc,
    file_extensions,
    finding,
    path_type,
    read_only_change,
    uri_rule,
)

KINDS = set(kinds.POD_KINDS)
#: A pod concerns this rule through a ``pvc://`` source URI, or through a PVC volume (a mount with
#: a file subPath needs repair even without any ``pvc://`` URI in the item).
MARKERS = {kind: ("pvc://", "persistentVolumeClaim") for _, kind in KINDS}

INJECTION = RuleDoc(
    "kserve-injection",
    "info",
    True,
    "A pod whose `internal.serving.kserve.io/storage-initializer-sourceuri` is a `pvc://` URI gets, at render time, "
    "the volumes, mounts, init container and `STORAGE_URI` rewrite KServe's pod webhook would add for `mountMode`. "
    "Each change is one result.",
    "Nothing to fix; turn it off with `rules: {kserve-injection: off}` to leave pods to the webhook.",
    facts=(Feature.DIRECT_PVC_DEFAULT, Feature.COPY_PATH_REMOVED),
)
NO_CONTAINER = RuleDoc(
    "injection-no-container",
    "error",
    False,
    "A pod with a `pvc://` source URI and neither `kserve-container` nor `worker-container`: KServe's webhook rejects "
    'it ("Invalid configuration: cannot find container").',
    "Name the container that serves the model `kserve-container` (or `worker-container`).",
    source="v0.20.0 storage_initializer_injector.go (TestStorageInitializerFailureCases)",
)
FILE_SUBPATH = RuleDoc(
    "file-subpath",
    "info",
    True,
    "A container mount of a PVC volume whose `subPath` names a file while its `mountPath` does not end in that file "
    "name: the directory path becomes the file. Repaired (`fileUris: directory`: subPath becomes the directory; "
    "`file-mount`: mountPath gains the file name); an error with `fileUris: error` or for an archive.",
    "Mount the file's directory, or mount the file at a path that ends in its name.",
    source="Kubernetes subPath semantics",
)
RULE_DOCS = (INJECTION, NO_CONTAINER, FILE_SUBPATH)


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# -- file mounts on directory paths ---------------------------------------------------------------


def _repair_file_mounts(
    res: Resource, pod: PodView, spec_data: dict[str, Any], ctx: Context, out: Outcome
) -> dict[Path, str]:
    """Repair PVC mounts of ``spec_data`` in place; returns a message per changed field path."""
    policy = ctx.spec
    messages: dict[Path, str] = {}
    pvc_volumes = {
        v.get("name")
        for v in _items(spec_data.get("volumes"))
        if isinstance(v, dict) and isinstance(v.get("persistentVolumeClaim"), Mapping)
    }
    # The injection's own mount is made from the source URI: the file rule judged that URI, and
    # where the file rule is ignored its file mount is what the user asked for, run after run.
    skip = set() if ctx.active(res, FILE_URI.id) else {injector.PVC_VOLUME_NAME}
    for group in ("initContainers", "containers"):
        for i, container in enumerate(_items(spec_data.get(group))):
            if not isinstance(container, dict):
                continue
            for j, mount in enumerate(_items(container.get("volumeMounts"))):
                if not isinstance(mount, dict) or mount.get("name") not in pvc_volumes or mount.get("name") in skip:
                    continue
                sub, target = mount.get("subPath"), mount.get("mountPath")
                if not isinstance(sub, str) or not isinstance(target, str) or not sub:
                    continue
                if not model_files.is_file_path(sub, file_extensions(policy)):
                    continue
                parent, _, name = sub.rpartition("/")
                if target.rstrip("/").rpartition("/")[2] == name:
                    continue  # the mount already names the file: a deliberate single-file mount
                where = (*pod.spec_path, group, i, "volumeMounts", j)
                what = (
                    f"container {container.get('name')!r} mounts the file {sub!r} of volume "
                    f"{mount.get('name')!r} as the directory {target!r}"
                )
                archive = model_files.file_extension(sub, model_files.ARCHIVE_EXTENSIONS)
                if policy.fileUris == "ignore":
                    continue
                if policy.fileUris == "error" or archive is not None:
                    why = (
                        f"an archive ({archive}) is only unpacked by the copy-mode storage initializer"
                        if archive
                        else "mount its directory instead"
                    )
                    out.findings.append(
                        finding(res, "error", f"{what}; {why}", (*where, "subPath"), sub, rule=FILE_SUBPATH.id)
                    )
                    continue
                if policy.fileUris == "file-mount":
                    new_target = f"{target.rstrip('/')}/{name}"
                    mount["mountPath"] = new_target
                    messages[(*where, "mountPath")] = f"{what}; mountPath set to {new_target!r} (file-mount)"
                else:
                    mount["subPath"] = parent
                    messages[(*where, "subPath")] = (
                        f"{what}; subPath set to its directory {parent!r}"
                        if parent
                        else f"{what}; subPath set to '' (the volume root holds the file)"
                    )
    return messages


# -- render-time injection ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What to inject for the source URI, after normalization."""

    claim: str
    path: str
    file_mount: str | None
    new_uri: str | None
    message: str = ""
    rule: str = FILE_URI.id


def _plan(res: Resource, pod: PodView, uri: str, ctx: Context, out: Outcome) -> _Plan | None:
    """Normalize the source URI (SPEC 3.3); report findings; None when nothing may be injected."""
    policy = ctx.spec
    source_path = (*pod.meta_path, "annotations", injector.SOURCE_URI_ANNOTATION)
    judge = functools.partial(
        uris.decide,
        uri,
        framework=None,
        extensions=file_extensions(policy),
        path_type=path_type(res.annotations, pod.annotations)[0],
        mount_mode=policy.mountMode,
    )
    if ctx.active(res, FILE_URI.id):
        decision = judge(file_uris=policy.fileUris)
    else:
        # The injection below goes on as if the file rule did not exist; what the rule would have
        # said is still reported, so that the resource's ignore annotation counts it as suppressed
        # (``spec.rules: {file-uri: off}`` drops it).
        would = judge(file_uris=policy.fileUris)
        for found in would.findings:
            if uri_rule(found.code) == FILE_URI.id:
                out.findings.append(finding(res, found.severity, found.message, source_path, uri, rule=FILE_URI.id))
        decision = judge(file_uris="ignore")
    # The info "file-uri" finding describes the rewrite; it becomes the change's message.
    rewrites = [f for f in decision.findings if f.code == "file-uri" and f.severity == "info"]
    file_mount = policy.fileUris == "file-mount" and bool(rewrites)
    for found in decision.findings:
        if found in rewrites:
            continue  # reported as the change of the annotation (or the file mount) below
        proposed = None if file_mount else decision.new_uri
        out.findings.append(
            finding(res, found.severity, found.message, source_path, uri, proposed=proposed, rule=uri_rule(found.code))
        )
    if decision.has_error or any(f.code == "template" for f in decision.findings):
        return None
    if file_mount:
        parsed = pvc_uri.parse_pvc_uri(uri)
        assert parsed is not None  # decide() saw a pvc:// URI
        segments = tuple(s for s in parsed.segments if s not in ("", "."))
        repaired = pvc_uri.format_pvc_uri(parsed.claim, segments)
        new_uri = repaired if repaired != uri else None
        return _Plan(
            parsed.claim,
            "/".join(segments),
            segments[-1],
            new_uri,
            f"source URI repaired to {new_uri!r}",
            uri_rule("repaired-form"),
        )
    claim, path = injector.split_pvc_uri(decision.new_uri or uri)
    message = rewrites[0].message if rewrites else f"source URI repaired to {decision.new_uri!r}"
    return _Plan(claim, path, None, decision.new_uri, message, FILE_URI.id if rewrites else uri_rule("repaired-form"))


def _describe(op_path: Path, value: Any, spec_data: Mapping[str, Any], base: int, mode: str) -> str:
    """A readable message for one injected op (``base`` is the length of the pod spec path)."""
    rel = op_path[base:]
    lead = f"KServe PVC injection ({mode} mode):"
    if rel == ("volumes",):
        items = value if isinstance(value, list) else [value]
        names = ", ".join(_volume_text(v) for v in items)
        return f"{lead} added volume {names}"
    if len(rel) >= 3 and rel[0] in ("containers", "initContainers") and "volumeMounts" in rel:
        container = mapping(get_path(spec_data, rel[:2])).get("name")
        items = value if isinstance(value, list) else [value]
        mounts = ", ".join(_mount_text(m) for m in items)
        return f"{lead} mounted {mounts} in container {container!r}"
    if rel == ("initContainers",):
        items = value if isinstance(value, list) else [value]
        inits = ", ".join(f"{mapping(c).get('name')!r} (args {mapping(c).get('args')})" for c in items)
        return f"{lead} added init container {inits}"
    if rel and rel[-1] == "value" and "env" in rel:
        container = mapping(get_path(spec_data, rel[:2])).get("name")
        return f"{lead} {injector.STORAGE_URI_ENV} of container {container!r} points at the model directory {value!r}"
    return f"{lead} set {format_path(op_path)}"


def _volume_text(volume: Any) -> str:
    vol = mapping(volume)
    claim = mapping(vol.get("persistentVolumeClaim")).get("claimName")
    kind = f"claim {claim!r}" if claim is not None else "emptyDir" if "emptyDir" in vol else "volume"
    return f"{vol.get('name')!r} ({kind})"


def _mount_text(mount: Any) -> str:
    m = mapping(mount)
    text = f"{m.get('name')!r} at {m.get('mountPath')!r}"
    if m.get("subPath"):
        text += f" (subPath {m.get('subPath')!r})"
    return text + (" read-only" if m.get("readOnly") else "")


def check(res: Resource, ctx: Context) -> Outcome:
    """Inject KServe's PVC mounts into one pod-bearing resource and repair file mounts."""
    out = Outcome()
    pod = pod_view(res)
    if pod is None:
        return out
    policy = ctx.spec
    annotations = {k: v for k, v in pod.annotations.items() if isinstance(k, str) and isinstance(v, str)}
    uri = pod.source_uri
    uses_pvc = uri is not None and pvc_uri.is_pvc_uri(uri)

    if uses_pvc:
        change = read_only_change(pod.meta_path, annotations, policy, " on the pod")
        if change is not None:
            out.changes.append(change)
        if policy.readOnly != "preserve":
            annotations[injector.READONLY_ANNOTATION] = "true" if policy.readOnly else "false"

    # Repairs first, so that their ops address the entries as they are in the input. They are
    # made on a copy; the resource's own data is what they are compared with.
    repaired = plain_copy(dict(pod.spec))
    messages = _repair_file_mounts(res, pod, repaired, ctx, out)
    for op in diff_ops(pod.spec, repaired, pod.spec_path):
        out.changes.append(Change(op.path, get_path(res.data, op.path), op.value, messages[op.path], FILE_SUBPATH.id))

    if not uses_pvc or uri is None:
        return out
    plan = _plan(res, pod, uri, ctx, out)
    if plan is None:
        return out
    source_path = (*pod.meta_path, "annotations", injector.SOURCE_URI_ANNOTATION)
    if plan.new_uri is not None:
        out.changes.append(Change(source_path, uri, plan.new_uri, plan.message, plan.rule, original_uri=True))
    # Not asked of ctx.active: the injection's changes feed nothing else, and made here they are
    # dropped (rule off) or counted as suppressed (ignore annotation) like every other change.
    try:
        injected = injector.inject_pvc(
            repaired,
            annotations,
            mode=policy.mountMode,
            claim=plan.claim,
            path=plan.path,
            model_mount_path=policy.modelMountPath,
            initializer=injector.InitializerConfig(**policy.storageInitializer.model_dump()),
            file_mount=plan.file_mount,
        )
    except injector.InjectionError as err:
        out.findings.append(
            finding(
                res,
                "error",
                f"{err}: KServe's webhook rejects this pod; the container serving the model must be "
                f"named {injector.KSERVE_CONTAINER!r} (or {injector.WORKER_CONTAINER!r})",
                (*pod.spec_path, "containers"),
                rule=NO_CONTAINER.id,
            )
        )
        return out
    base = len(pod.spec_path)
    for op in diff_ops(repaired, injected, pod.spec_path):
        current = None if isinstance(op, Append) else get_path(res.data, op.path)
        message = _describe(op.path, op.value, injected, base, policy.mountMode)
        out.changes.append(Change(op.path, current, op.value, message, INJECTION.id, append=isinstance(op, Append)))
    return out
