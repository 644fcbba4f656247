"""atheris fuzz target for the reader and the whole KRM run (``make fuzz``; not part of CI).

Any input must end in one of two ways: ``InputError`` (exit 2, a one-line message) or an answer
that keeps the contract (non-empty stdout, exit 1 exactly when there is an error result). Every
other exception, a crash or a hang is a finding. Run:

    .venv/bin/python fuzz/fuzz_reader.py fuzz/corpus -max_total_time=300 -rss_limit_mb=2048

Findings are written as ``crash-*`` files in the current directory; replay one with
``.venv/bin/python fuzz/fuzz_reader.py crash-<hash>``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

# The output reader the tests use (tests/tolerant_yaml.py), shared rather than copied.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from tolerant_yaml import TolerantLoader

with atheris.instrument_imports():
    import yaml

    from krm_fn.krm import run_krm
    from krm_fn.source import InputError


def test_one_input(data: bytes) -> None:
    """One fuzz case: run the function on ``data`` and check the contract."""
    try:
        answer = run_krm(data)
    except InputError as err:
        if "\n" in str(err) or not str(err):
            raise AssertionError(f"exit-2 message is not one line: {err!r}") from None
        return
    if not answer.stdout:
        raise AssertionError("empty stdout with a ResourceList answer")
    out = yaml.load(answer.stdout, Loader=TolerantLoader)  # every tag becomes a string: nothing is built
    results = out.get("results") or []
    has_error = any(isinstance(r, dict) and r.get("severity") == "error" for r in results)
    if (answer.exit_code == 1) != has_error:
        raise AssertionError(f"exit code {answer.exit_code} but error results: {has_error}")


def main() -> None:
    """Start libFuzzer with the command line's arguments (corpus folders, -max_total_time, ...)."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
