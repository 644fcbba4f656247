"""The stream format: plain YAML files and streams in, one multi-document stream out (``render``, ``check``).

:mod:`krm_fn.documents` reads the inputs into documents (its docstring holds the reading policy);
the resources go through the one pipeline (``driver.py``); each document is then written as read,
or with its resources' edits spliced in, behind its own ``---`` line. Nothing to read at all is
exit 2 ("no Kubernetes resources in the input"); a byte order mark at the start of the first input
starts the output too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from krm_fn.discovery import Skipped
from krm_fn.documents import BOM, Document, Read, Source, read_source
from krm_fn.driver import Run, Unit, bulk_allocation, run
from krm_fn.limits import Limits
from krm_fn.locate import placed
from krm_fn.results import Result
from krm_fn.source import InputError
from krm_fn.textedit import apply_splices

__all__ = ["NOTHING_TO_READ", "Rendered", "run_render"]

NOTHING_TO_READ = "no Kubernetes resources in the input"


@dataclass
class Rendered:
    """The output stream of ``render``, its results, and what was skipped."""

    stream: str
    results: list[Result]
    skipped: list[Skipped] = field(default_factory=list)
    #: Each document a rule edited, with its new text (in input order): what ``fix`` writes back.
    changed: list[tuple[Document, str]] = field(default_factory=list)
    #: Findings an ``ignore.fn.kserve-pvc.dev/<rule>`` annotation suppressed, located like the others.
    suppressed: list[Result] = field(default_factory=list)


def run_render(
    sources: Sequence[Source],
    spec: object,
    limits: Limits | None = None,
    *,
    skipped: Sequence[Skipped] = (),
    allow_empty: bool = False,
    notes: Sequence[Result] = (),
) -> Rendered:
    """Render plain YAML inputs with a valid config: every resource through the one pipeline.

    InputError (exit 2) when an input is refused as a whole: a limit from the environment, a file
    that is not text, no input that could be read at all, or no resource at all (unless
    ``allow_empty``).
    """
    limits = limits or Limits.from_env()
    with bulk_allocation():
        return _run_render(sources, spec, limits, list(skipped), allow_empty, notes)


def _run_render(  # noqa: PLR0917
    sources: Sequence[Source],
    spec: object,
    limits: Limits,
    skipped: list[Skipped],
    allow_empty: bool,
    notes: Sequence[Result],
) -> Rendered:
    """``notes`` (what discovery found about the input as a whole) come first in the results."""
    read = Read(skipped=skipped)
    read.findings.extend(notes)
    for source in sources:
        read_source(source, limits, read)
    count = len(read.units) + read.held
    unreadable = read.findings[len(notes) :]
    if unreadable and not read.docs and not read.skipped:
        # Nothing at all could be read: the run as a whole is unusable.
        raise InputError(unreadable[0].message.removesuffix("; left out of the stream"))
    if not count and not unreadable and not allow_empty:
        # A note (a Helm chart not read) says why there was nothing: it goes on the one line.
        raise InputError("; ".join([NOTHING_TO_READ, *(n.message for n in notes[:1])]))
    outcome = run(
        read.units,
        spec,  # type: ignore[arg-type]
        measure=read.measure,
        findings=read.findings,
        count=count,
        skipped=len(read.skipped),
    )
    texts = [_written(doc, read.units, outcome) for doc in read.docs]
    stream = _stream(
        [d for d in read.docs if d.written], [t for d, t in zip(read.docs, texts, strict=True) if d.written]
    )
    changed = [(doc, text) for doc, text in zip(read.docs, texts, strict=True) if text is not doc.text]
    results = placed(outcome.results, read.docs)  # file:line:col of each finding (SPEC 5.2)
    suppressed = placed(outcome.suppressed, read.docs)
    return Rendered(BOM + stream if read.bom and stream else stream, results, read.skipped, changed, suppressed)


def _written(doc: Document, units: Sequence[Unit], outcome: Run) -> str:
    """A document's text as written: its own, or with the edits of its resources applied."""
    edits = [(units[i], outcome.edits[i]) for i in doc.units if i in outcome.edits]
    if not edits:
        return doc.text
    span = edits[0][0].span
    assert span is not None
    return apply_splices(span.source, [splice for _, splice in edits])


def _stream(docs: Sequence[Document], texts: Sequence[str]) -> str:
    parts = []
    for n, (doc, text) in enumerate(zip(docs, texts, strict=True)):
        body = text if text.endswith("\n") or not text else text + "\n"
        marker = doc.marker if doc.marker.endswith("\n") or not doc.marker else doc.marker + "\n"
        if n and not marker:
            marker = "---\n"
        parts.append(marker + body)
    return "".join(parts)
