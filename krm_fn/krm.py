"""The KRM function's format: a ResourceList from input bytes to output pieces and an exit code.

It reads (``resourcelist.py``), hands the items to the one pipeline (``driver.py``) and writes the
ResourceList back (``output.py``); it never touches stdin, stdout or the process: the CLI does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from krm_fn.driver import Run, Unit, bulk_allocation, configure, refused, run
from krm_fn.output import write_resource_list
from krm_fn.resourcelist import read
from krm_fn.results import Result, most_severe_first
from krm_fn.textedit import Splice


@dataclass
class Answer:
    """What the CLI prints and returns: the output ResourceList (in pieces), the results, the exit code."""

    pieces: Iterable[str]  # written once, in order (SPEC 7: the output is streamed)
    results: list[Result] = field(default_factory=list)
    prior_results: Any = field(default_factory=list)
    run: Run = field(default_factory=Run)

    @cached_property
    def stdout(self) -> str:
        """The output as one string (for tests and callers in Python; the CLI writes :attr:`pieces`)."""
        return "".join(self.pieces)

    @property
    def exit_code(self) -> int:
        """1 when any result, ours or one already in the input, is an error; else 0."""
        prior = self.prior_results if isinstance(self.prior_results, list) else []
        return self.run.exit_code(prior)


def run_krm(raw: bytes | bytearray) -> Answer:
    """Run the KRM function on a ResourceList; InputError (exit 2) propagates to the CLI."""
    with bulk_allocation():
        return _run_krm(raw)


def _run_krm(raw: bytes | bytearray) -> Answer:
    doc, screened = read(raw)  # limits and hostile-input checks, item by item
    del raw
    units = [Unit(None if i in screened.held else span) for i, span in enumerate(doc.items)]
    spec, errors = configure(doc.function_config)
    if spec is None:
        outcome = refused(errors, screened.findings, len(units))
    else:
        outcome = run(units, spec, measure=screened.measure, findings=screened.findings, rewritten=screened.expanded)
    splices = []
    for i, (start, end) in enumerate(doc.extents):
        edit = outcome.edits.get(i)
        if edit is not None:
            splices.append(Splice(start, end, edit.new))
        elif i in screened.expanded:
            span = doc.items[i]
            splices.append(Splice(start, end, span.source[span.start : span.end]))
    results = most_severe_first(outcome.results)
    pieces = write_resource_list(doc, splices, results)
    return Answer(pieces, results, doc.results, outcome)
