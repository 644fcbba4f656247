"""The command line, run as a real process: streams, exit codes, help and version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIDELITY = ROOT / "fixtures" / "isvc-file-uri-fidelity" / "input.yaml"
ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris  # the iris classifier
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: pvc://store/iris/model.joblib
"""


def run(*args: str, stdin: bytes = b"", columns: int | None = None) -> subprocess.CompletedProcess[bytes]:
    """The command as a real process; without COLUMNS (pytest sets it) unless ``columns`` is given."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "KSERVE_PVC_FN_TABLE")}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-m", "krm_fn", *args], input=stdin, capture_output=True, timeout=60, check=False, env=env
    )


def test_krm_mode_writes_only_the_resource_list() -> None:
    proc = run(stdin=FIDELITY.read_bytes())
    assert proc.returncode == 0
    out = yaml.safe_load(proc.stdout)
    assert out["kind"] == "ResourceList"
    assert len(out["items"]) == 3
    assert proc.stderr == b""


@pytest.mark.parametrize(
    ("stdin", "needle"),
    [
        (b"", b"empty"),
        (b"   \n\t\n", b"empty"),
        (b"items: [\n", b"not valid YAML"),
        (b"\xff\xfe\x00garbage", b"UTF-8"),
        (b"- a\n- b\n", b"not a mapping"),
        (b"apiVersion: v1\nkind: Pod\n", b"not a ResourceList"),
        (b"a: 1\n---\nb: 2\n", b"more than one"),
    ],
)
def test_not_a_resource_list_exits_2_with_one_line(stdin: bytes, needle: bytes) -> None:
    proc = run(stdin=stdin)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert needle in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert b"Traceback" not in proc.stderr


def test_bad_config_exits_1_with_full_output_and_names_the_key() -> None:
    text = FIDELITY.read_text().replace("mountMode: direct", "mountMode: sideways")
    proc = run(stdin=text.encode())
    assert proc.returncode == 1
    out = yaml.safe_load(proc.stdout)
    errors = [r for r in out["results"] if r["severity"] == "error"]
    assert errors
    assert errors[0]["field"]["path"] == "spec.mountMode"
    assert "'direct' or 'copy'" in errors[0]["message"]
    assert b"spec.mountMode" in proc.stderr
    # Nothing is changed when the config is bad.
    assert out["items"] == yaml.safe_load(FIDELITY.read_bytes())["items"]


def test_render_files_directories_and_stdin(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "isvc.yaml").write_text(ISVC)
    (tmp_path / "cm.yml").write_text(
        "# config\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '0755'}\n"
    )
    (tmp_path / "notes.txt").write_text("not yaml: [")
    proc = run("render", str(tmp_path), "-", stdin=b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml\n")
    assert proc.returncode == 0, proc.stderr
    docs = proc.stdout.decode().split("---\n")
    assert docs[0] == "# config\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '0755'}\n"
    assert docs[1] == ISVC.replace("pvc://store/iris/model.joblib", "pvc://store/iris").replace(
        "  name: iris  # the iris classifier\n",
        "  name: iris  # the iris classifier\n  annotations:\n    fn.kserve-pvc.dev/original-storage-uris: "
        '\'{"spec.predictor.model.storageUri": "pvc://store/iris/model.joblib"}\'\n',
    )
    assert docs[2] == "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ml\n"
    stderr = proc.stderr.decode()
    assert f"{tmp_path}/sub/isvc.yaml:" in stderr


def test_render_reports_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("a: [\n")
    proc = run("render", str(bad))
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert str(bad).encode() in proc.stderr


def test_render_with_set_and_config(tmp_path: Path) -> None:
    (tmp_path / "isvc.yaml").write_text(ISVC)
    cfg = tmp_path / "policy.yaml"
    cfg.write_text("apiVersion: fn.kserve-pvc.dev/v1alpha1\nkind: PvcMountPolicy\nspec:\n  recordOriginal: false\n")
    proc = run("render", "--config", str(cfg), "--set", "fileUris=error", str(tmp_path / "isvc.yaml"))
    assert proc.returncode == 1
    assert proc.stdout.decode() == ISVC
    proc = run("render", "--config", str(cfg), str(tmp_path / "isvc.yaml"))
    assert proc.returncode == 0
    assert "original-storage-uris" not in proc.stdout.decode()


def test_check_writes_no_stream_and_fails_on_changes(tmp_path: Path) -> None:
    (tmp_path / "isvc.yaml").write_text(ISVC)
    proc = run("check", str(tmp_path))
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert b"would rewrite" in proc.stderr
    (tmp_path / "isvc.yaml").write_text(ISVC.replace("/model.joblib", ""))
    assert run("check", str(tmp_path)).returncode == 0


def test_schema_is_json_schema_of_the_policy() -> None:
    proc = run("schema")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["title"] == "PvcMountPolicy"
    assert "spec" in schema["properties"]


@pytest.mark.parametrize("command", [[], ["render"], ["check"], ["schema"]])
def test_help_and_version_on_every_command(command: list[str]) -> None:
    helped = run(*command, "--help")
    assert helped.returncode == 0
    assert b"Example" in helped.stdout
    version = run(*command, "--version")
    assert version.returncode == 0
    assert b"kserve-pvc-fn" in version.stdout


def test_krm_mode_imports_no_argument_parser() -> None:
    """kustomize and kpt start the function without arguments: that path must not pay for click.

    Nor for kubernetes_validate.utils (packaging, importlib_resources), even when a changed pod is
    validated; nor for ruamel.yaml, which only a re-emit needs; nor for pydantic when the
    functionConfig is well formed (krm_fn.settings).
    """
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "annotations": {"internal.serving.kserve.io/storage-initializer-sourceuri": "pvc://c/m"},
        },
        "spec": {"containers": [{"name": "kserve-container", "image": "srv:1"}]},
    }
    policy = {
        "apiVersion": "fn.kserve-pvc.dev/v1alpha1",
        "kind": "PvcMountPolicy",
        "metadata": {"name": "policy"},
        "spec": {"mountMode": "direct", "fileExtensions": [".joblib"]},
    }
    stdin = yaml.safe_dump(
        {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [pod], "functionConfig": policy}
    )
    code = (
        "import sys\n"
        "from krm_fn.cli import main\n"
        "try:\n"
        "    main([])\n"
        "except SystemExit as done:\n"
        "    watched = ('click', 'kubernetes_validate.utils', 'ruamel.yaml', 'pydantic', 'jsonschema',\n"
        "               'jsonschema_rs')\n"
        "    loaded = [m for m in watched if m in sys.modules]\n"
        "    print(done.code, *loaded, file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], input=stdin.encode(), capture_output=True, timeout=60, check=False
    )
    code_and_modules = proc.stderr.decode().split()
    # The pod was changed and validated (jsonschema-rs is loaded), and nothing else on the list was.
    assert code_and_modules == ["0", "jsonschema_rs"], proc.stderr.decode()[-2000:]
    assert yaml.safe_load(proc.stdout)["items"][0]["spec"]["volumes"]


def test_cli_and_commands_do_not_import_each_other() -> None:
    """The entry point and the subcommands share ``terminal.py``; neither imports the other's module."""
    import ast

    def imported(module: str) -> set[str]:
        tree = ast.parse((ROOT / "krm_fn" / f"{module}.py").read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        return names

    assert "krm_fn.cli" not in imported("commands")
    assert "krm_fn.terminal" in imported("commands")
    assert "click" not in imported("terminal")
    assert imported("cli") & {"krm_fn.commands", "click"} == {"krm_fn.commands"}  # only lazily, in main()


def test_a_missing_kind_or_apiversion_is_named_in_words() -> None:
    proc = run(stdin=b"a: 1\n")
    assert proc.returncode == 2
    assert b"(no kind, no apiVersion)" in proc.stderr
    assert b"None" not in proc.stderr


def test_the_bare_command_on_a_terminal_says_what_it_waits_for() -> None:
    """Typed at a prompt, the KRM function says it reads stdin instead of hanging silently."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "krm_fn"], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    os.close(slave)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # said before anything is typed
        os.write(master, b"\x04")  # Ctrl-D: the end of the input
        _, rest = proc.communicate(timeout=60)
    finally:
        os.close(master)
    assert b"waiting for a ResourceList on stdin" in line
    assert proc.returncode == 2
    assert b"input is empty" in rest


@pytest.mark.parametrize("command", ["render", "check"])
def test_render_and_check_help_list_the_exit_codes(command: str) -> None:
    out = run(command, "--help").stdout.decode()
    assert "Exit codes:" in out
    assert "2  input refused: nothing to read" in out


@pytest.mark.parametrize(
    ("stdin", "args"),
    [
        (b"", ("render", "-")),
        (b"# only a comment\n---\n", ("check", "-")),
    ],
)
def test_nothing_to_read_is_never_a_success(stdin: bytes, args: tuple[str, ...]) -> None:
    """A failed `kustomize build | kserve-pvc-fn check -` must not turn a gate green (SPEC 5.1)."""
    proc = run(*args, stdin=stdin)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert proc.stderr.decode() == "kserve-pvc-fn: no Kubernetes resources in the input\n"
    allowed = run(args[0], "--allow-empty", *args[1:], stdin=stdin)
    assert allowed.returncode == 0, allowed.stderr


def test_an_empty_directory_is_nothing_to_read(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "krm_fn", "check", str(tmp_path)], capture_output=True, check=False, timeout=60
    )
    assert proc.returncode == 2
    assert b"no Kubernetes resources in the input" in proc.stderr
