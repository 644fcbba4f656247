"""Bounded reads (``reading.py``): every read of a file or a stream stops at the input limit while
it reads, a walked name is read only when it is a regular file, and a name the user typed may be
a stream. The memory tests run the command in a child process whose address space is capped, so
that a read that does not stop fails the test instead of the machine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from samples import CLEAN_ENV, ISVC

from krm_fn.limits import LimitError
from krm_fn.reading import CHUNK, NotRegular, read_bounded, read_file
from krm_fn.source import InputError

ENV = CLEAN_ENV


class Endless:
    """A reader that never ends (``/dev/zero``), counting what it handed out."""

    def __init__(self) -> None:
        self.given = 0
        self.largest = 0

    def __call__(self, n: int) -> bytes:
        self.given += n
        self.largest = max(self.largest, n)
        return b"\0" * n


@pytest.mark.parametrize("limit", [1, 100, CHUNK - 1, CHUNK, 3 * CHUNK + 7])
def test_an_endless_stream_is_refused_one_byte_past_the_limit(limit: int) -> None:
    source = Endless()
    with pytest.raises(LimitError, match=f"^zero is larger than the limit of {limit} bytes"):
        read_bounded(source, limit, "zero")
    assert source.given == limit + 1  # it stopped while reading, never read-then-check
    assert source.largest <= CHUNK


def test_a_stream_of_exactly_the_limit_is_read() -> None:
    data = bytes(range(256)) * 9000
    pieces = [data[i : i + 1000] for i in range(0, len(data), 1000)]

    def read(n: int) -> bytes:
        return pieces.pop(0) if pieces else b""

    assert read_bounded(read, len(data), "s") == data


def test_a_regular_file_is_read_in_one_allocation_of_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(b"x" * 5000)
    asked: list[int] = []
    real_read = os.read

    def spy(fd: int, n: int) -> bytes:
        asked.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", spy)
    assert read_file(str(path), 10_000) == b"x" * 5000
    monkeypatch.undo()
    assert asked[0] == 5001  # the whole file, and one byte to see that it ends there


def test_a_sparse_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "sparse.yaml"
    with open(path, "wb") as f:
        f.truncate(2 * 2**30)  # 2 GiB that take no disk space
    with pytest.raises(LimitError, match=re.escape("sparse.yaml is larger than the limit of 1000 bytes")):
        read_file(str(path), 1000)


def _without_blocking(call: Callable[[], object], fifo: Path) -> BaseException | object:
    """``call()`` in a thread; if it blocks, a writer opens and closes the FIFO to free it, and
    the test fails."""
    out: list[BaseException | object] = []

    def run() -> None:
        try:
            out.append(call())
        except BaseException as err:  # handed to the test
            out.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        thread.join(10)
        pytest.fail("reading the FIFO blocked")
    return out[0]


def test_a_fifo_is_never_opened_where_a_regular_file_is_expected(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    err = _without_blocking(lambda: read_file(str(fifo), 1000), fifo)
    assert isinstance(err, NotRegular)
    assert "p.yaml: a named pipe (FIFO), not a regular file" in str(err)


def test_a_fifo_swapped_in_after_the_check_does_not_block_the_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the walk saw a regular file; a FIFO stands there when it is opened."""
    regular = tmp_path / "r.yaml"
    regular.write_text("a: 1\n")
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real_stat(regular) if str(p) == str(fifo) else real_stat(p))
    err = _without_blocking(lambda: read_file(str(fifo), 1000), fifo)
    assert isinstance(err, NotRegular)


def test_a_named_fifo_is_read_as_a_stream(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    data = ISVC.format(name="a").encode() * 1000  # more than a pipe holds at once

    def write() -> None:
        with open(fifo, "wb") as f:
            f.write(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert read_file(str(fifo), len(data), stream=True) == data
    writer.join(10)


def test_a_named_device_is_read_bounded() -> None:
    with pytest.raises(LimitError, match=r"^/dev/zero is larger than the limit of 4096 bytes"):
        read_file("/dev/zero", 4096, stream=True)
    assert read_file("/dev/null", 4096, stream=True) == b""


def test_what_cannot_be_read_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.yaml: cannot read the file: No such file"):
        read_file(str(tmp_path / "nope.yaml"), 10)
    with pytest.raises(InputError, match="is a directory"):
        read_file(str(tmp_path), 10, stream=True)
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(InputError, match="cannot read the file: Too many levels of symbolic links"):
        read_file(str(tmp_path / "a"), 10, stream=True)


# --- memory, in a child process ------------------------------------------------------------------

LIMIT = 48 * 2**20
# Measured: a run that refuses /dev/zero peaks at the limit plus about a MiB over a run on a small
# file; the slack covers a chunk, the traceback-free refusal and allocator noise.
SLACK = 24 * 2**20
# Enough for the interpreter, its libraries and the limit; a read that does not stop hits it.
ADDRESS_SPACE = 1536 * 2**20

_PEAK = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from krm_fn.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
with open({out!r}, "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))
sys.exit(code)
"""


def _peak(tmp_path: Path, args: list[str], stdin: str | None = None) -> tuple[int, subprocess.CompletedProcess[bytes]]:
    out = tmp_path / "peak.txt"
    script = _PEAK.format(cap=ADDRESS_SPACE, out=str(out))
    with open(stdin or os.devnull, "rb") as source:
        proc = subprocess.run(
            [sys.executable, "-c", script, *args],
            stdin=source,
            capture_output=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
            env={**ENV, "KSERVE_PVC_FN_MAX_INPUT_BYTES": str(LIMIT)},
        )
    assert b"Traceback" not in proc.stderr, proc.stderr.decode()[-2000:]
    return int(out.read_text()), proc


@pytest.mark.parametrize(
    ("args", "stdin", "name"),
    [
        (["check", "walked/z.yaml"], None, "walked/z.yaml"),
        (["render", "-"], "/dev/zero", "<stdin>"),
        ([], "/dev/zero", "input"),
        (["render", "--config", "/dev/zero", "ok.yaml"], None, "--config /dev/zero"),
    ],
    ids=["named-link", "render-stdin", "krm-stdin", "config"],
)
def test_reading_dev_zero_stays_within_the_limit(tmp_path: Path, args: list[str], stdin: str | None, name: str) -> None:
    (tmp_path / "ok.yaml").write_text(ISVC.format(name="a"))
    (tmp_path / "walked").mkdir()
    (tmp_path / "walked" / "z.yaml").symlink_to("/dev/zero")
    base, _ = _peak(tmp_path, ["render", "ok.yaml"])
    peak, proc = _peak(tmp_path, args, stdin)
    assert proc.returncode == 2, proc.stderr
    assert f"{name} is larger than the limit of {LIMIT} bytes".encode() in proc.stderr
    assert peak - base < LIMIT + SLACK, (peak - base) / 2**20


def test_a_walk_does_not_read_dev_zero_at_all(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(ISVC.format(name="a"))
    (tmp_path / "walked").mkdir()
    (tmp_path / "walked" / "a.yaml").write_text(ISVC.format(name="a"))
    (tmp_path / "walked" / "z.yaml").symlink_to("/dev/zero")
    base, _ = _peak(tmp_path, ["render", "ok.yaml"])
    peak, proc = _peak(tmp_path, ["render", "--list-skipped", "walked"])
    assert proc.returncode == 0, proc.stderr
    assert b"skipped walked/z.yaml: a character device, not a regular file" in proc.stderr
    assert b"storageUri: pvc://store/a\n" in proc.stdout
    assert peak - base < SLACK, (peak - base) / 2**20


def test_the_ignore_file_is_bounded_and_never_blocks(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ISVC.format(name="a"))
    (tmp_path / ".kserve-pvc-fn-ignore").symlink_to("/dev/zero")
    proc = subprocess.run(
        [sys.executable, "-m", "krm_fn", "render", "."],
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env=ENV,
    )
    assert proc.returncode == 2
    assert b"cannot read the ignore file" in proc.stderr
    assert b"a character device, not a regular file" in proc.stderr
    (tmp_path / ".kserve-pvc-fn-ignore").unlink()
    os.mkfifo(tmp_path / ".kserve-pvc-fn-ignore")
    proc = subprocess.run(
        [sys.executable, "-m", "krm_fn", "check", "."],
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env=ENV,
    )
    assert proc.returncode == 2
    assert b"a named pipe (FIFO), not a regular file" in proc.stderr
    assert len(proc.stderr.decode().strip().splitlines()) == 1


@given(
    data=st.binary(max_size=3000),
    limit=st.integers(min_value=1, max_value=3000),
    pieces=st.lists(st.integers(min_value=1, max_value=700), max_size=20),
    size=st.integers(min_value=0, max_value=4000),
)
def test_a_read_returns_everything_or_refuses_and_never_asks_past_the_limit(
    data: bytes, limit: int, pieces: list[int], size: int
) -> None:
    """Whatever the source hands out per call (a pipe gives less than asked) and whatever size
    ``fstat`` claimed (a file may grow or shrink meanwhile)."""
    rest = memoryview(data)

    def read(n: int) -> bytes:
        nonlocal rest
        take = min(n, pieces.pop(0) if pieces else n)
        out, rest = bytes(rest[:take]), rest[take:]
        return out

    if len(data) <= limit:
        assert read_bounded(read, limit, "s", size) == data
    else:
        with pytest.raises(LimitError):
            read_bounded(read, limit, "s", size)
        assert len(data) - len(rest) == limit + 1  # taken from the source: one byte past the limit, no more
