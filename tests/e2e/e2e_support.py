"""Shared helpers for the end-to-end tests with the real clients and the real image.

Clients: kubectl (kustomize inside; the machine's and the v1.35 one from ``make e2e-tools``), kpt,
helm (``make e2e-tools``) and podman with the image built by ``tests/e2e/image.sh``. A test whose
client or image is missing skips, saying why and how to get it; with ``CI=true`` (``.ci/run``) it
fails instead, so CI cannot pass without running them. kustomize always runs ``docker``: the
``docker`` in ``bin/`` hands every call to podman and can log the arguments. Expected outputs are
checked in next to the examples; ``UPDATE_FIXTURES=1`` rewrites them (review the diff by eye).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKER_SHIM = Path(__file__).resolve().parent / "bin"
TOOLS = REPO / ".venv" / "tools"
IMAGE = "docker.io/library/kserve-pvc-fn:dev"
UPDATE = os.environ.get("UPDATE_FIXTURES") == "1"
IN_CI = os.environ.get("CI") == "true"
# kustomize in two versions: the machine's kubectl (v5.5 here) and v1.35's (v5.7) from make e2e-tools.
KUBECTLS = ["path", "tools"]


def missing(reason: str) -> None:
    """Skip the test with ``reason``, or fail it in CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"CI=true, but {reason}")
    pytest.skip(reason)


def require(tool: str) -> str:
    """The path of ``tool`` (on PATH, else in .venv/tools/), or skip (fail in CI) with the reason."""
    found = shutil.which(tool) or shutil.which(tool, path=str(TOOLS))
    if found is None:
        missing(f"`{tool}` is not installed on this machine (helm, kubectl: `make e2e-tools`)")
    assert found is not None
    return found


def kubectl(which: str) -> str:
    """kubectl from PATH (``path``) or from ``make e2e-tools`` (``tools``)."""
    if which == "tools":
        found = TOOLS / "kubectl"
        if not found.is_file():
            missing(f"{found} is missing; `make e2e-tools` puts kubectl v1.35 there")
        return str(found)
    path = shutil.which("kubectl")
    if path is None:
        missing("`kubectl` is not on PATH")
    assert path is not None
    return path


@functools.cache
def _image_problem() -> str | None:
    """Why the image cannot run here (asked once per test session), or None."""
    podman = shutil.which("podman")
    if podman is None:
        return "podman is not installed; `tests/e2e/image.sh` (as root) installs it and builds the image"
    if subprocess.run([podman, "image", "exists", IMAGE], capture_output=True, timeout=60, check=False).returncode:
        return f"podman has no image {IMAGE}; build it with `tests/e2e/image.sh`"
    argv = [podman, "run", "--rm", "--network", "none", IMAGE, "--version"]
    started = subprocess.run(argv, capture_output=True, timeout=120, check=False)
    if started.returncode:
        return f"podman cannot start containers here ({started.stderr.decode().strip()[-300:]}); see tests/e2e/image.sh"
    return None


def image() -> str:
    """The image name kpt asks for, once podman can run it; skip (fail in CI) when it cannot."""
    problem = _image_problem()
    if problem is not None:
        missing(problem)
    return IMAGE


def fn_command() -> Path:
    """The installed ``kserve-pvc-fn`` of the interpreter running the tests (the project's .venv)."""
    command = Path(sys.executable).parent / "kserve-pvc-fn"
    if not command.exists():
        missing(f"{command} does not exist; install the package (make test does) first")
    return command


def tool_env(tmp_path: Path, *, docker: bool = False, fn_on_path: bool = False) -> dict[str, str]:
    """The environment for a client: the docker shim (logging to tmp_path/docker.log) and/or the
    function's folder first on PATH; HOME in tmp_path so caches stay out of ~."""
    env = dict(os.environ)
    front = []
    if docker:
        image()
        front.append(str(DOCKER_SHIM))
        env["KSERVE_PVC_FN_DOCKER_LOG"] = str(tmp_path / "docker.log")
    if fn_on_path:
        front.append(str(fn_command().parent))
    env["PATH"] = os.pathsep.join([*front, env.get("PATH", "")])
    env["HOME"] = str(tmp_path / "home")
    return env


def docker_calls(tmp_path: Path) -> list[list[str]]:
    """The argument vectors the docker shim was called with."""
    log = tmp_path / "docker.log"
    return [line.split("\t") for line in log.read_text().splitlines()] if log.exists() else []


def run(
    argv: Sequence[str], env: dict[str, str], cwd: Path | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run a client with a time limit; output is captured, never shown to a tty."""
    return subprocess.run(
        list(argv),
        env=env,
        cwd=cwd,
        capture_output=True,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        timeout=180,
        check=False,
    )


def matches_expected(actual: bytes, expected: Path) -> None:
    """Assert ``actual`` equals the checked-in file byte for byte (or rewrite it when updating)."""
    if UPDATE:
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_bytes(actual)
    assert expected.is_file(), f"{expected} is missing; run with UPDATE_FIXTURES=1 and review it"
    assert actual.decode() == expected.read_text(encoding="utf-8")
