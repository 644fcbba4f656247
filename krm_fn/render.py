"""``render`` and ``check``: plain YAML files and streams through the same core, out as one stream.

The YAML policy is KRM mode's, applied per document (SPEC 4; ``guard.check_document``):

- a document with a tag outside the core schema, a duplicate or a non-scalar key is *held back*:
  passed through byte for byte, never transformed, reported by an error result with file and line;
- a document holding anchors or aliases is written out in full, with a warning;
- a document that is not YAML at all (a syntax error, an unrendered Helm template) is an error
  result with file and line, and is left out of the stream (it would break whatever reads it);
- a limit (size, depth, aliases; from the environment or tightened by the config) and a file that
  is not UTF-8 text are refused: InputError, exit 2, nothing written.

The other documents and files are still rendered. Documents of *files* that are not resources
(no ``apiVersion`` and ``kind``, a kustomize or kpt file, a ``local-config`` resource) are build
inputs: left out of the stream, never transformed, counted as skipped. Every document of *stdin*
is a resource: a stream from Helm or ``kustomize build`` holds nothing else.

Directives (``%YAML 1.1``) are read and not written; a ``---`` line keeps its comment; a byte
order mark at the start of the first input starts the output too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from krm_fn.config import PolicySpec
from krm_fn.discovery import Skipped
from krm_fn.guard import LimitError, Limits, check_document, check_raw, node_ref, scalar_at, too_deep
from krm_fn.output import edit_span
from krm_fn.pipeline import bulk_allocation, candidate
from krm_fn.results import EXIT_ERRORS, EXIT_OK, File, Result
from krm_fn.source import InputError, NestingError, Span, compose_documents, decode, json_to_yaml
from krm_fn.textedit import apply_splices
from krm_fn.transform import transform

STDIN = "<stdin>"
BOM = "\ufeff"
#: A document marker line, captured so that its comment can be written back.
_MARKER = re.compile(r"^((?:---|\.\.\.)[ \t]*(?:#.*)?\r?(?:\n|\Z))", re.MULTILINE)
#: Groups whose kinds are build inputs of kustomize and kpt, not resources.
_BUILD_GROUPS = ("kustomize.config.k8s.io/", "kpt.dev/", "fn.kpt.dev/")
_LOCAL_CONFIG = "config.kubernetes.io/local-config"
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%")


@dataclass
class Source:
    """One input: a file's name and bytes, or stdin's."""

    name: str
    raw: bytes

    @property
    def is_stdin(self) -> bool:
        """Whether this is the stream on stdin (every document of it is a resource)."""
        return self.name == STDIN


@dataclass
class Document:
    """One YAML document of an input, as it will be written."""

    name: str
    index: int
    line: int  # where its text starts in its file, from 1
    marker: str  # the ``---`` line before it, as written ('' when there was none)
    text: str
    span: Span | None = None  # None: comments only, or held back (nothing reads or edits it)
    held: bool = False
    #: Where its text as read stands in its file's decoded text (after a BOM): ``fix`` splices the
    #: new text of a changed document in there and keeps every other byte of the file.
    start: int = 0
    end: int = 0


@dataclass
class Rendered:
    """The output stream of ``render``, its results, and what was skipped."""

    stream: str
    results: list[Result]
    skipped: list[Skipped] = field(default_factory=list)
    #: Each document a rule edited, with its new text (in input order): what ``fix`` writes back.
    changed: list[tuple[Document, str]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when any result is an error; else 0."""
        return EXIT_ERRORS if any(r.severity == "error" for r in self.results) else EXIT_OK


@dataclass
class _Read:
    docs: list[Document] = field(default_factory=list)
    findings: list[Result] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    bom: bool = False


def _chunks(text: str) -> list[tuple[int, int, str, str]]:
    """(line, offset, marker, body) for each document of a stream, split at its marker lines."""
    parts = _MARKER.split(text)
    out: list[tuple[int, int, str, str]] = []
    line, offset, marker = 1, 0, ""
    body = parts[0]
    for i in range(1, len(parts), 2):
        out.append((line, offset, marker, body))
        line += body.count("\n")
        offset += len(body) + len(parts[i])
        marker = parts[i] if parts[i].startswith("---") else ""
        line += 1
        body = parts[i + 1]
    out.append((line, offset, marker, body))
    return out


def _is_directive_chunk(body: str) -> bool:
    lines = [ln for ln in body.splitlines() if ln.strip()]
    return bool(lines) and any(ln.startswith("%") for ln in lines) and all(ln.startswith(("%", "#")) for ln in lines)


def build_input(node: yaml.Node) -> str | None:
    """Why a document of a file is not a resource, or None when it is one."""
    api, kind = scalar_at(node, "apiVersion"), scalar_at(node, "kind")
    if not api or not kind:
        return "not a Kubernetes object (no apiVersion and kind)"
    if api.startswith(_BUILD_GROUPS) or kind == "Kptfile":
        return f"a kustomize or kpt file ({kind})"
    if scalar_at(node, "metadata", "annotations", _LOCAL_CONFIG) == "true":
        return f"{_LOCAL_CONFIG}: true"
    return None


def _looks_templated(text: str) -> bool:
    return bool(_TEMPLATE.search(text))


def _unreadable(name: str, line: int | None, what: str, text: str, index: int) -> Result:
    """The error result of a document that cannot be read; ``line`` None when ``what`` names it."""
    if _looks_templated(text):
        what = (
            "looks like an unrendered template ({{ ... }}); render it first (helm template) "
            f"or list it in .kserve-pvc-fn-ignore ({what})"
        )
    where = f"{name}: line {line}" if line else name
    return Result(f"{where}: {what}; left out of the stream", "error", file=File(name, index))


def _syntax_error(name: str, line: int, body: str) -> str:
    """The YAML error of a document, with its line counted from the start of the file."""
    try:
        compose_documents("\n" * (line - 1) + body, name)  # errors are rare: pay for the padding here
    except InputError as err:
        return str(err).removeprefix(f"{name}: ")
    return "input is not valid YAML"


def _read(source: Source, limits: Limits) -> _Read:
    """Every document of one input; LimitError when a limit is hit."""
    out = _Read()
    name = source.name
    check_raw(source.raw, limits, name)  # size and depth before composing
    try:
        text, _ = decode(source.raw)
    except InputError as err:
        out.findings.append(Result(f"{name}: {err}; left out of the stream", "error", file=File(name)))
        return out
    out.bom = source.raw.startswith(b"\xef\xbb\xbf")
    text = json_to_yaml(text)
    position = 0  # the next document's index in its file
    pending = ""  # a directive chunk: read with the document after it, never written
    for line, offset, marker, body in _chunks(text):
        if _is_directive_chunk(body):
            pending = "".join(ln for ln in body.splitlines(keepends=True) if ln.startswith("%"))
            continue
        directives, pending = pending, ""
        if body.strip():
            doc = Document(name, position, line, marker, body, start=offset, end=offset + len(body))
            _document(source, doc, directives, limits, out)
            position += 1
    return out


def _document(source: Source, doc: Document, directives: str, limits: Limits, out: _Read) -> None:
    """Read one document into ``out``: written, held back, skipped, or reported unreadable."""
    name, body, line = doc.name, doc.text, doc.line
    try:
        nodes = compose_documents(directives + "---\n" + body if directives else body, name)
    except NestingError as err:
        # libyaml's own depth refusal (over 1,000 levels): the depth limit, exit 2 as in KRM mode.
        offset = directives.count("\n") + 1 if directives else 0
        raise too_deep(limits.max_depth, line + err.line - 1 - offset, name) from None
    except InputError:
        out.findings.append(_unreadable(name, None, _syntax_error(name, line, body), body, doc.index))
        return
    if len(nodes) > 1:
        what = "a document marker carries content on its line; put it on the next line"
        out.findings.append(_unreadable(name, line, what, body, doc.index))
        return
    if not nodes:  # comments only: written as they are
        out.docs.append(doc)
        return
    # With directives in front the marks index that text: compose the body alone for its own.
    node = compose_documents(body, name)[0] if directives else nodes[0]
    if not source.is_stdin and (reason := build_input(node)) is not None:
        out.skipped.append(Skipped(name, reason, doc.index))
        return
    try:
        checked = check_document(node, body, limits)
    except LimitError as err:
        raise LimitError(f"{name}: {err}") from None
    if checked.problem is not None:
        at = line + checked.problem.line - 1
        if "not a plain scalar" in checked.problem.message and _looks_templated(body):
            out.findings.append(_unreadable(name, at, checked.problem.message, body, doc.index))
            return
        message = f"{name}: line {at}: {checked.problem.message}; the document is passed through unchanged"
        out.findings.append(Result(message, "error", node_ref(node)[0], file=File(name, doc.index)))
        doc.held = True
        out.docs.append(doc)
        return
    if checked.anchors:
        doc.text = _expanded(Span.of(body, node))
        node = compose_documents(doc.text, name)[0]
        message = (
            f"{name}: line {line}: anchors and aliases written out in full (the output never carries them); "
            "comments inside this document were not kept"
        )
        out.findings.append(Result(message, "warning", node_ref(node)[0], file=File(name, doc.index)))
    doc.span = Span.of(doc.text, node)
    out.docs.append(doc)


def _expanded(span: Span) -> str:
    from krm_fn.scalars import dump_plain

    return dump_plain(span.data)


def tighten(limits: Limits, spec: PolicySpec) -> Limits:
    """The environment's ceilings, lowered by the config's ``maxInputBytes``, ``maxAliases`` and
    ``maxDepth`` (the config can never raise them)."""
    return Limits(
        min(limits.max_input_bytes, spec.maxInputBytes or limits.max_input_bytes),
        min(limits.max_aliases, limits.max_aliases if spec.maxAliases is None else spec.maxAliases),
        min(limits.max_depth, spec.maxDepth or limits.max_depth),
    )


def run_render(
    sources: Sequence[Source],
    spec: PolicySpec,
    limits: Limits | None = None,
    skipped: Sequence[Skipped] = (),
) -> Rendered:
    """Render plain YAML inputs with a valid config: every resource through the same core.

    InputError (exit 2) when an input is refused as a whole: a limit, a file that is not text, or
    no input that could be read at all.
    """
    ceilings = limits or Limits.from_env()
    tighter = tighten(ceilings, spec)
    with bulk_allocation():
        try:
            return _run_render(sources, spec, tighter, list(skipped))
        except LimitError as err:
            if tighter == ceilings:
                raise
            raise LimitError(f"{err} (or the config's maxInputBytes, maxDepth or maxAliases)") from None


def _run_render(sources: Sequence[Source], spec: PolicySpec, limits: Limits, skipped: list[Skipped]) -> Rendered:
    docs: list[Document] = []
    findings: list[Result] = []
    bom = False  # only the start of the stream can carry one: the first input's
    for n, source in enumerate(sources):
        read = _read(source, limits)
        bom = read.bom if n == 0 else bom
        docs.extend(read.docs)
        findings.extend(read.findings)
        skipped.extend(read.skipped)
    if findings and not docs and not skipped:
        # Nothing at all could be read: the run as a whole is unusable.
        raise InputError(findings[0].message.removesuffix("; left out of the stream"))
    spans = [d.span for d in docs]
    count = sum(d.span is not None or d.held for d in docs)
    found = (candidate(i, d.span, File(d.name, d.index)) for i, d in enumerate(docs) if d.span is not None)
    out = transform(
        [r for r in found if r is not None], spec, item_count=count, input_findings=findings, skipped=len(skipped)
    )
    texts = [d.text for d in docs]
    for i, ops in out.ops.items():
        span = spans[i]
        assert span is not None
        splice, _ = edit_span(span, ops, "\r\n" if "\r\n" in docs[i].text else "\n", out.expected.get(i))
        texts[i] = apply_splices(docs[i].text, [splice])
    stream = _stream(docs, texts)
    changed = [(docs[i], texts[i]) for i in sorted(out.ops)]
    return Rendered(BOM + stream if bom and stream else stream, out.results, skipped, changed)


def _stream(docs: Sequence[Document], texts: Sequence[str]) -> str:
    parts = []
    for n, (doc, text) in enumerate(zip(docs, texts, strict=True)):
        body = text if text.endswith("\n") or not text else text + "\n"
        marker = doc.marker if doc.marker.endswith("\n") or not doc.marker else doc.marker + "\n"
        if n and not marker:
            marker = "---\n"
        parts.append(marker + body)
    return "".join(parts)
