"""Results for people (the default on stderr), shaped like the linters users know (SPEC 5.2). Pure.

::

    models/iris.yaml:9:19: error: would rewrite 'pvc://m/iris/model.joblib' to 'pvc://m/iris' [file-uri]
      InferenceService default/iris, spec.predictor.model.storageUri
      2 more like this: models/a.yaml:9:19, models/b.yaml:9:19

- Grouped by file, in the order the files were read, each finding in line order; every finding's
  first line starts with its ``path:line:col``, then its severity, message and rule id.
- Identical findings (same severity, rule, field and message) are said once, with the places of the
  others under it ("N more like this": every file is still named). From ``SIMILAR_ROWS`` findings
  of one shape (the same message about different quoted values) they are one group too.
- Nothing is cut: with a width (``$COLUMNS``, or the terminal's) lines wrap between words, so no
  URI or path is ever broken; only a single word longer than the width stands alone on a longer line.
- Every text from a manifest or a path is escaped (``formats.escape``): no control character raw.
- A summary line ends it, with the count of suppressed findings; ``quiet`` keeps only the errors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from krm_fn.formats import Findings
from krm_fn.formats.escape import escape

__all__ = ["SIMILAR_ROWS", "escape", "human", "one_line", "place"]
from krm_fn.results import Result
from krm_fn.transform import SUMMARY_PREFIX

#: From this many findings of one shape (values aside), they are one group.
SIMILAR_ROWS = 10
_QUOTED = re.compile(r"'[^']*'")
_INDENT = "  "


@dataclass
class _Group:
    first: Result
    others: list[Result] = field(default_factory=list)


def place(r: Result) -> str:
    """Where a finding is: ``path:line:col``, ``path``, or its resource when it names no file."""
    if r.file is not None:
        path = escape(r.file.path)
        return f"{path}:{r.file.line}:{r.file.column}" if r.file.line is not None else path
    if r.resourceRef is not None:
        return escape(f"{r.resourceRef.kind}/{r.resourceRef.name}")
    return "kserve-pvc-fn"


def _about(r: Result) -> str:
    """The resource and field a finding is about (its second line)."""
    parts = []
    if r.resourceRef is not None:
        ref = r.resourceRef
        name = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
        parts.append(escape(f"{ref.kind} {name}"))
    if r.field is not None:
        parts.append(escape(r.field.path))
    return ", ".join(parts)


def _shape(r: Result) -> tuple[str, str | None, str, str]:
    return (r.severity, r.rule, r.field.path if r.field else "", _QUOTED.sub("'*'", r.message))


def _exact(r: Result) -> tuple[str, str | None, str, str]:
    return (r.severity, r.rule, r.field.path if r.field else "", r.message)


def _groups(results: Sequence[Result]) -> list[_Group]:
    """Findings grouped as identical (or, from ``SIMILAR_ROWS`` on, of one shape), in file order."""
    shapes: dict[tuple[str, str | None, str, str], int] = {}
    for r in results:
        shapes[_shape(r)] = shapes.get(_shape(r), 0) + 1
    files: dict[str | None, int] = {}
    for r in results:
        files.setdefault(r.file.path if r.file else None, len(files))

    def order(r: Result) -> tuple[int, int, int]:
        if r.file is None:
            return (files[None], 0, 0)
        return (files[r.file.path], r.file.line or 0, r.file.column or 0)

    groups: dict[tuple[str, str | None, str, str], _Group] = {}
    for r in sorted(results, key=order):  # stable: equal places keep their order
        key = _shape(r) if shapes[_shape(r)] >= SIMILAR_ROWS else _exact(r)
        if key in groups:
            groups[key].others.append(r)
        else:
            groups[key] = _Group(r)
    return list(groups.values())


def _wrap(words: Sequence[str], width: int | None, indent: str) -> list[str]:
    """Words joined into lines of at most ``width`` (never breaking a word), continued at ``indent``."""
    lines: list[str] = []
    line = ""
    for word in words:
        if not line:
            line = (indent if lines else "") + word
        elif width is None or len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = indent + word
    if line:
        lines.append(line)
    return lines


def _indented(words: list[str]) -> list[str]:
    return [_INDENT + words[0], *words[1:]]


def _finding(group: _Group, width: int | None) -> list[str]:
    r = group.first
    rule = [f"[{escape(r.rule)}]"] if r.rule else []
    words = [f"{place(r)}:", f"{r.severity}:", *escape(r.message).split(" "), *rule]
    lines = _wrap([w for w in words if w], width, _INDENT * 2)
    if about := _about(r):
        lines += _wrap(_indented(about.split(" ")), width, _INDENT * 2)
    if group.others:
        places = [f"{place(o)}," for o in group.others]
        places[-1] = places[-1].removesuffix(",")
        lines += _wrap(_indented([str(len(group.others)), "more", "like", "this:", *places]), width, _INDENT * 2)
    return lines


def one_line(r: Result) -> str:
    """A finding in one line, ``path: severity: message [rule]``, for logs under orchestrators."""
    rule = f" [{escape(r.rule)}]" if r.rule else ""
    return f"{place(r)}: {r.severity}: {escape(r.message)}{rule}"


def human(findings: Findings, width: int | None = None, quiet: bool = False) -> str:
    """The findings for a person: grouped by file, nothing cut, no line past ``width``; a summary last."""
    results = [r for r in findings.results if not r.message.startswith(SUMMARY_PREFIX)]
    summaries = [r for r in findings.results if r.message.startswith(SUMMARY_PREFIX)]
    if quiet:
        results = [r for r in results if r.severity == "error"]
    lines: list[str] = []
    previous: object = ()
    for group in _groups(results):
        path = group.first.file.path if group.first.file else None
        if lines and path != previous:
            lines.append("")
        previous = path
        lines += _finding(group, width)
    for summary in summaries:
        text = escape(summary.message)
        if findings.suppressed:
            text += f", {len(findings.suppressed)} suppressed"
        lines += _wrap(text.split(" "), width, _INDENT)
    return "\n".join(lines)
