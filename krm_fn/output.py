"""Writing: splice the edited items and our results into the input text.

Everything not spliced is copied from the input as it was; that is what keeps untouched items byte
for byte. Only YAML directives, document markers and any later document are dropped (SPEC 4 never
emits them).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from krm_fn.ops import Op
from krm_fn.resourcelist import ResourceListInput
from krm_fn.scalars import Layout, sequence_lines
from krm_fn.source import Span
from krm_fn.textedit import Splice, content_end, edit_item, line_after

#: The largest piece of text handed to the writer at once: the output is streamed, never built whole.
CHUNK = 1 << 20


def edit_span(span: Span, ops: Sequence[Op], newline: str, expected: Any = None) -> tuple[Splice, bool]:
    """The splice that applies ``ops`` to one item; and whether it was edited in place.

    ``expected`` is the item's data with ``ops`` applied, when the caller has it already.
    """
    new, in_place = edit_item(span.text, ops, data=span.data, newline=newline, expected=expected)
    return Splice(span.start, span.end, new[span.column :]), in_place


@dataclass(frozen=True)
class Insert:
    """Like a Splice, but its new text comes in pieces, made while they are written."""

    start: int
    end: int
    pieces: Iterable[str]


def _result_lines(results: Sequence[Any], col: int, nl: str, head: str = "") -> Iterator[str]:
    """The block sequence of ``results`` at column ``col``, one result at a time."""
    yield head
    for result in results:
        data = result.to_dict() if hasattr(result, "to_dict") else result
        yield nl.join(sequence_lines([data], col, Layout())) + nl


def _results_splice(doc: ResourceListInput, results: Sequence[Any]) -> Insert | None:
    if not results:
        return None
    nl = doc.newline
    entry = doc.entry("results")
    if entry is not None and isinstance(entry[1], yaml.SequenceNode) and not entry[1].flow_style:
        seq = entry[1]
        pos = line_after(doc.text, content_end(seq))
        prefix = "" if doc.text[pos - 1] == "\n" else nl
        return Insert(pos, pos, _result_lines(results, seq.start_mark.column, nl, prefix))
    col = doc.root.start_mark.column
    head = " " * col + "results:" + nl
    if doc.results:
        # Earlier results in any other style (flow, a single mapping): written again as a block
        # list, ours after them, so that none is lost and the whole stays one block mapping.
        from krm_fn.scalars import dump_plain

        head += "".join(" " * col + line + nl for line in dump_plain(doc.results).split("\n")[:-1])
    if entry is not None:
        # ``results: []``, ``results:`` with nothing, or earlier results in another style:
        # replace the key's whole entry.
        start = entry[0].start_mark.index - entry[0].start_mark.column
        return Insert(start, line_after(doc.text, content_end(entry[1])), _result_lines(results, col, nl, head))
    pos = line_after(doc.text, doc.content_end)
    prefix = "" if doc.text[pos - 1] == "\n" else nl
    return Insert(pos, pos, _result_lines(results, col, nl, prefix + head))


def _items_splice(doc: ResourceListInput) -> Splice | None:
    entry = doc.entry("items")
    if entry is None:
        pos = line_after(doc.text, doc.content_end)
        prefix = "" if doc.text[pos - 1] == "\n" else doc.newline
        return Splice(pos, pos, prefix + " " * doc.root.start_mark.column + "items: []" + doc.newline)
    node = entry[1]
    if isinstance(node, yaml.ScalarNode):  # ``items:`` or ``items: null``
        start = entry[0].end_mark.index
        return Splice(start, node.end_mark.index, ": []")
    return None


def _head(text: str) -> str:
    """Text before the root node's line, less directives and the ``---`` marker."""
    if "%" not in text and "---" not in text:
        return text
    lines = text.splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(("%", "---")):
            return "".join(lines[i + 1 :])
    return text


def _tail(text: str) -> str:
    """Text after the root's content: trailing comments, up to a ``...`` or ``---`` marker."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(("...", "---")):
            return "".join(lines[:i])
    return text


def spliced(text: str, splices: Iterable[Splice | Insert], start: int = 0, end: int | None = None) -> Iterator[str]:
    """``text[start:end]`` with ``splices`` applied, in pieces of at most :data:`CHUNK` characters."""
    end = len(text) if end is None else end
    pos = start
    for sp in sorted(splices, key=lambda s: (s.start, s.end)):  # sorted() is stable
        yield from _pieces(text, pos, sp.start)
        if isinstance(sp, Insert):
            yield from sp.pieces
        else:
            yield sp.new
        pos = sp.end
    yield from _pieces(text, pos, end)


def _pieces(text: str, start: int, end: int) -> Iterator[str]:
    for pos in range(start, end, CHUNK):
        yield text[pos : min(pos + CHUNK, end)]


def write_resource_list(
    doc: ResourceListInput, item_splices: Sequence[Splice], results: Sequence[Any]
) -> Iterator[str]:
    """The output ResourceList text, in pieces (SPEC 7: streamed, not built as one string).

    ``results`` are Result objects (or their dicts), written one at a time.
    """
    text = doc.text
    begin = doc.root.start_mark.index - doc.root.start_mark.column
    end = line_after(text, doc.content_end)
    splices: list[Splice | Insert] = list(item_splices)
    for extra in (_items_splice(doc), _results_splice(doc, results)):
        if extra is not None:
            splices.append(extra)
    last = ""
    for piece in itertools.chain((_head(text[:begin]),), spliced(text, splices, begin, end), (_tail(text[end:]),)):
        if piece:
            last = piece
            yield piece
    if not last.endswith("\n"):
        yield doc.newline
