"""SIGINT and SIGTERM end a run with one line on stderr and exit 130 / 143 (issue 23 row 11).

Real processes and real signals: while the input is still being read, and while a large input is
worked on or written. stdout then holds nothing, or the whole output: never a shorter stream that
reads as a complete one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
ITEM = """\
- apiVersion: serving.kserve.io/v1beta1
  kind: InferenceService
  metadata:
    name: m{n}
  spec:
    predictor:
      model:
        modelFormat: {{name: sklearn}}
        storageUri: pvc://store/models/m{n}/model.joblib
"""
COUNT = 3000
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
ENV = {k: v for k, v in os.environ.items() if k not in ("KSERVE_PVC_FN_TABLE", "COLUMNS")}


def _start(*args: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "krm_fn", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=ENV,
    )


def _wait_until_running(proc: subprocess.Popen[bytes]) -> None:
    """Until the interpreter has started and the handlers are installed (the import takes a while)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            return
        caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
        if caught & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.02)


def _one_line(stderr: bytes, sig: signal.Signals) -> None:
    text = stderr.decode()
    assert "Traceback" not in text, text[-2000:]
    assert text.splitlines()[-1] == f"kserve-pvc-fn: stopped by {sig.name}", text[-500:]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_while_reading_stdin(sig: signal.Signals) -> None:
    proc = _start()
    assert proc.stdin is not None
    proc.stdin.write(HEAD.encode())
    proc.stdin.flush()
    _wait_until_running(proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == CODES[sig]
    assert out == b""
    assert err.decode().splitlines() == [f"kserve-pvc-fn: stopped by {sig.name}"]


@pytest.mark.parametrize(("sig", "delay"), [(signal.SIGINT, 0.3), (signal.SIGTERM, 0.8), (signal.SIGINT, 1.5)])
def test_signal_while_working_leaves_no_partial_output(sig: signal.Signals, delay: float) -> None:
    stdin = (HEAD + "".join(ITEM.format(n=n) for n in range(COUNT))).encode()
    proc = _start()
    _wait_until_running(proc)
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    time.sleep(delay)
    proc.send_signal(sig)
    out = proc.stdout.read()
    proc.wait(timeout=60)
    assert proc.stderr is not None
    err = proc.stderr.read()
    if proc.returncode == 0:  # done before the signal came
        assert len(yaml.safe_load(out)["items"]) == COUNT
        return
    assert proc.returncode == CODES[sig]
    _one_line(err, sig)
    # Nothing, or all of it (the signal waited for the write to end).
    assert out == b"" or len(yaml.safe_load(out)["items"]) == COUNT


def test_signal_in_render(tmp_path: Path) -> None:
    proc = _start("render", "-", cwd=tmp_path)
    assert proc.stdin is not None
    proc.stdin.write(b"apiVersion: v1\nkind: ConfigMap\n")
    proc.stdin.flush()
    _wait_until_running(proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out) == (143, b"")
    assert err.decode().splitlines() == ["kserve-pvc-fn: stopped by SIGTERM"]


def _blocked_writing(proc: subprocess.Popen[bytes]) -> bool:
    """Wait until the process sleeps in a write to its full stdout pipe (nobody reads it yet)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if "pipe_write" in Path(f"/proc/{proc.pid}/wchan").read_text():  # pipe_write, anon_pipe_write
                return True
        except OSError:
            return False
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("args", [(), ("render", "-")], ids=["krm", "render"])
def test_signal_while_writing_lets_the_write_end(args: tuple[str, ...], sig: signal.Signals, tmp_path: Path) -> None:
    """A signal that lands while the output is blocked on a full pipe waits for the whole output."""
    count = 1000  # about 250 kB of output: four times what a pipe holds
    body = "".join(ITEM.format(n=n) for n in range(count))
    stdin = HEAD + body if not args else body.replace("- apiVersion", "---\napiVersion").replace("\n  ", "\n")
    proc = _start(*args, cwd=tmp_path)
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdin.write(stdin.encode())
    proc.stdin.close()
    if not _blocked_writing(proc):
        pytest.skip("the output fit in the pipe (or /proc has no wchan here): no write to interrupt")
    proc.send_signal(sig)
    out = proc.stdout.read()
    proc.wait(timeout=60)
    assert proc.returncode == CODES[sig]
    _one_line(proc.stderr.read(), sig)
    docs = list(yaml.safe_load_all(out))
    names = [d["metadata"]["name"] for d in (docs[0]["items"] if not args else docs)]
    assert names == [f"m{n}" for n in range(count)]
