"""Golden cases of ``render`` and ``check``: every ``fixtures/<scenario>/args`` folder is one run.

``args`` holds the command line after ``kserve-pvc-fn``, one argument a line (``env``, if there,
``KEY=VALUE`` lines for its environment); the command runs as a
real process in ``input/`` (or the folder itself), with ``stdin.yaml`` on stdin when there is one.
``expected/output.yaml`` is the exact stdout, ``expected/stderr.txt`` the exact stderr (the
results, in full with ``--output yaml``), ``expected/exit-code`` the exit code. A rendered stream
is rendered again from stdin and must come out the same. ``UPDATE_FIXTURES=1`` rewrites the
expectations; review the diff before committing it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "args").is_file())
UPDATE = os.environ.get("UPDATE_FIXTURES") == "1"
ENV = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "KSERVE_PVC_FN_TABLE")}


def _run(
    args: list[str], cwd: Path, stdin: bytes, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "krm_fn", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
        env={**ENV, **(env or {})},
    )


@pytest.mark.parametrize("case", CASES)
def test_render_golden(case: str) -> None:
    folder = FIXTURES / case
    expected = folder / "expected"
    args = (folder / "args").read_text().splitlines()
    cwd = folder / "input" if (folder / "input").is_dir() else folder
    stdin = (folder / "stdin.yaml").read_bytes() if (folder / "stdin.yaml").is_file() else b""
    env_file = folder / "env"  # KEY=VALUE lines for the run (COLUMNS for the human output's width)
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines()) if env_file.is_file() else {}
    proc = _run(args, cwd, stdin, env)
    if UPDATE:
        expected.mkdir(exist_ok=True)
        (expected / "output.yaml").write_bytes(proc.stdout)
        (expected / "stderr.txt").write_bytes(proc.stderr)
        (expected / "exit-code").write_text(f"{proc.returncode}\n")
    assert proc.stdout == (expected / "output.yaml").read_bytes()
    assert proc.stderr.decode() == (expected / "stderr.txt").read_text()
    assert proc.returncode == int((expected / "exit-code").read_text())
    assert b"Traceback" not in proc.stderr
    if "--output" in args and proc.returncode != 2:
        results = yaml.safe_load(_results_part(proc.stderr))
        assert results[-1]["message"].startswith("kserve-pvc-fn:")
        assert (proc.returncode == 1) == any(r["severity"] == "error" for r in results)
    if args[0] == "check":
        assert proc.stdout == b""


def _results_part(stderr: bytes) -> bytes:
    """The YAML results list at the end of stderr (``--list-skipped`` lines come before it)."""
    start = stderr.find(b"- message:")
    return stderr[start:] if start >= 0 else b"[]"


@pytest.mark.parametrize("case", [c for c in CASES if (FIXTURES / c / "args").read_text().startswith("render")])
def test_render_golden_is_idempotent(case: str) -> None:
    first = (FIXTURES / case / "expected" / "output.yaml").read_bytes()
    if not first:
        return
    proc = _run(["render", "-"], FIXTURES / case, first)
    assert proc.stdout == first, "rendering the rendered stream changed it"
