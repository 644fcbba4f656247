"""Shared helpers for the end-to-end tests with the real kubectl (kustomize) and kpt clients.

The tests skip, saying why, when a client is absent. Container mode runs through the test-only
``docker`` stand-in in ``bin/`` (see ``docker_standin.py``), first on ``PATH``. Expected outputs are
checked in next to the examples; ``UPDATE_FIXTURES=1`` rewrites them (review the diff by eye).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STANDIN_BIN = Path(__file__).resolve().parent / "bin"
UPDATE = os.environ.get("UPDATE_FIXTURES") == "1"


def require(tool: str) -> str:
    """The path of ``tool``, or skip the test with the reason."""
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"`{tool}` is not installed on this machine; the end-to-end test needs the real client")
    return found


def fn_command() -> Path:
    """The installed ``kserve-pvc-fn`` of the interpreter running the tests (the project's .venv)."""
    command = Path(sys.executable).parent / "kserve-pvc-fn"
    if not command.exists():
        pytest.skip(f"{command} does not exist; install the package (make test does) first")
    return command


def tool_env(tmp_path: Path, *, standin: bool = False, fn_on_path: bool = False) -> dict[str, str]:
    """The environment for a client: the stand-in and/or the function's folder first on PATH."""
    env = dict(os.environ)
    front = []
    if standin:
        front.append(str(STANDIN_BIN))
        env["KSERVE_PVC_FN_COMMAND"] = str(fn_command())
        env["KSERVE_PVC_FN_STANDIN_PYTHON"] = sys.executable
        env["KSERVE_PVC_FN_STANDIN_LOG"] = str(tmp_path / "docker-standin.log")
    if fn_on_path:
        front.append(str(fn_command().parent))
    env["PATH"] = os.pathsep.join([*front, env.get("PATH", "")])
    env["HOME"] = str(tmp_path / "home")  # kpt and kubectl may write caches; keep them out of ~
    return env


def run(argv: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run a client with no stdin and a time limit; output is captured, never shown to a tty."""
    return subprocess.run(
        list(argv), env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=120, check=False
    )


def matches_expected(actual: bytes, expected: Path) -> None:
    """Assert ``actual`` equals the checked-in file byte for byte (or rewrite it when updating)."""
    if UPDATE:
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_bytes(actual)
    assert expected.is_file(), f"{expected} is missing; run with UPDATE_FIXTURES=1 and review it"
    assert actual.decode() == expected.read_text(encoding="utf-8")
