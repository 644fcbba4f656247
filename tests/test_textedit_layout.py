"""The exact text of in-place edits, layout by layout.

``edit_item`` reads every result back and re-emits the item with ruamel.yaml when the data is wrong,
so a test that compares only data passes even when a splice is broken. These tests call
``edit_in_place`` (which raises ``CannotEditInPlace`` instead of falling back) and compare the whole
text, or assert that ``edit_item`` kept the edit in place.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from krm_fn import textedit
from krm_fn.ops import Append, Op, SetValue, apply_ops
from krm_fn.textedit import CannotEditInPlace, compose, edit_in_place, edit_item, plain_data, resolve_tag


def _in_place(text: str, ops: list[Op]) -> str:
    """The edited text, checked to be what ``edit_item`` keeps (in place, and the expected data)."""
    out = edit_in_place(text, ops)
    data: Any = yaml.safe_load(text)
    assert edit_item(text, ops, data=data) == (out, True)
    assert yaml.safe_load(out) == apply_ops(data, ops)
    return out


# -- flow collections --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x: [a]\n", "x: [a, b]\n"),  # the separator follows the first entry too
        ("x: [FIX]\n", "x: [FIX, b]\n"),  # only blanks before the bracket are skipped, not letters
        ("x: []\n", "x: [b]\n"),  # no separator in an empty sequence
        ("x: [ ]\n", "x: [b ]\n"),  # blanks of an empty sequence stay after the new entry
        ("x: [a ]\n", "x: [a, b ]\n"),  # right after the last entry, before the blank
        ("x: [a  ]\n", "x: [a, b  ]\n"),
        ("x: [a, ]\n", "x: [a, b ]\n"),  # a trailing comma is used, not doubled
        ("x: [\n  a,\n]\n", "x: [\n  a, b\n]\n"),
        ("x: [a,]\n", "x: [a, b]\n"),
        ("x: [\n  a  # why a\n]\n", "x: [\n  a, b  # why a\n]\n"),  # a comment before the bracket stays
        ("x: [\n  a,  # why a\n]\n", "x: [\n  a, b  # why a\n]\n"),
        ("x: [\n  a  # why a\n  ,\n]\n", "x: [\n  a  # why a\n  , b\n]\n"),
        ("x: [ # none yet\n]\n", "x: [b # none yet\n]\n"),
        ("x: [a # not, a separator\n]\n", "x: [a, b # not, a separator\n]\n"),  # a comma in a comment
        ("x: [a" + " " * 60 + "]\n", "x: [a, b" + " " * 60 + "]\n"),  # a long blank run, in linear time
        ("x: [a, [c] ]\n", "x: [a, [c], b ]\n"),
    ],
)
def test_append_to_a_flow_sequence_keeps_its_separators_and_comments(text: str, expected: str) -> None:
    assert _in_place(text, [Append(("x",), "b")]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x: {}\n", "x: {k: v}\n"),
        ("x: { }\n", "x: {k: v }\n"),
        ("x: {a: 1}\n", "x: {a: 1, k: v}\n"),
        ("x: {a: 1,}\n", "x: {a: 1, k: v}\n"),
        ("x: {a: 1 }\n", "x: {a: 1, k: v }\n"),
        ("x: {a: }\n", "x: {a: , k: v}\n"),  # after the empty value, not inside the key
        ("x: {a}\n", "x: {a, k: v}\n"),
        ("x: {\n  a: 1  # why\n}\n", "x: {\n  a: 1, k: v  # why\n}\n"),
    ],
)
def test_new_key_in_a_flow_mapping_keeps_its_separators_and_comments(text: str, expected: str) -> None:
    assert _in_place(text, [SetValue(("x", "k"), "v")]) == expected


# -- literal block scalars -------------------------------------------------------------------------

BLOCK = "data:\n  script: |\n    echo hi\n  other: 1\n"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("X", "|-\n    X\n"),  # a value of letters that are not line breaks is a literal
        ("FIX\n", "|\n    FIX\n"),  # only line breaks are chomped, not the letters before them
        ("x  \n", "|\n    x  \n"),  # trailing blanks of a line are content
        ("x\ty", '"x\\ty"\n'),  # not printable: double-quoted, on one line or ...
        ("one\ntwo\tthree\n", '"one\\ntwo\\tthree\\n"\n'),  # ... on a later line ...
        ("a\nb\t", '"a\\nb\\t"\n'),  # ... or on the last line with no line break after it
        (5, "5\n"),  # not a string: its own plain form
        ("", '""\n'),  # nothing to put in a block
        ("\n\n", '"\\n\\n"\n'),
        ('  say "hi"', '"  say \\"hi\\""\n'),  # double-quoted even when it holds a double quote
    ],
)
def test_a_block_scalar_becomes_a_literal_or_a_double_quoted_scalar(value: Any, rendered: str) -> None:
    out = _in_place(BLOCK, [SetValue(("data", "script"), value)])
    assert out == "data:\n  script: " + rendered + "  other: 1\n"


@pytest.mark.parametrize(
    "text",
    ["data:\n  s: |", "data:\n  s: |\n", "data:\n  s: |\nb: 1\n"],
    ids=["no-eol", "eol", "then-a-key"],
)
def test_an_empty_block_scalar_is_filled_one_step_deeper_than_its_indicator(text: str) -> None:
    """With no content to take the indentation from, it is the indicator's column plus one step."""
    out = _in_place(text, [SetValue(("data", "s"), "x\n")])
    assert out == "data:\n  s: |\n       x\n" + text.partition("|")[2].lstrip("\n")


# -- values replaced by blocks -----------------------------------------------------------------


def test_a_block_mapping_item_of_a_sequence_is_replaced_in_place() -> None:
    text = "list:\n- a: 1\n  b: 2\n- c\n"
    assert _in_place(text, [SetValue(("list", 0), {"c": 3})]) == "list:\n- c: 3\n- c\n"


def test_a_block_mapping_value_is_replaced_up_to_its_last_line() -> None:
    text = "spec:\n  x: 1\n  y: 2\nz: 1\n"
    assert _in_place(text, [SetValue(("spec",), {"a": 1})]) == "spec:\n  a: 1\nz: 1\n"


def test_an_empty_flow_sequence_becomes_a_block_indented_like_the_items_sequences() -> None:
    indented = "spec:\n  list:\n    - a\n  other: []\n"
    out = _in_place(indented, [SetValue(("spec", "other"), ["x"])])
    assert out == "spec:\n  list:\n    - a\n  other:\n    - x\n"
    flat = "spec:\n  list:\n  - a\n  other: []\n"
    assert _in_place(flat, [SetValue(("spec", "other"), ["x"])]) == "spec:\n  list:\n  - a\n  other:\n  - x\n"


@pytest.mark.parametrize("eol", ["", "\n"])
def test_a_comment_after_a_replaced_value_stays_on_the_keys_line(eol: str) -> None:
    text = "a: {}  # keep" + eol
    assert _in_place(text, [SetValue(("a",), {"k": 1})]) == "a:  # keep\n  k: 1\n"


def test_appending_to_a_document_without_a_final_line_break_starts_a_new_line() -> None:
    assert edit_in_place("-", [Append((), "x")]) == "-\n- x\n"


# -- what the splicer refuses, and why ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "op", "reason"),
    [
        ("spec: {a: 1}\n", SetValue(("spec", "a"), {"k": 1}), "block value inside a flow mapping"),
        ("x: [a]\n", SetValue(("x", 0), {"k": 1}), "no key for the value"),
        ("list:\n- a\n- b\n", SetValue(("list", 0), {"k": 1}), "block value inside a sequence entry"),
        ("spec:\n  x: 1\n", SetValue(("spec", "new", 0), 1), "cannot create a list element by index"),
        # An alias's node is the anchored one, here inside a flow sequence: ", b]" follows it.
        ("x: [&y a, b]\nc: *y\n", SetValue(("c",), {"k": 1}), "inline value followed by more text on its line"),
    ],
)
def test_each_unusual_layout_is_refused_for_its_own_reason(text: str, op: Op, reason: str) -> None:
    """A refused edit goes to the re-emitter; the reason tells which layout rule refused it."""
    with pytest.raises(CannotEditInPlace) as refused:
        edit_in_place(text, [op])
    assert str(refused.value) == reason
    data: Any = yaml.safe_load(text)
    out, in_place = edit_item(text, [op], data=data)
    assert in_place is False
    assert yaml.safe_load(out) == apply_ops(data, [op])


# -- reading text back ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tag"),
    [("true", "bool"), ("5", "int"), ("1.5", "float"), ("~", "null"), ("", "null"), ("x", "str")],
)
def test_resolve_tag_gives_the_tag_of_a_plain_scalar(value: str, tag: str) -> None:
    assert resolve_tag(value) == "tag:yaml.org,2002:" + tag


@pytest.mark.parametrize("tag", ["map", "seq", "set", "omap", "pairs"])
def test_a_scalar_with_a_collection_tag_fails_as_in_pyyaml(tag: str) -> None:
    """The fast builder must not return half-built data (an empty collection) where PyYAML fails."""
    text = f"a: !!{tag} x\n"
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load(text)
    with pytest.raises(yaml.constructor.ConstructorError):
        plain_data(compose(text))


# -- two inserts at one position ------------------------------------------------------------------


def test_inserts_into_three_nested_collections_ending_together_follow_inner_to_outer() -> None:
    """A middle collection's new lines may follow a deeper one's (not only the outermost's)."""
    deep = textedit.Placed(textedit.Splice(30, 30, "      - deep\n"), ("spec", "c", "d", -1), ("o",))
    middle = textedit.Placed(textedit.Splice(30, 30, "    - mid\n"), ("spec", "c", -1), ("spec", "x"))
    assert not textedit._clash(middle, deep)
    assert textedit._clash(deep, middle)
