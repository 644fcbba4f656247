"""Reading input text into spans: where each item, and each part of the wrapper, stands.

Nothing here builds Python objects for the items: an item is a span of the source text plus its
composed node. The pure core asks for an item's data only when the item can concern it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import yaml

from krm_fn.textedit import compose, content_end, line_after, plain_data

RESOURCE_LIST_VERSIONS = (
    "config.kubernetes.io/v1",
    "config.kubernetes.io/v1beta1",
    "config.kubernetes.io/v1alpha1",
)
_RELEASED = "tag:fn.kserve-pvc.dev,2026:released"  # the placeholder tag of a released span's node

# libyaml's Cython composer recurses in C, about 280 bytes of stack per nesting level (measured:
# 30,000 nested brackets overflow the main thread's 8 MiB, 60,000 a 16 MiB thread stack). Text
# whose depth bound is over COMPOSER_SAFE_DEPTH is composed on a thread with STACK_PER_LEVEL
# bytes of stack (3.5 times the measured need) for each level the bound allows, up to
# THREAD_SAFE_DEPTH levels. Beyond that bound the guard measures the exact depth before anything
# is composed (guard.check_raw), so the stack is never the limit.
COMPOSER_SAFE_DEPTH = 5_000
THREAD_SAFE_DEPTH = 100_000
STACK_PER_LEVEL = 1024
# A line prefix of indentation and indicators at least this long is rare enough to measure exactly.
_LONG_PREFIX = 256
# For the depth bound, every character that can stand before a line's content at a deeper block
# level (indentation and the indicators - ? :) becomes a space, and every line break a newline.
# libyaml breaks lines at LF, CR, NEL (C2 85), LS (E2 80 A8) and PS (E2 80 A9); each break's last
# byte stands for it, so a few more places count as line starts, which only loosens the bound.
_PREFIX_CHARS = bytes.maketrans(b"\t?:-\r\x85\xa8\xa9", b"    \n\n\n\n")
_T = TypeVar("_T")


class InputError(Exception):
    """The input is not something this function reads at all (exit code 2)."""


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


def _problem(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"input is not valid YAML: {what}{where}"


def depth_bound(text: str | bytes) -> int:
    """A cheap upper bound on the nesting depth of YAML text, without parsing.

    A block collection one level deeper needs one more character of indentation or indicator
    (``-``, ``?``, ``:``) before its line's content; a flow collection needs a bracket. So the
    longest such line prefix plus every bracket in the text bounds the depth from above.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    flow = raw.count(b"[") + raw.count(b"{")
    lines = raw.translate(_PREFIX_CHARS)
    # Prefixes are only all measured when one of them is long: the search is much faster.
    if b"\n" + b" " * _LONG_PREFIX in lines or lines.startswith(b" " * _LONG_PREFIX):
        block = max(len(line) - len(line.lstrip(b" ")) for line in lines.split(b"\n"))
    else:
        block = _LONG_PREFIX
    return block + flow + 3


def on_deep_stack(text: str, compose: Callable[[], _T]) -> _T:
    """``compose()`` (which composes ``text``), on a stack deep enough for ``text``'s bound."""
    bound = depth_bound(text)
    if bound <= COMPOSER_SAFE_DEPTH:
        return compose()
    out: list[_T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            out.append(compose())
        except BaseException as err:  # handed to the calling thread, which raises it
            error.append(err)

    previous = threading.stack_size()
    try:
        # Whole 64 KiB units: some systems (macOS) take only multiples of the page size.
        units = -(-(min(bound, THREAD_SAFE_DEPTH) * STACK_PER_LEVEL + 2**20) // 2**16)
        threading.stack_size(units * 2**16)
        # A daemon: an interrupted run must not wait for the compose to finish before exiting.
        worker = threading.Thread(target=run, name="compose", daemon=True)
        worker.start()
    except (RuntimeError, MemoryError, ValueError):
        raise InputError("input is nested too deeply to be read on this machine (no stack for it)") from None
    finally:
        threading.stack_size(previous)
    worker.join()
    if error:
        raise error[0]
    return out[0]


def compose_single(text: str) -> yaml.Node | None:
    """Compose exactly one document; more than one, or a syntax error, is an InputError."""
    try:
        return on_deep_stack(text, lambda: yaml.compose(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError as err:
        if "expected a single document" in str(err):
            raise InputError("input holds more than one YAML document; a ResourceList is one") from None
        raise InputError(_problem(err)) from None
    except RecursionError:
        raise InputError("input is nested too deeply") from None


def compose_documents(text: str, name: str) -> list[yaml.Node]:
    """Compose every document of a plain YAML stream (render mode)."""
    try:
        nodes = on_deep_stack(text, lambda: list(yaml.compose_all(text, Loader=yaml.CSafeLoader)))
        return [node for node in nodes if node is not None]
    except yaml.YAMLError as err:
        raise InputError(f"{name}: {_problem(err)}") from None
    except RecursionError:
        raise InputError(f"{name}: input is nested too deeply") from None


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
    text = json_to_yaml(text)
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
            elif isinstance(value, list):
                parsed.results = value
    return parsed
