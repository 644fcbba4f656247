"""From input bytes to output text and exit code, for the KRM function (``render.py`` does plain files).

This is the edge between the pure core and the outside world: it reads, calls ``transform`` and
writes, but it never touches stdin, stdout or the process; the CLI does.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from krm_fn.guard import exceeds, screen
from krm_fn.output import edit_span, write_resource_list
from krm_fn.resource import Resource
from krm_fn.results import EXIT_ERRORS, EXIT_OK, File, Result
from krm_fn.rules import interesting
from krm_fn.settings import well_formed
from krm_fn.source import Span, read_resource_list
from krm_fn.textedit import Splice
from krm_fn.transform import summary, transform

if TYPE_CHECKING:
    from krm_fn.config import PolicySpec


@dataclass
class Answer:
    """What the CLI prints and returns."""

    stdout: str
    results: list[Result] = field(default_factory=list)
    prior_results: list[Any] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when any result, ours or one already in the input, is an error; else 0."""
        errors = any(r.severity == "error" for r in self.results) or any(
            isinstance(r, dict) and r.get("severity") == "error" for r in self.prior_results
        )
        return EXIT_ERRORS if errors else EXIT_OK


def candidates(spans: Sequence[Span], release: bool = False) -> list[Resource]:
    """Build data only for the items a rule can concern (by kind, and the rules' text markers).

    With ``release``, each span's node is let go once it is read, except the last one's (see
    ``ResourceListInput.detach_items``): the nodes no longer sit in memory beside the data.
    """
    out = []
    for i, span in enumerate(spans):
        res = candidate(i, span)
        if res is not None:
            out.append(res)
        if release and i < len(spans) - 1:
            span.release()
    return out


def candidate(index: int, span: Span, origin: File | None = None) -> Resource | None:
    """The resource of one span when a rule can concern it (kind and text markers), else None."""
    kind = span.scalar("kind")
    if not kind or not interesting(kind, span.source[span.start : span.end]):
        return None
    data = span.data
    return Resource(index, data, origin) if isinstance(data, dict) else None


def edit_spans(
    spans: Sequence[Span], ops: dict[int, list[Any]], newline: str, expected: dict[int, Any] | None = None
) -> list[Splice]:
    """The splices for every item that has ops (``expected``: each one's data with its ops applied)."""
    expected = expected or {}
    return [edit_span(spans[i], item_ops, newline, expected.get(i))[0] for i, item_ops in sorted(ops.items())]


def configure(function_config: Any, overrides: dict[str, Any] | None = None) -> tuple[PolicySpec | None, list[Result]]:
    """The policy from the functionConfig, with ``overrides`` (e.g. ``mode: validate``) on top.

    A well-formed config is taken without importing pydantic (``krm_fn.settings``); anything else
    goes to the pydantic models, which accept it or word the errors.
    """
    fast = well_formed(function_config, overrides)
    if fast is not None:
        return fast, []
    from krm_fn.config import PolicySpec, load_config

    spec, errors = load_config(function_config)
    if spec is not None and overrides:
        try:
            spec = PolicySpec.model_validate({**spec.model_dump(), **overrides})
        except ValueError as err:
            return None, [Result(f"invalid setting: {err}", "error")]
    return spec, errors


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


def run_krm(raw: bytes) -> Answer:
    """Run the KRM function on a ResourceList; InputError (exit 2) propagates to the CLI."""
    with bulk_allocation():
        return _run_krm(raw)


def _run_krm(raw: bytes) -> Answer:
    doc, screened = screen(raw, read_resource_list)  # limits and hostile-input checks (guard.py)
    spec, results = configure(doc.function_config)
    over = exceeds(screened.measure, spec)
    found = [*screened.findings, *over]  # reported first, counted in the summary
    splices: list[Splice] = []
    if spec is not None and over:
        # A limit error changes nothing: only the findings (the limits' error results among them)
        # and the summary.
        results = [*found, summary(len(doc.items), 0, found, spec.mode)]
    elif spec is None:
        results = [*found, *results]
        results.append(summary(len(doc.items), 0, results, "mutate"))
    else:
        doc.detach_items()
        out = transform(candidates(doc.items, release=True), spec, item_count=len(doc.items), input_findings=found)
        results = out.results
        splices = edit_spans(doc.items, out.ops, doc.newline, out.expected)
    text = write_resource_list(doc, splices, [r.to_dict() for r in results])
    return Answer(text, results, doc.results)
