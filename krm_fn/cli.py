"""The command line's entry point, and the KRM function on stdin and stdout.

This module and ``commands.py`` (the subcommands) are the only ones that touch stdin, stdout,
stderr and the exit code. With no arguments, which is how kustomize and kpt run the function,
nothing but the pipeline is imported: no argument parser.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import NoReturn

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


def run_function() -> int:
    """The KRM function: a ResourceList from stdin to stdout, messages on stderr; the exit code."""
    from krm_fn.pipeline import run_krm
    from krm_fn.source import InputError

    try:
        answer = run_krm(read_stdin())
    except InputError as err:
        return refuse(err)
    sys.stdout.write(answer.stdout)
    sys.stdout.flush()
    if answer.exit_code:
        print(table([r for r in answer.results if r.severity == "error"]), file=sys.stderr)
    return answer.exit_code


def leave(code: int) -> NoReturn:
    """End the process with ``code`` now that stdout and stderr are flushed.

    Tearing the interpreter down (freeing every module and object, a last garbage collection)
    took about a sixth of a small run, and the KRM function has nothing left to do once the
    ResourceList is written: no file is open, no thread runs, no exit handler is ours.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point.

    As the process's entry point (``argv`` None) the KRM function ends the process directly
    (:func:`leave`); called from Python with ``argv``, it raises SystemExit as usual.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        code = run_function()
        if argv is None:
            leave(code)
        sys.exit(code)
    from krm_fn.commands import cli

    cli.main(args=args, prog_name="kserve-pvc-fn")
