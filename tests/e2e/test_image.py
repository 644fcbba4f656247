"""The real image (tests/e2e/image.sh) keeps the KRM function contract, started as kustomize and kpt do.

Every golden case under fixtures/ goes through the image and must give the checked-in output and
exit code byte for byte: the pruned schemas, the venv built from the wheel and the base made from
Debian packages (container/rootfs.sh) change nothing. The container runs as kustomize starts it:
user nobody, no network, no new privileges, plus a read-only root filesystem.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from e2e_support import REPO, fn_command, image, require, run, tool_env

FIXTURES = REPO / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "input.yaml").is_file())
AS_KUSTOMIZE_DOES = [
    "run", "--rm", "-i", "--network", "none", "--user", "nobody", "--security-opt=no-new-privileges", "--read-only",
]  # fmt: skip
# Runs inside the image: every case through the entry point, one JSON line per case.
_EVERY_CASE = """
import json, pathlib, subprocess, sys
for case in sys.argv[1:]:
    folder = pathlib.Path("/fixtures") / case
    done = subprocess.run(["kserve-pvc-fn"], input=(folder / "input.yaml").read_bytes(), capture_output=True)
    same = done.stdout == (folder / "expected" / "output.yaml").read_bytes()
    print(json.dumps({"case": case, "code": done.returncode, "same": same, "stderr": done.stderr.decode()[-300:]}))
"""


def _podman() -> str:
    image()
    return require("podman")


def test_every_golden_case_gives_the_same_output_in_the_image(tmp_path: Path) -> None:
    argv = [_podman(), *AS_KUSTOMIZE_DOES, "-v", f"{FIXTURES}:/fixtures:ro", "--entrypoint", "python", image()]
    done = run([*argv, "-c", _EVERY_CASE, *CASES], tool_env(tmp_path))
    assert done.returncode == 0, done.stderr.decode()
    seen = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [s["case"] for s in seen] == CASES
    for s in seen:
        expected_code = int((FIXTURES / s["case"] / "expected" / "exit-code").read_text())
        assert (s["code"], s["same"]) == (expected_code, True), s


@pytest.mark.parametrize(
    ("case", "code"), [("isvc-file-uri-fidelity", 0), ("isvc-archive-direct-error", 1), ("input-unparseable", 2)]
)
def test_entry_point_stdout_is_only_the_resource_list(tmp_path: Path, case: str, code: int) -> None:
    folder = FIXTURES / case
    done = run([_podman(), *AS_KUSTOMIZE_DOES, image()], tool_env(tmp_path), stdin=(folder / "input.yaml").read_bytes())
    assert done.returncode == code, done.stderr.decode()
    assert done.stdout == (folder / "expected" / "output.yaml").read_bytes()
    if code == 2:
        assert done.stdout == b""
        assert done.stderr.strip(), "exit 2 says why on stderr"


def test_same_bytes_as_the_installed_command_on_the_demo(tmp_path: Path) -> None:
    demo = (REPO / "examples" / "demo" / "resourcelist.yaml").read_bytes()
    in_image = run([_podman(), *AS_KUSTOMIZE_DOES, image()], tool_env(tmp_path), stdin=demo)
    installed = subprocess.run([str(fn_command())], input=demo, capture_output=True, timeout=120, check=False)
    assert (in_image.returncode, in_image.stdout) == (installed.returncode, installed.stdout)


def test_runs_as_nobody_without_network_or_pip(tmp_path: Path) -> None:
    probe = (
        "import os, pathlib, importlib.util, importlib.metadata as md\n"
        "print(os.getuid(), os.getgid(), os.getcwd())\n"
        "print(sorted(l.split(':')[0].strip() for l in open('/proc/net/dev').readlines()[2:]))\n"
        "on_path = any(pathlib.Path(d, 'pip').exists() for d in os.get_exec_path())\n"
        "print(importlib.util.find_spec('pip') is None, on_path)\n"
        "files = md.distribution('kubernetes-validate').files or []\n"
        "print(len(files) > 0 and all(f.locate().exists() for f in files))\n"
        "try:\n    open('/probe', 'w')\nexcept OSError as err:\n    print(type(err).__name__)\n"
    )
    argv = [_podman(), "run", "--rm", "--network", "none", "--read-only", "--entrypoint", "python", image()]
    done = run([*argv, "-c", probe], tool_env(tmp_path))
    assert done.returncode == 0, done.stderr.decode()
    ids, interfaces, no_pip, record_ok, write = done.stdout.decode().splitlines()
    assert ids == "65534 65534 /", "the image's own user is nobody, working in /"
    assert interfaces == "['lo']", "only loopback with --network none"
    assert no_pip == "True False", "no pip at run time (README)"
    assert record_ok == "True", "kubernetes-validate's RECORD lists only files that exist"
    assert write in {"OSError", "PermissionError"}, "root filesystem not writable"


def test_kpt_gets_the_image_under_the_name_it_asks_for(tmp_path: Path) -> None:
    podman = _podman()
    ids = {
        run([podman, "image", "inspect", "--format", "{{.Id}}", name], tool_env(tmp_path)).stdout
        for name in ("localhost/kserve-pvc-fn:dev", "docker.io/library/kserve-pvc-fn:dev", "kserve-pvc-fn:dev")
    }
    assert len(ids) == 1
    assert next(iter(ids)).strip()


def test_no_shell_or_package_manager_in_the_image(tmp_path: Path) -> None:
    probe = (
        "import os, shutil\n"
        "names = ['sh', 'bash', 'dash', 'dpkg', 'apt', 'apt-get', 'tar', 'pip', 'pip3']\n"
        "path = '/opt/venv/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin'\n"
        "print(sorted(n for n in names if shutil.which(n, path=path)))\n"
        "print(os.path.exists('/var/lib/dpkg/status'))\n"
    )
    argv = [_podman(), *AS_KUSTOMIZE_DOES, "--entrypoint", "python", image(), "-c", probe]
    done = run(argv, tool_env(tmp_path))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == ["[]", "False"]


def test_oci_labels_name_this_version_and_commit(tmp_path: Path) -> None:
    done = run([_podman(), "image", "inspect", "--format", "{{json .Labels}}", image()], tool_env(tmp_path))
    labels = json.loads(done.stdout)
    version = re.search(r'^version = "(.+)"$', (REPO / "pyproject.toml").read_text(), re.M)
    assert version is not None
    assert labels["org.opencontainers.image.version"] == version.group(1)
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert re.fullmatch(r"[0-9a-f]{40}", labels["org.opencontainers.image.revision"])
    assert labels["org.opencontainers.image.source"]
    assert labels["org.opencontainers.image.description"]


def test_image_size_in_the_readme_is_this_image(tmp_path: Path) -> None:
    """The README states the uncompressed size of the image CI builds, to the megabyte (10^6 bytes)."""
    done = run([_podman(), "image", "inspect", "--format", "{{.Size}}", image()], tool_env(tmp_path))
    size_mb = int(done.stdout) / 1e6
    stated = re.search(r"Size: (\d+) MB uncompressed", (REPO / "README.md").read_text())
    assert stated is not None, "the README states the image's size"
    assert abs(int(stated.group(1)) - size_mb) <= 3, f"the image is {size_mb:.0f} MB: update the README"
    assert size_mb <= 150, "the target is at most 150 MB uncompressed"


def test_kpt_fn_doc_prints_the_functions_help(tmp_path: Path) -> None:
    """`kpt fn doc --image` runs the image with --help: what a catalog user reads first."""
    env = tool_env(tmp_path)
    env["KPT_FN_RUNTIME"] = "podman"
    done = run([require("kpt"), "fn", "doc", "--image", image()], env)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Usage: kserve-pvc-fn" in done.stdout
    assert b"render" in done.stdout
