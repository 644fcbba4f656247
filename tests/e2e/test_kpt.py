"""examples/kpt/kserve-models with the real kpt: eval --exec, eval --image, render, validator gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from e2e_support import REPO, matches_expected, require, run, tool_env

PACKAGE = REPO / "examples" / "kpt" / "kserve-models"
EXPECTED = REPO / "examples" / "kpt" / "expected" / "kserve-models"
FILES = sorted(p.name for p in PACKAGE.iterdir() if p.is_file())


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A fresh copy of the example package (kpt rewrites it in place)."""
    return Path(shutil.copytree(PACKAGE, tmp_path / "kserve-models"))


def _assert_rewritten_in_place(package: Path) -> None:
    for name in FILES:
        before = (PACKAGE / name).read_text(encoding="utf-8")
        after = (package / name).read_bytes()
        matches_expected(after, EXPECTED / name)
        text = after.decode()
        # Comments and quoting survive; only the storage URI line changed, plus inserted lines.
        for line in before.splitlines():
            if "storageUri: pvc://model-store/models/iris/model.joblib" not in line:
                assert line in text.splitlines(), f"{name}: lost line {line!r}"
    assert (package / "sklearn-iris.yaml").read_text() != (PACKAGE / "sklearn-iris.yaml").read_text()
    assert "storageUri: pvc://model-store/models/iris\n" in (package / "sklearn-iris.yaml").read_text()
    assert (package / "xgb-churn.yaml").read_bytes() == (PACKAGE / "xgb-churn.yaml").read_bytes()


def test_render_rewrites_the_package_in_place(tmp_path: Path, package: Path) -> None:
    kpt = require("kpt")
    done = run([kpt, "fn", "render", "--allow-exec", str(package)], tool_env(tmp_path, fn_on_path=True))
    assert done.returncode == 0, done.stderr.decode()
    assert b"1 would change" not in done.stderr, "the validator must find nothing left after the mutator"
    _assert_rewritten_in_place(package)


def test_eval_exec_with_key_value_config(tmp_path: Path, package: Path) -> None:
    kpt = require("kpt")
    argv = [kpt, "fn", "eval", "--exec", "kserve-pvc-fn", str(package), "--", "mountMode=direct", "fileUris=directory"]
    done = run(argv, tool_env(tmp_path, fn_on_path=True))
    assert done.returncode == 0, done.stderr.decode()
    _assert_rewritten_in_place(package)


def test_eval_image_through_the_docker_stand_in(tmp_path: Path, package: Path) -> None:
    kpt = require("kpt")
    argv = [kpt, "fn", "eval", "--image", "docker.io/library/kserve-pvc-fn:dev", str(package), "--", "mountMode=direct"]
    done = run(argv, tool_env(tmp_path, standin=True))
    assert done.returncode == 0, done.stderr.decode()
    _assert_rewritten_in_place(package)
    calls = [json.loads(line) for line in (tmp_path / "docker-standin.log").read_text().splitlines()]
    argv_run = next(c["argv"] for c in calls if c["argv"][0] == "run")
    assert argv_run[-1] == "docker.io/library/kserve-pvc-fn:dev"
    assert {"--network", "none", "--user", "nobody", "--security-opt=no-new-privileges"} <= set(argv_run)


def test_validator_stops_a_render_with_a_file_uri(tmp_path: Path, package: Path) -> None:
    """A gate-only pipeline (validators, no mutator): a file URI fails the render, nothing is written."""
    kpt = require("kpt")
    kptfile = package / "Kptfile"
    text = kptfile.read_text()
    start, end = text.index("  mutators:"), text.index("  validators:")
    kptfile.write_text(text[:start] + text[end:])
    done = run([kpt, "fn", "render", "--allow-exec", str(package)], tool_env(tmp_path, fn_on_path=True))
    assert done.returncode != 0
    assert b"[error]" in done.stderr
    assert b"would rewrite" in done.stderr
    for name in FILES:
        if name != "Kptfile":
            assert (package / name).read_bytes() == (PACKAGE / name).read_bytes()
