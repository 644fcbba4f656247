"""Reading input text into spans: where each item, and each part of the wrapper, stands.

Nothing here builds Python objects for the items: an item is a span of the source text plus its
composed node. The pure core asks for an item's data only when the item can concern it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from krm_fn.directives import resolve_shorthands
from krm_fn.textedit import compose, content_end, line_after, plain_data

RESOURCE_LIST_VERSIONS = (
    "config.kubernetes.io/v1",
    "config.kubernetes.io/v1beta1",
    "config.kubernetes.io/v1alpha1",
)
_RELEASED = "tag:fn.kserve-pvc.dev,2026:released"  # the placeholder tag of a released span's node


class InputError(Exception):
    """The input is not something this function reads at all (exit code 2)."""


class NestingError(InputError):
    """libyaml refused the text for its nesting (its scanner stops at 1,000 levels since 0.2.6).

    ``line`` is where it stopped; the guard turns this into its own depth-limit message.
    """

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Span:
    """One YAML node of the source text: ``text[start:end]``, whose first line starts at ``column``."""

    source: str = field(repr=False)
    node: yaml.Node = field(repr=False)
    start: int
    end: int
    column: int

    @classmethod
    def of(cls, source: str, node: yaml.Node) -> Span:
        """The span of ``node``, ending after the line its content ends on."""
        start = int(node.start_mark.index)
        return cls(source, node, start, line_after(source, content_end(node)), int(node.start_mark.column))

    @property
    def text(self) -> str:
        """The span's text with its first line padded to its column: a standalone document."""
        return " " * self.column + self.source[self.start : self.end]

    @cached_property
    def data(self) -> Any:
        """Plain data of the node (built on first use)."""
        if self.node.tag == _RELEASED:
            return plain_data(compose(self.text))  # released before anyone asked: read it again
        return plain_data(self.node)

    def release(self) -> None:
        """Let the composed node go (it is most of the memory of a large bundle); keep its marks.

        ``data`` stays as built; ``scalar`` answers None afterwards.
        """
        node = self.node
        self.node = yaml.ScalarNode(_RELEASED, "", node.start_mark, node.end_mark)

    def scalar(self, key: str) -> str | None:
        """A top-level string value of a mapping node, read without building the whole item."""
        if isinstance(self.node, yaml.MappingNode):
            for k, v in self.node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    return v.value if isinstance(v, yaml.ScalarNode) and v.tag.endswith(":str") else None
        return None


def decode(raw: bytes) -> tuple[str, str]:
    """Bytes to text (UTF-8, BOM tolerated) and the input's newline style."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"input is not UTF-8 text (byte {err.start})") from None
    if "\x00" in text:
        raise InputError("input is binary data, not YAML")
    newline = "\r\n" if "\r\n" in text[: text.find("\n") + 1 or None] else "\n"
    return text, newline


def json_to_yaml(text: str) -> str:
    """JSON input, answered in YAML (SPEC section 4 allows it); other text is returned as is."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return text
    try:
        data = json.loads(stripped)
    except (json.JSONDecodeError, RecursionError):
        return text  # flow-style YAML, or broken JSON that the YAML reader will report
    from krm_fn.scalars import dump_plain

    return dump_plain(data)


def _problem(err: yaml.YAMLError) -> InputError:
    """The one-line refusal for a syntax error; a NestingError when libyaml stopped at its depth."""
    mark = getattr(err, "problem_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    if "maximum nesting depth" in what:
        return NestingError(f"input is nested too deeply{where}", mark.line + 1 if mark is not None else 0)
    return InputError(f"input is not valid YAML: {what}{where}")


def compose_single(text: str) -> yaml.Node | None:
    """Compose exactly one document; more than one, or a syntax error, is an InputError."""
    try:
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as err:
        if "expected a single document" in str(err):
            raise InputError("input holds more than one YAML document; a ResourceList is one") from None
        raise _problem(err) from None


def compose_documents(text: str, name: str) -> list[yaml.Node]:
    """Compose every document of a plain YAML stream (render mode)."""
    try:
        return [node for node in yaml.compose_all(text, Loader=yaml.CSafeLoader) if node is not None]
    except yaml.YAMLError as err:
        problem = _problem(err)
        if isinstance(problem, NestingError):
            raise NestingError(f"{name}: {problem}", problem.line) from None
        raise InputError(f"{name}: {problem}") from None


def earlier_results(value: Any) -> list[Any]:
    """The results already in the input, as a list whatever was written: a list as it is, a
    single mapping as one result, nothing for null. They are kept and passed on (SPEC 4)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class ResourceListInput:
    """A parsed ResourceList (or v1 List): its text, root node and the spans that matter."""

    text: str
    newline: str
    root: yaml.MappingNode
    items: list[Span]
    function_config: Any
    results: list[Any]
    is_list: bool

    def entry(self, key: str) -> tuple[yaml.Node, yaml.Node] | None:
        """The (key, value) nodes of a top-level field."""
        for k, v in self.root.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
        return None

    def detach_items(self) -> None:
        """Drop the root's references to every item node but the last (``content_end`` reads it).

        After this, an item's node lives only in its span, and ``Span.release`` frees it.
        """
        entry = self.entry("items")
        if entry is not None and isinstance(entry[1], yaml.SequenceNode):
            entry[1].value = entry[1].value[-1:]


def read_resource_list(raw: bytes) -> ResourceListInput:
    """Parse a ResourceList from bytes; InputError if it is not one at all."""
    text, newline = decode(raw)
    if not text.strip():
        raise InputError("input is empty; expected a ResourceList")
    text = resolve_shorthands(json_to_yaml(text))[0]  # no directive is written back (SPEC 4)
    root = compose_single(text)
    if not isinstance(root, yaml.MappingNode):
        raise InputError("input is not a ResourceList: the top level is not a mapping")
    if root.flow_style:
        # A flow-style wrapper cannot take a block ``results:`` after it; answer it in block style,
        # as JSON input is.
        from krm_fn.scalars import dump_plain

        text = dump_plain(plain_data(root))
        root = compose_single(text)
        assert isinstance(root, yaml.MappingNode)
    top = Span.of(text, root)
    kind, api = top.scalar("kind"), top.scalar("apiVersion")
    is_list = kind == "List" and api == "v1"
    if not is_list and (kind != "ResourceList" or api not in RESOURCE_LIST_VERSIONS):
        raise InputError(
            f"input is not a ResourceList ({f'kind {kind!r}' if kind else 'no kind'}, "
            f"{f'apiVersion {api!r}' if api else 'no apiVersion'}); expected kind "
            f"ResourceList of {', '.join(RESOURCE_LIST_VERSIONS)} or a v1 List"
        )
    parsed = ResourceListInput(text, newline, root, [], None, [], is_list)
    items = parsed.entry("items")
    if items is not None:
        node = items[1]
        if isinstance(node, yaml.SequenceNode):
            parsed.items = [Span.of(text, item) for item in node.value]
        elif not (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            raise InputError("input is not a ResourceList: items is not a list")
    for name in ("functionConfig", "results"):
        entry = parsed.entry(name)
        if entry is not None:
            value = Span.of(text, entry[1]).data
            if name == "functionConfig":
                parsed.function_config = value
            else:
                parsed.results = earlier_results(value)
    return parsed
