"""``fix``: the edits of a render, as new texts of the files the documents came from (SPEC 5.3).

Sources and the documents a rule edited in, new file bytes and a unified diff out (the only
thing looked up on disk is where a symbolic link leads, to name the file in the diff). The
command (``commands.py``) reads the files, renders them and writes with ``writeback.py``.

- Only a file with a document that a rule edited gets a new text. In it, each such document's
  text (between its ``---`` lines) is replaced by its new text; every other byte stays: the other
  documents, comments, marker lines, directives, CRLF line ends and a byte order mark.
- A held-back document, a document that is not YAML, and one that no rule edits are never in
  ``changed``: they stay byte for byte. A document with anchors is in ``changed`` only when a rule
  edits it; then it is written out in full, as render writes it.
- A JSON file is not rewritten (render reads it by converting it to YAML, so there is no JSON text
  to splice into, and fix never turns a file into another format): an error result names it and
  says that its changes were not written.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from krm_fn.documents import Document, Source
from krm_fn.render import Rendered, run_render
from krm_fn.results import File, Result
from krm_fn.source import decode, json_to_yaml

if TYPE_CHECKING:
    from krm_fn.config import PolicySpec
    from krm_fn.discovery import Skipped

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class FileFix:
    """One file to rewrite: its name, the bytes read, and the bytes to write."""

    name: str
    old: bytes
    new: bytes


@dataclass
class Plan:
    """What a fix would do: the render behind it, the files to rewrite, and what it cannot write."""

    rendered: Rendered
    fixes: list[FileFix]
    findings: list[Result]


def fix_policy(spec: PolicySpec) -> PolicySpec:
    """The policy fix runs with: always ``mutate``, and ``recordOriginal`` false unless the config
    set it (a source file's history is in version control; SPEC 5.3)."""
    update: dict[str, object] = {"mode": "mutate"}
    if "recordOriginal" not in spec.model_fields_set:
        update["recordOriginal"] = False
    return spec.model_copy(update=update)


def plan(
    sources: Sequence[Source],
    spec: PolicySpec,
    skipped: Sequence[Skipped] = (),
    *,
    notes: Sequence[Result] = (),
    allow_empty: bool = False,
) -> Plan:
    """Render ``sources`` with :func:`fix_policy` and turn the edits into new file bytes.

    InputError (exit 2) as for render: a limit, a file that is not text, nothing readable, no
    resource at all (unless ``allow_empty``). ``notes`` are discovery's (a Helm chart not read).
    """
    rendered = run_render(sources, fix_policy(spec), skipped=skipped, notes=notes, allow_empty=allow_empty)
    fixes, findings = new_files(sources, rendered.changed)
    return Plan(rendered, fixes, findings)


def new_files(sources: Sequence[Source], changed: Iterable[tuple[Document, str]]) -> tuple[list[FileFix], list[Result]]:
    """Each source with an edited document, as its new bytes; error results for files not rewritten.

    ``changed`` is ``Rendered.changed``: each edited document (name, and where its text stands in
    its file's decoded text) with its new text. Files come out in the order of ``sources``.
    """
    by_name: dict[str, list[tuple[Document, str]]] = {}
    for doc, text in changed:
        by_name.setdefault(doc.name, []).append((doc, text))
    fixes: list[FileFix] = []
    findings: list[Result] = []
    for source in sources:
        edits = by_name.get(source.name)
        if not edits:
            continue
        if source.is_stdin:
            continue  # nothing to write back to (the command refuses ``-`` before it gets here)
        text, _ = decode(source.raw)
        if json_to_yaml(text) != text:
            findings.append(_json_not_written(source.name, len(edits)))
            continue
        new = _spliced(text, edits)
        data = (_BOM if source.raw.startswith(_BOM) else b"") + new.encode("utf-8")
        if data != source.raw:
            fixes.append(FileFix(source.name, bytes(source.raw), data))
    return fixes, findings


def _spliced(text: str, edits: Sequence[tuple[Document, str]]) -> str:
    """``text`` with each edited document's span replaced by its new text."""
    parts: list[str] = []
    position = 0
    for doc, new in sorted(edits, key=lambda e: e[0].start):
        parts.append(text[position : doc.start])
        parts.append(_keep_ending(text[doc.start : doc.end], new))
        position = doc.end
    parts.append(text[position:])
    return "".join(parts)


def _keep_ending(old: str, new: str) -> str:
    """The new text, with the old one's line ends: CRLF stays CRLF (a document written out in full
    comes from the YAML writer with LF), and a last document without a final newline stays
    without one (render adds it only in its stream, between documents)."""
    if "\r\n" in old and "\r\n" not in new:
        new = new.replace("\n", "\r\n")
    if not old.endswith("\n") and new.endswith("\n"):
        newline = "\r\n" if new.endswith("\r\n") else "\n"
        return new.removesuffix(newline)
    return new


def _json_not_written(name: str, count: int) -> Result:
    return Result(
        f"{name}: a JSON file is not rewritten by fix; {count} changed document(s) reported above were not "
        "written (apply them by hand, or keep the manifest as YAML)",
        "error",
        file=File(name),
    )


def unified_diff(fixes: Iterable[FileFix]) -> str:
    """A unified diff of every fix, file by file (``--- path`` / ``+++ path``; ``patch -p0`` applies it).

    A file reached through a symbolic link is named by the file the link resolves to: that is
    the file written (and what ``git diff`` shows), and ``patch`` refuses to write through a link.
    """
    out: list[str] = []
    for fix in fixes:
        old = fix.old.decode("utf-8").splitlines(keepends=True)
        new = fix.new.decode("utf-8").splitlines(keepends=True)
        name = _written(fix.name)
        for line in difflib.unified_diff(old, new, name, name):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _written(name: str) -> str:
    """The path of the file a name resolves to, relative when the name was (and it stays below)."""
    real = os.path.realpath(name)
    if real == os.path.abspath(name):
        return name
    if os.path.isabs(name):
        return real
    relative = os.path.relpath(real)
    return real if relative.startswith("..") else relative
