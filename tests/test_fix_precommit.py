"""The ``kserve-pvc-fn-fix`` pre-commit hook, run by real pre-commit in a throw-away repository.

pre-commit installs a hook from a git repository: this test commits the package as it is in the
working tree (``pyproject.toml``, ``README.md``, ``krm_fn/``, ``.pre-commit-hooks.yaml``) to a local
repository and points ``repo:`` at it, with ``PRE_COMMIT_HOME`` in a temporary folder. Installing
the hook's environment needs the package index pip is set up with, and nothing else.

The contract of a fixer hook: the first commit fails and the file is fixed in the working tree;
once the user stages the fix, the second commit passes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FILE_URI = "pvc://model-store/iris/model.joblib"
ISVC = f"""\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris  # the iris classifier
spec:
  predictor:
    model:
      modelFormat: {{name: sklearn}}
      storageUri: {FILE_URI}
"""


def _git(cwd: Path, *args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=check)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """git without the user's configuration, and pre-commit's cache in the test's folder."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    out.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
    )
    return out


def _hook_repository(where: Path, env: dict[str, str]) -> str:
    """The package as it is now, committed to a repository of its own; the commit's id."""
    where.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, where / name)
    shutil.copytree(ROOT / "krm_fn", where / "krm_fn", ignore=shutil.ignore_patterns("__pycache__"))
    _git(where, "init", "--quiet", env=env)
    _git(where, "add", ".", env=env)
    _git(where, "commit", "--quiet", "-m", "hook", env=env)
    return _git(where, "rev-parse", "HEAD", env=env).stdout.strip()


def test_the_hooks_file_offers_check_and_fix() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["kserve-pvc-fn-fix"]["entry"] == "kserve-pvc-fn fix"
    assert "minimum_pre_commit_version" in hooks["kserve-pvc-fn-fix"]
    assert hooks["kserve-pvc-fn-fix"]["files"] == hooks["kserve-pvc-fn-check"]["files"]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_fixer_hook_fails_the_commit_fixes_the_file_and_the_next_commit_passes(
    tmp_path: Path, env: dict[str, str]
) -> None:
    rev = _hook_repository(tmp_path / "hook", env)
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet", env=env)
    config = {"repos": [{"repo": str(tmp_path / "hook"), "rev": rev, "hooks": [{"id": "kserve-pvc-fn-fix"}]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    (repo / "isvc.yaml").write_text(ISVC)
    (repo / "notes.txt").write_text("not a manifest\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    _git(repo, "add", ".", env=env)

    first = _git(repo, "commit", "-m", "add the model", env=env, check=False)
    assert first.returncode != 0, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout + first.stderr
    assert (repo / "isvc.yaml").read_text() == ISVC.replace(FILE_URI, "pvc://model-store/iris")
    assert _git(repo, "rev-list", "--all", env=env).stdout == ""  # nothing was committed

    _git(repo, "add", "isvc.yaml", env=env)
    second = _git(repo, "commit", "-m", "add the model", env=env, check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    committed = _git(repo, "show", "HEAD:isvc.yaml", env=env).stdout
    assert committed == ISVC.replace(FILE_URI, "pvc://model-store/iris")
