"""Checks of one composed document or item: tags, keys and depth (SPEC 4's YAML policy).

- no tag outside YAML's core schema (``!!python/...``, ``!custom``) is ever constructed;
- mapping keys are unique and scalar (the Kubernetes API server rejects duplicate keys); a merge
  key ``<<`` takes a mapping or a list of mappings;
- the depth limit holds, measured level by level without recursion.

A document or item with such a problem is *held back*: passed through byte for byte, never built
into Python data, never transformed, and reported by an error result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from krm_fn.limits import line_of, short, too_deep

# The tags a SafeLoader resolves implicitly. Anything else (python/*, binary, set, omap, local
# ``!tags``) is something this function does not read: it is never constructed.
CORE = "tag:yaml.org,2002:"
SAFE_TAGS = frozenset(CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge"))


@dataclass
class Problem:
    """One thing wrong with a node: where it is and what it is."""

    message: str
    line: int
    node: yaml.Node | None = None


_FRAGILE = frozenset((CORE + "timestamp", CORE + "int"))


def _constructs(node: yaml.Node) -> bool:
    """Whether a scalar resolved as a timestamp or int can be built (only checked where it may fail)."""
    if node.tag == CORE + "int" and "_" not in str(node.value):
        return True
    try:
        yaml.constructor.SafeConstructor().construct_object(node)
    except (ValueError, yaml.YAMLError):
        return False
    return True


@dataclass
class Walk:
    """How to walk one tree: its depth limit, the depth of its root, and what was measured."""

    max_depth: int
    root_depth: int = 1
    shared: bool = False  # the graph may hold one node in several places (aliases): visit each once
    deepest: int = 0


def tree_problems(node: yaml.Node, walk: Walk) -> Iterator[Problem]:
    """Duplicate or non-scalar keys and unsafe tags, walking without recursion; LimitError when too deep.

    The exact depth is measured here, on the composed tree, level by level (see the module's
    docstring for what stops deeper text before it is composed). This runs on every item, so it is
    written for speed (no per-node tuples, exact types).
    """
    mapping, sequence, scalar = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode
    safe, fragile, merge = SAFE_TAGS, _FRAGILE, CORE + "merge"
    seen: set[int] = set()
    level, depth = [node], walk.root_depth
    while level:
        below: list[yaml.Node] = []
        for n in level:
            if walk.shared:
                if id(n) in seen:
                    continue
                seen.add(id(n))
            cls = type(n)
            if n.tag not in safe:
                yield Problem(
                    f"tag {short(n.tag.replace(CORE, '!!'))} is not read by this function (never constructed)",
                    line_of(n),
                    n,
                )
            elif cls is scalar:
                if n.tag in fragile:
                    _fix_fragile(n)
            elif depth > walk.max_depth:
                raise too_deep(walk.max_depth, line_of(n))
            elif cls is mapping:
                walk.deepest = max(walk.deepest, depth)
                keys: set[str] = set()
                for k, v in n.value:
                    below.append(v)
                    if type(k) is not scalar:
                        yield Problem("a mapping key is not a plain scalar", line_of(k), k)
                        continue
                    if k.tag not in safe:
                        below.append(k)  # reported on the next level
                    elif k.tag in fragile:
                        _fix_fragile(k)
                    if k.tag == merge and not _mergeable(v):
                        yield Problem("a merge key '<<' takes a mapping or a list of mappings", line_of(k), k)
                    if k.tag == merge:
                        continue  # not a key of its own: a quoted "<<" beside it is an ordinary key
                    if k.value in keys:
                        yield Problem(
                            f"duplicate key {short(k.value)} (the Kubernetes API server rejects duplicate keys)",
                            line_of(k),
                            k,
                        )
                    keys.add(k.value)
            elif cls is sequence:
                walk.deepest = max(walk.deepest, depth)
                below.extend(n.value)
        level, depth = below, depth + 1


def _mergeable(node: yaml.Node) -> bool:
    """What SafeConstructor accepts after ``<<`` (anything else makes it raise)."""
    if type(node) is yaml.MappingNode:
        return True
    return type(node) is yaml.SequenceNode and all(type(v) is yaml.MappingNode for v in node.value)


def _fix_fragile(node: yaml.Node) -> None:
    """Read a scalar that looks like a timestamp or int but is no valid one as the string it is.

    ``2024-00-01`` or ``0x_`` match YAML 1.1's patterns, and SafeConstructor would raise on them.
    Kubernetes (yaml.v2 into JSON) keeps them as strings, and so does this function from here on.
    """
    if not _constructs(node):
        node.tag = CORE + "str"
