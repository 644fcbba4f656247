"""Logical edits: what the pure core asks for, independent of how the text is changed.

A path is a tuple of mapping keys (str) and sequence indices (int), e.g.
``("spec", "predictor", "model", "storageUri")``. ``format_path`` turns it into the dotted form used
in results (``spec.containers[0].env[2].value``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class SetValue:
    """Set the value at ``path``, creating missing mappings on the way."""

    path: Path
    value: Any


@dataclass(frozen=True)
class Append:
    """Append ``value`` to the sequence at ``path``, creating it (and its parents) if missing."""

    path: Path
    value: Any


Op = SetValue | Append


def format_path(path: Sequence[str | int]) -> str:
    """``("spec", "containers", 0, "env")`` -> ``spec.containers[0].env``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def get_path(data: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path``, or None where any step is missing or of the wrong type."""
    cur = data
    for part in path:
        if isinstance(part, int):
            if not isinstance(cur, list) or not -len(cur) <= part < len(cur):
                return None
            cur = cur[part]
        else:
            if not isinstance(cur, Mapping) or part not in cur:
                return None
            cur = cur[part]
    return cur


def blocked_by(data: Any, op: Op) -> Path | None:
    """The first prefix of ``op.path`` whose existing value has the wrong type for the op, if any.

    User input may hold a list where Kubernetes wants a mapping (``annotations: [a]``); an op
    through it cannot be applied without throwing the user's value away, so it is refused instead.
    """
    cur = data
    for depth, part in enumerate(op.path):
        if isinstance(part, int):
            if not isinstance(cur, list) or not -len(cur) <= part < len(cur):
                return op.path[:depth]
            cur = cur[part]
            continue
        if not isinstance(cur, Mapping):
            return op.path[:depth]
        if part not in cur or cur[part] is None:
            return None
        cur = cur[part]
    if isinstance(op, Append) and not isinstance(cur, list):
        return op.path
    return None


_ATOMS = frozenset({str, int, bool, float, type(None)})


def plain_copy(value: Any) -> Any:
    """``copy.deepcopy(value)`` for plain YAML data (dicts, lists, scalars), several times faster.

    deepcopy dispatches on the type and keeps its memo for every object, strings included; here
    strings and numbers are shared (they are immutable) and only dicts and lists are copied. As
    with deepcopy, a container that occurs twice (a YAML alias) is copied once and shared in the
    copy, and anything else goes through deepcopy itself, with the same memo.
    """
    return _PlainCopy().walk(value)


class _PlainCopy:
    """One ``plain_copy`` call's memo. A class rather than a recursive closure, which would be a
    reference cycle that only the cyclic collector frees (paused during a run)."""

    __slots__ = ("memo",)

    def __init__(self) -> None:
        self.memo: dict[int, Any] = {}

    def walk(self, v: Any) -> Any:
        kind = type(v)
        if kind in _ATOMS:
            return v
        memo = self.memo
        known = memo.get(id(v), memo)
        if known is not memo:
            return known
        walk = self.walk
        if kind is dict:
            memo[id(v)] = new = {}
            for k, x in v.items():
                new[walk(k)] = walk(x)
            return new
        if kind is list:
            memo[id(v)] = items = []
            for x in v:
                items.append(walk(x))
            return items
        return copy.deepcopy(v, memo)


class _CopyOnPath:
    """Copies of the containers on the ops' paths; everything off those paths is shared, never changed."""

    def __init__(self) -> None:
        self.own: set[int] = set()
        self.kept: list[Any] = []  # every copy stays alive, so no other object can take its id

    def copy(self, value: Any) -> Any:
        """``value`` itself if it was copied here already, else a shallow copy of it."""
        if id(value) in self.own:
            return value
        new = dict(value) if isinstance(value, dict) else list(value)
        self.own.add(id(new))
        self.kept.append(new)
        return new

    def container(self, root: Any, path: Path) -> Any:
        """The container at ``path`` under ``root`` (missing or scalar mappings become ``{}``), copied."""
        cur = root
        for part in path:
            if isinstance(part, int):
                cur[part] = nxt = self.copy(cur[part])
            else:
                nxt = cur.get(part)
                cur[part] = nxt = self.copy(nxt if isinstance(nxt, dict | list) else {})
            cur = nxt
        return cur


def apply_ops(data: Any, ops: Iterable[Op]) -> Any:
    """``data`` with ``ops`` applied; the reference for every text edit. ``data`` is left as it was.

    Only the mappings and lists on the ops' paths are copied; the result shares the rest with
    ``data`` (a deep copy of a whole pod, twice per changed item, was a tenth of a large run).
    """
    paths = _CopyOnPath()
    out = paths.copy(data)
    for op in ops:
        parent = paths.container(out, op.path[:-1])
        last = op.path[-1]
        if isinstance(op, SetValue):
            parent[last] = plain_copy(op.value)
        else:
            seq = parent[last] if isinstance(last, int) else parent.get(last)
            parent[last] = seq = paths.copy(seq) if isinstance(seq, list) else []
            seq.append(plain_copy(op.value))
    return out


def diff_ops(old: Any, new: Any, path: Path = ()) -> list[Op]:
    """The ops that turn ``old`` into ``new``: new keys, changed scalars, items appended to lists.

    A list that changes other than by appending is set as a whole; a removed key is not supported
    (the rules never delete) and raises ValueError, which is a bug in a rule.
    """
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        missing = [k for k in old if k not in new]
        if missing:
            raise ValueError(f"rule removed keys {missing} at {format_path(path)}")
        ops: list[Op] = []
        for key, value in new.items():
            if key not in old:
                ops.append(SetValue((*path, key), value))
            else:
                ops.extend(diff_ops(old[key], value, (*path, key)))
        return ops
    if isinstance(old, list) and isinstance(new, list):
        if len(new) >= len(old) and all(_same(a, b) for a, b in zip(old, new, strict=False)):
            return [Append(path, item) for item in new[len(old) :]]
        if len(new) == len(old):
            return [op for i, (a, b) in enumerate(zip(old, new, strict=True)) for op in diff_ops(a, b, (*path, i))]
        return [SetValue(path, new)]
    if _same(old, new):
        return []
    return [SetValue(path, new)]


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)
