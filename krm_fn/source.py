"""Input text: decoding, composing, and spans (where one resource's text stands in its source).

Nothing here builds Python objects for a resource until asked: a span is a stretch of the source
text, composed and built into data on first use. The pure core asks for a resource's data only when
a rule can concern it.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from krm_fn.textedit import compose, content_end, line_after, plain_data


class InputError(Exception):
    """The input is not something this function reads at all (exit code 2)."""


class NestingError(InputError):
    """libyaml refused the text for its nesting (its scanner stops at 1,000 levels since 0.2.6).

    ``line`` is where it stopped; the guard turns this into its own depth-limit message.
    """

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


_UNBUILT: Any = object()


class Span:
    """One YAML node of a source text: ``source[start:end]``, whose first line starts at ``column``.

    Its node is composed from its own text on first use (a ResourceList's items are never composed
    together: SPEC 7), unless the reader composed it already; its data is built on first use.
    ``known`` holds the top-level ``kind`` and ``apiVersion`` when the reader read them without
    composing. One exists per item of a bundle, so it has slots and no per-instance dict.
    """

    __slots__ = ("_data", "column", "composed", "end", "known", "source", "start")

    def __init__(  # noqa: PLR0917 - a record of where a node stands
        self,
        source: str,
        start: int,
        end: int,
        column: int,
        known: tuple[str | None, str | None] | None = None,
        composed: yaml.Node | None = None,
    ) -> None:
        self.source = source
        self.start = start
        self.end = end
        self.column = column
        self.known = known  # (kind, apiVersion)
        self.composed = composed
        self._data: Any = _UNBUILT

    def __repr__(self) -> str:
        return f"{type(self).__name__}(start={self.start}, end={self.end}, column={self.column})"

    @classmethod
    def of(cls, source: str, node: yaml.Node) -> Span:
        """The span of a composed ``node`` of ``source``, ending after the line its content ends on."""
        start = int(node.start_mark.index)
        return cls(source, start, line_after(source, content_end(node)), int(node.start_mark.column), None, node)

    @property
    def text(self) -> str:
        """The span's text with its first line padded to its column: a standalone document."""
        return " " * self.column + self.source[self.start : self.end]

    @property
    def node(self) -> yaml.Node:
        """The composed node (composed from :attr:`text` unless the reader composed it)."""
        if self.composed is None:
            self.composed = compose(self.text)
        return self.composed

    @property
    def data(self) -> Any:
        """Plain data of the node (built on first use)."""
        if self._data is _UNBUILT:
            self._data = plain_data(self.node)
        return self._data

    def release(self) -> None:
        """Let the composed node go (it is most of the memory of an item); ``data`` stays as built."""
        self.composed = None

    def forget(self) -> None:
        """Let the node and the data go: the span is only written from here on."""
        self.composed = None
        self._data = _UNBUILT

    def scalar(self, key: str) -> str | None:
        """A top-level string value of a mapping node, read without building the whole item."""
        if self.known is not None and key in ("kind", "apiVersion"):
            return self.known[0] if key == "kind" else self.known[1]
        if isinstance(self.node, yaml.MappingNode):
            for k, v in self.node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    return v.value if isinstance(v, yaml.ScalarNode) and v.tag.endswith(":str") else None
        return None


def decode(raw: bytes | bytearray) -> tuple[str, str]:
    """Bytes to text (UTF-8, BOM tolerated) and the input's newline style."""
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = str(memoryview(raw)[start:], "utf-8")  # no copy of the bytes for the BOM
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


def syntax_problem(err: yaml.YAMLError) -> InputError:
    """The one-line refusal for a syntax error; a NestingError when libyaml stopped at its depth."""
    mark = getattr(err, "problem_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    if "maximum nesting depth" in what:
        return NestingError(f"input is nested too deeply{where}", mark.line + 1 if mark is not None else 0)
    return InputError(f"input is not valid YAML: {what}{where}")


def compose_single(text: str, what: str = "a ResourceList") -> yaml.Node | None:
    """Compose exactly one document (``what`` names it in the error); more than one, or a syntax
    error, is an InputError."""
    try:
        return yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as err:
        if "expected a single document" in str(err):
            raise InputError(f"input holds more than one YAML document; {what} is one") from None
        raise syntax_problem(err) from None


def compose_documents(text: str, name: str) -> list[yaml.Node]:
    """Compose every document of a plain YAML stream (render mode)."""
    try:
        return [node for node in yaml.compose_all(text, Loader=yaml.CSafeLoader) if node is not None]
    except yaml.YAMLError as err:
        problem = syntax_problem(err)
        if isinstance(problem, NestingError):
            raise NestingError(f"{name}: {problem}", problem.line) from None
        raise InputError(f"{name}: {problem}") from None


def earlier_results(value: Any) -> list[Any]:
    """The results already in the input, as a list whatever was written: a list as it is, a
    single mapping as one result, nothing for null. They are kept and passed on (SPEC 4)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
