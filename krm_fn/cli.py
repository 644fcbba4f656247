"""The command line's entry point, and the KRM function on stdin and stdout.

With no arguments, which is how kustomize and kpt run the function, nothing but the pipeline and
the terminal helpers (``terminal.py``) is imported: no argument parser. Any argument hands over
to the click subcommands in ``commands.py``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from krm_fn.terminal import read_stdin, refuse, table


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


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        sys.exit(run_function())
    from krm_fn.commands import cli

    cli.main(args=args, prog_name="kserve-pvc-fn")
