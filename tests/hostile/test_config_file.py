"""``--config`` is read with a KRM functionConfig's rules (issue 23 row 9): a duplicate key, a tag
outside the core schema or a file over the input limit is refused (exit 2), never "last one wins"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from krm_fn.commands import _read_config
from krm_fn.limits import ENV_MAX_INPUT_BYTES
from krm_fn.source import InputError

POLICY = "apiVersion: fn.kserve-pvc.dev/v1alpha1\nkind: PvcMountPolicy\nmetadata: {name: p}\nspec:\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (POLICY + "  fileUris: error\n  fileUris: 'off'\n", r"line 6: duplicate key 'fileUris'"),
        ('{"kind": "ConfigMap", "data": {"mountMode": "copy", "mountMode": "direct"}}', "duplicate key 'mountMode'"),
        (POLICY + "  mountMode: !!python/name:os.system copy\n", "line 5: tag '!!python/name:os.system'"),
        ("{a: [1, 2, {b: c}, }", "not valid YAML"),
        ('{"kind": "ConfigMap", "data": {"maxDepth": NaN}}', "number NaN at line 1, column 44"),
        (POLICY + "  fileUris: error\n---\n" + POLICY, "more than one YAML document; a config is one$"),
    ],
)
def test_config_file_refused_like_a_function_config(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        _read_config(str(path))


def test_config_file_stops_at_the_input_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY + "  mountMode: copy\n" + "# padding\n" * 1000)
    monkeypatch.setenv(ENV_MAX_INPUT_BYTES, "1000")
    with pytest.raises(InputError, match="larger than the limit of 1000 bytes"):
        _read_config(str(path))
    monkeypatch.setenv(ENV_MAX_INPUT_BYTES, "100000")
    assert _read_config(str(path))["spec"] == {"mountMode": "copy"}


def test_config_file_that_reads_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY + "  mountMode: copy  # a comment\n")
    assert _read_config(str(path))["spec"] == {"mountMode": "copy"}
    path.write_text("# nothing but a comment\n")
    assert _read_config(str(path)) is None


def test_duplicate_key_in_config_is_exit_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(POLICY + "  fileUris: error\n  fileUris: 'off'\n")
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    env = {k: v for k, v in os.environ.items() if k != "KSERVE_PVC_FN_TABLE"}
    proc = subprocess.run(
        [sys.executable, "-m", "krm_fn", "render", "--config", "p.yaml", "a.yaml"],
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
        env=env,
    )
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert proc.stderr.decode().splitlines() == [
        "kserve-pvc-fn: --config p.yaml: line 6: duplicate key 'fileUris' "
        "(the Kubernetes API server rejects duplicate keys)"
    ]
