"""Results for people: the table on stderr, and its JSON and YAML forms. Pure: text in, text out.

- Identical findings (same severity, field and message) are said once, with a count: a large
  bundle with one problem in 412 resources prints one row, ``412 x ...``, not 412. From
  ``SIMILAR_ROWS`` findings on one field that differ only in their quoted values (the same
  rewrite of 2,500 different URIs), they are one row too, showing the first (``2500 x like: ...``).
- With a width (``$COLUMNS``, or the terminal's), the resource and field columns are cut and the
  message is wrapped so that no line is longer than the width; ``--output json|yaml`` has the full
  text of every result.
- ``quiet`` keeps only the errors and the summary.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from krm_fn.results import Result
from krm_fn.transform import SUMMARY_PREFIX

HEADER = ("SEVERITY", "RESOURCE", "FIELD", "MESSAGE")
#: From this many findings of one shape on one field (values aside), they are one row.
SIMILAR_ROWS = 10
_QUOTED = re.compile(r"'[^']*'")
_MIN_MESSAGE = 24


@dataclass
class _Row:
    severity: str
    resource: str
    field: str
    message: str
    count: int = 1


def where(r: Result) -> str:
    """The RESOURCE cell: ``namespace/Kind/name (file)``."""
    ref = r.resourceRef
    text = f"{ref.kind}/{ref.name}" if ref else ""
    if ref and ref.namespace:
        text = f"{ref.namespace}/{text}"
    if r.file:
        text = f"{text} ({r.file.path})" if text else r.file.path
    return text


def select(results: Sequence[Result], quiet: bool = False) -> list[Result]:
    """The results a table shows: with ``quiet``, only the errors and the summary."""
    if not quiet:
        return list(results)
    return [r for r in results if r.severity == "error" or r.message.startswith(SUMMARY_PREFIX)]


def _shape(message: str) -> str:
    """A message with its quoted values blanked: the same finding about different URIs."""
    return _QUOTED.sub("'*'", message)


def _rows(results: Sequence[Result]) -> list[_Row]:
    rows: list[_Row] = []
    seen: dict[tuple[str, str, str], _Row] = {}
    shapes: dict[tuple[str, str, str], list[Result]] = {}
    for r in results:
        path = r.field.path if r.field else ""
        if not r.message.startswith(SUMMARY_PREFIX):
            shapes.setdefault((r.severity, path, _shape(r.message)), []).append(r)
    for r in results:
        path = r.field.path if r.field else ""
        shape = (r.severity, path, _shape(r.message))
        similar = len(shapes.get(shape, ()))
        # Many findings of one shape (a bundle where one mistake repeats) are one row; a few are
        # each shown, with their own values. Identical ones are always one row.
        key = shape if similar >= SIMILAR_ROWS else (r.severity, path, r.message)
        if key in seen and not r.message.startswith(SUMMARY_PREFIX):
            seen[key].count += 1
            continue
        row = _Row(r.severity, where(r), path, r.message)
        if similar >= SIMILAR_ROWS and shape == key and _shape(r.message) != r.message:
            row.message = f"like: {r.message}"
        seen[key] = row
        rows.append(row)
    for row in rows:
        if row.count > 1:
            row.message = f"{row.count} x {row.message}"
            row.resource = f"{row.resource} +{row.count - 1} more" if row.resource else row.resource
    return rows


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 3, 1)] + "..."


def table(results: Sequence[Result], width: int | None = None) -> str:
    """The results as a table; with ``width``, no line is longer than that (messages wrap)."""
    rows = _rows(results)
    cells = [HEADER, *((r.severity, r.resource, r.field, r.message) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    if width is not None:
        # Severity stays whole; resource and field share what the message's minimum leaves.
        cap = max((width - widths[0] - 6 - _MIN_MESSAGE) // 2, 4)
        widths[1], widths[2] = min(widths[1], cap), min(widths[2], cap)
    lines = []
    for cell in cells:
        left = "  ".join(_cut(c, widths[i]).ljust(widths[i]) for i, c in enumerate(cell[:3])) + "  "
        if width is None:
            lines.append(left + cell[3])
            continue
        wrapped = textwrap.wrap(cell[3], max(width - len(left), 1), break_on_hyphens=False) or [""]
        lines.append(left + wrapped[0])
        lines.extend(" " * len(left) + more for more in wrapped[1:])
    return "\n".join(line.rstrip() for line in lines)


def as_json(results: Sequence[Result]) -> str:
    """Every result in full, as the JSON list kpt's ``results`` holds."""
    return json.dumps([r.to_dict() for r in results], indent=2, ensure_ascii=False)


def as_yaml(results: Sequence[Result]) -> str:
    """Every result in full, as YAML."""
    from krm_fn.scalars import dump_plain

    return dump_plain([r.to_dict() for r in results]).rstrip("\n")
