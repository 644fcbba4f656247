"""The pre-commit hook, the Flux CI recipe and the Argo CD plugin, run as far as this machine allows."""

from __future__ import annotations

import json
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
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "kserve-pvc-fn-check"]
    entry = shlex.split(hook["entry"])
    assert entry[0] == "kserve-pvc-fn"
    chosen = [
        str(f) for f in files if re.search(hook["files"], str(f)) and not re.search(hook.get("exclude", "^$"), str(f))
    ]
    return [str(fn_command()), *entry[1:], *hook.get("args", []), *chosen]


def _head() -> str:
    """The commit under test: recipes are pinned to it where the docs show `<tag or commit>`."""
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _readme_block(section: str, language: str) -> str:
    """The first ```language block under the README heading ``section``."""
    text = (REPO / "README.md").read_text()
    body = text.split(f"\n### {section}\n", 1)[1].split("\n## ", 1)[0]
    return body.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_pre_commit_recipe_as_the_readme_shows_it(tmp_path: Path) -> None:
    """pre-commit itself installs the hook from this repository at the commit under test and runs it."""
    git = require("git")
    config = _readme_block("pre-commit", "yaml")
    assert "rev: <tag or commit>" in config, "the README pins no tag that does not exist"
    config = config.replace("<this repository's URL>", str(REPO)).replace("<tag or commit>", _head())
    work = tmp_path / "manifests-repo"
    env = tool_env(tmp_path)
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    assert run([git, "init", "-q", str(work)], env).returncode == 0
    (work / ".pre-commit-config.yaml").write_text(config)
    shutil.copytree(RESOURCES, work / "manifests")
    pre_commit = [str(Path(sys.executable).parent / "pre-commit"), "run", "--all-files"]
    for argv in ([git, "add", "-A"], pre_commit):
        bad = run(argv, env, cwd=work)
    assert bad.returncode == 1, bad.stdout.decode()[-3000:] + bad.stderr.decode()[-3000:]
    assert b"would rewrite" in bad.stdout, "pre-commit shows the hook's findings"
    shutil.rmtree(work / "manifests")
    shutil.copytree(FIXED, work / "manifests")
    for argv in ([git, "add", "-A"], pre_commit):
        good = run(argv, env, cwd=work)
    assert good.returncode == 0, good.stdout.decode()[-3000:]


def test_pre_commit_hook_fails_on_a_file_uri_and_passes_fixed_files(tmp_path: Path) -> None:
    env = tool_env(tmp_path)
    bad = run(_hook_command(sorted(RESOURCES.iterdir())), env)
    assert bad.returncode == 1
    assert b"would rewrite" in bad.stderr
    assert bad.stdout == b"", "check writes no stream"
    good = run(_hook_command(sorted(FIXED.iterdir())), env)
    assert good.returncode == 0, good.stderr.decode()


def _uses(step: dict[str, Any], workspace: Path, env: dict[str, str]) -> None:
    """The actions the workflow uses, done the way they leave the workspace."""
    action = step["uses"].split("@")[0]
    if action == "actions/checkout" and step.get("with", {}).get("path") == ".kserve-pvc-fn":
        assert step["with"]["ref"] == "<tag or commit>", "the docs pin no tag that does not exist"
        tool = workspace / ".kserve-pvc-fn"  # this repository at the commit under test, as checkout leaves it
        for argv in (["git", "clone", "-q", str(REPO), str(tool)], ["git", "-C", str(tool), "checkout", "-q", _head()]):
            done = run(argv, env)
            assert done.returncode == 0, done.stderr.decode()
    elif action == "github/codeql-action/upload-sarif":
        log = json.loads((workspace / step["with"]["sarif_file"]).read_text())  # what it would upload
        assert log["version"] == "2.1.0"
        assert log["runs"][0]["tool"]["driver"]["name"] == "kserve-pvc-fn"
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


ARGOCD = REPO / "examples" / "argocd"
# What the CMP server sets for every plugin command (Argo CD's build environment), besides the
# Application's plugin env as ARGOCD_ENV_<name>.
ARGOCD_BUILD_ENV = {
    "ARGOCD_APP_NAMESPACE": "models",
    "ARGOCD_APP_REVISION": "0123456789abcdef0123456789abcdef01234567",
    "ARGOCD_APP_REVISION_SHORT": "0123456",
    "ARGOCD_APP_SOURCE_REPO_URL": "https://git.example.com/ml/serving.git",
    "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
    "KUBE_VERSION": "1.35.0",
    "KUBE_API_VERSIONS": "v1,apps/v1,serving.kserve.io/v1beta1",
}
# Argo CD runs `kustomize`; kubectl carries the same kustomize (`kubectl kustomize DIR`).
KUSTOMIZE_SHIM = '#!/bin/sh\n[ "$1" = build ] || exit 64\nshift\nexec "$KUBECTL" kustomize "$@"\n'


def _plugins() -> dict[str, dict[str, Any]]:
    """The ConfigManagementPlugins of plugin.yaml, by the name an Application gives (name-version)."""
    (configmap,) = yaml.safe_load_all((ARGOCD / "plugin.yaml").read_text())
    plugins = [yaml.safe_load(text) for text in configmap["data"].values()]
    return {f"{p['metadata']['name']}-{p['spec']['version']}": p for p in plugins}


def _as_the_cmp_server_copies(source: Path, into: Path) -> Path:
    """The app's repository as a plugin sees it since Argo CD 2.8: every file mode 0644."""
    shutil.copytree(REPO, into, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "container"))
    for path in into.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return into / source.relative_to(REPO)


def _discovered(plugin: dict[str, Any], app: Path, env: dict[str, str]) -> bool:
    discover = plugin["spec"]["discover"]
    if "fileName" in discover:
        return any(app.glob(discover["fileName"]))
    find = discover["find"]
    if "glob" in find:
        return any(app.glob(find["glob"]))
    done = run([*find["command"], *find.get("args", [])], env, cwd=app)
    return done.returncode == 0 and bool(done.stdout.strip())


def _generate(app_name: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[bytes], Path]:
    """Run the Application's plugin as Argo CD's CMP server does: discover, then generate as written."""
    apps = {a["metadata"]["name"]: a for a in yaml.safe_load_all((ARGOCD / "application.yaml").read_text())}
    source = apps[app_name]["spec"]["source"]
    plugin = _plugins()[source["plugin"]["name"]]
    app = _as_the_cmp_server_copies(REPO / source["path"], tmp_path / "repo")
    tools = tmp_path / "sidecar-bin"
    tools.mkdir()
    (tools / "kustomize").write_text(KUSTOMIZE_SHIM)
    (tools / "kustomize").chmod(0o755)
    (tools / "helm").symlink_to(require("helm"))
    env = tool_env(tmp_path, fn_on_path=True)
    env["PATH"] = os.pathsep.join([str(tools), env["PATH"]])
    env["KUBECTL"] = require("kubectl")
    env.update(ARGOCD_BUILD_ENV, ARGOCD_APP_NAME=app_name, ARGOCD_APP_SOURCE_PATH=source["path"])
    env.update({f"ARGOCD_ENV_{e['name']}": e["value"] for e in source["plugin"].get("env", [])})
    assert _discovered(plugin, app, env), f"{source['plugin']['name']} does not discover {source['path']}"
    generate = plugin["spec"]["generate"]
    return run([*generate["command"], *generate.get("args", [])], env, cwd=app), app


def _storage_uris(stream: bytes) -> list[str]:
    docs = [d for d in yaml.safe_load_all(stream) if d]
    return [d["spec"]["predictor"]["model"]["storageUri"] for d in docs if d["kind"] == "InferenceService"]


def test_argocd_kustomize_plugin_generates_from_a_0644_checkout(tmp_path: Path) -> None:
    done, _ = _generate("kserve-models", tmp_path)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert _storage_uris(done.stdout) == ["pvc://model-store/models/iris"]
    assert b"kserve-pvc-source" in done.stdout, "the raw Deployment got KServe's PVC injection"


def test_argocd_helm_plugin_generates_from_a_0644_checkout(tmp_path: Path) -> None:
    done, _ = _generate("kserve-models-chart", tmp_path)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    uris = _storage_uris(done.stdout)
    assert uris
    assert all(not uri.endswith((".joblib", ".pkl", ".bst")) for uri in uris), uris


def test_argocd_plugin_fails_the_sync_when_the_build_fails(tmp_path: Path) -> None:
    """pipefail: a broken kustomization is a failed generate, not an empty or partial manifest."""
    (tmp_path / "setup").mkdir()
    app = _as_the_cmp_server_copies(REPO / "kustomization.example" / "resources", tmp_path / "setup" / "repo")
    kustomization = app / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "  - does-not-exist.yaml\n")
    plugin = _plugins()["kustomize-kserve-pvc-v1"]
    tools = tmp_path / "sidecar-bin"
    tools.mkdir()
    (tools / "kustomize").write_text(KUSTOMIZE_SHIM)
    (tools / "kustomize").chmod(0o755)
    env = tool_env(tmp_path, fn_on_path=True)
    env["PATH"] = os.pathsep.join([str(tools), env["PATH"]])
    env["KUBECTL"] = require("kubectl")
    generate = plugin["spec"]["generate"]
    done = run([*generate["command"], *generate.get("args", [])], env, cwd=app)
    assert done.returncode != 0
    assert b"does-not-exist.yaml" in done.stderr


def test_argocd_sidecar_mounts_each_plugin_and_runs_as_argocd() -> None:
    (configmap,) = yaml.safe_load_all((ARGOCD / "plugin.yaml").read_text())
    patch = yaml.safe_load((ARGOCD / "argocd-repo-server-patch.yaml").read_text())
    sidecars = patch["spec"]["template"]["spec"]["containers"]
    mounted = set()
    for sidecar in sidecars:
        assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
        assert sidecar["securityContext"]["runAsUser"] == 999
        config = "/home/argocd/cmp-server/config/plugin.yaml"
        (mount,) = (m for m in sidecar["volumeMounts"] if m["mountPath"] == config)
        mounted.add(mount["subPath"])
    assert mounted == set(configmap["data"])
    dockerfile = (ARGOCD / "Dockerfile.cmp").read_text()
    assert re.search(r"^ARG ARGOCD_IMAGE=quay.io/argoproj/argocd:v3\.", dockerfile, re.M), "Argo CD 3.x"
