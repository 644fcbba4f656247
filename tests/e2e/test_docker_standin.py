"""The ``docker`` stand-in itself: it isolates like the container and refuses what docker would."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import STANDIN_BIN, run, tool_env

KUSTOMIZE_ARGS = [
    "run", "--rm", "-i", "-a", "STDIN", "-a", "STDOUT", "-a", "STDERR", "--network", "none",
    "--user", "nobody", "--security-opt=no-new-privileges", "-e", "LOG_TO_STDERR=true",
    "-e", "STRUCTURED_RESULTS=true",
]  # fmt: skip


@pytest.fixture
def probe() -> Iterator[Path]:
    """A stand-in entry point that prints who and where it runs (readable by user nobody)."""
    folder = Path(tempfile.mkdtemp(prefix="kserve-pvc-fn-probe-"))
    folder.chmod(0o755)
    script = folder / "probe"
    script.write_text(
        "#!/bin/sh\n"
        'echo "uid=$(id -u) gid=$(id -g) cwd=$(pwd) log=$LOG_TO_STDERR"\n'
        "grep NoNewPrivs /proc/self/status\n"
        # /proc/net/dev lists the interfaces of this network namespace: only lo when unshared.
        "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    yield script
    shutil.rmtree(folder)


def test_runs_as_nobody_without_network(tmp_path: Path, probe: Path) -> None:
    if os.geteuid() != 0 or not (shutil.which("setpriv") and shutil.which("unshare")):
        pytest.skip("isolation needs root with setpriv and unshare; the stand-in then runs unisolated")
    env = {**tool_env(tmp_path, standin=True), "KSERVE_PVC_FN_COMMAND": str(probe)}
    done = run([str(STANDIN_BIN / "docker"), *KUSTOMIZE_ARGS, "kserve-pvc-fn:dev"], env)
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().split()
    assert lines[:4] == ["uid=65534", "gid=65534", "cwd=/", "log=true"]
    assert lines[4:6] == ["NoNewPrivs:", "1"]
    assert lines[6:] == ["lo"], "the function must not see a network interface other than loopback"
    logged = json.loads((tmp_path / "docker-standin.log").read_text().splitlines()[-1])
    assert logged["notes"] == []


def test_rejects_unknown_image_and_flag(tmp_path: Path) -> None:
    env = tool_env(tmp_path, standin=True)
    docker = str(STANDIN_BIN / "docker")
    wrong_image = run([docker, "run", "--rm", "-i", "example.com/other:1"], env)
    assert wrong_image.returncode == 125
    assert b"Unable to find image 'example.com/other:1'" in wrong_image.stderr
    wrong_flag = run([docker, "run", "--privileged", "kserve-pvc-fn:dev"], env)
    assert wrong_flag.returncode == 125
    assert b"unknown flag: --privileged" in wrong_flag.stderr
    assert run([docker, "version", "--format", "{{.Client.Version}}"], env).stdout.strip()
