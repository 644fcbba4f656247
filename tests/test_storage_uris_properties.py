"""Invariants of KServe's plural ``storageUris`` branch as modelled, and of the checks built on it."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krm_fn.injector import StorageUri, inject_pvc_storage_uris, volume_name_from_path
from krm_fn.pvc_uri import is_dns1123_label
from krm_fn.rules.storage_uris import common_parent, suggest_mount_path

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEGMENT = st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=8).filter(lambda s: s not in (".", ".."))
MOUNT = st.lists(SEGMENT, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
CLAIM = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
PATH = st.lists(SEGMENT, max_size=3).map("/".join)
ENTRY = st.builds(lambda c, p, m: StorageUri(f"pvc://{c}/{p}" if p else f"pvc://{c}", m), CLAIM, PATH, MOUNT)
POD = st.sampled_from(
    [
        {"containers": [{"name": "kserve-container"}]},
        {"containers": [{"name": "worker-container", "volumeMounts": [{"name": "x", "mountPath": "/x"}]}]},
        {"containers": [{"name": "kserve-container"}, {"name": "transformer-container"}]},
    ]
)


@SETTINGS
@given(POD, st.lists(ENTRY, max_size=5), st.booleans())
def test_plural_branch_mounts_each_first_volume_name_once_without_subpath(
    pod: dict[str, Any], entries: list[StorageUri], writable: bool
) -> None:
    annotations = {"storage.kserve.io/readonly": "false"} if writable else {}
    before = copy.deepcopy(pod)
    out = inject_pvc_storage_uris(pod, annotations, entries)
    assert pod == before, "the input is not modified"
    assert inject_pvc_storage_uris(out, annotations, entries) == out, "idempotent"
    first: dict[str, StorageUri] = {}
    for entry in entries:
        first.setdefault(volume_name_from_path(entry.mountPath), entry)
    volumes = out.get("volumes", [])
    assert [v["name"] for v in volumes] == list(first)
    for volume in volumes:
        assert volume["persistentVolumeClaim"]["claimName"] == first[volume["name"]].uri[len("pvc://") :].split("/")[0]
    for container in out["containers"]:
        if container["name"] == "kserve-container" or container["name"] == "worker-container":
            added = [m for m in container.get("volumeMounts", []) if m["name"] in first]
            assert [(m["name"], m["mountPath"]) for m in added] == [(n, e.mountPath) for n, e in first.items()]
            assert all("subPath" not in m for m in added), "the path after the claim is dropped"
            assert all(m.get("readOnly", False) is not writable for m in added)


@SETTINGS
@given(MOUNT)
def test_suggested_mount_path_gives_a_valid_volume_name(mount: str) -> None:
    name = volume_name_from_path(suggest_mount_path(mount))
    assert is_dns1123_label(name) or len(name) > 63


@SETTINGS
@given(st.lists(MOUNT, min_size=2, max_size=4))
def test_common_parent_is_a_parent_of_every_path(paths: list[str]) -> None:
    parent = common_parent(paths)
    assert parent.startswith("/")
    parts = [p for p in parent.split("/") if p]
    for path in paths:
        assert [p for p in path.split("/") if p][: len(parts)] == parts
