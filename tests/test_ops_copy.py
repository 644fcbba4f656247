"""``ops.plain_copy`` is ``copy.deepcopy`` for the data YAML gives: equal, unshared, aliases kept."""

from __future__ import annotations

import copy
import datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from krm_fn.ops import plain_copy

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4), st.binary(max_size=2)
)
PLAIN = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=20,
)


def _containers(value: Any) -> list[Any]:
    out, todo = [], [value]
    while todo:
        v = todo.pop()
        if isinstance(v, dict | list):
            out.append(v)
            todo.extend(v.values() if isinstance(v, dict) else v)
    return out


@given(PLAIN)
def test_plain_copy_is_a_deep_copy(value: Any) -> None:
    copied = plain_copy(value)
    assert copied == copy.deepcopy(value)
    assert type(copied) is type(value)
    originals = {id(c) for c in _containers(value)}
    assert not any(id(c) in originals for c in _containers(copied))


@given(PLAIN, PLAIN)
def test_shared_containers_stay_shared(shared: Any, other: Any) -> None:
    """A YAML alias gives one object in two places; the copy has one new object in both."""
    box: list[Any] = [shared]
    value = {"a": box, "b": box, "c": other, "when": datetime.date(2024, 1, 2)}
    copied = plain_copy(value)
    assert copied == copy.deepcopy(value)
    assert copied["a"] is copied["b"]
    assert copied["a"] is not box


def test_a_recursive_structure_is_copied_like_deepcopy() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    copied = plain_copy({"x": loop})
    assert copied["x"][1] is copied["x"]
    assert copied["x"] is not loop
