"""``fix`` killed at every step of a write leaves each file wholly old or wholly new (SPEC 5.3).

Each run is a real process that sets ``writeback.step_hook`` to SIGKILL itself when the chosen
step is reached for the chosen file: nothing of the process runs after that (no ``finally``, no
exit handler), as when the machine loses power or the OOM killer strikes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from krm_fn import writeback

KILLER = """\
import os, signal, sys
from krm_fn import writeback
from krm_fn.cli import main

step, nth = sys.argv[1], int(sys.argv[2])
reached = []

def kill(name, path):
    if name == step:
        reached.append(path)
        if len(reached) == nth:
            os.kill(os.getpid(), signal.SIGKILL)

writeback.step_hook = kill
main(["fix", *sys.argv[3:]])
"""
OLD = """\
# {name}: a model on a claim
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
spec:
  predictor:
    model:
      modelFormat: {{name: sklearn}}
      storageUri: pvc://store/{name}/model.joblib
"""
NAMES = ("a", "b", "c")


@pytest.mark.parametrize("nth", [1, 2])
@pytest.mark.parametrize("step", writeback.STEPS)
def test_a_kill_at_any_step_tears_no_file(tmp_path: Path, step: str, nth: int) -> None:
    old = {n: OLD.format(name=n).encode() for n in NAMES}
    new = {n: v.replace(b"/model.joblib", b"") for n, v in old.items()}
    for n in NAMES:
        (tmp_path / f"{n}.yaml").write_bytes(old[n])
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, step, str(nth), "."],
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    killed = NAMES[nth - 1]
    renamed = writeback.STEPS.index(step) >= writeback.STEPS.index("renamed")
    for n in NAMES:
        data = (tmp_path / f"{n}.yaml").read_bytes()
        assert data in (old[n], new[n]), f"{n}.yaml is torn"
        done = NAMES.index(n) < nth - 1 or (n == killed and renamed)
        assert data == (new[n] if done else old[n])
    # At most the killed write's temporary file is left, hidden: the next run ignores it and
    # finishes the job.
    left = [p.name for p in tmp_path.iterdir() if p.name.endswith(writeback.TEMP_SUFFIX)]
    assert len(left) <= 1
    assert all(name.startswith(f".{killed}.yaml.") for name in left)
    again = subprocess.run(
        [sys.executable, "-m", "krm_fn", "fix", "."], cwd=tmp_path, capture_output=True, timeout=120, check=False
    )
    assert again.returncode == 0, again.stderr.decode()
    assert all((tmp_path / f"{n}.yaml").read_bytes() == new[n] for n in NAMES)
