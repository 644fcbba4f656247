"""The Helm post-renderer with real helm binaries (`make e2e-tools`): Helm 4's plugin, Helm 3's path.

examples/helm/model-chart renders an InferenceService whose URI names a file and a raw Deployment
carrying KServe's source-URI annotation; the post-renderer runs `kserve-pvc-fn render -` with
examples/helm/kserve-pvc-policy.yaml. Helm 4 installs a local plugin under $HELM_DATA_HOME/plugins
but lists and runs plugins from $HELM_PLUGINS, so both point at one folder here, as in the README.
Helm 4 re-serializes what a post-renderer returns (list indentation), Helm 3 passes it through, so
each has its own expected output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import REPO, TOOLS, matches_expected, missing, run, tool_env

EXAMPLE = REPO / "examples" / "helm"
CHART = EXAMPLE / "model-chart"
PLUGIN = REPO / "helm" / "kserve-pvc"
POLICY = EXAMPLE / "kserve-pvc-policy.yaml"


def _helm(name: str) -> str:
    path = TOOLS / name
    if not path.is_file():
        missing(f"{path} is missing; `make e2e-tools` puts helm v4 (helm) and v3 (helm3) there")
    return str(path)


def _env(tmp_path: Path) -> dict[str, str]:
    env = tool_env(tmp_path, fn_on_path=True)
    data = tmp_path / "helm-data"
    env.update(
        HELM_DATA_HOME=str(data),
        HELM_PLUGINS=str(data / "plugins"),
        HELM_CONFIG_HOME=str(tmp_path / "helm-config"),
        HELM_CACHE_HOME=str(tmp_path / "helm-cache"),
    )
    return env


def _helm4_with_plugin(tmp_path: Path) -> tuple[str, dict[str, str]]:
    helm, env = _helm("helm"), _env(tmp_path)
    installed = run([helm, "plugin", "install", str(PLUGIN)], env)
    assert installed.returncode == 0, installed.stderr.decode()
    listed = run([helm, "plugin", "list"], env)
    assert b"kserve-pvc" in listed.stdout
    assert b"postrenderer/v1" in listed.stdout
    return helm, env


def _check(stdout: bytes) -> None:
    docs: dict[str, Any] = {d["kind"]: d for d in yaml.safe_load_all(stdout) if d}
    isvc, deployment = docs["InferenceService"], docs["Deployment"]
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "pvc://model-store/models/iris"
    pod = deployment["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "kserve-pvc-source", "persistentVolumeClaim": {"claimName": "model-store"}}]
    (mount,) = pod["containers"][0]["volumeMounts"]
    assert (mount["mountPath"], mount["subPath"]) == ("/mnt/models", "models/churn")


def test_helm4_plugin_post_renders_the_chart(tmp_path: Path) -> None:
    helm, env = _helm4_with_plugin(tmp_path)
    argv = [helm, "template", "models", str(CHART), "--post-renderer", "kserve-pvc"]
    done = run([*argv, "--post-renderer-args", f"--config={POLICY}"], env)
    assert done.returncode == 0, done.stderr.decode()
    _check(done.stdout)
    assert b"# the post-renderer renders that injection" in done.stdout, "comments are kept"
    matches_expected(done.stdout, EXAMPLE / "expected-output-helm4.yaml")


def test_helm3_executable_post_renders_the_chart(tmp_path: Path) -> None:
    helm, env = _helm("helm3"), _env(tmp_path)
    argv = [helm, "template", "models", str(CHART), "--post-renderer", str(PLUGIN / "kserve-pvc-fn-post-render")]
    done = run([*argv, "--post-renderer-args", f"--config={POLICY}"], env)
    assert done.returncode == 0, done.stderr.decode()
    _check(done.stdout)
    matches_expected(done.stdout, EXAMPLE / "expected-output-helm3.yaml")


@pytest.mark.parametrize("major", ["helm", "helm3"])
def test_an_error_result_stops_helm(tmp_path: Path, major: str) -> None:
    """An archive URI cannot be mounted directly: the post-renderer exits 1 and helm prints nothing.

    Helm 3 shows the findings table (the post-renderer's stderr); Helm 4.1 drops a plugin's stderr
    and names only the failed plugin (the README says how to see the findings then).
    """
    if major == "helm":
        helm, env = _helm4_with_plugin(tmp_path)
        renderer = "kserve-pvc"
    else:
        helm, env, renderer = _helm("helm3"), _env(tmp_path), str(PLUGIN / "kserve-pvc-fn-post-render")
    argv = [helm, "template", "models", str(CHART), "--set", "storageUri=pvc://model-store/models/iris/model.tar.gz"]
    done = run([*argv, "--post-renderer", renderer], env)
    assert done.returncode != 0
    assert b"kind: InferenceService" not in done.stdout
    if major == "helm3":
        assert b"names an archive (.tar.gz)" in done.stderr
    else:
        assert b'post-renderer plugin "kserve-pvc"' in done.stderr


@pytest.mark.parametrize("major", ["helm", "helm3"])
def test_a_warning_reaches_the_user(tmp_path: Path, major: str) -> None:
    """Helm shows a post-renderer's stderr only when it fails (Helm 4 not even then), so a warning
    reaches the user through ``--results-file`` (the human output, in a file), or as a failure with
    ``--fail-on=warning``. The finding is placed in the chart's template by its ``# Source:`` line."""
    if major == "helm":
        helm, env = _helm4_with_plugin(tmp_path)
        renderer = "kserve-pvc"
    else:
        helm, env, renderer = _helm("helm3"), _env(tmp_path), str(PLUGIN / "kserve-pvc-fn-post-render")
    findings = tmp_path / "findings.txt"
    argv = [helm, "template", "models", str(CHART), "--set", "storageUri=pvc://model-store/tf/model/saved_model.pb"]
    argv += ["--post-renderer", renderer, "--post-renderer-args", f"--config={POLICY}"]
    done = run([*argv, "--post-renderer-args", f"--results-file={findings}"], env)
    assert done.returncode == 0, done.stderr.decode()
    # Helm 3 keeps the ``# Source:`` comments in what it post-renders; Helm 4 drops them.
    where = "model-chart/templates/inferenceservice.yaml:10:19" if major == "helm3" else "<stdin>:37:19"
    warning = f"{where}: warning: The sklearn server never loads 'saved_model.pb'"
    assert warning in findings.read_text()
    failed = run([*argv, "--post-renderer-args", "--fail-on=warning"], env)
    assert failed.returncode != 0
    if major == "helm3":
        assert warning.encode() in failed.stderr
