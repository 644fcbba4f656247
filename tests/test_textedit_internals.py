"""The parts of the in-place editor whose mistakes a read-back would hide.

``edit_item`` reads every result back and re-emits the item when the splice went wrong, and
``plain_data`` hands anything unusual to PyYAML's constructor: both end in correct data, so a
broken fast path shows only as lost layout or lost speed. These tests pin the fast paths and the
helpers on their own (``edit_in_place`` raises where ``edit_item`` would fall back).
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from krm_fn import textedit
from krm_fn.ops import Append, Op, SetValue
from krm_fn.textedit import CannotEditInPlace, compose, content_end, detect_layout, edit_in_place, edit_item, line_after

# -- line_after: where the next line starts, as YAML counts lines ---------------------------------


@pytest.mark.parametrize(
    ("text", "pos", "expected"),
    [
        ("ab\ncd", 0, 3),
        ("ab\ncd", 3, 3),  # already at a line start
        ("ab\n", 0, 3),  # the last line: after its break, not position 0 of a wrapped-around text
        ("\nab", 1, 1),  # the second character starts a line
        ("ab\r\ncd", 1, 4),
        ("a\r\nb", 2, 3),  # between CR and LF: the line ends after the LF
        ("a\rb", 2, 2),  # after a lone CR: a line start
        ("\n\rb", 2, 2),  # likewise, wherever the text's own first line ends
        ("a\rb", 0, 2),
        ("abc", 1, 3),  # no break: the end of the text
    ],
)
def test_line_after_counts_lf_crlf_and_a_lone_cr(text: str, pos: int, expected: int) -> None:
    assert line_after(text, pos) == expected


def test_content_end_of_a_mapping_ending_in_an_explicit_key_is_the_keys_end() -> None:
    text = "a: 1\n? note\n"
    assert content_end(compose(text)) == text.index("note") + len("note")


# -- detect_layout: the item's own indentation ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "indent", "seq_indent"),
    [
        ("a:\n b: 1\n", 1, False),  # a one-space indentation is kept
        ("a:\n    b: 1\n", 4, False),
        ("a:\n  [1, 2]\nb:\n- x\n", 2, False),  # a flow value on its own line tells nothing
        ("a: &x\n  b: 1\nc:\n    d: 1\n", 4, False),  # nor a value whose anchor stands on the key's line
        ("l:\n  - x\n", 2, True),
    ],
)
def test_detect_layout_reads_block_values_below_their_keys(text: str, indent: int, seq_indent: bool) -> None:
    layout = detect_layout(compose(text))
    assert (layout.indent, layout.seq_indent) == (indent, seq_indent)


# -- compute: which layouts are refused, and why ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ops", "reason"),
    [
        ("l:\n- a\n", [SetValue(("l", 0), {"x": 1})], "block value inside a sequence entry"),
        ("l:\n-\n", [SetValue(("l", 0, "x"), 1)], "block value inside a sequence entry"),
        ("a: 5\n", [SetValue(("a", "b"), 1)], "mapping expected on the path"),
        ("~\n", [SetValue(("a",), 1)], "mapping expected on the path"),
        ("a: [1]\n", [Append(("a", 0), 2)], "append to a non-sequence"),
        ("a: {b: 1}\n", [SetValue(("a",), "s")], "collection replaced by a scalar"),
        ("a: [1]\n", [SetValue(("a", 5, "x"), 1)], "index past the end of a sequence"),
        ("# only a comment\n", [SetValue(("a",), 1)], "empty document"),
    ],
)
def test_unusual_layouts_are_refused_with_their_reason(text: str, ops: list[Op], reason: str) -> None:
    with pytest.raises(CannotEditInPlace, match=f"^{reason}$"):
        edit_in_place(text, ops)


def test_a_key_under_a_null_value_is_written_as_a_block() -> None:
    assert edit_in_place("a:\nz: 1\n", [SetValue(("a", "b"), 1)]) == "a:\n  b: 1\nz: 1\n"


def test_two_new_keys_under_one_new_key_make_one_entry() -> None:
    # The second op must see the first one's new "a", not insert a second "a" beside it.
    text = edit_in_place("m:\n  k: v\n", [SetValue(("m", "a", "x"), 1), SetValue(("m", "a", "y"), 2)])
    assert text == 'm:\n  k: v\n  a:\n    x: 1\n    "y": 2\n'


def test_a_negative_index_as_long_as_the_sequence_names_its_first_item() -> None:
    assert edit_in_place("l:\n- a\n- b\n", [SetValue(("l", -2), "z")]) == "l:\n- z\n- b\n"


# -- edit_item: in place when it can, re-emitted in the item's layout when it cannot ---------------


def test_edit_item_says_when_it_edited_in_place() -> None:
    text = "a: 1  # kept\n"
    assert edit_item(text, [SetValue(("a",), 2)], data={"a": 1}) == ("a: 2  # kept\n", True)


def test_edit_item_re_emits_in_the_items_sequence_style() -> None:
    text = "l:\n  - x\nk:\n  - y\n"
    out, in_place = edit_item(text, [SetValue(("l",), "s")], data={"l": ["x"], "k": ["y"]})
    assert (out, in_place) == ("l: s\nk:\n  - y\n", False)


def test_edit_item_of_a_text_that_does_not_compose_writes_the_data() -> None:
    out, in_place = edit_item("a: [1,\n", [SetValue(("b",), 1)], data={"a": [1]})
    assert not in_place
    assert yaml.safe_load(out) == {"a": [1], "b": 1}


# -- plain_data's fast path -----------------------------------------------------------------------

_SCALARS = st.one_of(
    st.text(max_size=8),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
    st.sampled_from(["2024-01-01", "0x1f", "1e3", "yes", "~", "=", "0o17"]),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(_DATA)
def test_the_builder_answers_plain_documents_itself_as_pyyaml_would(data: Any) -> None:
    node = compose(yaml.safe_dump({"root": data}))
    expected = yaml.constructor.SafeConstructor().construct_document(compose(yaml.safe_dump({"root": data})))
    # The builder on its own: it must not give up (raise) on plain data, and must agree.
    assert textedit._Builder().build(node) == expected


def test_the_builder_gives_an_alias_the_anchors_own_object() -> None:
    built = textedit._Builder().build(compose("a: &x {k: [1]}\nb: *x\nc: &y [2]\nd: *y\n"))
    assert built == {"a": {"k": [1]}, "b": {"k": [1]}, "c": [2], "d": [2]}
    assert built["a"] is built["b"]
    assert built["c"] is built["d"]


@pytest.mark.parametrize(
    "text",
    [
        "a: &r [1, *r]\n",
        "a: &r {b: *r}\n",
        "<<: {a: 1}\nb: 2\n",
        "=: x\n",
        "s: !!set {a, b}\n",
        "o: !!omap [{a: 1}]\n",
    ],
    ids=["recursive-sequence", "recursive-mapping", "merge-key", "value-key", "set", "omap"],
)
def test_the_builder_leaves_what_is_unusual_to_pyyaml(text: str) -> None:
    with pytest.raises(textedit._Unusual):
        textedit._Builder().build(compose(text))
    # plain_data then gives PyYAML's own answer.
    expected = yaml.constructor.SafeConstructor().construct_document(compose(text))
    assert repr(textedit.plain_data(compose(text))) == repr(expected)


def test_an_unhashable_key_is_pyyamls_error() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="found unhashable key"):
        textedit.plain_data(compose("? [1]\n: x\n"))
