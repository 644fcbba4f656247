"""Rendering new YAML scalars and blocks as text.

Every value this function writes goes through here, so that a new string which a YAML 1.1 or 1.2
reader would take for something else (``true``, ``no``, ``0755``, ``1e3``, ``12:30``, ``null``) is
quoted, and so that new blocks follow the indentation of the item they are inserted into.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

# Characters that may appear in a plain scalar we write. Anything else is double-quoted: we never
# need the full plain-scalar grammar, only a form that every YAML reader agrees on.
_PLAIN_OK = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./:@+=~-]*\Z")
# In block context a plain scalar may also hold spaces and a little punctuation (messages).
_PLAIN_BLOCK_OK = re.compile(r"[A-Za-z0-9_./(][A-Za-z0-9_./:@+=~ ,()'-]*[A-Za-z0-9_./)'-]\Z")
# Strings YAML 1.1 or 1.2 resolves to bool, null, numbers (incl. octal, hex, sexagesimal), floats
# or timestamps. Deliberately broad: a needless quote is harmless, a missing one changes the type.
_AMBIGUOUS = re.compile(
    r"""(?ix)
    (?: y|n|yes|no|true|false|on|off|null|nil|~ )\Z
  | [-+]?(?:\.?[0-9][0-9_:.eEoOxXbB+-]*|\.inf|\.nan)\Z
  | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}
  | \.(?:inf|nan)\Z
  | =\Z
""",
)
_NO_WIDTH = 2**31 - 1


@functools.lru_cache(maxsize=8192)
def is_plain_safe(value: str, flow: bool = False) -> bool:
    """Whether ``value`` can be written as a plain scalar and read back as the same string."""
    # Cached: results repeat the same keys, kinds and paths thousands of times in a large bundle.
    if not value or _AMBIGUOUS.match(value):
        return False
    if not _PLAIN_OK.match(value) and (flow or not _PLAIN_BLOCK_OK.match(value)):
        return False
    if ": " in value or value.endswith(":") or " #" in value:
        return False
    try:
        # libyaml, not the pure-Python reader: this runs for every plain string we write.
        return bool(yaml.load(value, Loader=yaml.CSafeLoader) == value)
    except yaml.YAMLError:
        return False


def double_quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is a subset of it)."""
    return json.dumps(value, ensure_ascii=not value.isprintable())


def single_quoted(value: str) -> str | None:
    """A YAML single-quoted scalar, or None where that style cannot carry ``value``."""
    if not value.isprintable():
        return None
    return "'" + value.replace("'", "''") + "'"


def render_scalar(value: Any, style: str | None = None, flow: bool = False) -> str:
    """Render a scalar, keeping ``style`` ('"', "'", or plain) where it can carry the value."""
    if type(value) is str and not style:
        return _render_str(value, flow)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if style == "'":
        quoted = single_quoted(text)
        if quoted is not None:
            return quoted
    if not style:
        return _render_str(text, flow)
    return _quoted(text, double=style == '"')


@functools.lru_cache(maxsize=2**16)
def _render_str(text: str, flow: bool) -> str:
    """A string with no style to keep: plain where that is safe, else quoted.

    Cached: results and new blocks repeat the same keys, kinds, names and paths many times over.
    """
    return text if is_plain_safe(text, flow) else _quoted(text)


def _quoted(text: str, double: bool = False) -> str:
    """Single-quoted when ``text`` holds a double quote (unless ``double`` is asked for), else double-quoted."""
    if not double and '"' in text:
        quoted = single_quoted(text)
        if quoted is not None:
            return quoted
    return double_quoted(text)


def render_flow(value: Any) -> str:
    """Render any value in flow style, for insertion into ``{...}`` or ``[...]``."""
    if isinstance(value, Mapping):
        inner = ", ".join(f"{render_scalar(k, flow=True)}: {render_flow(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ", ".join(render_flow(v) for v in value) + "]"
    return render_scalar(value, flow=True)


@dataclass(frozen=True)
class Layout:
    """How an item indents: the mapping step, and whether sequences are indented under their key."""

    indent: int = 2
    seq_indent: bool = False


def is_collection(value: Any) -> bool:
    """Whether ``value`` renders as a block (a non-empty mapping or sequence)."""
    if isinstance(value, Mapping):
        return bool(value)
    return isinstance(value, list | tuple) and bool(value)


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return render_scalar(value)


def mapping_lines(value: Mapping[Any, Any], col: int, layout: Layout) -> list[str]:
    """Lines of a block mapping whose keys stand at column ``col``."""
    lines: list[str] = []
    pad = " " * col
    for key, item in value.items():
        head = f"{pad}{_render_str(key, False) if type(key) is str else render_scalar(key)}:"
        kind = type(item)
        # Most values are strings, and most collections plain dicts: skip the generic checks below
        # (an isinstance against an ABC costs more than rendering a cached string).
        if kind is str:
            lines.append(f"{head} {_render_str(item, False)}")
        elif kind is dict and item:
            lines.append(head)
            lines.extend(mapping_lines(item, col + layout.indent, layout))
        elif kind is int:
            lines.append(f"{head} {item}")
        elif not is_collection(item):
            lines.append(f"{head} {_inline(item)}")
        elif isinstance(item, Mapping):
            lines.append(head)
            lines.extend(mapping_lines(item, col + layout.indent, layout))
        else:
            lines.append(head)
            lines.extend(sequence_lines(item, col + (layout.indent if layout.seq_indent else 0), layout))
    return lines


def sequence_lines(value: Sequence[Any], col: int, layout: Layout) -> list[str]:
    """Lines of a block sequence whose dashes stand at column ``col``."""
    lines: list[str] = []
    pad = " " * col
    for item in value:
        kind = type(item)
        if kind is str:
            lines.append(f"{pad}- {_render_str(item, False)}")
            continue
        if kind is dict and item:
            inner = mapping_lines(item, col + 2, layout)
            lines.append(f"{pad}- {inner[0][col + 2 :]}")
            lines.extend(inner[1:])
            continue
        if not is_collection(item):
            lines.append(f"{pad}- {_inline(item)}")
            continue
        if isinstance(item, Mapping):
            inner = mapping_lines(item, col + 2, layout)
        else:
            inner = sequence_lines(item, col + 2, layout)
        lines.append(f"{pad}- {inner[0][col + 2 :]}")
        lines.extend(inner[1:])
    return lines


def block_lines(value: Any, col: int, layout: Layout) -> list[str]:
    """Lines of ``value`` as a block collection at column ``col`` (first line indented too)."""
    if isinstance(value, Mapping):
        return mapping_lines(value, col, layout)
    return sequence_lines(value, col, layout)


def dump_plain(value: Any) -> str:
    """Serialize plain data as block YAML with no anchors, tags or document markers."""
    return yaml.dump(
        value,
        Dumper=_NoAliasDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=_NO_WIDTH,
    )


class _NoAliasDumper(yaml.SafeDumper):
    """SafeDumper that writes repeated objects out in full instead of as anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def analyze_scalar(self, scalar: str) -> Any:
        """Double-quote a scalar holding NEL, LS or PS, where they are escaped (``\\N``, ``\\L``, ``\\P``).

        YAML 1.1 reads each as a line break, and PyYAML with ``allow_unicode`` writes them raw
        into a single-quoted scalar, whose line breaks fold into spaces on reading: a value
        with U+0085 came back with a space in its place.
        """
        analysis = super().analyze_scalar(scalar)
        if any(c in scalar for c in _UNICODE_BREAKS):
            analysis.allow_flow_plain = analysis.allow_block_plain = False
            analysis.allow_single_quoted = analysis.allow_block = False
        return analysis


_UNICODE_BREAKS = "\x85\u2028\u2029"
