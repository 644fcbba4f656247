"""The terminal edge shared by the KRM function and the subcommands: stdin, stdout, stderr.

``cli.py`` (the entry point and the KRM function) and ``commands.py`` (the click subcommands) both
use these helpers, and neither imports the other's module at load time. Nothing here imports
click: the KRM path, which kustomize and kpt start without arguments, must not pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from krm_fn.results import EXIT_NOT_A_RESOURCE_LIST, Result


def table(results: Sequence[Result]) -> str:
    """The results as a plain table for stderr."""
    rows = [("SEVERITY", "RESOURCE", "FIELD", "MESSAGE")]
    for r in results:
        ref = r.resourceRef
        where = f"{ref.kind}/{ref.name}" if ref else ""
        if ref and ref.namespace:
            where = f"{ref.namespace}/{where}"
        if r.file:
            where = f"{where} ({r.file.path})" if where else r.file.path
        rows.append((r.severity, where, r.field.path if r.field else "", r.message))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3] for row in rows)


def read_stdin() -> bytes:
    """stdin, but never more than one byte over the input limit: the guard reports the excess,
    and memory stays bounded however much is piped in."""
    from krm_fn.guard import Limits

    return sys.stdin.buffer.read(Limits.from_env().max_input_bytes + 1)


def refuse(err: Exception) -> int:
    """Say on stderr, in one line, why the input is not read at all; the exit code for it."""
    print(f"kserve-pvc-fn: {err}", file=sys.stderr)
    return EXIT_NOT_A_RESOURCE_LIST
