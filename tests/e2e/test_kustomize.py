"""kustomization.example/ with the real kustomize inside kubectl, in two versions (the machine's and
v1.35's from `make e2e-tools`), container mode with the real image through podman."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import KUBECTLS, REPO, docker_calls, fn_command, kubectl, matches_expected, run, tool_env

EXAMPLE = REPO / "kustomization.example"
EXPECTED = EXAMPLE / "expected-output.yaml"


@pytest.mark.parametrize("which", KUBECTLS)
def test_container_mode_matches_expected_output(tmp_path: Path, which: str) -> None:
    """The README recipe: `kubectl kustomize --enable-alpha-plugins kustomization.example`."""
    argv = [kubectl(which), "kustomize", "--enable-alpha-plugins", str(EXAMPLE)]
    done = run(argv, tool_env(tmp_path, docker=True))
    assert done.returncode == 0, done.stderr.decode()
    matches_expected(done.stdout, EXPECTED)
    runs = [c for c in docker_calls(tmp_path) if c[0] == "run"]
    assert len(runs) == 1, "kustomize starts the function container exactly once"
    argv = runs[0]
    assert argv[-1] == "kserve-pvc-fn:dev"
    assert {"--network", "none", "--user", "nobody", "--security-opt=no-new-privileges"} <= set(argv)
    # The fix is in the output: the file URI became its directory, the original is recorded.
    isvc = next(d for d in yaml.safe_load_all(done.stdout) if d["kind"] == "InferenceService")
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == "pvc://model-store/models/iris"
    assert "model.joblib" in isvc["metadata"]["annotations"]["fn.kserve-pvc.dev/original-storage-uris"]


@pytest.mark.parametrize("which", KUBECTLS)
def test_kubectl_kustomize_silently_skips_exec_functions(tmp_path: Path, which: str) -> None:
    """What the README warns about: kubectl has no --enable-exec and drops the exec transformer."""
    env = tool_env(tmp_path, fn_on_path=True)
    done = run([kubectl(which), "kustomize", "--enable-alpha-plugins", str(EXAMPLE / "exec")], env)
    assert done.returncode == 0, done.stderr.decode()
    assert b"storageUri: pvc://model-store/models/iris/model.joblib" in done.stdout
    assert b"fn.kserve-pvc.dev/" not in done.stdout


def _docs(text: str | bytes) -> list[Any]:
    return sorted(
        (d for d in yaml.safe_load_all(text) if d),
        key=lambda d: (d["kind"], d["metadata"]["name"]),
    )


def test_exec_variant_gives_the_container_variant_output(tmp_path: Path) -> None:
    """No standalone kustomize here (no registry package ships one): do what it does with exec/.

    kustomize builds the resources, wraps them with the transformer's config in a ResourceList, and
    runs the exec path (relative to the kustomization) with it on stdin, from that folder.
    """
    env = {**tool_env(tmp_path), "KSERVE_PVC_FN": str(fn_command())}
    built = run([kubectl("path"), "kustomize", str(EXAMPLE / "resources")], env)
    assert built.returncode == 0, built.stderr.decode()
    config = yaml.safe_load((EXAMPLE / "exec" / "kserve-pvc-fn.yaml").read_text())
    path = yaml.safe_load(config["metadata"]["annotations"]["config.kubernetes.io/function"])["exec"]["path"]
    resource_list = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": list(yaml.safe_load_all(built.stdout)),
        "functionConfig": config,
    }
    done = subprocess.run(
        [str((EXAMPLE / "exec" / path).resolve())],
        input=yaml.safe_dump(resource_list).encode(),
        cwd=EXAMPLE / "exec",
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    items = yaml.safe_load(done.stdout)["items"]
    assert _docs(yaml.safe_dump_all(items)) == _docs(EXPECTED.read_bytes())


WARNED = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: tf-in-sklearn
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: pvc://model-store/tf/model/saved_model.pb
"""


@pytest.mark.parametrize("which", KUBECTLS)
def test_container_mode_shows_a_warning_to_the_user(tmp_path: Path, which: str) -> None:
    """kustomize shows only the function's stderr, and sets LOG_TO_STDERR=true for it: every
    warning is a line there, though the build succeeds."""
    example = Path(shutil.copytree(EXAMPLE, tmp_path / "example"))
    (example / "resources" / "tf.yaml").write_text(WARNED)
    listed = example / "resources" / "kustomization.yaml"
    listed.write_text(listed.read_text().replace("resources:\n", "resources:\n  - tf.yaml\n", 1))
    done = run([kubectl(which), "kustomize", "--enable-alpha-plugins", str(example)], tool_env(tmp_path, docker=True))
    assert done.returncode == 0, done.stderr.decode()
    (call,) = [c for c in docker_calls(tmp_path) if c[0] == "run"]
    assert "LOG_TO_STDERR=true" in call
    warning = b"InferenceService/tf-in-sklearn: warning: The sklearn server never loads 'saved_model.pb'"
    assert warning in done.stderr
