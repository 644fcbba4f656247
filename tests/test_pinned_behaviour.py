"""Behaviour that no other test pinned: each test here fails with one mutant that survived the
whole in-process suite (issue 23, item 9; ``make mutation``, results in bench/MUTATION.md).

In process on purpose: a test that runs the CLI in a subprocess runs the unmutated package and so
kills no mutant.
"""

from __future__ import annotations

from typing import Any

import yaml

from krm_fn import injector, pvc_uri, uris
from krm_fn.injector import StorageUri, inject_pvc, inject_pvc_storage_uris
from krm_fn.krm import run_krm
from krm_fn.ops import SetValue, apply_ops
from krm_fn.rules import storage_uris
from krm_fn.textedit import Splice, apply_splices, edit_in_place

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"


def _pod(*names: str, init: tuple[str, ...] = ()) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": n} for n in names]}
    if init:
        spec["initContainers"] = [{"name": n} for n in init]
    return spec


# --- injector ------------------------------------------------------------------------------------


def test_direct_mount_falls_back_to_an_init_container_of_the_same_name() -> None:
    """KServe's AddModelMount: when the container already has a mount of that name, an *init*
    container of the same name gets the mount, writable (``if not added`` inverted kills this)."""
    spec = _pod("kserve-container", init=("kserve-container",))
    spec["containers"][0]["volumeMounts"] = [{"name": injector.PVC_VOLUME_NAME, "mountPath": "/elsewhere"}]
    out = inject_pvc(spec, {}, mode="direct", claim="c", path="m")
    assert out["initContainers"][0]["volumeMounts"] == [
        {"name": injector.PVC_VOLUME_NAME, "mountPath": injector.MODEL_DIR, "subPath": "m"}
    ]
    assert out["volumes"] == [{"name": injector.PVC_VOLUME_NAME, "persistentVolumeClaim": {"claimName": "c"}}]
    # A container that takes the mount leaves the init container of its name alone.
    plain = inject_pvc(_pod("kserve-container", init=("kserve-container",)), {}, mode="direct", claim="c", path="m")
    assert plain["initContainers"] == [{"name": "kserve-container"}]
    assert plain["containers"][0]["volumeMounts"][0]["readOnly"] is True


def test_plural_injection_keeps_its_skip_conditions() -> None:
    """The agent annotation and an existing storage-initializer skip the plural branch too."""
    entries = [StorageUri("pvc://c/m", "/mnt/a")]
    pod = _pod("kserve-container")
    assert inject_pvc_storage_uris(pod, {injector.AGENT_ANNOTATION: "true"}, entries) == pod
    initialized = _pod("kserve-container", init=(injector.INITIALIZER_NAME,))
    assert inject_pvc_storage_uris(initialized, {}, entries) == initialized
    assert inject_pvc_storage_uris(pod, {}, []) == pod
    assert inject_pvc_storage_uris(pod, {}, entries) != pod


def test_plural_injection_mounts_pvc_entries_after_other_schemes() -> None:
    """Entries of other schemes are skipped one by one, not the rest of the list."""
    entries = [StorageUri("s3://bucket/m", "/mnt/s3"), StorageUri("pvc://c/m", "/mnt/pvc")]
    out = inject_pvc_storage_uris(_pod("kserve-container"), {}, entries)
    assert out["containers"][0]["volumeMounts"] == [{"name": "mnt-pvc", "readOnly": True, "mountPath": "/mnt/pvc"}]
    assert out["volumes"] == [{"name": "mnt-pvc", "persistentVolumeClaim": {"claimName": "c"}}]


# --- uris ----------------------------------------------------------------------------------------


def test_a_dns1123_label_may_be_63_characters() -> None:
    assert pvc_uri.is_dns1123_label("a" * 63)
    assert not pvc_uri.is_dns1123_label("a" * 64)
    assert pvc_uri.is_valid_claim_name("a" * 63)


def _decide(uri: str, framework: str | None) -> uris.UriDecision:
    return uris.decide(
        uri,
        framework=framework,
        extensions=(),
        path_type=None,
        file_uris="directory",
        mount_mode="direct",
    )


def test_triton_python_backend_at_the_claim_root() -> None:
    """``<claim>/<model>/<version>/model.py``: the repository is the claim's root."""
    assert _decide("pvc://c/preprocess/1/model.py", "triton").new_uri == "pvc://c"
    assert _decide("pvc://c/preprocess/model.py", "triton").new_uri is None  # not Triton's layout
    assert _decide("pvc://c/preprocess/1/model.py", "sklearn").new_uri is None


# --- rules/storage_uris ----------------------------------------------------------------------------


def _isvc(storage_uris: str) -> bytes:
    item = f"""\
- apiVersion: serving.kserve.io/v1beta1
  kind: InferenceService
  metadata:
    name: m
  spec:
    predictor:
      model:
        modelFormat: {{name: sklearn}}
      storageUris:
{storage_uris}"""
    return (HEAD + item).encode()


def _findings(raw: bytes) -> list[str]:
    return [r.message for r in run_krm(raw).results if r.severity in ("error", "warning")]


def test_plural_branch_skips_templated_uris() -> None:
    templated = _isvc("      - uri: pvc://${CLAIM}/models/m\n        mountPath: /mnt/a\n")
    assert not [m for m in _findings(templated) if "storageUris[0]" in m]
    plain = _isvc("      - uri: pvc://claim/models/m\n        mountPath: /mnt/a\n")
    assert [m for m in _findings(plain) if "storageUris[0]" in m]


def test_a_single_entry_at_mnt_models_with_a_trailing_slash_is_told_to_use_storage_uri() -> None:
    raw = _isvc("      - uri: pvc://claim/models/m\n        mountPath: /mnt/models/\n")
    found = [m for m in _findings(raw) if "storageUris[0]" in m]
    assert found
    assert any("instead of storageUris" in m for m in found), found
    # Only slashes are trimmed: another mount path is not /mnt/models.
    other = _isvc("      - uri: pvc://claim/models/m\n        mountPath: /mnt/modelsX\n")
    assert not [m for m in _findings(other) if "instead of storageUris" in m]


# --- textedit ------------------------------------------------------------------------------------


def test_a_value_written_into_an_empty_scalar_is_double_quoted_after_one_space() -> None:
    out = edit_in_place("a:\nb: 1\n", [SetValue(("a",), "true")])
    assert out == 'a: "true"\nb: 1\n'


def test_a_null_written_as_tilde_is_replaced_in_place() -> None:
    assert edit_in_place("a: ~\nb: 1\n", [SetValue(("a",), "x")]) == "a: x\nb: 1\n"


def test_the_indentation_step_is_read_where_the_first_nested_block_stands() -> None:
    """Below a sequence entry, the step is the difference of the two columns (here 4, not 2 + 6)."""
    text = "list:\n- name: x\n  spec:\n      deep: 1\n"
    out = edit_in_place(text, [SetValue(("extra",), {"k": 1})])
    assert out == text + "extra:\n    k: 1\n"
    # With no nested block to read it from, the step is 2.
    assert edit_in_place("a: 1\n", [SetValue(("m",), {"k": 1})]) == "a: 1\nm:\n  k: 1\n"


def test_new_blocks_follow_the_items_own_indentation() -> None:
    text = "metadata:\n    name: x\nspec:\n    template:\n        x: 1\n"
    out = edit_in_place(text, [SetValue(("spec", "extra"), {"k": {"v": 1}})])
    assert out == text + "    extra:\n        k:\n            v: 1\n"
    seq = "spec:\n  list:\n    - a\n  other: {}\n"
    out = edit_in_place(seq, [SetValue(("spec", "new"), ["x"])])
    assert "  new:\n    - x\n" in out
    flat = "spec:\n  list:\n  - a\n  other: {}\n"
    assert "  new:\n  - x\n" in edit_in_place(flat, [SetValue(("spec", "new"), ["x"])])


def test_a_literal_block_scalar_is_replaced_by_a_literal_block() -> None:
    text = "data:\n  script: |\n      echo hi\n      echo there\n  other: 1\n"
    for value, expected in [
        ("a\nb\n", "  script: |\n      a\n      b\n  other: 1\n"),
        ("a\nb", "  script: |-\n      a\n      b\n  other: 1\n"),
        ("a\n\n\n", "  script: |+\n      a\n\n\n  other: 1\n"),
        ("  lead\n", '  script: "  lead\\n"\n  other: 1\n'),
    ]:
        out = edit_in_place(text, [SetValue(("data", "script"), value)])
        assert out == "data:\n" + expected, (value, out)
        assert yaml.safe_load(out)["data"]["script"] == value
    # The block's own indentation is its first line's, whatever the lines after it do.
    nested = "data:\n  script: |\n    if x:\n      y\n"
    assert edit_in_place(nested, [SetValue(("data", "script"), "a\nb\n")]) == "data:\n  script: |\n    a\n    b\n"


def test_two_edits_whose_splices_would_overlap_are_applied_one_after_the_other() -> None:
    """A second edit inside what the first one replaced is computed on the first one's text."""
    text = "metadata:\n  name: x\nspec: {}\n"
    ops = [SetValue(("spec",), {"a": {"b": 1}}), SetValue(("spec", "a", "c"), 2)]
    out = edit_in_place(text, ops)
    assert yaml.safe_load(out) == apply_ops(yaml.safe_load(text), ops)
    created = "spec:\n  x: 1\n"
    ops = [SetValue(("spec", "t"), {"a": 1}), SetValue(("spec", "t", "b"), 2)]
    out = edit_in_place(created, ops)
    assert out == "spec:\n  x: 1\n  t:\n    a: 1\n    b: 2\n"
    flow = "spec: {x: 1}\nz: 1\n"
    ops = [SetValue(("spec",), {"a": {"b": 1}}), SetValue(("spec", "a", "c"), 2), SetValue(("z",), 3)]
    assert yaml.safe_load(edit_in_place(flow, ops)) == apply_ops(yaml.safe_load(flow), ops)
    # Splices themselves never overlap: a later one at the same place follows the earlier one.
    assert apply_splices("abcdef", [Splice(1, 2, "X"), Splice(1, 1, "Y"), Splice(4, 6, "Z")]) == "aYXcdZ"


def test_storage_uris_helpers() -> None:
    """KServe's FindCommonParentPath, the entries read, and the mount paths the rule accepts."""
    assert storage_uris.common_parent([]) == ""
    assert storage_uris.common_parent(["/mnt/a"]) == "/mnt/a"
    assert storage_uris.common_parent(["/mnt/a/x", "/mnt/a/y", "/mnt/b"]) == "/mnt"
    assert storage_uris.common_parent(["/data", "/mnt/a"]) == "/"
    entries = {"storageUris": [{"uri": 5}, {"uri": ""}, {"uri": "pvc://c", "mountPath": ""}, {"uri": "s3://b"}]}
    assert list(storage_uris._entries(entries)) == [(2, "pvc://c", "/mnt/models"), (3, "s3://b", "/mnt/models")]
    assert storage_uris._valid_mount("/mnt/a")
    assert not storage_uris._valid_mount("/mnt/../etc")
    assert not storage_uris._valid_mount("/")
    assert not storage_uris._valid_mount("mnt/a")
    assert storage_uris.suggest_mount_path("/mnt/Models_v1.2/") == "/mnt/models-v1-2"
    assert storage_uris.suggest_mount_path("/mnt/__/") == "/mnt/x"
