"""Golden cases of ``fix``: every ``fixtures/fix-*/`` folder with a ``before/`` tree is one run.

``before/`` is a repository as the user has it, ``after/`` the same tree once fixed (symbolic links
are compared as links), ``fix-args`` the arguments after ``fix`` (one a line; ``.`` when absent).
The command runs as a real process in a copy of ``before/``:

1. ``fix --diff ARGS`` prints ``expected/diff.patch`` on stdout, exits ``expected/diff-exit-code``
   and changes nothing;
2. ``fix ARGS`` turns the tree into ``after/``, prints ``expected/stderr.txt`` and exits
   ``expected/exit-code``;
3. run twice: ``fix --diff`` on the fixed tree prints nothing, and ``fix`` changes nothing.

``UPDATE_FIXTURES=1`` rewrites ``after/`` and the expectations; review the diff before committing it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.glob("fix-*") if (p / "before").is_dir())
UPDATE = os.environ.get("UPDATE_FIXTURES") == "1"
ENV = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "KSERVE_PVC_FN_TABLE")}


def _fix(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "krm_fn", "fix", *args], cwd=cwd, capture_output=True, timeout=120, check=False, env=ENV
    )


def tree(root: Path) -> dict[str, bytes | str]:
    """Every file's bytes and every link's target under ``root``, by relative path."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = f"-> {os.readlink(path)}"
        elif path.is_file():
            out[rel] = path.read_bytes()
    return out


def test_there_are_fix_cases() -> None:
    assert len(CASES) >= 5


@pytest.mark.parametrize("case", CASES)
def test_fix_golden(case: str, tmp_path: Path) -> None:
    folder = FIXTURES / case
    expected = folder / "expected"
    args_file = folder / "fix-args"
    args = args_file.read_text().splitlines() if args_file.is_file() else ["."]
    work = tmp_path / "repo"
    shutil.copytree(folder / "before", work, symlinks=True)
    before = tree(work)

    diffed = _fix(work, "--diff", *args)
    assert tree(work) == before, "--diff wrote something"
    fixed = _fix(work, *args)
    if UPDATE:
        expected.mkdir(exist_ok=True)
        (expected / "diff.patch").write_bytes(diffed.stdout)
        (expected / "diff-exit-code").write_text(f"{diffed.returncode}\n")
        (expected / "stderr.txt").write_bytes(fixed.stderr)
        (expected / "exit-code").write_text(f"{fixed.returncode}\n")
        shutil.rmtree(folder / "after", ignore_errors=True)
        shutil.copytree(work, folder / "after", symlinks=True)
    assert diffed.stdout == (expected / "diff.patch").read_bytes()
    assert diffed.returncode == int((expected / "diff-exit-code").read_text())
    assert (diffed.returncode == 1) == (bool(diffed.stdout) or fixed.returncode == 1)
    assert fixed.stdout == b""
    assert fixed.stderr.decode() == (expected / "stderr.txt").read_text()
    assert fixed.returncode == int((expected / "exit-code").read_text())
    assert b"Traceback" not in fixed.stderr + diffed.stderr
    assert tree(work) == tree(folder / "after")
    assert (tree(work) != before) == bool(diffed.stdout)

    # The second run: nothing left to fix.
    again = _fix(work, "--diff", *args)
    assert again.stdout == b""
    assert again.returncode == fixed.returncode
    assert _fix(work, *args).returncode == fixed.returncode
    assert tree(work) == tree(folder / "after")


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs patch(1)")
@pytest.mark.parametrize("case", CASES)
def test_the_diff_applies_to_before_and_gives_after(case: str, tmp_path: Path) -> None:
    folder = FIXTURES / case
    work = tmp_path / "repo"
    shutil.copytree(folder / "before", work, symlinks=True)
    diff = (folder / "expected" / "diff.patch").read_bytes()
    if diff:
        subprocess.run(["patch", "-p0", "--quiet", "--binary"], cwd=work, input=diff, check=True, timeout=60)
    assert {k: v for k, v in tree(work).items() if not k.endswith(".orig")} == tree(folder / "after")
