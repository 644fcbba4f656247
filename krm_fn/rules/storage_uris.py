"""InferenceService ``storageUris``: where KServe really mounts each ``pvc://`` entry (SPEC 2A).

``storageUris`` exists from KServe 0.16 (kserve/kserve#4702). The controller mounts its entries
with the plural branch of ``CommonStorageInitialization`` (``pkg/webhook/admission/pod/
storage_initializer_injector.go``, modelled by :func:`krm_fn.injector.inject_pvc_storage_uris`), and
``inference_service_validation.go`` checks them. What KServe lets through, and this rule reports
(``kserveVersion`` >= 0.16; every finding is an error, nothing is changed):

- ``storage-uris-path-dropped``: a ``pvc://<claim>/<path>`` entry is mounted with ``subPath: ""``, so the whole
  claim sits at ``mountPath`` and the model at ``<mountPath>/<path>``. With one entry at the
  default mount path the fix is ``storageUri`` with the model's directory (a file URI's model root:
  SPEC 2B item 10; the inferenceservice rule does not rewrite files in ``storageUris``), which keeps
  the path as ``subPath``; the proposed value is the claim root.
- ``storage-uris-volume-name``: the volume is named after ``mountPath`` (``GetVolumeNameFromPath``); a name that
  is not a DNS-1123 label (uppercase, ``_``, ``.``, more than 63 characters) makes the pod invalid.
  Fixed after v0.20.0 (kserve/kserve#6077), so only 0.16-0.20.
- ``storage-uris-download-volume``: a PVC entry mounted at the common parent of the non-PVC entries
  takes the download emptyDir's volume name (SPEC 2B item 7).
- ``canary-storage-uris``: canary predictors get no ``storageUris`` mounts (SPEC 2B item 1); their
  other checks are skipped, as KServe skips their validation.
- ``storage-uris-volume-collision``: a second PVC entry whose ``mountPath`` gives a volume
  name already used is silently not mounted; an equal ``mountPath`` is what KServe's "PVC storage
  paths must be unique" means to catch, but that check only runs with two or more non-PVC entries.
- ``storage-uris-common-parent``: two or more non-PVC entries whose mount paths share no parent but ``/``
  (KServe's own validation rejects them).
- ``storage-uris-empty-uri``: an entry without ``uri`` (KServe's "storage URI cannot be empty").
- ``storage-uris-multinode``: ``spec.predictor.workerSpec`` (multi-node) needs ``predictor.model.storageUri``
  (``pvc://`` or ``oci://``); ``storageUris`` is refused there.

Decisions taken where the specification leaves room:

* An unset or empty ``mountPath`` is KServe's CRD default ``/mnt/models``. Mount paths are compared
  as written (``/mnt/a/`` and ``/mnt/a`` are different paths that give the same volume name).
* Entries with a template placeholder are skipped (the ``inferenceservice`` rule reports them), as
  are entries whose ``mountPath`` KServe's validation already rejects (``inferenceservice`` reports
  those too).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from krm_fn import injector, kinds, pvc_uri, uris
from krm_fn.kserve_facts import Feature, holds
from krm_fn.ops import Path, format_path
from krm_fn.resource import Resource, mapping
from krm_fn.rulekit import Context, Outcome, RuleDoc, file_extensions, finding, path_type

KINDS = {kinds.ISVC}
MARKERS = {"InferenceService": ("storageUris",)}

PATH_DROPPED = RuleDoc(
    "storage-uris-path-dropped",
    "error",
    False,
    'A `pvc://<claim>/<path>` `storageUris` entry. KServe mounts it with `subPath: ""`: the whole claim is at '
    "`mountPath` and the files of `<path>` at `<mountPath>/<path>`. A file URI is not rewritten to its directory "
    "(that changes nothing KServe mounts); the proposed value is the claim root.",
    "One entry at the model directory: use `storageUri` with the model's directory (it keeps the path as "
    "`subPath`). Otherwise point the consumer at `<mountPath>/<path>`, or use a claim that holds the files at its "
    "root.",
    facts=(Feature.STORAGE_URIS_PATH_DROPPED,),
)
VOLUME_NAME = RuleDoc(
    "storage-uris-volume-name",
    "error",
    False,
    "A `storageUris` `mountPath` from which KServe derives a volume name that is not a DNS-1123 label (uppercase, "
    "`_`, `.`, more than 63 characters): the pod is rejected.",
    "Use a lowercase `mountPath` of letters, digits and `-` (the message proposes one).",
    facts=(Feature.STORAGE_URIS_VOLUME_NAME_RAW,),
)
VOLUME_COLLISION = RuleDoc(
    "storage-uris-volume-collision",
    "error",
    False,
    "A second PVC entry whose `mountPath` gives a volume name already used, or repeats a `mountPath`: it is not "
    'mounted at all (KServe\'s "PVC storage paths must be unique" only runs with two or more non-PVC entries).',
    "Give each PVC entry its own `mountPath`.",
    facts=(Feature.STORAGE_URIS,),
)
DOWNLOAD_VOLUME = RuleDoc(
    "storage-uris-download-volume",
    "error",
    False,
    "A PVC entry mounted at the common parent of the non-PVC entries. The download emptyDir takes the same volume "
    "name, so it is never made: the storage-initializer mounts the user's claim writable and downloads into it "
    "(or fails on a read-only claim).",
    "Mount the PVC entry elsewhere, or put the downloaded entries under another directory.",
    facts=(Feature.STORAGE_URIS_DOWNLOAD_VOLUME_SHARED,),
)
COMMON_PARENT = RuleDoc(
    "storage-uris-common-parent",
    "error",
    False,
    "Two or more non-PVC entries whose mount paths share no parent but `/`. KServe rejects the InferenceService.",
    "Put them under one directory such as `/mnt/models`.",
    facts=(Feature.STORAGE_URIS,),
)
EMPTY_URI = RuleDoc(
    "storage-uris-empty-uri",
    "error",
    False,
    'A `storageUris` entry without `uri`. KServe rejects the InferenceService ("storage URI cannot be empty").',
    "Give the entry a uri such as `pvc://<claim>`, or remove it.",
    facts=(Feature.STORAGE_URIS,),
)
MULTINODE = RuleDoc(
    "storage-uris-multinode",
    "error",
    False,
    "Multi-node (`predictor.workerSpec`) with `storageUris`. KServe needs `predictor.model.storageUri` with `pvc://` "
    "or `oci://` there and rejects the InferenceService.",
    "Move the model's URI to `spec.predictor.model.storageUri`.",
    facts=(Feature.STORAGE_URIS,),
)
CANARY = RuleDoc(
    "canary-storage-uris",
    "error",
    False,
    "A canary predictor (`spec.canary[*].predictor`) with `storageUris`. KServe builds canary Deployments without "
    "any `storageUris` mounts and does not validate them: with `storageUris` only, the canary starts with nothing "
    "at its mount paths (error); with `storageUri` too, only `storageUri` is served and the entries are not mounted "
    "(warning).",
    "Give the canary its model through `storageUri`.",
    facts=(Feature.CANARY_NO_STORAGE_URIS,),
)
RULE_DOCS = (PATH_DROPPED, VOLUME_NAME, VOLUME_COLLISION, DOWNLOAD_VOLUME, COMMON_PARENT, EMPTY_URI, MULTINODE, CANARY)


def common_parent(paths: list[str]) -> str:
    """KServe's ``FindCommonParentPath``: the common leading segments, ``/`` when there are none."""
    if not paths:
        return ""
    if len(paths) == 1:
        return paths[0]
    parts = [p.strip("/").split("/") if p.strip("/") else [] for p in paths]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/" + "/".join(common) if common else "/"


def suggest_mount_path(mount: str) -> str:
    """A mount path whose derived volume name is valid: lowercase, ``_`` and ``.`` as ``-``."""
    segments = [re.sub(r"[^a-z0-9-]+", "-", s.lower()).strip("-") or "x" for s in mount.strip("/").split("/")]
    return "/" + "/".join(segments)


def _entries(comp: Mapping[str, Any]) -> Iterator[tuple[int, str, str]]:
    """``(index, uri, mountPath)`` of each entry with a string URI; mountPath defaulted."""
    entries = comp.get("storageUris")
    for i, raw in enumerate(entries if isinstance(entries, list) else []):
        entry = mapping(raw)
        uri = entry.get("uri")
        if not isinstance(uri, str) or not uri:
            continue
        mount = entry.get("mountPath")
        yield i, uri, mount if isinstance(mount, str) and mount else injector.MODEL_DIR


def _valid_mount(mount: str) -> bool:
    return mount.startswith("/") and mount != "/" and ".." not in mount


def _empty_uris(res: Resource, base: Path, comp: Mapping[str, Any], out: Outcome) -> None:
    """KServe's ``validateStorageURISpec``: "storage URI cannot be empty"."""
    entries = comp.get("storageUris")
    for i, raw in enumerate(entries if isinstance(entries, list) else []):
        uri = mapping(raw).get("uri")
        if uri is None or uri == "":
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"{format_path(base)}.storageUris[{i}] has no uri: KServe rejects the InferenceService "
                    "('storage URI cannot be empty'); give the entry a uri such as pvc://<claim> or remove it",
                    (*base, "storageUris", i, "uri"),
                    uri,
                    rule=EMPTY_URI.id,
                )
            )


def _directory_uri(res: Resource, uri: str, framework: str | None, ctx: Context) -> str:
    """The ``storageUri`` that mounts the entry's model directory (a file URI becomes its model root)."""
    decision = uris.decide(
        uri,
        framework=framework,
        extensions=file_extensions(ctx.spec),
        path_type=path_type(res.annotations)[0],
        file_uris="directory",
        mount_mode="direct",
    )
    return decision.new_uri or uri


def _check_canary(res: Resource, base: Path, comp: Mapping[str, Any], out: Outcome) -> None:
    """``reconcileCanaryDeployments`` passes no storageUris: none of the entries is mounted (SPEC 2B item 1)."""
    entries = comp.get("storageUris")
    if not isinstance(entries, list) or not entries:
        return
    where = format_path(base)
    single = kinds.implementation_uri(base, comp)
    mounts = sorted({m for _, _, m in _entries(comp)})
    if single is None:
        message = (
            f"{where} takes its model from storageUris, but KServe builds canary Deployments without any storageUris "
            f"mounts: the canary starts with nothing at {', '.join(mounts) or injector.MODEL_DIR} (not mounted); give "
            f"the canary its model through {where}.model.storageUri"
        )
        severity: Any = "error"
    else:
        message = (
            f"{where} sets both {format_path(single)} and storageUris; KServe accepts this for a canary (canaries are "
            "not validated) but builds canary Deployments without storageUris mounts: only the storageUri is served, "
            "the storageUris entries are not mounted; remove them or move them into the storageUri"
        )
        severity = "warning"
    out.findings.append(finding(res, severity, message, (*base, "storageUris"), rule=CANARY.id))


def _check_component(res: Resource, base: Path, comp: Mapping[str, Any], ctx: Context, out: Outcome) -> None:
    if kinds.is_canary(base) and holds(ctx.spec, Feature.CANARY_NO_STORAGE_URIS):
        _check_canary(res, base, comp, out)
        return
    _empty_uris(res, base, comp, out)
    entries = [e for e in _entries(comp) if not pvc_uri.has_template(e[1]) and _valid_mount(e[2])]
    pvc = [e for e in entries if pvc_uri.is_pvc_uri(e[1])]
    others = [e for e in entries if not pvc_uri.is_pvc_uri(e[1])]
    where = format_path(base)
    names: dict[str, tuple[int, str]] = {}
    for i, uri, mount in pvc:
        field: Path = (*base, "storageUris", i, "uri")
        claim, raw_path = injector.split_pvc_uri(uri)
        path = "/".join(s for s in raw_path.split("/") if s not in ("", "."))
        if claim and path and holds(ctx.spec, Feature.STORAGE_URIS_PATH_DROPPED):
            single = len(entries) == 1 and mount.rstrip("/") == injector.MODEL_DIR
            framework = mapping(mapping(comp.get("model")).get("modelFormat")).get("name")
            directory = _directory_uri(res, uri, framework if isinstance(framework, str) else None, ctx)
            target = kinds.storage_uri_target(base, comp)
            fix = (
                f"write {target}: {directory!r} instead of storageUris (storageUri mounts "
                f"{injector.split_pvc_uri(directory)[1] or 'the claim root'!r} as subPath at {injector.MODEL_DIR})"
                if single
                else f"point the consumer at {mount.rstrip('/')}/{path}, or mount a claim that holds the files "
                f"at its root (pvc://{claim})"
            )
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"{where}.storageUris[{i}] {uri!r}: KServe mounts storageUris entries with an empty subPath, "
                    f"so the whole claim {claim!r} is at {mount!r} and the files of {path!r} are at "
                    f"{mount.rstrip('/')}/{path}, not at {mount!r}; {fix}",
                    field,
                    uri,
                    proposed=f"pvc://{claim}",
                    rule=PATH_DROPPED.id,
                )
            )
        name = injector.volume_name_from_path(mount)
        mount_field: Path = (*base, "storageUris", i, "mountPath")
        if holds(ctx.spec, Feature.STORAGE_URIS_VOLUME_NAME_RAW) and not pvc_uri.is_dns1123_label(name):
            better = suggest_mount_path(mount)
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"{where}.storageUris[{i}].mountPath {mount!r}: KServe names its volume {name!r}, which is not "
                    "a valid volume name (a DNS-1123 label: at most 63 lowercase letters, digits and '-'), so the "
                    f"pod is rejected; use a mountPath such as {better!r} (files then at {better})",
                    mount_field,
                    mount,
                    proposed=better,
                    rule=VOLUME_NAME.id,
                )
            )
        if name in names:
            j, other = names[name]
            same = other == mount
            what = (
                f"repeats the mountPath {mount!r} of {where}.storageUris[{j}]"
                if same
                else f"gives the volume name {name!r} that {where}.storageUris[{j}] (mountPath {other!r}) already uses"
            )
            skipped = (
                "; KServe's 'PVC storage paths must be unique' check only runs with two or more non-PVC entries"
                if same and len(others) < 2
                else ""
            )
            out.findings.append(
                finding(
                    res,
                    "error",
                    f"{where}.storageUris[{i}] {what}: KServe mounts only the first, so claim {claim!r} is not "
                    f"mounted at all{skipped}; give each PVC entry its own mountPath",
                    mount_field,
                    mount,
                    rule=VOLUME_COLLISION.id,
                )
            )
        else:
            names[name] = (i, mount)
    if len(others) >= 2 and common_parent([m for _, _, m in others]) == "/":
        i = others[-1][0]
        paths = [m for _, _, m in others]
        out.findings.append(
            finding(
                res,
                "error",
                f"{where}.storageUris: the mount paths {paths} of the non-PVC entries have no common parent but '/'; "
                "KServe downloads them into one shared volume at their common parent and rejects this; put them "
                "under one directory such as /mnt/models",
                (*base, "storageUris", i, "mountPath"),
                others[-1][2],
                rule=COMMON_PARENT.id,
            )
        )
    _check_download_volume(res, base=base, pvc=pvc, others=others, ctx=ctx, out=out)


def _check_download_volume(
    res: Resource,
    *,
    base: Path,
    pvc: list[tuple[int, str, str]],
    others: list[tuple[int, str, str]],
    ctx: Context,
    out: Outcome,
) -> None:
    """A PVC entry on the download volume's path takes its volume name (SPEC 2B item 7)."""
    if not others or not holds(ctx.spec, Feature.STORAGE_URIS_DOWNLOAD_VOLUME_SHARED):
        return
    parent = common_parent([m for _, _, m in others])
    if parent == "/":
        return  # rejected by KServe's validation (storage-uris-common-parent)
    download = injector.volume_name_from_path(parent)
    for i, uri, mount in pvc:
        if injector.volume_name_from_path(mount) != download:
            continue
        claim = injector.split_pvc_uri(uri)[0]
        out.findings.append(
            finding(
                res,
                "error",
                f"{format_path(base)}.storageUris[{i}] mounts claim {claim!r} at {mount!r}, the common parent of the "
                f"downloaded entries: both get the volume name {download!r}, so KServe never creates the download "
                f"emptyDir and the storage-initializer mounts claim {claim!r} writable and downloads into it (or "
                "fails on a read-only claim); mount the claim elsewhere or put the downloaded entries under another "
                "directory",
                (*base, "storageUris", i, "mountPath"),
                mount,
                rule=DOWNLOAD_VOLUME.id,
            )
        )


def _check_multinode(res: Resource, out: Outcome) -> None:
    predictor = mapping(mapping(res.data.get("spec")).get("predictor"))
    if "workerSpec" not in predictor or not isinstance(predictor.get("storageUris"), list):
        return
    model = predictor.get("model")
    if not isinstance(model, Mapping) or "storageUri" in model:
        return  # "storageUri and storageUris" is the inferenceservice rule's error
    first = next((uri for _, uri, _ in _entries(predictor)), None)
    out.findings.append(
        finding(
            res,
            "error",
            "spec.predictor.workerSpec (multi-node) needs spec.predictor.model.storageUri with a pvc:// or oci:// "
            "URI; KServe refuses storageUris there. Move the model's URI to spec.predictor.model.storageUri"
            + (f": storageUri: {first!r} (mounted at {injector.MODEL_DIR}, its path as subPath)" if first else ""),
            ("spec", "predictor", "storageUris"),
            first,
            rule=MULTINODE.id,
        )
    )


def check(res: Resource, ctx: Context) -> Outcome:
    """Report what KServe does with the ``storageUris`` entries of one InferenceService."""
    out = Outcome()
    if not holds(ctx.spec, Feature.STORAGE_URIS):
        return out
    for base, comp in kinds.components(mapping(res.data.get("spec"))):
        _check_component(res, base, comp, ctx, out)
    _check_multinode(res, out)
    return out
