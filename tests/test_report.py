"""The human output (SPEC 5.2): grouped by file, path:line:col first, nothing cut, no line past the width."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from krm_fn import report
from krm_fn.formats import Findings, Suppressed
from krm_fn.results import Field, File, ResourceRef, Result

SUMMARY = Result("kserve-pvc-fn: 3 resource(s) read, 0 changed, 2 error(s), 1 warning(s)", "info")


def _at(path: str, line: int, message: str = "'pvc://c/m/a.pkl' names a file", severity: str = "error") -> Result:
    ref = ResourceRef("serving.kserve.io/v1beta1", "InferenceService", f"m{line}")
    return Result(message, severity, ref, Field("spec.x"), File(path, 0, line, 7), "file-uri")  # type: ignore[arg-type]


def test_each_finding_starts_with_its_place_severity_message_and_rule() -> None:
    text = report.human(Findings([_at("a.yaml", 3), SUMMARY]))
    assert text.splitlines() == [
        "a.yaml:3:7: error: 'pvc://c/m/a.pkl' names a file [file-uri]",
        "  InferenceService m3, spec.x",
        SUMMARY.message,
    ]


def test_findings_are_grouped_by_file_in_line_order() -> None:
    text = report.human(Findings([_at("b.yaml", 9, "two"), _at("a.yaml", 5, "one"), _at("b.yaml", 2, "three")]))
    firsts = [line.split(": ")[0] for line in text.splitlines() if line and not line.startswith(" ")]
    assert firsts == ["b.yaml:2:7", "b.yaml:9:7", "a.yaml:5:7"]
    assert text.splitlines().count("") == 1  # one blank line between the two files


def test_identical_findings_are_said_once_with_every_place_named() -> None:
    text = report.human(Findings([_at("a.yaml", 3), _at("b.yaml", 3), _at("c.yaml", 4)]), width=40)
    lines = text.splitlines()
    assert lines[0].startswith("a.yaml:3:7: error: ")
    assert all(len(line) <= 40 for line in lines)
    joined = " ".join(line.strip() for line in lines)
    assert joined.endswith("spec.x 2 more like this: b.yaml:3:7, c.yaml:4:7")


def test_many_findings_of_one_shape_are_one_group_and_a_few_are_each_shown() -> None:
    def rewrite(i: int) -> Result:
        return _at("big.yaml", i + 1, f"'pvc://c/m{i}/a.pkl' rewritten to 'pvc://c/m{i}'.", "info")

    few = report.human(Findings([rewrite(i) for i in range(report.SIMILAR_ROWS - 1)]))
    assert len([line for line in few.splitlines() if line.startswith("big.yaml:")]) == report.SIMILAR_ROWS - 1
    many = report.human(Findings([rewrite(i) for i in range(2500)])).splitlines()
    assert len(many) == 3
    assert many[0] == "big.yaml:1:7: info: 'pvc://c/m0/a.pkl' rewritten to 'pvc://c/m0'. [file-uri]"
    assert many[2].startswith("  2499 more like this: big.yaml:2:7, big.yaml:3:7,")
    assert many[2].endswith("big.yaml:2500:7")


def test_quiet_keeps_errors_and_the_summary_counts_suppressed() -> None:
    warning = _at("a.yaml", 8, "a warning", "warning")
    findings = Findings([_at("a.yaml", 3), warning, SUMMARY], suppressed=[Suppressed(warning, "accepted")])
    lines = report.human(findings, quiet=True).splitlines()
    assert [line for line in lines if "warning:" in line] == []
    assert lines[-1] == SUMMARY.message + ", 1 suppressed"


def test_a_finding_without_a_file_is_named_by_its_resource_or_the_function() -> None:
    ref = ResourceRef("v1", "Pod", "p")
    assert report.one_line(Result("bad", "warning", ref, rule="r")) == "Pod/p: warning: bad [r]"
    assert report.one_line(Result("config", "error")) == "kserve-pvc-fn: error: config"
    assert report.one_line(Result("x", "error", file=File("k.yaml"))) == "k.yaml: error: x"


_WORDS = st.text(alphabet="abc xyz-/'.:\t\n", min_size=0, max_size=300)
#: Names and paths without spaces: a path with a space is kept whole on purpose (never broken).
_NAMES = st.text(alphabet="abcxyz-/.:", min_size=0, max_size=120)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["error", "warning", "info"]), _NAMES, _NAMES, _WORDS), max_size=8),
    st.integers(min_value=20, max_value=200),
)
def test_nothing_is_cut_and_only_a_single_long_word_passes_the_width(
    rows: list[tuple[str, str, str, str]], width: int
) -> None:
    results = [
        Result(message, severity, ResourceRef("v1", "Pod", name) if name else None, file=File(path or "f", 0, 1, 1))  # type: ignore[arg-type]
        for severity, name, path, message in rows
    ]
    text = report.human(Findings(results), width)
    for line in text.splitlines():
        assert len(line) <= width or " " not in line.strip(), (width, line)
    words = text.split()
    for r in results:  # every word of every message is there, whole
        message = report.escape(r.message).split()
        assert all(w in words for w in message)
