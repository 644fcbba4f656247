"""Results already in the input (another function's, earlier in the pipeline) are kept (SPEC 4).

Issue 23 row 5: ``results`` in flow style or written as a single mapping was dropped from the
output, and the earlier error was lost: exit 1 with nothing on stderr and no error in the output,
so the next function in the pipeline passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
BOOM = {"message": "boom", "severity": "error"}
STYLES = {
    "flow": HEAD + "results: [{message: boom, severity: error}]\n",
    "flow-over-lines": HEAD + "results: [\n  {message: boom,\n   severity: error},\n]\n",
    "block": HEAD + "results:\n- message: boom\n  severity: error\n",
    "mapping": HEAD + "results:\n  message: boom\n  severity: error\n",
    "flow-mapping": HEAD + "results: {message: boom, severity: error}\n",
    "before-items": "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
    "results: [{message: boom, severity: error}]  # from the validator\nitems: []\n",
    "then-config": HEAD + "results:\n  message: boom\n  severity: error\n# the policy\n"
    "functionConfig: {apiVersion: v1, kind: ConfigMap, metadata: {name: p}}\n",
    "json": json.dumps(
        {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": [], "results": [BOOM]}
    ),
}


def run(stdin: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "KSERVE_PVC_FN_TABLE"}
    return subprocess.run(
        [sys.executable, "-m", "krm_fn"], input=stdin.encode(), capture_output=True, timeout=60, check=False, env=env
    )


@pytest.mark.parametrize("name", list(STYLES))
def test_earlier_results_are_kept_and_ours_appended(name: str) -> None:
    proc = run(STYLES[name])
    out = yaml.safe_load(proc.stdout)  # valid YAML, one document
    assert out["results"][0] == BOOM
    assert [r["severity"] for r in out["results"][1:]] == ["info"]
    assert out["results"][1]["message"].startswith("kserve-pvc-fn: 0 resource(s) read")
    assert proc.returncode == 1
    assert proc.stderr.decode().splitlines() == ["kserve-pvc-fn: an earlier function reported: boom"]
    if name == "then-config":
        assert out["functionConfig"]["metadata"]["name"] == "p"
        assert "# the policy\n" in proc.stdout.decode()


def test_earlier_warnings_are_kept_without_failing() -> None:
    proc = run(HEAD + "results: [{message: careful, severity: warning}, {message: fyi}]\n")
    out = yaml.safe_load(proc.stdout)
    assert out["results"][:2] == [{"message": "careful", "severity": "warning"}, {"message": "fyi"}]
    assert (proc.returncode, proc.stderr) == (0, b"")


def test_several_earlier_errors_are_counted_and_a_newline_is_shown_escaped() -> None:
    proc = run(HEAD + 'results: [{message: "a\\nb", severity: error}, {message: c, severity: error}]\n')
    assert proc.returncode == 1
    assert proc.stderr.decode().splitlines() == ["kserve-pvc-fn: an earlier function reported: a\\nb (and 1 more)"]


def test_running_on_our_own_output_keeps_every_result() -> None:
    first = run(STYLES["flow"]).stdout.decode()
    second = yaml.safe_load(run(first).stdout)
    assert second["results"][0] == BOOM
    assert len(second["results"]) == 3


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029"])
def test_an_earlier_message_with_a_unicode_line_break_comes_back_the_same(char: str) -> None:
    # YAML reads NEL, LS and PS as line breaks: written raw into a quoted scalar (or split on as
    # lines), the message came back with a space in their place, or the output did not parse.
    message = f"first{char}second"
    proc = run(HEAD + f"results: [{{message: {json.dumps(message)}, severity: info}}]\n")
    assert proc.returncode == 0, proc.stderr
    assert yaml.safe_load(proc.stdout)["results"][0] == {"message": message, "severity": "info"}
