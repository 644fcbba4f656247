"""Limits: how large, how deep and how aliased an input may be, and where the ceilings come from.

Limits apply before any configuration can be read, so their ceilings come from the environment
(``KSERVE_PVC_FN_MAX_INPUT_BYTES``, ``KSERVE_PVC_FN_MAX_ALIASES``, ``KSERVE_PVC_FN_MAX_DEPTH``), set
by whoever runs the function: over one of them the input is refused (exit 2, nothing written). The
config's ``maxInputBytes``, ``maxAliases`` and ``maxDepth`` can only tighten them; over a tighter
one the run changes nothing and reports an error result (exit 1), in every mode (SECURITY.md).

The size is checked on the raw bytes. libyaml's composer recurses in C, so text must be shallow
enough for the stack before it is composed: libyaml 0.2.6 and newer stops at 1,000 levels by itself
(its scanner), and that refusal is reported as this module's depth limit; with an older libyaml,
and for JSON input, the non-recursive event parser counts the exact depth first.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from krm_fn.results import Field as ResultField
from krm_fn.results import Result
from krm_fn.source import InputError

DEFAULT_MAX_INPUT_BYTES = 256 * 2**20
DEFAULT_MAX_ALIASES = 10_000
DEFAULT_MAX_DEPTH = 256
# Above this, the recursive Python writers (yaml.dump, the item editor) run out of stack under
# the default recursion limit (measured: 330 levels), so no setting may go beyond it.
HARD_MAX_DEPTH = 300
# The largest size or count a setting can hold: one less than the largest C ``ssize_t``, so that
# ``limit + 1`` (a read one byte over the limit) still fits.
PLATFORM_MAX = sys.maxsize - 1

ENV_MAX_INPUT_BYTES = "KSERVE_PVC_FN_MAX_INPUT_BYTES"
ENV_MAX_ALIASES = "KSERVE_PVC_FN_MAX_ALIASES"
ENV_MAX_DEPTH = "KSERVE_PVC_FN_MAX_DEPTH"


class LimitError(InputError):
    """A configured limit was hit (exit code 2, like any input that is refused)."""


def too_deep(max_depth: int, line: int = 0, name: str = "input") -> LimitError:
    """The one message for input over the depth limit, whoever found it (libyaml or this module)."""
    where = f"line {line}; " if line else ""
    return LimitError(
        f"{name} is nested more than {max_depth} levels deep ({where}set {ENV_MAX_DEPTH} to raise it, "
        f"up to {HARD_MAX_DEPTH})"
    )


def _libyaml_limits_nesting() -> bool:
    """Whether the loaded libyaml refuses deep nesting itself (0.2.6 and newer: 1,000 levels)."""
    try:
        from yaml import _yaml

        return tuple(_yaml.get_version()) >= (0, 2, 6)
    except (ImportError, AttributeError):
        return False


# With an older libyaml (a PyYAML built against a system library), nothing stops its recursive
# composer but the stack: about 280 bytes per level, so 30,000 nested brackets overflow the main
# thread's 8 MiB and kill the process. There, libyaml's event parser, which does not recurse,
# counts the exact depth before anything is composed.
LIBYAML_LIMITS_NESTING = _libyaml_limits_nesting()


@dataclass(frozen=True)
class Limits:
    """The ceilings applied before anything is parsed."""

    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    max_aliases: int = DEFAULT_MAX_ALIASES
    max_depth: int = DEFAULT_MAX_DEPTH

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults, overridden by the ``KSERVE_PVC_FN_MAX_*`` environment variables."""
        env = os.environ if environ is None else environ

        def read(name: str, default: int, cap: int | None = None) -> int:
            raw = env.get(name, "").strip().replace("_", "")
            if not raw:
                return default
            # ASCII digits only: ``str.isdigit`` also takes '²' and other digits ``int`` refuses.
            if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
                raise LimitError(f"{name}={short(env[name])} is not a positive whole number")
            # Compared as text first: ``int`` refuses more than 4,300 digits (a ValueError).
            digits = raw.lstrip("0")
            huge = len(digits) > len(str(PLATFORM_MAX))
            if cap is not None and (huge or int(digits) > cap):
                raise LimitError(f"{name}={short(digits)} is over the highest safe value {cap}")
            # Sizes and counts past what the platform can index mean "no practical limit": read
            # as the largest one (a read of ``limit + 1`` bytes must still fit a C size).
            return PLATFORM_MAX if huge else min(int(digits), PLATFORM_MAX)

        return cls(
            read(ENV_MAX_INPUT_BYTES, DEFAULT_MAX_INPUT_BYTES),
            read(ENV_MAX_ALIASES, DEFAULT_MAX_ALIASES),
            read(ENV_MAX_DEPTH, DEFAULT_MAX_DEPTH, HARD_MAX_DEPTH),
        )


@dataclass
class Measure:
    """What the checks measured, for the functionConfig's tighter limits."""

    input_bytes: int = 0
    depth: int = 0  # collections, from the document root (aliases written out are checked apart)
    aliased_nodes: int = 0


def exact_depth_over(raw: bytes | bytearray, limit: int) -> int:
    """The line of the first collection nested deeper than ``limit``, or 0 when none is.

    libyaml's event parser does not recurse, so this is safe on any input.
    """
    depth = 0
    try:
        for ev in yaml.parse(bytes(raw), Loader=yaml.CSafeLoader):
            if isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                if depth > limit:
                    return line_of(ev) or 1
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as err:
        # libyaml's own depth limit stops the count there: over ours too (1,000 > HARD_MAX_DEPTH).
        mark = getattr(err, "problem_mark", None)
        if "maximum nesting depth" in str(getattr(err, "problem", "")):
            return mark.line + 1 if mark is not None else 1
        # Broken YAML stops the count here; the reader reports it with its line. Whatever was
        # read so far was within the limit, and the composer stops at the same place.
        return 0
    return 0


def _json_duplicates(raw: bytes | bytearray) -> str | None:
    """What JSON input holds that ``json.loads`` would take silently: the first duplicate key (the
    last one would win), or a number JSON forbids (``NaN``, ``Infinity``, ``1e999``, which reads
    as infinity), with its line and column in the JSON text. None when there is none."""
    stripped = raw.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith((b"{", b"[")):
        return None
    found: list[str] = []
    forbidden: list[str] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen and not found:
                found.append(key)
            seen.add(key)
        return dict(pairs)

    def number(text: str) -> float:
        value = float(text)
        if value in (math.inf, -math.inf):
            forbidden.append(text)
        return value

    def constant(text: str) -> float:
        forbidden.append(text)
        return float(text)

    try:
        json.loads(stripped, object_pairs_hook=hook, parse_float=number, parse_constant=constant)
    except (ValueError, RecursionError):
        return None  # not JSON after all (flow YAML), or too deep: the YAML checks take over
    if forbidden:
        where = _json_position(raw, forbidden[0])
        return f"has the number {forbidden[0][:40]} at {where}: JSON has no NaN, Infinity or number beyond a float"
    return f"has a duplicate key {short(found[0])}" if found else None


def _json_position(raw: bytes | bytearray, token: str) -> str:
    """``line L, column C`` of the first ``token`` outside a string of a JSON text (rare: a scan)."""
    text = raw.decode("utf-8", "replace")
    i, in_string = 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            i += 2 if c == "\\" else 1
            in_string = c != '"'
            continue
        if c == '"':
            in_string = True
        elif text.startswith(token, i) and not (i and (text[i - 1].isalnum() or text[i - 1] in ".+-")):
            line = text.count("\n", 0, i) + 1
            return f"line {line}, column {i - (text.rfind(chr(10), 0, i) + 1) + 1}"
        i += 1
    return "position unknown"


def check_raw(raw: bytes | bytearray, limits: Limits, name: str = "input") -> Measure:
    """Size and depth limits, and JSON duplicate keys, before any YAML is composed."""
    if len(raw) > limits.max_input_bytes:
        raise LimitError(
            f"{name} is larger than the limit of {limits.max_input_bytes} bytes (set {ENV_MAX_INPUT_BYTES} to raise it)"
        )
    # The exact depth is measured on the composed tree; here only what would not survive until
    # then is stopped: YAML where libyaml does not stop deep text itself, and JSON input, which
    # recursive Python code converts to YAML before the tree is walked (JSON input is rare, and
    # the event pass is affordable).
    is_json = raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))
    if (is_json or not LIBYAML_LIMITS_NESTING) and (line := exact_depth_over(raw, limits.max_depth)):
        raise too_deep(limits.max_depth, line, name)
    problem = _json_duplicates(raw)
    if problem is not None:
        why = "; duplicate keys are an error, as for the Kubernetes API server" if "duplicate" in problem else ""
        raise InputError(f"{name} {problem}{why}")
    return Measure(len(raw))


def line_of(ev: yaml.Event | yaml.Node) -> int:
    """The line (from 1) where an event or node starts; 0 when it has no mark."""
    return ev.start_mark.line + 1 if ev.start_mark is not None else 0


def short(value: str, width: int = 60) -> str:
    """``repr`` of a key or tag for a one-line message, cut to ``width`` characters."""
    return repr(value if len(value) <= width else value[:width] + "...")


def tighten(limits: Limits, spec: Any) -> Limits:
    """The environment's ceilings, lowered by the config's ``maxInputBytes``, ``maxAliases`` and
    ``maxDepth`` (the config can never raise them)."""
    return Limits(
        min(limits.max_input_bytes, spec.maxInputBytes or limits.max_input_bytes),
        min(limits.max_aliases, limits.max_aliases if spec.maxAliases is None else spec.maxAliases),
        min(limits.max_depth, spec.maxDepth or limits.max_depth),
    )


def exceeds(measure: Measure, spec: Any) -> list[Result]:
    """The functionConfig's tighter limits that ``measure`` is over, as error results.

    ``spec`` is the PolicySpec (or None): its ``maxInputBytes``, ``maxAliases`` and ``maxDepth``
    can only lower the ceilings. A limit error changes nothing: the caller transforms nothing when
    this is not empty, and reports these after the checks' own findings.
    """
    out = []
    checks: tuple[tuple[str, Callable[[int], bool], str], ...] = (
        ("maxInputBytes", lambda n: measure.input_bytes > n, f"the input is {measure.input_bytes} bytes"),
        ("maxDepth", lambda n: measure.depth > n, f"the input nests {measure.depth} levels deep"),
        ("maxAliases", lambda n: measure.aliased_nodes > n, f"aliases stand for {measure.aliased_nodes} nodes"),
    )
    for key, over, what in checks:
        limit = getattr(spec, key, None)
        if isinstance(limit, int) and not isinstance(limit, bool) and over(limit):
            out.append(
                Result(
                    f"functionConfig: {what}, over {key}: {limit}",
                    "error",
                    field=ResultField(key, limit),
                )
            )
    return out
