"""The formats of results (SPEC 5.2): SARIF checked by Microsoft's validator, GitHub workflow
commands, --results-file and --fail-on, and untrusted text through every format."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from krm_fn import report
from krm_fn.formats import FORMATS, RULES_DOC, Findings, RuleInfo, Suppressed, write
from krm_fn.formats.github import github
from krm_fn.formats.sarif import sarif
from krm_fn.results import Field, File, ResourceRef, Result

ROOT = Path(__file__).resolve().parent.parent
MULTITOOL = ROOT / ".venv" / "sarif" / "node_modules" / ".bin" / "sarif-multitool"
REPOSITORY = ROOT / "fixtures" / "human-output-columns-80" / "input"
ENV = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "KSERVE_PVC_FN_TABLE", "LOG_TO_STDERR")}
RULES = (
    RuleInfo("file-uri", "A pvc:// URI names a model file, not its directory"),
    RuleInfo("layout", "The model folder does not fit its server's layout"),
)
ISVC = ResourceRef("serving.kserve.io/v1beta1", "InferenceService", "iris", "ml")
URI = "spec.predictor.model.storageUri"


def _finding(rule: str | None, severity: str, line: int = 9, path: str = "models/iris.yaml") -> Result:
    return Result(
        f"would rewrite 'pvc://m/iris/model.joblib' to 'pvc://m/iris' ({rule})",
        severity,  # type: ignore[arg-type]
        ISVC,
        Field(URI, "pvc://m/iris/model.joblib", "pvc://m/iris"),
        File(path, 0, line, 19),
        rule,
    )


SUMMARY = Result("kserve-pvc-fn: 1 resource(s) read, 1 would change, 1 error(s), 1 warning(s)", "info")
SAMPLE = Findings(
    [_finding("file-uri", "error"), _finding("layout", "warning", 10), _finding(None, "info", 1), SUMMARY],
    RULES,
    [Suppressed(_finding("layout", "warning", 30, "models/b.yaml"), "the layout is checked by our own loader")],
)


def run(*args: str, cwd: Path = REPOSITORY, stdin: bytes = b"", **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "krm_fn", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=120,
        check=False,
        env={**ENV, **env},
    )


def validate(path: Path) -> list[str]:
    """The errors Microsoft's SARIF validator finds (its exit code is 0 even with errors)."""
    assert MULTITOOL.exists(), "the SARIF validator is missing: make .venv/sarif/node_modules/.bin/sarif-multitool"
    proc = subprocess.run([str(MULTITOOL), "validate", str(path)], capture_output=True, timeout=300, check=False)
    out = proc.stdout.decode() + proc.stderr.decode()
    assert "Analysis completed successfully" in out, out
    return [line for line in out.splitlines() if ": error " in line]


# --- SARIF ---------------------------------------------------------------------------------------


def test_sarif_carries_rules_locations_and_suppressions() -> None:
    log = json.loads(sarif(SAMPLE, "1.2.3"))
    assert log["version"] == "2.1.0"
    (only,) = log["runs"]
    driver = only["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("kserve-pvc-fn", "1.2.3")
    assert driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == ["file-uri", "layout", "unclassified"]
    assert driver["rules"][0]["helpUri"] == f"{RULES_DOC}#file-uri"
    assert driver["rules"][0]["shortDescription"]["text"] == RULES[0].description
    results = only["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("file-uri", "error"),
        ("layout", "warning"),
        ("unclassified", "note"),
        ("layout", "warning"),
    ]
    assert all(ids[r["ruleIndex"]] == r["ruleId"] for r in results)
    location = results[1]["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "models/iris.yaml"}, "region": {"startLine": 10, "startColumn": 19}}
    assert "suppressions" not in results[0]
    reason = "the layout is checked by our own loader"
    assert results[3]["suppressions"] == [{"kind": "inSource", "justification": reason}]


def test_a_clean_run_is_an_empty_results_list() -> None:
    log = json.loads(sarif(Findings([SUMMARY]), "1.0.0"))
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_the_validator_accepts_our_sarif(tmp_path: Path) -> None:
    clean = tmp_path / "clean.sarif"
    clean.write_text(sarif(Findings([SUMMARY]), "1.0.0"))
    sample = tmp_path / "sample.sarif"
    sample.write_text(sarif(SAMPLE, "1.0.0"))
    repository = tmp_path / "repository.sarif"
    proc = run("check", "-o", "sarif", "--results-file", str(repository), ".")
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("models/iris.yaml:8:19: error: ")  # people still get theirs
    assert json.loads(repository.read_text())["runs"][0]["results"]
    broken = tmp_path / "broken.sarif"
    broken.write_text(json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{}]}]}))
    assert validate(broken)  # the validator does find errors: an empty list below means something
    for path in (clean, sample, repository):
        assert validate(path) == [], path


# --- GitHub workflow commands ----------------------------------------------------------------------


def test_github_commands_name_file_line_column_and_rule() -> None:
    lines = github(SAMPLE.results).splitlines()
    assert lines[0] == (
        "::error file=models/iris.yaml,line=9,col=19,title=file-uri::"
        "would rewrite 'pvc://m/iris/model.joblib' to 'pvc://m/iris' (file-uri)"
    )
    assert lines[1].startswith("::warning file=models/iris.yaml,line=10,col=19,title=layout::")
    assert lines[2].startswith("::notice file=models/iris.yaml,line=1,col=19::")
    assert lines[3] == f"::notice::{SUMMARY.message}"


def test_github_escapes_what_the_runner_would_read_as_syntax() -> None:
    r = Result("50% of a\r\nb", "error", file=File("a:b,c%.yaml", 0, 1, 1), rule="x")
    assert github([r]) == "::error file=a%3Ab%2Cc%25.yaml,line=1,col=1,title=x::50%25 of a\\r\\nb"


def test_a_run_in_github_format() -> None:
    proc = run("check", "-o", "github", ".")
    assert proc.returncode == 1
    lines = proc.stderr.decode().splitlines()
    assert lines[0].startswith("::error file=models/iris.yaml,line=8,col=19,title=file-uri::would rewrite ")
    assert any(line.startswith("::warning file=teams/recommendation-platform/") for line in lines)
    assert all(line.startswith(("::error ", "::warning ", "::notice")) for line in lines)


# --- --results-file and --fail-on ----------------------------------------------------------------


def test_results_file_gets_the_format_and_stderr_the_human_output(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = run("check", "-o", "json", "--results-file", str(out), ".")
    assert proc.returncode == 1
    assert json.loads(out.read_text())[-1]["message"].startswith("kserve-pvc-fn: ")
    assert proc.stderr.decode().startswith("models/iris.yaml:8:19: error: ")
    unwritable = run("check", "--results-file", str(tmp_path / "no" / "such" / "dir"), ".")
    assert unwritable.returncode == 2
    assert len(unwritable.stderr.splitlines()) == 1


def test_fail_on_warning_makes_a_warning_fail(tmp_path: Path) -> None:
    big = REPOSITORY / "teams" / "recommendation-platform" / "production-cluster-eu-west-1" / "serving"
    (tmp_path / "m.yaml").write_bytes((big / "inferenceservice-recommender-large.yaml").read_bytes())
    assert run("render", "m.yaml", cwd=tmp_path).returncode == 0  # a warning, no error
    assert run("render", "--fail-on", "error", "m.yaml", cwd=tmp_path).returncode == 0
    assert run("render", "--fail-on", "warning", "m.yaml", cwd=tmp_path).returncode == 1
    (tmp_path / "m.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    )  # nothing to say: no warning
    assert run("render", "--fail-on", "warning", "m.yaml", cwd=tmp_path).returncode == 0


# --- untrusted text ------------------------------------------------------------------------------

_RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@settings(max_examples=150, deadline=None)
@given(name=st.text(min_size=1, max_size=40), path=st.text(min_size=1, max_size=40))
def test_no_manifest_text_drives_a_terminal_or_a_runner(name: str, path: str) -> None:
    """Arbitrary Unicode names and paths through every format: the human and annotation formats
    never write a control character raw nor start a line of their own; the data formats keep the
    text exactly."""
    finding = Result(
        f"'{name}' names a file",
        "error",
        ResourceRef("v1", "Pod", name, name),
        Field(f"metadata.annotations.{name}", name),
        File(path, 0, 3, 5),
        "file-uri",
    )
    findings = Findings([finding, SUMMARY], RULES, [Suppressed(finding, name)])
    for width in (None, 40):
        text = report.human(findings, width)
        assert not _RAW_CONTROL.search(text)
        if width is None:  # its first line, what it is about, the summary: no line of the manifest's own
            assert len(text.splitlines()) == 3
    assert not _RAW_CONTROL.search(report.one_line(finding))
    annotations = write("github", findings).split("\n")
    assert len(annotations) == 2
    assert annotations[0].startswith("::error file=")
    assert annotations[0].count("::") == 2  # the command's own two: nothing in the text ends it
    assert not _RAW_CONTROL.search(annotations[0])
    assert json.loads(write("json", findings))[0]["resourceRef"]["name"] == name
    assert yaml.safe_load(write("yaml", findings))[0]["file"]["path"] == path
    log = json.loads(write("sarif", findings))
    assert log["runs"][0]["results"][1]["suppressions"][0]["justification"] == name


def test_a_workflow_command_in_a_name_stays_text(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n"
        '  name: "x\\n::error file=README.md,line=1::injected\\e]0;title\\a"\n'
        "spec:\n  predictor:\n    sklearn:\n      storageUri: pvc://m/x/model.joblib\n"
    )
    for fmt in FORMATS:
        if fmt in ("json", "yaml", "sarif"):
            continue
        stderr = run("check", "-o", fmt, ".", cwd=tmp_path).stderr.decode()
        assert "\x1b" not in stderr
        assert "\x07" not in stderr
        assert not any(line.startswith("::error file=README.md") for line in stderr.splitlines())
        if fmt == "human":
            assert "x\\n::error file=README.md,line=1::injected\\x1b]0;title\\x07" in stderr


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "human"])
def test_every_format_is_offered_on_the_command_line(fmt: str) -> None:
    proc = run("check", "-o", fmt, ".")
    assert proc.returncode == 1
    assert proc.stderr.strip()


def test_the_readme_results_row_is_what_a_run_prints() -> None:
    """The README's row of one finding in each format is a real run's (run it in the repository)."""
    readme = (ROOT / "README.md").read_text()
    rows = readme.split("<!-- results-row:", 1)[1].split("\n\n", 1)[0]
    cells = {line.split(" | ")[0].strip("| "): line.split(" | ")[1] for line in rows.splitlines()[3:]}
    code = {k: re.findall(r"`([^`]+)`", v) for k, v in cells.items()}
    human = run("check", "models/iris.yaml").stderr.decode().splitlines()
    assert code["(none)"][0] in human
    annotations = run("check", "-o", "github", "models/iris.yaml").stderr.decode().splitlines()
    assert code["`github`"][0] in annotations
    first = json.loads(run("check", "-o", "json", "models/iris.yaml").stderr)[0]
    assert json.loads("{" + code["`json`, `yaml`"][0] + "}") == {"file": first["file"]}
    assert json.loads("{" + code["`json`, `yaml`"][1] + "}") == {"tags": first["tags"]}
    assert yaml.safe_load(run("check", "-o", "yaml", "models/iris.yaml").stderr)[0] == first
    result = json.loads(run("check", "-o", "sarif", "models/iris.yaml").stderr)["runs"][0]["results"][0]
    physical = result["locations"][0]["physicalLocation"]
    assert json.loads("{" + code["`sarif`"][0] + "}") == {"ruleId": result["ruleId"]}
    assert json.loads("{" + code["`sarif`"][1] + "}") == {"region": physical["region"]}
    assert json.loads("{" + code["`sarif`"][3] + "}") == {"artifactLocation": physical["artifactLocation"]}


def test_a_refusal_and_a_skipped_file_name_no_control_character(tmp_path: Path) -> None:
    odd = "x\n::error file=a::b\x1b[2J.yaml"
    (tmp_path / odd).write_text("a: [\n")
    (tmp_path / "notes.yaml").write_text("just: data\n")
    refused = run("render", odd, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.decode().count("\n") == 1
    assert "\x1b" not in refused.stderr.decode()
    listed = run("render", "--list-skipped", "--allow-empty", ".", cwd=tmp_path).stderr.decode()
    assert "\x1b" not in listed
    assert not any(line.startswith("::error") for line in listed.splitlines())
