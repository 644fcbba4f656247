"""The one pipeline every mode runs: configure -> judge -> edit, over documents a format has read.

A format (a ResourceList on stdin: ``krm.py``; plain files and streams: ``documents.py`` and
``render.py``) reads and screens its input into :class:`Unit` s, one per resource, each a span of
text with where it came from; it hands them here with the findings of its reading and what it
measured, and writes back whatever :func:`run` returns. The formats decide nothing about resources: what is judged, what
counts as changed, what a tighter config limit means and which exit code follows are decided here,
once, for every mode.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from krm_fn.limits import Measure, exceeds
from krm_fn.output import edit_span
from krm_fn.resource import Resource
from krm_fn.results import EXIT_ERRORS, EXIT_OK, File, ResourceRef, Result
from krm_fn.rules import interesting
from krm_fn.settings import well_formed
from krm_fn.source import Span
from krm_fn.textedit import Splice
from krm_fn.transform import summary, transform

if TYPE_CHECKING:
    from krm_fn.config import PolicySpec


@dataclass(slots=True)
class Unit:
    """One resource as a format read it: its span (None when held back), and where it came from.

    ``anchors``: the span is the resource's text with its anchors and aliases written out, which
    the format writes only if the resource is edited (render: a document the rules leave alone is
    passed through verbatim, anchors and all; SPEC 4).
    """

    span: Span | None
    origin: File | None = None
    anchors: bool = False
    ref: ResourceRef | None = None


@dataclass
class Run:
    """What a run decided: every result in order (the summary last), and the edit of each changed unit."""

    results: list[Result] = field(default_factory=list)
    edits: dict[int, Splice] = field(default_factory=dict)  # unit index -> splice of its span's source
    #: Findings an ``ignore.fn.kserve-pvc.dev/<rule>`` annotation suppressed (not in ``results``).
    suppressed: list[Result] = field(default_factory=list)

    def exit_code(self, prior: Sequence[Any] = ()) -> int:
        """1 when any result, ours or one already in the input (``prior``), is an error; else 0."""
        return exit_code(self.results, prior)


def exit_code(results: Sequence[Result], prior: Sequence[Any] = (), fail_on: str = "error") -> int:
    """1 when any result (ours, or one already in the input: ``prior``) is an error, or a warning
    with ``fail_on="warning"`` (``--fail-on``); else 0. The one rule of every mode."""
    failing = ("error", "warning") if fail_on == "warning" else ("error",)
    fails = any(r.severity in failing for r in results) or any(
        isinstance(r, dict) and r.get("severity") in failing for r in prior
    )
    return EXIT_ERRORS if fails else EXIT_OK


def configure(function_config: Any, overrides: dict[str, Any] | None = None) -> tuple[PolicySpec | None, list[Result]]:
    """The policy from a config document, with ``overrides`` (e.g. ``mode: validate``) on top.

    The one entry point of the config for every mode. A well-formed config is taken without
    importing pydantic (``krm_fn.settings``); anything else goes to the pydantic models, which
    accept it or word the errors.
    """
    fast = well_formed(function_config, overrides)
    if fast is not None:
        return cast("PolicySpec", fast), []  # the same attributes and model_dump() (tests/test_settings.py)
    from krm_fn.config import PolicySpec, load_config

    spec, errors = load_config(function_config)
    if spec is not None and overrides:
        try:
            spec = PolicySpec.model_validate({**spec.model_dump(), **overrides})
        except ValueError as err:
            return None, [Result(f"invalid setting: {err}", "error")]
    return spec, errors


def refused(config_errors: Sequence[Result], findings: Sequence[Result], count: int, skipped: int = 0) -> Run:
    """The run of an input whose config is invalid: nothing is judged or changed."""
    results = [*findings, *config_errors]
    return Run([*results, summary(count, 0, results, "mutate", skipped)])


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while a run builds its many small, acyclic objects.

    Composing a large bundle creates hundreds of thousands of nodes and marks, none in a cycle:
    reference counting frees them, and collections started by the allocation count would only
    walk them for nothing. The previous state is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def candidate(index: int, span: Span, origin: File | None = None) -> Resource | None:
    """The resource of one span when a rule can concern it (kind and text markers), else None."""
    kind = span.scalar("kind")
    if not kind or not interesting(kind, span.source[span.start : span.end]):
        return None
    data = span.data
    return Resource(index, data, origin) if isinstance(data, dict) else None


def newline_of(text: str) -> str:
    """The newline a text uses (CRLF when its first line ends in one)."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def run(
    units: Sequence[Unit],
    spec: PolicySpec,
    *,
    measure: Measure,
    findings: Sequence[Result] = (),
    count: int | None = None,
    skipped: int = 0,
    rewritten: Collection[int] = (),
) -> Run:
    """Judge every unit and edit the ones the rules change.

    ``findings`` are what the reading found (reported first, counted in the summary); ``count`` is
    how many resources were read (held ones included), ``skipped`` how many documents were not
    resources, ``rewritten`` which units change for reasons of the format's own (anchors
    written out): they count as changed. Over a limit the config tightened, nothing is changed: the
    limits' error results and the summary only, in every mode.
    """
    count = len(units) if count is None else count
    over = exceeds(measure, spec)
    found = [*findings, *over]
    if over:
        return Run([*found, summary(count, 0, found, spec.mode, skipped)])
    resources = []
    for i, unit in enumerate(units):
        if unit.span is None:
            continue
        res = candidate(i, unit.span, unit.origin)
        if res is not None:
            resources.append(res)
        unit.span.release()  # the node is most of an item's memory; its data stays if it was built
    out = transform(
        resources, spec, item_count=count, input_findings=found, skipped=skipped, rewritten=rewritten, summarize=False
    )
    edits = {}
    for i, ops in out.ops.items():
        unit = units[i]
        assert unit.span is not None
        edits[i] = edit_span(unit.span, ops, newline_of(unit.span.source), out.expected.get(i))[0]
        if unit.anchors:
            where = unit.origin.path if unit.origin is not None else f"items[{i}]"
            out.results.append(
                Result(
                    f"{where}: written out in full to edit it (an edited document never carries anchors or "
                    "aliases, and a List in flow style is written in block style); comments inside this "
                    "document were not kept",
                    "warning",
                    unit.ref,
                    None,
                    unit.origin,
                )
            )
    out.results.append(summary(count, out.changed, out.results, spec.mode, skipped, suppressed=len(out.suppressed)))
    for unit in units:
        if unit.span is not None:
            unit.span.forget()  # judged and edited: from here on the formats only write text
    return Run(out.results, edits, out.suppressed)
