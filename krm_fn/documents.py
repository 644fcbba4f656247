"""The stream format, read side: plain YAML files and streams into documents and resources.

Each input is split at its document markers and each document is read on its own, with the YAML
policy of KRM mode (SPEC 4):

- a document with a tag outside the core schema, a duplicate or a non-scalar key is *held back*:
  passed through byte for byte, never transformed, reported by an error result with file and line;
- a document holding anchors or aliases is passed through verbatim unless a rule edits it; an
  edited one is written out in full, without them (with a warning);
- a document that is not YAML at all (a syntax error, an unrendered Helm template) is an error
  result with file and line, and is left out of the stream (it would break whatever reads it);
- a List (``kind: List``, any kind ending in ``List`` with an ``items`` sequence, a ResourceList
  from ``kpt fn source``) is a container: its items are the resources, edited in place inside it;
- a limit from the environment and a file that is not UTF-8 text are refused: InputError, exit 2.

Documents of *files* that are not resources (no ``apiVersion`` and ``kind``, a kustomize or kpt file,
a ``local-config`` resource) are build inputs: left out of the stream, never transformed, counted as
skipped. Every document of *stdin* is a resource; a ``# Source: <path>`` comment opening one (what
``helm template`` writes) names its file in results.

Directives (``%YAML 1.1``) are read and not written (a ``%TAG`` shorthand is written as its full tag,
``directives.py``); a ``---`` line is kept with its comment for the writer (:mod:`krm_fn.render`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from krm_fn.directives import resolve_shorthands
from krm_fn.discovery import Skipped
from krm_fn.driver import Unit, newline_of
from krm_fn.limits import LimitError, Limits, Measure, check_raw, too_deep
from krm_fn.nodes import node_ref, scalar_at
from krm_fn.results import File, Result
from krm_fn.rules import interesting
from krm_fn.scan import check_document
from krm_fn.source import InputError, NestingError, Span, compose_documents, decode, json_to_yaml, syntax_problem
from krm_fn.textedit import compose

STDIN = "<stdin>"
BOM = "\ufeff"
#: A document marker line, captured so that its comment can be written back.
_MARKER = re.compile(r"^((?:---|\.\.\.)[ \t]*(?:#.*)?\r?(?:\n|\Z))", re.MULTILINE)
#: Groups whose kinds are build inputs of kustomize and kpt, not resources.
_BUILD_GROUPS = ("kustomize.config.k8s.io/", "kpt.dev/", "fn.kpt.dev/")
_LOCAL_CONFIG = "config.kubernetes.io/local-config"
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%")
#: ``# Source: chart/templates/x.yaml``, as ``helm template`` opens each document.
_SOURCE_COMMENT = re.compile(r"\A(?:[ \t]*\r?\n)*# Source: (\S[^\r\n]*?)[ \t]*\r?$", re.MULTILINE)


@dataclass
class Source:
    """One input: a file's name and bytes, or stdin's."""

    name: str
    raw: bytes | bytearray

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
    origin: File | None = None  # the file results name (a ``# Source:`` comment's, on a stream)
    located: str | None = None  # the text results are placed in, when not ``text`` (JSON input: the JSON)
    units: list[int] = field(default_factory=list)  # its resources' places in the run (a List: one per item)
    held: bool = False
    written: bool = True  # False: left out of the stream (unreadable, or not a resource)
    #: Where its text as read stands in its file's decoded text (after a BOM): ``fix`` splices the
    #: new text of a changed document in there and keeps every other byte of the file.
    start: int = 0
    end: int = 0


@dataclass
class Read:
    """What reading the inputs gave: documents, the resources among them, findings, what was skipped."""

    docs: list[Document] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    findings: list[Result] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    measure: Measure = field(default_factory=Measure)
    held: int = 0
    bom: bool = False
    said_function_config: bool = False


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


def _unreadable(
    name: str, line: int | None, what: str, text: str, index: int, *, at: tuple[int, int] | None = None
) -> Result:
    """The error result of a document that cannot be read; ``line`` None when ``what`` names it.

    The result is placed at ``at`` (line, column), else at ``line``: no field can locate it later,
    and CI annotations need a line (SPEC 5.2).
    """
    if _looks_templated(text):
        what = (
            "looks like an unrendered template ({{ ... }}); render it first (helm template) "
            f"or list it in .kserve-pvc-fn-ignore ({what})"
        )
    where = f"{name}: line {line}" if line else name
    row, column = at or (line or 1, 1)
    return Result(f"{where}: {what}; left out of the stream", "error", file=File(name, index, row, column))


def _syntax_error(line: int, body: str) -> tuple[str, tuple[int, int]]:
    """The YAML error of a document, and its line and column counted from the start of the file."""
    try:
        for _ in yaml.compose_all("\n" * (line - 1) + body, Loader=yaml.CSafeLoader):  # errors are rare: pay here
            pass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        return str(syntax_problem(err)), (mark.line + 1, mark.column + 1) if mark is not None else (line, 1)
    return "input is not valid YAML", (line, 1)


def _container_items(node: yaml.Node) -> list[yaml.Node] | None:
    """The items of a List document (``kind`` ending in ``List`` with an ``items`` sequence), else None."""
    kind = scalar_at(node, "kind")
    if not kind or not kind.endswith("List") or not isinstance(node, yaml.MappingNode):
        return None
    items = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "items"), None)
    return items.value if isinstance(items, yaml.SequenceNode) else None


def read_source(source: Source, limits: Limits, out: Read) -> None:
    """Every document of one input into ``out``; LimitError when a limit is hit."""
    name = source.name
    measure = check_raw(source.raw, limits, name)  # size and depth before composing
    out.measure.input_bytes = max(out.measure.input_bytes, measure.input_bytes)
    try:
        text, _ = decode(source.raw)
    except InputError as err:
        out.findings.append(Result(f"{name}: {err}; left out of the stream", "error", file=File(name, 0, 1, 1)))
        return
    if not out.docs and not out.findings:
        out.bom = source.raw.startswith(b"\xef\xbb\xbf")
    json, text = text, json_to_yaml(text)
    position = 0  # the next document's index in its file
    pending = ""  # a directive chunk: read with the document after it, never written
    origins: dict[str, int] = {}  # per ``# Source:`` path, how many documents named it so far
    for line, offset, marker, body in _chunks(text):
        if _is_directive_chunk(body):
            pending = "".join(ln for ln in body.splitlines(keepends=True) if ln.startswith("%"))
            continue
        directives, pending = pending, ""
        if body.strip():
            doc = Document(
                name, position, line, marker, body, File(name, position), start=offset, end=offset + len(body)
            )
            doc.located = json if text is not json else None
            if source.is_stdin and (found := _SOURCE_COMMENT.match(body)) is not None:
                path = found.group(1)
                doc.origin = File(path, origins.get(path, 0))
                origins[path] = doc.origin.index + 1
            _document(source, doc, directives, limits, out)
            position += 1


def _document(source: Source, doc: Document, directives: str, limits: Limits, out: Read) -> None:
    """Read one document into ``out``: written, held back, skipped, or reported unreadable."""
    # A %TAG shorthand is written as its full tag: the directive itself is never written.
    doc.text = resolve_shorthands(doc.text, directives)[0]
    name, body, line = doc.name, doc.text, doc.line
    try:
        nodes = compose_documents(directives + "---\n" + body if directives else body, name)
    except NestingError as err:
        # libyaml's own depth refusal (over 1,000 levels): the depth limit, exit 2 as in KRM mode.
        offset = directives.count("\n") + 1 if directives else 0
        raise too_deep(limits.max_depth, line + err.line - 1 - offset, name) from None
    except InputError:
        what, mark = _syntax_error(line, body)
        out.findings.append(_unreadable(name, None, what, body, doc.index, at=mark))
        return
    if len(nodes) > 1:
        what = "a document marker carries content on its line; put it on the next line"
        out.findings.append(_unreadable(name, line, what, body, doc.index))
        return
    out.docs.append(doc)
    if not nodes:  # comments only: written as they are
        return
    # With directives in front the marks index that text: compose the body alone for its own.
    try:
        node = compose_documents(body, name)[0] if directives else nodes[0]
    except InputError as err:  # what the directives declared does not hold without them
        out.findings.append(_unreadable(name, line, str(err).removeprefix(f"{name}: "), body, doc.index))
        return
    if not source.is_stdin and (reason := build_input(node)) is not None:
        out.skipped.append(Skipped(name, reason, doc.index))
        doc.written = False
        return
    try:
        checked = check_document(node, body, limits)
    except LimitError as err:
        raise LimitError(f"{name}: {err}") from None
    out.measure.depth = max(out.measure.depth, checked.depth)
    out.measure.aliased_nodes = max(out.measure.aliased_nodes, checked.aliased_nodes)
    if checked.problem is not None:
        at = line + checked.problem.line - 1
        bad = checked.problem.node
        column = bad.start_mark.column + 1 if bad is not None else 1
        if "not a plain scalar" in checked.problem.message and _looks_templated(body):
            out.docs.pop()
            out.findings.append(_unreadable(name, at, checked.problem.message, body, doc.index, at=(at, column)))
            return
        message = f"{name}: line {at}: {checked.problem.message}; the document is passed through unchanged"
        out.findings.append(Result(message, "error", node_ref(node)[0], file=File(name, doc.index, at, column)))
        doc.held = True
        out.held += 1
        return
    # Anchors, and a List written in flow style (its items cannot be edited on their own), are
    # written out in block style before an edit: the document is written so only if edited.
    rewrite = checked.anchors or _flow_container(node)
    if rewrite:
        node = _expanded(node, newline_of(body))
    _resources(source, doc, node, rewrite, out)


def _flow_container(node: yaml.Node) -> bool:
    items = _container_items(node)
    if items is None or not isinstance(node, yaml.MappingNode):
        return False
    return (
        bool(node.flow_style)
        or any(getattr(item, "flow_style", False) for item in items)
        or any(
            isinstance(v, yaml.SequenceNode) and v.flow_style
            for k, v in node.value
            if getattr(k, "value", None) == "items"
        )
    )


def _resources(source: Source, doc: Document, node: yaml.Node, anchors: bool, out: Read) -> None:
    """The resources of a readable document: itself, or the items of a List."""
    text = node_text(node, doc.text, anchors)
    items = _container_items(node)
    if items is None:
        _unit(doc, Span.of(text, node), anchors, out)
        return
    config = scalar_at(node, "functionConfig", "kind")
    if scalar_at(node, "kind") == "ResourceList" and config is not None and not out.said_function_config:
        out.said_function_config = True
        out.findings.append(
            Result(
                f"{doc.name}: the ResourceList's functionConfig is not used as config here; pass --config or --set",
                "info",
                file=File(doc.name, doc.index),
            )
        )
    for item in items:
        if not source.is_stdin and build_input(item) is not None:
            continue
        _unit(doc, Span.of(text, item), anchors, out)


def node_text(node: yaml.Node, body: str, expanded: bool) -> str:
    """The text a document's spans stand in: its own, or the one written out for its anchors."""
    return str(getattr(node, "expanded_text", body)) if expanded else body


def _expanded(node: yaml.Node, newline: str) -> yaml.Node:
    """The document written out without its anchors and aliases, composed again."""
    from krm_fn.scalars import dump_plain
    from krm_fn.textedit import plain_data

    text = dump_plain(plain_data(node)).replace("\n", newline)
    out = compose(text)
    out.expanded_text = text  # type: ignore[attr-defined]
    return out


def _unit(doc: Document, span: Span, anchors: bool, out: Read) -> None:
    """One resource of a document: read just enough for the rules, then let its node go."""
    kind, api = span.scalar("kind"), span.scalar("apiVersion")
    span.known = (kind, api)
    ref = node_ref(span.node)[0] if anchors else None
    if kind and interesting(kind, span.source[span.start : span.end]):
        _ = span.data  # built now, while the node is here
    span.release()
    doc.units.append(len(out.units))
    out.units.append(Unit(span, doc.origin, anchors, ref))
