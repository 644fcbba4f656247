"""The pre-commit hook, the Flux CI recipe and the Argo CD plugin, run as far as this machine allows."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from e2e_support import REPO, fn_command, require, run, tool_env

RESOURCES = REPO / "kustomization.example" / "resources"
FIXED = REPO / "examples" / "kpt" / "expected" / "kserve-models"


def _hook_command(files: list[Path]) -> list[str]:
    """What pre-commit runs: the entry, the hook's args, then the staged files its patterns select."""
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    entry = shlex.split(hook["entry"])
    assert entry[0] == "kserve-pvc-fn"
    chosen = [
        str(f) for f in files if re.search(hook["files"], str(f)) and not re.search(hook.get("exclude", "^$"), str(f))
    ]
    return [str(fn_command()), *entry[1:], *hook.get("args", []), *chosen]


def test_pre_commit_hook_fails_on_a_file_uri_and_passes_fixed_files(tmp_path: Path) -> None:
    env = tool_env(tmp_path)
    bad = run(_hook_command(sorted(RESOURCES.iterdir())), env)
    assert bad.returncode == 1
    assert b"would rewrite" in bad.stderr
    assert bad.stdout == b"", "check writes no stream"
    good = run(_hook_command(sorted(FIXED.iterdir())), env)
    assert good.returncode == 0, good.stderr.decode()


def _head() -> str:
    """The commit under test: recipes are pinned to it where the docs show `<tag or commit>`."""
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _uses(step: dict[str, Any], workspace: Path, env: dict[str, str]) -> None:
    """The actions the workflow uses, done the way they leave the workspace."""
    action = step["uses"].split("@")[0]
    if action == "actions/checkout" and step.get("with", {}).get("path") == ".kserve-pvc-fn":
        assert step["with"]["ref"] == "<tag or commit>", "the docs pin no tag that does not exist"
        tool = workspace / ".kserve-pvc-fn"  # this repository at the commit under test, as checkout leaves it
        for argv in (["git", "clone", "-q", str(REPO), str(tool)], ["git", "-C", str(tool), "checkout", "-q", _head()]):
            done = run(argv, env)
            assert done.returncode == 0, done.stderr.decode()
    else:
        assert action in {"actions/checkout", "actions/setup-python"}, action


def test_flux_workflow_runs_its_steps_in_order(tmp_path: Path) -> None:
    """Every step of examples/flux/render-hydrated.yaml, in order, as the runner runs them.

    The workspace is a clone of a manifests repository (kustomization.example/resources as
    manifests/) whose origin is a local bare repository; setup-python is a fresh venv first on
    PATH; `run:` steps go to `bash -eo pipefail` in the workspace. The install step downloads the
    locked dependencies from the package index (its cache is kept in .venv/cache/pip).
    """
    git = require("git")
    workflow = yaml.safe_load((REPO / "examples" / "flux" / "render-hydrated.yaml").read_text())
    origin, workspace = tmp_path / "origin.git", tmp_path / "work" / "serving"
    env = tool_env(tmp_path)
    # No git identity in the environment (HOME is empty): the push step must configure its own.
    env.update(
        GITHUB_SHA="0123abc",
        PIP_CACHE_DIR=str(REPO / ".venv" / "cache" / "pip"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    for argv in (
        [git, "init", "-q", "--bare", "-b", "main", str(origin)],
        [git, "clone", "-q", str(origin), str(workspace)],
    ):
        assert run(argv, env).returncode == 0
    shutil.copytree(RESOURCES, workspace / "manifests")
    author = [git, "-c", "user.name=dev", "-c", "user.email=dev@example.com"]
    push = [git, "push", "-q", "origin", "HEAD:main"]
    for argv in ([git, "add", "-A"], [*author, "commit", "-qm", "manifests"], push):
        done = run(argv, env, cwd=workspace)
        assert done.returncode == 0, done.stderr.decode()
    python = tmp_path / "runner-python"
    subprocess.run([sys.executable, "-m", "venv", str(python)], check=True, timeout=300)
    env["PATH"] = os.pathsep.join([str(python / "bin"), env["PATH"]])
    for step in workflow["jobs"]["render"]["steps"]:
        if "uses" in step:
            _uses(step, workspace, env)
            continue
        done = run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env, cwd=workspace)
        assert done.returncode == 0, f"step {step['name']!r} failed:\n{done.stderr.decode()[-3000:]}"
    assert (python / "bin" / "kserve-pvc-fn").exists(), "the install step installed the command"
    shown = run([git, "show", "hydrated:models/manifests.yaml"], env, cwd=origin)
    assert shown.returncode == 0, shown.stderr.decode()
    docs = [d for d in yaml.safe_load_all(shown.stdout) if d]
    isvc = next(d for d in docs if d["kind"] == "InferenceService")
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "pvc://model-store/models/iris"
    assert b"# The pipeline exported with joblib." in shown.stdout, "render keeps comments"
    log = run([git, "log", "--format=%s", "hydrated"], env, cwd=origin)
    assert log.stdout.decode().splitlines()[0] == "render: 0123abc"


def test_flux_gate_stops_on_an_error_result(tmp_path: Path) -> None:
    """The workflow's render command fails the job on an error (an archive URI in direct mode)."""
    workflow = yaml.safe_load((REPO / "examples" / "flux" / "render-hydrated.yaml").read_text())
    (step,) = (s for s in workflow["jobs"]["render"]["steps"] if s.get("name", "").startswith("Render"))
    manifests = Path(shutil.copytree(RESOURCES, tmp_path / "manifests"))
    isvc = manifests / "sklearn-iris.yaml"
    isvc.write_text(isvc.read_text().replace("model.joblib", "model.tar.gz"))
    env = tool_env(tmp_path, fn_on_path=True)
    done = run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env, cwd=tmp_path)
    assert done.returncode == 1
    assert b"names an archive" in done.stderr


def test_argocd_plugin_generates_with_kustomize_exec_mode() -> None:
    (configmap,) = yaml.safe_load_all((REPO / "examples" / "argocd" / "plugin.yaml").read_text())
    plugin = yaml.safe_load(configmap["data"]["plugin.yaml"])
    assert plugin["kind"] == "ConfigManagementPlugin"
    assert plugin["spec"]["generate"]["command"][:2] == ["kustomize", "build"]
    assert {"--enable-alpha-plugins", "--enable-exec"} <= set(plugin["spec"]["generate"]["command"])
    app = yaml.safe_load((REPO / "examples" / "argocd" / "application.yaml").read_text())
    assert app["spec"]["source"]["plugin"]["name"] == f"{plugin['metadata']['name']}-{plugin['spec']['version']}"
    assert (REPO / app["spec"]["source"]["path"] / "kustomization.yaml").is_file()
    patch = yaml.safe_load((REPO / "examples" / "argocd" / "argocd-repo-server-patch.yaml").read_text())
    (sidecar,) = patch["spec"]["template"]["spec"]["containers"]
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    assert mounts["/home/argocd/cmp-server/config/plugin.yaml"]["name"] == configmap["metadata"]["name"]
