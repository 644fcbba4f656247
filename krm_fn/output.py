"""Writing: splice the edited items and our results into the input text.

Everything not spliced is copied from the input as it was; that is what keeps untouched items byte
for byte. Only YAML directives, document markers and any later document are dropped (SPEC 4 never
emits them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from krm_fn.ops import Op
from krm_fn.scalars import Layout, sequence_lines
from krm_fn.source import ResourceListInput, Span
from krm_fn.textedit import Splice, apply_splices, content_end, edit_item, line_after


def edit_span(span: Span, ops: Sequence[Op], newline: str, expected: Any = None) -> tuple[Splice, bool]:
    """The splice that applies ``ops`` to one item; and whether it was edited in place.

    ``expected`` is the item's data with ``ops`` applied, when the caller has it already.
    """
    new, in_place = edit_item(span.text, ops, data=span.data, newline=newline, expected=expected)
    return Splice(span.start, span.end, new[span.column :]), in_place


def _results_splice(doc: ResourceListInput, results: Sequence[dict[str, Any]]) -> Splice | None:
    if not results:
        return None
    nl = doc.newline
    entry = doc.entry("results")
    if entry is not None and isinstance(entry[1], yaml.SequenceNode) and not entry[1].flow_style:
        seq = entry[1]
        pos = line_after(doc.text, content_end(seq))
        lines = sequence_lines(results, seq.start_mark.column, Layout())
        prefix = "" if doc.text[pos - 1] == "\n" else nl
        return Splice(pos, pos, prefix + nl.join(lines) + nl)
    col = doc.root.start_mark.column
    lines = sequence_lines(results, col, Layout())
    if doc.results:
        # Earlier results in any other style (flow, a single mapping): written again as a block
        # list, ours after them, so that none is lost and the whole stays one block mapping.
        from krm_fn.scalars import dump_plain

        lines = [" " * col + line for line in dump_plain(doc.results).splitlines()] + lines
    body = " " * col + "results:" + nl + nl.join(lines) + nl
    if entry is not None:
        # ``results: []``, ``results:`` with nothing, or earlier results in another style:
        # replace the key's whole entry.
        start = entry[0].start_mark.index - entry[0].start_mark.column
        return Splice(start, line_after(doc.text, content_end(entry[1])), body)
    pos = line_after(doc.text, content_end(doc.root))
    prefix = "" if doc.text[pos - 1] == "\n" else nl
    return Splice(pos, pos, prefix + body)


def _items_splice(doc: ResourceListInput) -> Splice | None:
    entry = doc.entry("items")
    if entry is None:
        pos = line_after(doc.text, content_end(doc.root))
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


def write_resource_list(
    doc: ResourceListInput, item_splices: Sequence[Splice], results: Sequence[dict[str, Any]]
) -> str:
    """The output ResourceList text."""
    text = doc.text
    begin = doc.root.start_mark.index - doc.root.start_mark.column
    end = line_after(text, content_end(doc.root))
    splices = list(item_splices)
    for extra in (_items_splice(doc), _results_splice(doc, results)):
        if extra is not None:
            splices.append(extra)
    body = apply_splices(text[:end], splices)[begin:]
    out = _head(text[:begin]) + body + _tail(text[end:])
    return out if out.endswith("\n") else out + doc.newline
