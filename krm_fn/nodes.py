"""Readers of composed YAML nodes: a scalar at a path, a resource's reference, a node's field path.

They read a document's node tree without building its data, for the documents no rule reads
(held back, skipped, written as they are) and for locating a problem.
"""

from __future__ import annotations

import yaml

from krm_fn.results import File, ResourceRef


def _lookup(node: yaml.Node, *keys: str) -> yaml.Node | None:
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return None
        found = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key), None)
        if found is None:
            return None
        node = found
    return node


def scalar_at(node: yaml.Node, *keys: str) -> str | None:
    """The scalar at a path of mapping keys in a composed node (its data is never built), or None."""
    return _text(_lookup(node, *keys))


def _text(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def node_ref(node: yaml.Node) -> tuple[ResourceRef, File | None]:
    """The result reference and file of an item, read from its nodes (its data is never built)."""
    ref = ResourceRef(
        _text(_lookup(node, "apiVersion")) or "",
        _text(_lookup(node, "kind")) or "",
        _text(_lookup(node, "metadata", "name")) or "",
        _text(_lookup(node, "metadata", "namespace")) or None,
    )
    path = _text(_lookup(node, "metadata", "annotations", "internal.config.kubernetes.io/path"))
    path = path or _text(_lookup(node, "metadata", "annotations", "config.kubernetes.io/path"))
    if path is None:
        return ref, None
    index = _text(_lookup(node, "metadata", "annotations", "internal.config.kubernetes.io/index"))
    index = index or _text(_lookup(node, "metadata", "annotations", "config.kubernetes.io/index"))
    return ref, File(path, int(index) if index and index.isdigit() else 0)


def field_path(root: yaml.Node, target: yaml.Node) -> str:
    """The dotted path of ``target`` under ``root`` (rare, so a plain search is fine)."""
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k is target:
                    return f"{path}.{k.value}" if path else str(k.value)
                key = k.value if isinstance(k, yaml.ScalarNode) else "?"
                stack.append((v, f"{path}.{key}" if path else str(key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node.value))
    return ""
