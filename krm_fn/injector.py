"""KServe's pod-webhook PVC injection, reproduced as a pure function on plain dicts.

KServe's pod mutating webhook (``pkg/webhook/admission/pod/storage_initializer_injector.go``)
rewrites every pod that carries the annotation
``internal.serving.kserve.io/storage-initializer-sourceuri``.  For a ``pvc://<claim>/<path>`` source
it does one of two things, and :func:`inject_pvc` produces the same pod spec at render time:

``mode="direct"`` -- the PVC is mounted straight into the model container.
    Behaviour of KServe v0.20.0 (``CommonStorageInitialization`` + ``utils.AddModelMount``, the
    per-container de-duplication that came in after v0.15).  From v0.16 on this is the only mode.
    Per target container (``kserve-container``, else ``worker-container``; then
    ``transformer-container`` if present) a mount
    ``{name: kserve-pvc-source, readOnly: <flag>, mountPath: /mnt/models, subPath: <path>}`` is
    appended unless a mount *named* ``kserve-pvc-source`` is already there; the volume
    ``{name: kserve-pvc-source, persistentVolumeClaim: {claimName: <claim>}}`` is appended when a
    mount was added and no volume of that name exists yet.  No init container, no emptyDir.

``mode="copy"`` -- ``enableDirectPvcVolumeMount: false``, KServe <= 0.15.
    Behaviour of KServe v0.15.2, the last release that has it (``enableDirectPvcVolumeMount`` was
    removed by kserve/kserve#4694 in v0.16.0).  The
    user container (and transformer) get the PVC at ``/mnt/pvc`` (no subPath) and then the emptyDir
    ``kserve-provision-location`` at ``/mnt/models``; volumes ``kserve-pvc-source`` then
    ``kserve-provision-location`` are appended; the init container ``storage-initializer`` copies
    ``/mnt/pvc/<path>`` to ``/mnt/models``.  Nothing is de-duplicated: copy mode is only guarded by
    the "storage-initializer already present" check, which also makes it idempotent.

Both revisions:

* a pod whose ``initContainers`` already hold ``storage-initializer`` is returned unchanged, and so
  is a pod annotated ``internal.serving.kserve.io/agent`` (the model agent pulls models instead);
  both checks come before the container lookup, so such a pod never raises;
* mounts are read-only unless the annotation ``storage.kserve.io/readonly`` is exactly ``"false"``;
* no ``kserve-container`` and no ``worker-container`` is the only user error
  (:class:`InjectionError`);
* every ``STORAGE_URI`` env entry of the user container with a non-empty ``value`` becomes the
  model directory; the transformer's env is not touched.

Known differences between v0.15.2 and v0.20.0 that this module resolves one way (see
``tests/data/kserve_injector`` for the captured KServe test cases of both tags):

* direct mode in <= 0.15 returned early, without the env rewrite and without the volume, when a
  target container already had a ``kserve-pvc-source`` mount, and appended the volume without
  checking for an existing one; :func:`inject_pvc` follows the current code in direct mode;
* the error text is ``"Invalid configuration: cannot find container: kserve-container"`` in
  <= 0.15 and ``"Invalid configuration: cannot find container"`` now; copy mode raises the former,
  direct mode the latter (both start with :data:`CANNOT_FIND_CONTAINER`).

``storageUris`` (KServe >= 0.16, the plural branch of ``CommonStorageInitialization`` at v0.20.0,
used by the InferenceService controller, never by the pod webhook): :func:`inject_pvc_storage_uris`.
Each ``pvc://`` entry is mounted in the user container (and transformer) at its ``mountPath``
with ``subPath: ""`` -- the path after the claim is dropped -- under the volume name
:func:`volume_name_from_path` derives from the ``mountPath``; the same per-container
de-duplication by volume name as direct mode applies, so a second entry whose ``mountPath`` gives
the same volume name is silently skipped. The ``STORAGE_URI`` env is not rewritten on this branch.

Not modelled, because they need cluster state a renderer does not have: service-account and
storage-spec credentials, the CA-bundle ConfigMap mount, ``ClusterStorageContainer`` overrides,
Istio CNI UIDs and the LocalModel label rewrite.  Resource quantities are copied as given; KServe
re-serializes them in canonical form (``"0.5"`` becomes ``"500m"``).

Key order: objects this module creates use the JSON field order of the Go structs
(``corev1.VolumeMount``: name, readOnly, mountPath, subPath; ``corev1.Container``: name, image,
args, resources, volumeMounts, terminationMessagePolicy), and zero values are omitted as Go's
``omitempty`` would (``readOnly: false``, ``subPath: ""``).  A key missing from an existing object
(``volumes`` in the pod spec, ``volumeMounts`` in a container) is appended after its keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from krm_fn.kserve_facts import NEWEST_TEXT
from krm_fn.ops import plain_copy
from krm_fn.pvc_uri import PVC_URI_PREFIX  # KServe's constants.PvcURIPrefix

__all__ = [
    "AGENT_ANNOTATION",
    "CANNOT_FIND_CONTAINER",
    "EMPTYDIR_VOLUME_NAME",
    "INITIALIZER_CPU_LIMIT",
    "INITIALIZER_CPU_REQUEST",
    "INITIALIZER_IMAGE",
    "INITIALIZER_MEMORY_LIMIT",
    "INITIALIZER_MEMORY_REQUEST",
    "INITIALIZER_NAME",
    "KSERVE_CONTAINER",
    "MODEL_DIR",
    "NEWEST_KSERVE_VERSION",
    "PVC_MOUNT_PATH",
    "PVC_URI_PREFIX",
    "PVC_VOLUME_NAME",
    "READONLY_ANNOTATION",
    "SOURCE_URI_ANNOTATION",
    "STORAGE_URI_ENV",
    "TERMINATION_MESSAGE_POLICY",
    "TRANSFORMER_CONTAINER",
    "WORKER_CONTAINER",
    "InitializerConfig",
    "InjectionError",
    "InjectionMode",
    "StorageUri",
    "inject_pvc",
    "inject_pvc_storage_uris",
    "is_read_only",
    "split_pvc_uri",
    "volume_name_from_path",
]

#: The newest KServe release whose behaviour this module and the rules know (``spec.kserveVersion``).
NEWEST_KSERVE_VERSION = NEWEST_TEXT

#: Name of the PVC volume and of its mounts (``constants.PvcSourceMountName``).
PVC_VOLUME_NAME = "kserve-pvc-source"
#: Name of the emptyDir the storage initializer fills in copy mode
#: (``constants.StorageInitializerVolumeName``).
EMPTYDIR_VOLUME_NAME = "kserve-provision-location"
#: Model directory of the serving containers (``constants.DefaultModelLocalMountPath``).
MODEL_DIR = "/mnt/models"
#: Where copy mode mounts the PVC (``PvcSourceMountPath`` in the pod webhook).
PVC_MOUNT_PATH = "/mnt/pvc"
#: Name of the init container (``constants.StorageInitializerContainerName``).
INITIALIZER_NAME = "storage-initializer"
#: Default storage-initializer image (``StorageInitializerContainerImage:...ImageVersion``).
INITIALIZER_IMAGE = "kserve/storage-initializer:latest"
#: Defaults of the ``storageInitializer`` entry of KServe's ``inferenceservice-config``.
INITIALIZER_CPU_REQUEST = "100m"
INITIALIZER_CPU_LIMIT = "1"
INITIALIZER_MEMORY_REQUEST = "100Mi"
INITIALIZER_MEMORY_LIMIT = "1Gi"
#: ``corev1.TerminationMessageFallbackToLogsOnError``, set on the init container.
TERMINATION_MESSAGE_POLICY = "FallbackToLogsOnError"
#: Pod annotation carrying the storage URI
#: (``constants.StorageInitializerSourceUriInternalAnnotationKey``).
SOURCE_URI_ANNOTATION = "internal.serving.kserve.io/storage-initializer-sourceuri"
#: Pod annotation: mounts are read-only unless it is exactly ``"false"``
#: (``constants.StorageReadonlyAnnotationKey``).
READONLY_ANNOTATION = "storage.kserve.io/readonly"
#: Pod annotation that makes the webhook skip storage injection
#: (``constants.AgentShouldInjectAnnotationKey``).
AGENT_ANNOTATION = "internal.serving.kserve.io/agent"
#: Container names (``constants.InferenceServiceContainerName`` and friends).
KSERVE_CONTAINER = "kserve-container"
TRANSFORMER_CONTAINER = "transformer-container"
WORKER_CONTAINER = "worker-container"
#: Env var of the user container rewritten to the model directory
#: (``constants.CustomSpecStorageUriEnvVarKey``).
STORAGE_URI_ENV = "STORAGE_URI"
#: Start of KServe's error when neither ``kserve-container`` nor ``worker-container`` exists.
CANNOT_FIND_CONTAINER = "Invalid configuration: cannot find container"

#: ``"direct"``: the PVC is mounted at the model directory; ``"copy"``: an init container copies it.
InjectionMode = Literal["direct", "copy"]


@dataclass(frozen=True)
class InitializerConfig:
    """The parts of KServe's ``storageInitializer`` config that shape the copy-mode init container.

    Field names are KServe's JSON names; the defaults are KServe's. An empty ``image`` means the
    default image, as in KServe.
    """

    image: str = INITIALIZER_IMAGE
    cpuRequest: str = INITIALIZER_CPU_REQUEST
    cpuLimit: str = INITIALIZER_CPU_LIMIT
    memoryRequest: str = INITIALIZER_MEMORY_REQUEST
    memoryLimit: str = INITIALIZER_MEMORY_LIMIT


class InjectionError(Exception):
    """The pod has neither ``kserve-container`` nor ``worker-container``; KServe rejects it.

    ``str(error)`` is KServe's message, which starts with :data:`CANNOT_FIND_CONTAINER`.
    """


def split_pvc_uri(uri: str) -> tuple[str, str]:
    """Split a ``pvc://`` URI into ``(claim, path)`` exactly as KServe's ``ParsePvcURI`` does.

    The prefix is stripped, the first ``/``-separated segment is the claim and the rest, joined by
    ``/``, is the path. Nothing is cleaned: ``pvc://c`` and ``pvc://c/`` give ``("c", "")``,
    ``pvc://c//a`` gives ``("c", "/a")`` and ``pvc://c/a/`` gives ``("c", "a/")``.
    """
    rest = uri[len(PVC_URI_PREFIX) :] if uri.startswith(PVC_URI_PREFIX) else uri
    claim, _, path = rest.partition("/")
    return claim, path


def is_read_only(annotations: Mapping[str, str]) -> bool:
    """KServe's read-only flag: ``True`` unless ``storage.kserve.io/readonly`` is ``"false"``."""
    return annotations.get(READONLY_ANNOTATION) != "false"


def _copy_unless_skipped(pod_spec: Mapping[str, Any], annotations: Mapping[str, str]) -> tuple[dict[str, Any], bool]:
    """A deep copy of ``pod_spec``, and whether KServe's webhook leaves the pod alone.

    It does for a pod with the agent annotation, and for one that already has a
    ``storage-initializer`` init container (a rendered copy mode, or an earlier injection).
    """
    copied = plain_copy(pod_spec)
    spec: dict[str, Any] = copied if isinstance(copied, dict) else dict(copied)
    skip = AGENT_ANNOTATION in annotations or any(
        _name_of(c) == INITIALIZER_NAME for c in _items(spec.get("initContainers"))
    )
    return spec, skip


def inject_pvc(
    pod_spec: Mapping[str, Any],
    annotations: Mapping[str, str],
    *,
    mode: InjectionMode,
    claim: str,
    path: str,
    model_mount_path: str = MODEL_DIR,
    initializer: InitializerConfig = InitializerConfig(),
    file_mount: str | None = None,
) -> dict[str, Any]:
    """Return a new pod spec equal to what KServe's pod webhook makes of ``pod_spec`` for a PVC.

    ``pod_spec`` is a ``corev1.PodSpec`` as plain data and is not modified; the result is a deep
    copy with the injection applied (see the module docstring for the exact rules of each mode).
    ``annotations`` are the pod's annotations; they decide the read-only flag and the agent skip.
    ``claim`` and ``path`` are the parts of the source URI (see :func:`split_pvc_uri`); the caller
    may have normalized them. ``model_mount_path`` replaces KServe's fixed ``/mnt/models``.

    ``file_mount`` is a file name for ``fileUris: file-mount`` (direct mode only): the mount then
    goes to ``<model_mount_path>/<file_mount>`` with ``subPath: <path>`` so that the model
    directory holds exactly that file. ``None`` means KServe's own behaviour.

    The function is idempotent: applied to its own output it returns an equal spec.

    Raises:
        InjectionError: neither ``kserve-container`` nor ``worker-container`` exists.
        ValueError: ``mode`` is unknown, or ``file_mount`` is given in copy mode.
    """
    if mode not in ("direct", "copy"):
        raise ValueError(f"unknown injection mode {mode!r}; expected 'direct' or 'copy'")
    if file_mount is not None and mode != "direct":
        raise ValueError("file_mount only applies to direct mode")

    spec, skip = _copy_unless_skipped(pod_spec, annotations)
    if skip:
        return spec

    containers = _items(spec.get("containers"))
    user = _first_named(containers, KSERVE_CONTAINER) or _first_named(containers, WORKER_CONTAINER)
    if user is None:
        if mode == "copy":
            raise InjectionError(f"{CANNOT_FIND_CONTAINER}: {KSERVE_CONTAINER}")
        raise InjectionError(CANNOT_FIND_CONTAINER)
    transformer = _first_named(containers, TRANSFORMER_CONTAINER)
    targets = [user] if transformer is None else [user, transformer]
    read_only = is_read_only(annotations)

    if mode == "direct":
        mount_path = model_mount_path
        if file_mount is not None:
            mount_path = f"{model_mount_path.rstrip('/')}/{file_mount}"
        _inject_direct(spec, targets, claim=claim, path=path, mount_path=mount_path, read_only=read_only)
    else:
        _inject_copy(
            spec,
            targets,
            claim=claim,
            path=path,
            model_dir=model_mount_path,
            read_only=read_only,
            initializer=initializer,
        )

    for env in _items(user.get("env")):
        if env.get("name") == STORAGE_URI_ENV and env.get("value") not in (None, ""):
            env["value"] = model_mount_path
    return spec


@dataclass(frozen=True)
class StorageUri:
    """One ``storageUris`` entry (``v1beta1.StorageUri``): a source URI and where it is mounted."""

    uri: str
    mountPath: str = MODEL_DIR


def volume_name_from_path(path: str) -> str:
    """KServe's ``GetVolumeNameFromPath``: ``/`` trimmed at both ends, inner ``/`` turned into ``-``.

    Nothing else is done (until kserve/kserve#6077, after v0.20.0): ``/mnt/Models_v1.2`` gives
    ``mnt-Models_v1.2``, which is not a valid volume name.
    """
    return path.strip("/").replace("/", "-")


def inject_pvc_storage_uris(
    pod_spec: Mapping[str, Any],
    annotations: Mapping[str, str],
    entries: Sequence[StorageUri],
) -> dict[str, Any]:
    """Return a new pod spec with the ``pvc://`` entries of ``storageUris`` mounted as KServe does.

    The plural branch of ``CommonStorageInitialization`` (v0.16.0-v0.20.0): for each ``pvc://``
    entry, in order, and each target container (``kserve-container`` else ``worker-container``,
    then ``transformer-container``), ``utils.AddModelMount`` with the volume name
    :func:`volume_name_from_path` of the entry's ``mountPath``, ``subPath: ""`` and the read-only
    flag. Entries of other schemes are downloaded by the storage initializer and are not modelled
    here (they are skipped). ``pod_spec`` is not modified.

    Raises:
        InjectionError: neither ``kserve-container`` nor ``worker-container`` exists.
    """
    spec, skip = _copy_unless_skipped(pod_spec, annotations)
    if skip or not entries:
        return spec
    containers = _items(spec.get("containers"))
    user = _first_named(containers, KSERVE_CONTAINER) or _first_named(containers, WORKER_CONTAINER)
    if user is None:
        raise InjectionError(CANNOT_FIND_CONTAINER)
    transformer = _first_named(containers, TRANSFORMER_CONTAINER)
    targets = [user] if transformer is None else [user, transformer]
    read_only = is_read_only(annotations)
    for entry in entries:
        if not entry.uri.startswith(PVC_URI_PREFIX):
            continue
        claim, _ = split_pvc_uri(entry.uri)
        name = volume_name_from_path(entry.mountPath)
        for container in targets:
            # The plural branch passes SubPath "" whatever the URI's path is.
            if _add_mount_if_absent(container, _mount(name, entry.mountPath, "", read_only)) and not any(
                _name_of(v) == name for v in _items(spec.get("volumes"))
            ):
                _list_field(spec, "volumes").append({"name": name, "persistentVolumeClaim": {"claimName": claim}})
    return spec


def _inject_direct(
    spec: dict[str, Any],
    targets: list[dict[str, Any]],
    *,
    claim: str,
    path: str,
    mount_path: str,
    read_only: bool,
) -> None:
    """Current KServe: ``utils.AddModelMount`` for each target container, in order."""
    for container in targets:
        mount = _mount(PVC_VOLUME_NAME, mount_path, path, read_only)
        added = _add_mount_if_absent(container, mount)
        if not added:
            # AddModelMount falls back to an *init* container of the same name, mounted writable.
            init = _first_named(_items(spec.get("initContainers")), _name_of(container))
            if init is not None:
                added = _add_mount_if_absent(init, _mount(PVC_VOLUME_NAME, mount_path, path, False))
        if added and not any(_name_of(v) == PVC_VOLUME_NAME for v in _items(spec.get("volumes"))):
            _list_field(spec, "volumes").append(_pvc_volume(claim))


def _inject_copy(
    spec: dict[str, Any],
    targets: list[dict[str, Any]],
    *,
    claim: str,
    path: str,
    model_dir: str,
    read_only: bool,
    initializer: InitializerConfig,
) -> None:
    """KServe <= 0.15 with ``enableDirectPvcVolumeMount: false``; appends without de-duplication."""
    for container in targets:
        _list_field(container, "volumeMounts").append(_mount(PVC_VOLUME_NAME, PVC_MOUNT_PATH, "", read_only))
    init_container: dict[str, Any] = {
        "name": INITIALIZER_NAME,
        "image": initializer.image or INITIALIZER_IMAGE,
        "args": [f"{PVC_MOUNT_PATH}/{path}", model_dir],
        "resources": {
            "limits": {"cpu": initializer.cpuLimit, "memory": initializer.memoryLimit},
            "requests": {"cpu": initializer.cpuRequest, "memory": initializer.memoryRequest},
        },
        "volumeMounts": [
            _mount(PVC_VOLUME_NAME, PVC_MOUNT_PATH, "", read_only),
            _mount(EMPTYDIR_VOLUME_NAME, model_dir, "", False),
        ],
        "terminationMessagePolicy": TERMINATION_MESSAGE_POLICY,
    }
    for container in targets:
        _list_field(container, "volumeMounts").append(_mount(EMPTYDIR_VOLUME_NAME, model_dir, "", read_only))
    volumes = _list_field(spec, "volumes")
    volumes.append(_pvc_volume(claim))
    volumes.append({"name": EMPTYDIR_VOLUME_NAME, "emptyDir": {}})
    _list_field(spec, "initContainers").append(init_container)


def _mount(name: str, mount_path: str, sub_path: str, read_only: bool) -> dict[str, Any]:
    """A new ``corev1.VolumeMount`` in Go field order, zero values omitted."""
    mount: dict[str, Any] = {"name": name}
    if read_only:
        mount["readOnly"] = True
    mount["mountPath"] = mount_path
    if sub_path:
        mount["subPath"] = sub_path
    return mount


def _pvc_volume(claim: str) -> dict[str, Any]:
    """A new ``corev1.Volume`` for the claim (``claimName`` has no omitempty in Go)."""
    return {"name": PVC_VOLUME_NAME, "persistentVolumeClaim": {"claimName": claim}}


def _add_mount_if_absent(container: dict[str, Any], mount: dict[str, Any]) -> bool:
    """Append ``mount`` unless a mount of the same name exists; report whether it was appended."""
    if any(_name_of(m) == mount["name"] for m in _items(container.get("volumeMounts"))):
        return False
    _list_field(container, "volumeMounts").append(mount)
    return True


def _items(value: Any) -> list[dict[str, Any]]:
    """The mapping entries of a list field; a missing or null field has none."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _list_field(obj: dict[str, Any], key: str) -> list[Any]:
    """The list at ``obj[key]``, created (appended after the existing keys) if missing or null."""
    value = obj.get(key)
    if not isinstance(value, list):
        value = []
        obj[key] = value
    return value


def _name_of(obj: Mapping[str, Any]) -> Any:
    """The ``name`` field of a container, volume or mount."""
    return obj.get("name")


def _first_named(objs: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The first object with that name, like KServe's ``GetContainerWithName``."""
    return next((obj for obj in objs if _name_of(obj) == name), None)
