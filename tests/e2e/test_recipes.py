"""The pre-commit hook, the Flux CI recipe and the Argo CD plugin, run as far as this machine allows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from e2e_support import REPO, fn_command, run, tool_env

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


def test_flux_workflow_render_step_works_as_written(tmp_path: Path) -> None:
    workflow = yaml.safe_load((REPO / "examples" / "flux" / "render-hydrated.yaml").read_text())
    steps = {s.get("name"): s for s in workflow["jobs"]["render"]["steps"]}
    check = steps["Check (fails the job on error results, e.g. an archive URI in direct mode)"]["run"]
    argv = shlex.split(check)
    assert argv[:2] == ["kserve-pvc-fn", "check"]
    checked = run([str(fn_command()), *argv[1:]], tool_env(tmp_path), cwd=REPO)
    assert checked.returncode == 1, "the example manifests hold a file URI: the gate must stop them"
    render_line = next(
        line for line in steps["Render"]["run"].splitlines() if line.strip().startswith("kserve-pvc-fn render")
    )
    render_argv = shlex.split(render_line.strip().rstrip("\\"))
    rendered = run([str(fn_command()), *render_argv[1:]], tool_env(tmp_path), cwd=REPO)
    assert rendered.returncode == 0, rendered.stderr.decode()
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    isvc = next(d for d in docs if d["kind"] == "InferenceService")
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "pvc://model-store/models/iris"
    assert b"# The pipeline exported with joblib." in rendered.stdout, "render keeps comments"


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
