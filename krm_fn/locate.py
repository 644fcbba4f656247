"""Where a finding is in its file: the line and column of a field, from a document's composed nodes.

Pure: a composed YAML node, the line its text starts at in the file, and a result's field path in
(``spec.predictor.model.storageUri``, ``spec.containers[0].env[2].value``, a key with dots in it
such as ``metadata.annotations.serving.kserve.io/storage-uri``); a 1-based line and column out.

- A scalar is placed at its value (where a quoted one opens its quote); a mapping or a list reached
  through a key is placed at the key (``annotations:``), where a reader looks for it.
- A path that does not exist (a field a rule would add) falls back to its nearest existing parent,
  and a path that names nothing at all to the document's first node.
- Columns count characters (Unicode code points), as the YAML reader's marks do; a CRLF is one line
  break and a byte order mark is not part of the text the reader is given (``source.decode``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import yaml

from krm_fn.nodes import node_ref
from krm_fn.results import File, ResourceRef, Result

_INDEX = re.compile(r"\[(\d+)\]")
_SOURCE = re.compile(r"^# Source: ", re.MULTILINE)


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in a file."""

    line: int
    column: int


def _mark(mark: yaml.Mark, first_line: int) -> Position:
    return Position(first_line + mark.line, mark.column + 1)


def _step_key(node: yaml.MappingNode, rest: str) -> tuple[yaml.Node, yaml.Node, str] | None:
    """The (key, value, rest of the path) of the longest key that ``rest`` starts with."""
    best: tuple[yaml.Node, yaml.Node, str] | None = None
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        name = key.value
        matches = rest == name or rest.startswith((name + ".", name + "["))
        if matches and (best is None or len(name) > len(best[0].value)):
            best = (key, value, rest[len(name) :].removeprefix("."))
    return best


def locate(node: yaml.Node, first_line: int, path: str | None) -> Position:
    """The line and column of ``path`` in the document ``node`` whose text starts at ``first_line``.

    Falls back to the nearest existing parent of the path, then to the document's first node.
    """
    at = _mark(node.start_mark, first_line)
    rest = path or ""
    while rest:
        found = _INDEX.match(rest)
        if found is not None:
            if not isinstance(node, yaml.SequenceNode) or int(found.group(1)) >= len(node.value):
                return at
            node = node.value[int(found.group(1))]
            rest = rest[found.end() :].removeprefix(".")
            at = _mark(node.start_mark, first_line)
            continue
        if not isinstance(node, yaml.MappingNode):
            return at
        step = _step_key(node, rest)
        if step is None:
            return at
        key, node, rest = step
        # An empty value (``storageUri:``) has no text of its own: its key's line holds it.
        here = node if isinstance(node, yaml.ScalarNode) and node.value != "" else key
        at = _mark(here.start_mark, first_line)
    return at


class Located(Protocol):
    """What :func:`placed` needs of a document read from a file or a stream (``documents.Document``)."""

    name: str  # the file or stream it was read from
    index: int  # its place in that file
    line: int  # the line its text starts at in that file
    text: str
    origin: File | None  # the file results name (a ``# Source:`` comment's, on a stream)
    located: str | None  # the text to place results in when it is not ``text`` (JSON input's own)


def _source_line(text: str) -> int:
    """The 0-based line of a document's ``# Source:`` comment."""
    found = _SOURCE.search(text)
    return text[: found.start()].count("\n") if found else -1


def placed(results: Sequence[Result], documents: Iterable[Located]) -> list[Result]:
    """``results`` with the line and column of each one's field in the document it names.

    A result is matched to its document by its ``file`` (path and index); in a List, to the item
    its ``resourceRef`` names. On a stream, a document opened by ``# Source: <template>`` counts
    its lines from the one after that comment: line 1 is the template's first rendered line.
    Results that name no document, or that already carry a line (a problem of the text itself, such
    as a duplicate key, is placed where it is when it is found), are returned as they are.
    """
    by_file: dict[tuple[str, int], tuple[Located, int]] = {}
    for doc in documents:
        by_file.setdefault((doc.name, doc.index), (doc, doc.line))
        if doc.origin is not None and doc.origin.path != doc.name:
            by_file.setdefault((doc.origin.path, doc.origin.index), (doc, -_source_line(doc.text)))
    composed: dict[int, yaml.Node | None] = {}
    out = []
    for r in results:
        found = by_file.get((r.file.path, r.file.index)) if r.file is not None else None
        if r.file is None or found is None or r.file.line is not None:
            out.append(r)
            continue
        doc, first = found
        if id(doc) not in composed:
            composed[id(doc)] = _compose(doc.located or doc.text)
        root = composed[id(doc)]
        if root is None:
            out.append(r)
            continue
        node = _item(root, r.resourceRef)
        at = locate(node, first, r.field.path if r.field else None)
        out.append(replace(r, file=replace(r.file, line=at.line, column=at.column)))
    return out


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None


def _item(root: yaml.Node, ref: ResourceRef | None) -> yaml.Node:
    """The node a result is about: a List's item that ``ref`` names, else the document."""
    if ref is None or not isinstance(root, yaml.MappingNode):
        return root
    items = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "items"), None)
    if not isinstance(items, yaml.SequenceNode) or node_ref(root)[0] == ref:
        return root
    return next((item for item in items.value if node_ref(item)[0] == ref), root)
