"""The image's install steps without a container engine: build the wheel, install it into a fresh
venv, prune the schemas with the image's own script, and run the entry point from ``/``.

Offline by design: the wheel is built like the Dockerfile does (``pip wheel --no-deps
--no-build-isolation``, with this environment's locked setuptools). Its runtime dependencies are
not downloaded: each installed distribution of this interpreter's environment that
``kserve-pvc-fn`` needs (transitively) is repacked as a wheel into a local wheelhouse, and pip
installs from there with ``--no-index``. So pip resolves the real dependency metadata of the built
wheel: a dependency missing from pyproject.toml fails this test. tests/e2e/test_image.py runs the
image itself.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata as md
import io
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "Dockerfile"
PRUNE = REPO / "container" / "prune_schemas.py"
FIXTURE = REPO / "fixtures" / "isvc-file-uri-fidelity"
_SKIP_IN_WHEEL = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def _dockerfile_runs() -> list[str]:
    """The RUN instructions of the Dockerfile, continuation lines joined, runs of blanks as one."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [" ".join(line.split()[1:]) for line in text.splitlines() if line.strip().startswith("RUN ")]


def _needed(root: str) -> list[md.Distribution]:
    """The installed distributions ``root`` requires, transitively (markers evaluated, no extras)."""
    seen: dict[str, md.Distribution] = {}
    todo = list(md.requires(root) or [])
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key in seen:
            continue
        dist = md.distribution(req.name)
        seen[key] = dist
        todo.extend(dist.requires or [])
    return list(seen.values())


def _repack(dist: md.Distribution, out: Path) -> Path:
    """Write an installed distribution back as a wheel (files from its RECORD, fresh RECORD)."""
    tag = next(
        line.split(":", 1)[1].strip()
        for line in (dist.read_text("WHEEL") or "").splitlines()
        if line.startswith("Tag:")
    )
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    version = dist.version
    info = f"{name}-{version}.dist-info"
    target = out / f"{name}-{version}-{tag}.whl"
    rows: list[tuple[str, str, str]] = []
    installed_info = None
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as whl:
        for rel in dist.files or []:
            parts = Path(str(rel)).parts
            if parts[0] == ".." or "__pycache__" in parts:
                continue  # console scripts are regenerated from entry_points.txt; bytecode by pip
            if parts[0].endswith(".dist-info"):
                installed_info = parts[0]
                if parts[-1] in _SKIP_IN_WHEEL:
                    continue
                arcname = "/".join((info, *parts[1:]))
            else:
                arcname = "/".join(parts)
            data = Path(str(dist.locate_file(rel))).read_bytes()
            whl.writestr(arcname, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append((arcname, f"sha256={digest}", str(len(data))))
        assert installed_info is not None, f"{dist.metadata['Name']}: no dist-info in RECORD"
        record = io.StringIO()
        csv.writer(record, lineterminator="\n").writerows([*rows, (f"{info}/RECORD", "", "")])
        whl.writestr(f"{info}/RECORD", record.getvalue())
    return target


def _pip(*args: str, cwd: Path | None = None) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        cwd=cwd,
        timeout=540,
        check=False,
    )
    assert done.returncode == 0, f"pip {' '.join(args)} failed:\n{done.stderr.decode()[-3000:]}"


@pytest.fixture(scope="module")
def venv() -> Iterator[Path]:
    """The image's /opt/venv, made in a folder that user nobody can read (like the image)."""
    work = Path(tempfile.mkdtemp(prefix="kserve-pvc-fn-install-"))
    work.chmod(0o755)
    try:
        # Build context: exactly what the Dockerfile copies (and .dockerignore lets through).
        src = work / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(REPO / name, src / name)
        shutil.copytree(REPO / "krm_fn", src / "krm_fn", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        wheels, house = work / "wheels", work / "wheelhouse"
        house.mkdir()
        _pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(wheels), ".", cwd=src)
        for dist in _needed("kserve-pvc-fn"):
            _repack(dist, house)
        target = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True, timeout=120)
        wheel = next(wheels.glob("kserve_pvc_fn-*.whl"))
        _pip(
            "--python", str(target / "bin" / "python"), "install", "--no-index", "--find-links", str(house), str(wheel)
        )
        # The image's own schema-pruning step, run on this venv with its interpreter.
        subprocess.run([str(target / "bin" / "python"), str(PRUNE), str(target)], check=True, timeout=120)
        yield target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_in(target: Path, code: str) -> str:
    done = subprocess.run(
        [str(target / "bin" / "python"), "-c", code], capture_output=True, timeout=120, check=False, cwd="/"
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def test_dockerfile_is_what_this_test_mirrors() -> None:
    text = DOCKERFILE.read_text()
    assert 'ENTRYPOINT ["kserve-pvc-fn"]' in text
    assert "USER 65534:65534" in text
    assert "COPY pyproject.toml README.md ./" in text
    assert "COPY krm_fn ./krm_fn" in text
    runs = _dockerfile_runs()
    assert any("pip wheel --no-deps --no-build-isolation --no-index" in run for run in runs)
    assert any("--require-hashes --no-deps -r requirements/build.txt" in run for run in runs)
    assert any("--require-hashes --no-deps -r requirements/runtime.txt" in run for run in runs)
    assert any("container/prune_schemas.py" in run for run in runs)


def test_build_requirements_are_the_locked_ones() -> None:
    """The image builds the wheel with requirements/build.txt, this suite with dev.txt: one setuptools."""

    def pins(name: str) -> dict[str, str]:
        text = (REPO / "requirements" / name).read_text()
        return dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+) \\$", text, flags=re.MULTILINE))

    build, dev = pins("build.txt"), pins("dev.txt")
    assert {"setuptools", "wheel"} <= set(build)
    assert all(dev[name] == version for name, version in build.items()), (build, dev)


def test_hash_pinned_requirements_cover_every_runtime_dependency() -> None:
    """The image installs dependencies only from requirements/runtime.txt; a dependency missing
    there would make the image build fail, and an unhashed pin would defeat --require-hashes."""
    text = (REPO / "requirements" / "runtime.txt").read_text()
    pins: dict[str, int] = {}
    current = ""
    for line in text.splitlines():
        if match := re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==\S+", line):
            current = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            pins[current] = 0
        elif "--hash=sha256:" in line and current:
            pins[current] += 1
    needed = {re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower() for dist in _needed("kserve-pvc-fn")}
    assert needed <= set(pins), f"not pinned: {sorted(needed - set(pins))}"
    assert all(count > 0 for count in pins.values()), pins


def test_package_comes_from_the_wheel_not_the_source_tree(venv: Path) -> None:
    where = _run_in(venv, "import krm_fn; print(krm_fn.__file__)").strip()
    assert where.startswith(str(venv)), where
    assert not (venv / "bin" / "pip").exists(), "the runtime venv carries no pip"


def test_pruned_schemas_still_cover_every_validated_kind(venv: Path) -> None:
    schemas = next(venv.glob("lib/python3*/site-packages/kubernetes_validate/kubernetes-json-schema"))
    assert not list(schemas.glob("*-strict")), "strict schema folders are dropped"
    assert len(list(schemas.rglob("*.json"))) < 600, "the prune step did not run"
    checked = _run_in(
        venv,
        "from krm_fn.validation import VALIDATED_KINDS, bundled_versions, schema_errors\n"
        "n = 0\n"
        "for version in bundled_versions():\n"
        "    for group, kind in sorted(VALIDATED_KINDS):\n"
        "        api = f'{group}/v1' if group else 'v1'\n"
        "        schema_errors({'apiVersion': api, 'kind': kind, 'metadata': {'name': 'x'}}, version)\n"
        "        n += 1\n"
        "print(n)\n",
    )
    assert int(checked) >= 8


def test_record_lists_only_files_that_exist(venv: Path) -> None:
    """After pruning, kubernetes-validate's RECORD matches what is installed (pip show -f, uninstall)."""
    listed = _run_in(
        venv,
        "import importlib.metadata as md\n"
        "files = md.distribution('kubernetes-validate').files\n"
        "print(len(files), sum(not f.locate().exists() for f in files))\n",
    ).split()
    assert int(listed[0]) > 0
    assert listed[1] == "0", "RECORD lists pruned files"


def test_entry_point_runs_from_root_with_a_clean_environment(venv: Path) -> None:
    """As the image's entry point runs: from /, without the source tree or this environment."""
    command = venv / "bin" / "kserve-pvc-fn"
    assert command.stat().st_mode & stat.S_IXOTH
    done = subprocess.run(
        [str(command)],
        input=(FIXTURE / "input.yaml").read_bytes(),
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
        cwd="/",
        capture_output=True,
        timeout=120,
        check=False,
    )
    expected_code = int((FIXTURE / "expected" / "exit-code").read_text())
    assert done.returncode == expected_code, done.stderr.decode()
    assert done.stdout == (FIXTURE / "expected" / "output.yaml").read_bytes()
    version = subprocess.run([str(command), "--version"], capture_output=True, timeout=60, check=True)
    assert b"kserve-pvc-fn" in version.stdout
