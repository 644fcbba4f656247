"""The in-place edit layer: each edit kind against each YAML layout."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from krm_fn import textedit
from krm_fn.ops import Append, Op, Path, SetValue, apply_ops
from krm_fn.textedit import CannotEditInPlace, Splice, edit_in_place, edit_item

NON_INDENTED = """\
metadata:
  name: x  # keep me
  labels: {app: a}
spec:
  containers:
  - name: c
    volumeMounts:
    - name: v
      mountPath: /data
  # closing comment
"""
INDENTED = """\
metadata:
    name: x
spec:
    containers:
        - name: c
          env:
              - name: STORAGE_URI
                value: 'pvc://c/m/model.pkl'
"""
FLOW = """\
metadata: {name: x, annotations: {}}
spec: {containers: [{name: c}], volumes: []}
"""
NULLS = """\
metadata:
  name: x
  annotations:
  labels: ~
spec:
  volumes: null # none yet
"""
BLOCK_SCALAR = """\
data:
  script: |
    echo hi
  other: 1
"""
NO_NEWLINE = "a:\n  b: 1"


def _check(text: str, ops: list[Op]) -> str:
    out = edit_in_place(text, ops)
    assert yaml.safe_load(out) == apply_ops(yaml.safe_load(text), ops)
    return out


def _changed_lines(before: str, after: str) -> set[str]:
    return set(after.splitlines()) - set(before.splitlines())


@pytest.mark.parametrize(
    "text",
    [NON_INDENTED, INDENTED, FLOW, NULLS, NO_NEWLINE],
    ids=["plain", "indented", "flow", "nulls", "no-eol"],
)
def test_insert_nested_annotation(text: str) -> None:
    out = _check(text, [SetValue(("metadata", "annotations", "fn.kserve-pvc.dev/x"), "yes")])
    assert "fn.kserve-pvc.dev/x" in out
    # Untouched lines stay; only the inserted key (and maybe its new parent) is new.
    assert all(line in out for line in text.splitlines() if "annotations" not in line and "null" not in line)


def test_replace_scalar_keeps_style_and_comment() -> None:
    out = _check(NON_INDENTED, [SetValue(("metadata", "name"), "z")])
    assert out == NON_INDENTED.replace("name: x  # keep me", "name: z  # keep me")
    out = _check(INDENTED, [SetValue(("spec", "containers", 0, "env", 0, "value"), "pvc://c/m")])
    assert out == INDENTED.replace("'pvc://c/m/model.pkl'", "'pvc://c/m'")


def test_replace_scalar_quotes_ambiguous_strings() -> None:
    for value, rendered in [
        ("true", '"true"'),
        ("0755", '"0755"'),
        ("12:30", '"12:30"'),
        ("1e3", '"1e3"'),
        ("null", '"null"'),
        ("no", '"no"'),
    ]:
        out = _check(NON_INDENTED, [SetValue(("metadata", "name"), value)])
        assert f"name: {rendered}  # keep me" in out


def test_append_to_block_sequences_in_both_styles() -> None:
    out = _check(
        NON_INDENTED,
        [Append(("spec", "containers", 0, "volumeMounts"), {"name": "w", "mountPath": "/w"})],
    )
    assert "    - name: w\n      mountPath: /w\n  # closing comment" in out
    out = _check(INDENTED, [Append(("spec", "containers"), {"name": "d"})])
    assert out.endswith("        - name: d\n")


def test_create_missing_sequence_follows_item_style() -> None:
    out = _check(
        NON_INDENTED,
        [Append(("spec", "volumes"), {"name": "v", "persistentVolumeClaim": {"claimName": "c"}})],
    )
    assert "  volumes:\n  - name: v\n    persistentVolumeClaim:\n      claimName: c\n" in out
    out = _check(INDENTED, [Append(("spec", "volumes"), {"name": "v"})])
    assert "    volumes:\n        - name: v\n" in out


def test_flow_collections_are_extended_in_flow() -> None:
    out = _check(
        FLOW,
        [Append(("spec", "volumes"), {"name": "v"}), SetValue(("metadata", "labels"), {"a": "b"})],
    )
    assert "volumes: [{name: v}]" in out
    assert "metadata: {name: x, annotations: {}, labels: {a: b}}" in out


def test_null_values_become_blocks() -> None:
    out = _check(
        NULLS,
        [
            Append(("spec", "volumes"), {"name": "v"}),
            SetValue(("metadata", "annotations", "k"), "v"),
        ],
    )
    assert "  volumes: # none yet\n  - name: v\n" in out
    assert "  annotations:\n    k: v\n  labels: ~\n" in out


def test_block_scalar_replaced_keeps_following_keys() -> None:
    out = _check(BLOCK_SCALAR, [SetValue(("data", "script"), "echo bye\n")])
    assert out == "data:\n  script: |\n    echo bye\n  other: 1\n"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ('{\n    "a": 1\n}', '  script: |-\n    {\n        "a": 1\n    }\n'),
        ("one\n\n", "  script: |+\n    one\n\n"),
        ("one\n\ntwo\n", "  script: |\n    one\n\n    two\n"),
        ("  indented first line\n", '  script: "  indented first line\\n"\n'),
        ("tab\there\n", '  script: "tab\\there\\n"\n'),
    ],
)
def test_block_scalar_stays_a_literal_block_where_it_can(value: str, rendered: str) -> None:
    for style in ("|", ">-"):
        out = _check(BLOCK_SCALAR.replace("|", style), [SetValue(("data", "script"), value)])
        assert out == "data:\n" + rendered + "  other: 1\n"


def test_crlf_newlines_are_kept() -> None:
    text = NON_INDENTED.replace("\n", "\r\n")
    out = edit_in_place(text, [SetValue(("metadata", "annotations", "k"), "v")], newline="\r\n")
    assert "\n" not in out.replace("\r\n", "")
    assert yaml.safe_load(out)["metadata"]["annotations"] == {"k": "v"}


def test_edit_item_falls_back_and_still_verifies() -> None:
    text = "# head\nx: 1  # one\ny: [a]\n"
    with pytest.raises(CannotEditInPlace):
        edit_in_place(text, [Append(("x",), "b")])
    data: Any = yaml.safe_load(text)
    out, in_place = edit_item(text, [Append(("x",), "b")], data=data)
    assert yaml.safe_load(out) == {"x": ["b"], "y": ["a"]}
    assert in_place is False
    assert "# head" in out


def test_new_values_never_carry_anchors() -> None:
    shared = {"a": "b"}
    out, _ = edit_item("x: 1\n", [SetValue(("y",), [shared, shared])], data={"x": 1})
    assert "&" not in out
    assert "*" not in out


POD_ENDING_IN_ITS_CONTAINER = """\
spec:
  containers:
  - name: c
    image: i  # the last line of the container and of the spec
"""


@pytest.mark.parametrize("outer_first", [False, True])
def test_inner_then_outer_insert_at_one_position(monkeypatch: pytest.MonkeyPatch, outer_first: bool) -> None:
    """New keys for the last container and for the spec go at the same place: inner first, in one pass."""
    from krm_fn import textedit

    composed: list[str] = []
    real = textedit.compose

    def spy(text: str) -> yaml.Node:
        composed.append(text)
        return real(text)

    monkeypatch.setattr(textedit, "compose", spy)
    inner = SetValue(("spec", "containers", 0, "volumeMounts"), [{"name": "m", "mountPath": "/mnt"}])
    outer = SetValue(("spec", "volumes"), [{"name": "m", "persistentVolumeClaim": {"claimName": "c"}}])
    out = _check(POD_ENDING_IN_ITS_CONTAINER, [outer, inner] if outer_first else [inner, outer])
    assert out == POD_ENDING_IN_ITS_CONTAINER + (
        "    volumeMounts:\n    - name: m\n      mountPath: /mnt\n"
        "  volumes:\n  - name: m\n    persistentVolumeClaim:\n      claimName: c\n"
    )
    # Inner then outer is spliced from one composition; the other order composes again between.
    assert len(composed) == (2 if outer_first else 1) + 1  # + the final read-back in edit_in_place


def test_the_fallback_keeps_the_items_own_indentation() -> None:
    """An edit the splicer cannot make goes to ruamel.yaml, in the layout the editor detected: a
    4-space item stays 4-space (it came out 2-space before)."""
    text = "metadata:\n    name: a\nspec:\n    x: 1  # one\n    containers:\n    -   name: c\n        image: i\n"
    with pytest.raises(CannotEditInPlace):
        edit_in_place(text, [Append(("spec", "x"), "b")])
    data: Any = yaml.safe_load(text)
    out, in_place = edit_item(text, [Append(("spec", "x"), "b")], data=data)
    assert in_place is False
    assert yaml.safe_load(out)["spec"]["x"] == ["b"]
    assert "\n    name: a\n" in out
    assert "\n    containers:\n" in out


# -- when two ops may be spliced from one composition --------------------------------------------
# edit_item reads every result back and re-emits when it is wrong, so a lax clash check shows up
# only as a lost in-place edit; the predicate is pinned here on its own.


def _clash(new: tuple[Splice, Path, Path], old: tuple[Splice, Path, Path]) -> bool:
    return textedit._clash(textedit.Placed(*new), textedit.Placed(*old))


@pytest.mark.parametrize(
    ("sp", "other", "expected"),
    [
        (Splice(10, 20, "x"), Splice(30, 40, "y"), False),  # apart
        (Splice(10, 20, "x"), Splice(20, 30, "y"), False),  # touching: sp ends where other starts
        (Splice(20, 30, "x"), Splice(10, 20, "y"), False),  # touching: other ends where sp starts
        (Splice(10, 21, "x"), Splice(20, 30, "y"), True),  # one character in common
        (Splice(19, 30, "x"), Splice(10, 20, "y"), True),
        (Splice(12, 18, "x"), Splice(10, 20, "y"), True),  # inside
        (Splice(10, 20, "x"), Splice(12, 18, "y"), True),  # around
        (Splice(15, 15, "x\n"), Splice(10, 20, "y"), True),  # an insertion inside a replaced span
        (Splice(10, 20, "x"), Splice(15, 15, "y\n"), True),
        (Splice(20, 20, "x\n"), Splice(10, 20, "y"), False),  # an insertion right after it
    ],
)
def test_spans_that_overlap_clash_and_spans_that_touch_do_not(sp: Splice, other: Splice, expected: bool) -> None:
    assert _clash((sp, ("a", "b"), ("a", "b", "c")), (other, ("x",), ("x", "y"))) is expected


def test_an_op_on_the_path_of_an_earlier_ones_anchor_clashes_either_way() -> None:
    apart, elsewhere = Splice(0, 1, "x"), Splice(50, 51, "y")
    # The later op edits under the node the earlier one replaced ...
    assert _clash((apart, ("s", "t"), ("s", "t", "u")), (elsewhere, ("s",), ("s", "v")))
    # ... or the later op's anchor is on the earlier op's path.
    assert _clash((apart, ("s",), ("s", "w")), (elsewhere, ("q", "r"), ("s", "v", "z")))
    assert not _clash((apart, ("s", "t"), ("s", "t", "u")), (elsewhere, ("q", "r"), ("q", "r", "z")))


OUTER, INNER = ("spec", -1), ("spec", "c", -1)


def test_two_insertions_at_one_position_follow_only_as_nested_whole_lines() -> None:
    earlier = (Splice(30, 30, "    - inner\n"), INNER, ("o",))
    # The later op's collection encloses the earlier one's: its lines may follow.
    assert not _clash((Splice(30, 30, "  - outer\n"), OUTER, ("spec", "x")), earlier)
    # The other order (a deeper collection after its enclosing one) needs a new composition.
    assert _clash((Splice(30, 30, "    - inner\n"), INNER, ("p",)), (Splice(30, 30, "  - o\n"), OUTER, ("o",)))
    # A flow insertion's separator depends on the text already there.
    assert _clash((Splice(30, 30, ", x"), OUTER, ("spec", "x")), earlier)
    assert _clash((Splice(30, 30, "  - outer\n"), OUTER, ("spec", "x")), (Splice(30, 30, ", y"), INNER, ("o",)))
    # A replacement starting where an insertion starts is not an insertion after it.
    assert _clash((Splice(30, 31, "  - outer\n"), OUTER, ("spec", "x")), earlier)
    assert _clash((Splice(30, 30, "  - outer\n"), OUTER, ("spec", "x")), (Splice(30, 32, "a\n"), INNER, ("o",)))


def test_two_new_keys_of_one_mapping_at_one_position_are_spliced_in_order() -> None:
    first = (Splice(30, 30, "  a: 1\n"), ("m", "a"), ("m", "a"))
    assert not _clash((Splice(30, 30, "  b: 2\n"), ("m", "b"), ("m", "b", "c")), first)
