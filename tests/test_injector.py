"""Tests of krm_fn.injector against KServe's own pod-webhook unit tests, captured as data.

``tests/data/kserve_injector/kserve-<tag>/<GoTest>--<case>.yaml`` holds every PVC case of
``storage_initializer_injector_test.go`` at two kserve/kserve tags: ``v0.15.2`` (the last release
with copy mode) and ``v0.20.0`` (direct mode only, plus the plural ``storageUris`` branch of
``CommonStorageInitialization``). Each file names its tag, commit, Go test and case, and has
``expected`` (the webhook's pod spec), ``error`` (a prefix of the webhook's error),
``expected_env`` (the Go test only checks the ``STORAGE_URI`` env entry) or
``expected_assertions`` (the plural cases: exactly what the Go test asserts).
``inventory.yaml`` lists every pvc:// case of both tags: captured, or not applicable with the reason.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kserve_cases import (
    ALL_CASE_FILES,
    CASE_FILES,
    CASE_IDS,
    DATA_DIR,
    INVENTORY,
    PLURAL_CASE_FILES,
    PLURAL_CASE_IDS,
    load_case,
    omit_zero,
    storage_uri_env,
)

from krm_fn.injector import (
    AGENT_ANNOTATION,
    CANNOT_FIND_CONTAINER,
    INITIALIZER_IMAGE,
    PVC_VOLUME_NAME,
    READONLY_ANNOTATION,
    SOURCE_URI_ANNOTATION,
    InitializerConfig,
    InjectionError,
    StorageUri,
    inject_pvc,
    inject_pvc_storage_uris,
    is_read_only,
    split_pvc_uri,
    volume_name_from_path,
)


def run_case(case: dict[str, Any], pod_spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """Inject the case's source URI into ``pod_spec`` (default: the case's input)."""
    annotations: dict[str, str] = case["annotations"]
    claim, path = split_pvc_uri(annotations[SOURCE_URI_ANNOTATION])
    return inject_pvc(
        case["input"] if pod_spec is None else pod_spec,
        annotations,
        mode=case["mode"],
        claim=claim,
        path=path,
        initializer=InitializerConfig(**case.get("initializer", {})),
    )


def key_layout(value: Any) -> Any:
    """The keys of every mapping, in order, keeping the nesting (values dropped)."""
    if isinstance(value, dict):
        return [(k, key_layout(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [key_layout(item) for item in value]
    return None


def walk(value: Any) -> Iterator[Any]:
    """Every mapping and list inside ``value``, ``value`` included."""
    if isinstance(value, dict | list):
        yield value
        for item in value.values() if isinstance(value, dict) else value:
            yield from walk(item)


def test_both_tags_captured() -> None:
    tags = {path.parent.name for path in ALL_CASE_FILES}
    assert tags == {"kserve-v0.15.2", "kserve-v0.20.0"}
    assert len(CASE_FILES) == 24
    assert len(PLURAL_CASE_FILES) == 1


def _inventory() -> dict[str, Any]:
    data = yaml.safe_load(INVENTORY.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_inventory_accounts_for_every_case_file() -> None:
    """Every case file is in the inventory as captured, and every captured entry exists."""
    inventory = _inventory()
    captured = {c["file"] for c in inventory["cases"] if c["status"] == "captured"}
    files = {str(p.relative_to(DATA_DIR)) for p in ALL_CASE_FILES}
    assert files <= captured
    root = DATA_DIR.parents[2]
    for entry in captured - files:
        path, _, test = entry.partition("::")
        target = root / path
        assert target.exists(), entry
        if test:
            assert f"def {test}(" in target.read_text(encoding="utf-8"), entry


def test_inventory_gives_a_reason_for_every_case_not_captured() -> None:
    inventory = _inventory()
    assert set(inventory["tags"]) == {"v0.15.2", "v0.20.0"}
    for entry in inventory["cases"]:
        assert entry["tag"] in inventory["tags"]
        assert entry["status"] in ("captured", "not-applicable"), entry
        if entry["status"] == "not-applicable":
            assert len(entry["reason"]) > 40, entry
        else:
            assert entry["file"], entry


@pytest.mark.parametrize("path", ALL_CASE_FILES, ids=[str(p.relative_to(DATA_DIR)) for p in ALL_CASE_FILES])
def test_case_file_shape(path: Path) -> None:
    case = load_case(path)
    tag = path.parent.name.removeprefix("kserve-")
    assert case["source"].startswith("kserve/kserve pkg/webhook/admission/pod/")
    assert f" @ {tag} (" in case["source"]
    assert ", test Test" in case["source"]
    assert " / case " in case["source"]
    assert case["mode"] in ("direct", "copy")
    if "storage_uris" in case:
        assert list(case)
        assert "expected_assertions" in case
        return
    assert case["annotations"][SOURCE_URI_ANNOTATION].startswith("pvc://")
    assert sum(key in case for key in ("expected", "error", "expected_env")) == 1


def run_plural(case: dict[str, Any]) -> dict[str, Any]:
    entries = [StorageUri(**entry) for entry in case["storage_uris"]]
    return inject_pvc_storage_uris(case["input"], case["annotations"], entries)


@pytest.mark.parametrize("path", PLURAL_CASE_FILES, ids=PLURAL_CASE_IDS)
def test_plural_branch_matches_kserve(path: Path) -> None:
    """What ``TestCommonStorageInitialization`` asserts, on :func:`inject_pvc_storage_uris`."""
    case = load_case(path)
    want = case["expected_assertions"]
    got = run_plural(case)
    assert len(got.get("initContainers") or []) == want["init_containers"]
    assert len(got.get("volumes") or []) == want["volume_count"]
    mounts = got["containers"][0].get("volumeMounts") or []
    assert [m["mountPath"] for m in mounts] == want["mount_paths"]
    assert all(bool(m.get("readOnly")) is want["read_only"] for m in mounts)
    assert all("subPath" not in m for m in mounts), "the plural branch drops the path after the claim"
    assert got["containers"][0]["env"] == case["input"]["containers"][0]["env"], "no env rewrite on this branch"
    assert run_plural({**case, "input": got}) == got


def test_plural_branch_drops_the_path_and_the_colliding_entry() -> None:
    spec = {"containers": [{"name": "kserve-container"}, {"name": "transformer-container"}]}
    entries = [
        StorageUri("pvc://a/models/llama", "/mnt/models"),
        StorageUri("s3://bucket/x", "/mnt/s3"),
        StorageUri("pvc://b/other", "/mnt/models/"),  # same volume name: silently not mounted
    ]
    out = inject_pvc_storage_uris(spec, {}, entries)
    assert out["volumes"] == [{"name": "mnt-models", "persistentVolumeClaim": {"claimName": "a"}}]
    for container in out["containers"]:
        assert container["volumeMounts"] == [{"name": "mnt-models", "readOnly": True, "mountPath": "/mnt/models"}]
    with pytest.raises(InjectionError, match=f"^{CANNOT_FIND_CONTAINER}$"):
        inject_pvc_storage_uris({"containers": [{"name": "x"}]}, {}, entries)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/", ""),  # KServe's TestGetVolumeNameFromPath, v0.20.0: RootPath
        ("/mnt/models", "mnt-models"),  # SimplePath
        ("/mnt/models/subdir", "mnt-models-subdir"),  # NestedPath
        ("/mnt/models/", "mnt-models"),  # PathWithTrailingSlash
        ("/mnt/Models_v1.2", "mnt-Models_v1.2"),  # not sanitized before #6077
    ],
)
def test_volume_name_from_path(path: str, name: str) -> None:
    assert volume_name_from_path(path) == name


@pytest.mark.parametrize("path", CASE_FILES, ids=CASE_IDS)
def test_matches_kserve(path: Path) -> None:
    case = load_case(path)
    if "error" in case:
        with pytest.raises(InjectionError) as caught:
            run_case(case)
        assert str(caught.value).startswith(case["error"])
    elif "expected_env" in case:
        assert omit_zero(storage_uri_env(run_case(case))) == omit_zero(case["expected_env"])
    else:
        assert omit_zero(run_case(case)) == omit_zero(case["expected"])


# Only the cases whose Go test gives a whole pod spec; env-only and error cases are covered above.
FULL_SPEC = [(p, i) for p, i in zip(CASE_FILES, CASE_IDS, strict=True) if "expected" in load_case(p)]
INJECTED = [(p, i) for p, i in zip(CASE_FILES, CASE_IDS, strict=True) if "error" not in load_case(p)]


@pytest.mark.parametrize("path", [p for p, _ in FULL_SPEC], ids=[i for _, i in FULL_SPEC])
def test_new_objects_in_go_field_order(path: Path) -> None:
    case = load_case(path)
    got, want = run_case(case), case["expected"]
    for field in ("volumes", "initContainers"):
        assert key_layout(got.get(field)) == key_layout(want.get(field))
    for got_container, want_container in zip(got["containers"], want["containers"], strict=True):
        assert key_layout(got_container.get("volumeMounts")) == key_layout(want_container.get("volumeMounts"))


@pytest.mark.parametrize("path", [p for p, _ in INJECTED], ids=[i for _, i in INJECTED])
def test_idempotent(path: Path) -> None:
    case = load_case(path)
    once = run_case(case)
    assert run_case(case, once) == once


@pytest.mark.parametrize("path", CASE_FILES, ids=CASE_IDS)
def test_input_untouched_and_unshared(path: Path) -> None:
    case = load_case(path)
    before = copy.deepcopy(case["input"])
    try:
        out = run_case(case)
    except InjectionError:
        out = {}
    assert case["input"] == before
    input_ids = {id(obj) for obj in walk(case["input"])}
    out_ids = [id(obj) for obj in walk(out)]
    assert not input_ids & set(out_ids), "output shares objects with the input"
    assert len(out_ids) == len(set(out_ids)), "an object appears twice (a YAML alias)"


def kserve_pod(**extra: Any) -> dict[str, Any]:
    """A pod spec with one ``kserve-container``."""
    return {"containers": [{"name": "kserve-container", **extra}]}


SOURCE = {SOURCE_URI_ANNOTATION: "pvc://claim/models/iris"}


@pytest.mark.parametrize("mode", ["direct", "copy"])
def test_existing_storage_initializer_left_alone(mode: str) -> None:
    spec = {"containers": [{"name": "other"}], "initContainers": [{"name": "storage-initializer"}]}
    out = inject_pvc(spec, SOURCE, mode=mode, claim="claim", path="models")  # type: ignore[arg-type]
    assert out == spec
    assert out is not spec


def test_agent_annotation_skips_injection() -> None:
    annotations = {**SOURCE, AGENT_ANNOTATION: "true"}
    out = inject_pvc(kserve_pod(), annotations, mode="direct", claim="claim", path="models")
    assert out == kserve_pod()


def test_error_messages_per_revision() -> None:
    spec = {"containers": [{"name": "other"}]}
    with pytest.raises(InjectionError, match=f"^{CANNOT_FIND_CONTAINER}$"):
        inject_pvc(spec, SOURCE, mode="direct", claim="c", path="p")
    with pytest.raises(InjectionError, match=f"^{CANNOT_FIND_CONTAINER}: kserve-container$"):
        inject_pvc(spec, SOURCE, mode="copy", claim="c", path="p")


def test_worker_container_is_the_fallback() -> None:
    spec = {"containers": [{"name": "sidecar"}, {"name": "worker-container"}]}
    out = inject_pvc(spec, SOURCE, mode="direct", claim="claim", path="models/iris")
    assert "volumeMounts" not in out["containers"][0]
    assert out["containers"][1]["volumeMounts"] == [
        {
            "name": PVC_VOLUME_NAME,
            "readOnly": True,
            "mountPath": "/mnt/models",
            "subPath": "models/iris",
        }
    ]


def test_kserve_container_wins_over_worker() -> None:
    spec = {"containers": [{"name": "worker-container"}, {"name": "kserve-container"}]}
    out = inject_pvc(spec, SOURCE, mode="direct", claim="claim", path="m")
    assert "volumeMounts" not in out["containers"][0]
    assert out["containers"][1]["volumeMounts"][0]["name"] == PVC_VOLUME_NAME


def test_direct_existing_mount_and_volume_not_duplicated() -> None:
    mount = {"name": PVC_VOLUME_NAME, "mountPath": "/elsewhere"}
    spec = kserve_pod(volumeMounts=[mount], env=[{"name": "STORAGE_URI", "value": "pvc://x"}])
    out = inject_pvc(spec, SOURCE, mode="direct", claim="claim", path="p")
    assert out["containers"][0]["volumeMounts"] == [mount]
    assert "volumes" not in out  # AddModelMount adds the volume only with a new mount
    assert out["containers"][0]["env"] == [{"name": "STORAGE_URI", "value": "/mnt/models"}]

    volume = {"name": PVC_VOLUME_NAME, "persistentVolumeClaim": {"claimName": "other"}}
    out = inject_pvc({**kserve_pod(), "volumes": [volume]}, SOURCE, mode="direct", claim="c", path="")
    assert out["volumes"] == [volume]
    assert out["containers"][0]["volumeMounts"] == [
        {"name": PVC_VOLUME_NAME, "readOnly": True, "mountPath": "/mnt/models"}
    ]


def test_copy_mode_appends_after_existing_entries() -> None:
    spec = {
        "containers": [{"name": "kserve-container", "volumeMounts": [{"name": "a", "mountPath": "/a"}]}],
        "initContainers": [{"name": "first"}],
        "volumes": [{"name": "a", "emptyDir": {}}],
    }
    out = inject_pvc(spec, SOURCE, mode="copy", claim="claim", path="", model_mount_path="/models")
    assert [m["name"] for m in out["containers"][0]["volumeMounts"]] == [
        "a",
        PVC_VOLUME_NAME,
        "kserve-provision-location",
    ]
    assert [v["name"] for v in out["volumes"]] == [
        "a",
        PVC_VOLUME_NAME,
        "kserve-provision-location",
    ]
    assert [c["name"] for c in out["initContainers"]] == ["first", "storage-initializer"]
    init = out["initContainers"][1]
    assert init["args"] == ["/mnt/pvc/", "/models"]  # KServe joins an empty path as is
    assert init["image"] == INITIALIZER_IMAGE
    assert init["resources"] == {
        "limits": {"cpu": "1", "memory": "1Gi"},
        "requests": {"cpu": "100m", "memory": "100Mi"},
    }


def test_copy_mode_custom_initializer() -> None:
    config = InitializerConfig(image="", cpuLimit="2", memoryRequest="256Mi")
    out = inject_pvc(kserve_pod(), SOURCE, mode="copy", claim="c", path="p", initializer=config)
    init = out["initContainers"][0]
    assert init["image"] == INITIALIZER_IMAGE  # an empty image means the default, as in KServe
    assert init["resources"]["limits"]["cpu"] == "2"
    assert init["resources"]["requests"]["memory"] == "256Mi"


def test_file_mount_in_direct_mode() -> None:
    spec = kserve_pod(env=[{"name": "STORAGE_URI", "value": "pvc://claim/models/iris/model.joblib"}])
    out = inject_pvc(
        spec,
        {**SOURCE, READONLY_ANNOTATION: "false"},
        mode="direct",
        claim="claim",
        path="models/iris/model.joblib",
        file_mount="model.joblib",
    )
    container = out["containers"][0]
    assert container["volumeMounts"] == [
        {
            "name": PVC_VOLUME_NAME,
            "mountPath": "/mnt/models/model.joblib",
            "subPath": "models/iris/model.joblib",
        }
    ]
    assert container["env"] == [{"name": "STORAGE_URI", "value": "/mnt/models"}]
    assert inject_pvc(out, SOURCE, mode="direct", claim="claim", path="x", file_mount="y") == out


def test_file_mount_rejected_in_copy_mode() -> None:
    with pytest.raises(ValueError, match="direct mode"):
        inject_pvc(kserve_pod(), SOURCE, mode="copy", claim="c", path="p", file_mount="f.pkl")


def test_transformer_env_is_not_rewritten() -> None:
    env = [{"name": "STORAGE_URI", "value": "pvc://c/p"}]
    spec = {"containers": [{"name": "kserve-container"}, {"name": "transformer-container", "env": env}]}
    out = inject_pvc(spec, SOURCE, mode="direct", claim="c", path="p")
    assert out["containers"][1]["env"] == env
    assert out["containers"][1]["volumeMounts"][0]["subPath"] == "p"


@pytest.mark.parametrize(
    ("value", "read_only"),
    [(None, True), ("false", False), ("False", True), ("true", True), ("", True), ("no", True)],
)
def test_read_only_flag(value: str | None, read_only: bool) -> None:
    annotations = {} if value is None else {READONLY_ANNOTATION: value}
    assert is_read_only(annotations) is read_only


@pytest.mark.parametrize(
    ("uri", "parts"),
    [
        ("pvc://test/model/model1", ("test", "model/model1")),  # KServe's TestParsePvcURI
        ("pvc://test", ("test", "")),  # KServe's TestParsePvcURI, shortest path
        ("pvc://c/", ("c", "")),
        ("pvc://c//a", ("c", "/a")),
        ("pvc://c/a/", ("c", "a/")),
        ("pvc://c/../x", ("c", "../x")),
        ("pvc://", ("", "")),
    ],
)
def test_split_pvc_uri(uri: str, parts: tuple[str, str]) -> None:
    assert split_pvc_uri(uri) == parts


def test_unknown_mode_rejected() -> None:
    with pytest.raises(ValueError, match="unknown injection mode"):
        inject_pvc(kserve_pod(), SOURCE, mode="mirror", claim="c", path="p")  # type: ignore[arg-type]
