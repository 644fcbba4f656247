"""Unit tests of the limits (krm_fn/limits.py) and the ResourceList reader (krm_fn/resourcelist.py):
limit settings, the depth checks, the findings handed to the core."""

from __future__ import annotations

import sys
from typing import Any

import pytest
import yaml

from krm_fn import limits, resourcelist
from krm_fn.config import PolicySpec
from krm_fn.limits import LimitError, Limits, Measure
from krm_fn.results import Result
from krm_fn.source import InputError
from krm_fn.transform import transform

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"


def test_limits_default_and_from_env() -> None:
    assert Limits.from_env({}) == Limits(256 * 2**20, limits.DEFAULT_MAX_ALIASES, limits.DEFAULT_MAX_DEPTH)
    env = {limits.ENV_MAX_INPUT_BYTES: "1_000", limits.ENV_MAX_ALIASES: "7", limits.ENV_MAX_DEPTH: " 50 "}
    assert Limits.from_env(env) == Limits(1000, 7, 50)


@pytest.mark.parametrize("value", ["0", "-1", "x", "1e3", "1.5"])
def test_limits_refuse_bad_values(value: str) -> None:
    with pytest.raises(LimitError, match="not a positive whole number"):
        Limits.from_env({limits.ENV_MAX_DEPTH: value})


@pytest.mark.parametrize("value", ["²", "١٢", "000"])
def test_limits_refuse_digits_int_does_not_read(value: str) -> None:
    with pytest.raises(LimitError, match="not a positive whole number"):
        Limits.from_env({limits.ENV_MAX_INPUT_BYTES: value})


@pytest.mark.parametrize("value", [str(sys.maxsize), str(sys.maxsize + 1), "9" * 5000])
def test_sizes_past_the_platform_read_as_the_largest(value: str) -> None:
    """Row 4 of issue 23: a size the platform cannot index is clamped, never an OverflowError."""
    env = {limits.ENV_MAX_INPUT_BYTES: value, limits.ENV_MAX_ALIASES: value}
    read = Limits.from_env(env)
    assert read.max_input_bytes == read.max_aliases == limits.PLATFORM_MAX
    assert read.max_input_bytes + 1 <= sys.maxsize
    with pytest.raises(LimitError, match="highest safe value"):
        Limits.from_env({limits.ENV_MAX_DEPTH: value})


def test_depth_setting_is_capped() -> None:
    with pytest.raises(LimitError, match="highest safe value"):
        Limits.from_env({limits.ENV_MAX_DEPTH: str(limits.HARD_MAX_DEPTH + 1)})


def test_exact_depth_stops_early_on_a_huge_input() -> None:
    assert limits.exact_depth_over(b"[" * 5_000_000, 100) == 1
    assert limits.exact_depth_over(b"a:\n  b:\n  - [1]\n", 3) == 3
    assert limits.exact_depth_over(b"a:\n  b:\n  - [1]\n", 4) == 0


def test_input_findings_come_first_and_are_counted_in_the_summary() -> None:
    held = Result("items[1] line 3: duplicate key 'a'", "error")
    expanded = Result("items[0]: anchors and aliases written out", "warning")
    out = transform([], PolicySpec(), item_count=2, input_findings=[held, expanded])
    assert out.results[:2] == [held, expanded]
    assert out.results[-1].message == "kserve-pvc-fn: 2 resource(s) read, 0 changed, 1 error(s), 1 warning(s)"
    assert transform([], PolicySpec(), item_count=2).results[-1].message == (
        "kserve-pvc-fn: 2 resource(s) read, 0 changed, 0 error(s), 0 warning(s)"
    )


class _Spec:
    maxInputBytes = 5
    maxAliases = None
    maxDepth = 2


def test_functionconfig_limits_only_tighten() -> None:
    found = limits.exceeds(Measure(10, 3, 0), _Spec())
    assert [(r.severity, r.message) for r in found] == [
        ("error", "functionConfig: the input is 10 bytes, over maxInputBytes: 5"),
        ("error", "functionConfig: the input nests 3 levels deep, over maxDepth: 2"),
    ]
    assert limits.exceeds(Measure(10, 3, 0), None) == []


def test_held_item_is_never_built() -> None:
    raw = (HEAD + "items:\n- {kind: InferenceService, spec: !!python/object/apply:os.system [x]}\n").encode()
    doc, screened = resourcelist.read(raw, Limits())
    assert screened.held == {0}
    assert doc.items[0].data is None
    assert doc.items[0].scalar("kind") is None
    assert screened.findings[0].severity == "error"
    assert screened.findings[0].resourceRef is not None
    assert screened.findings[0].resourceRef.kind == "InferenceService"


def test_expanded_item_reads_back_as_the_same_data() -> None:
    text = HEAD + "items:\n- a: &x {b: [1, 2]}\n  c: *x\n  <<: {d: 4}\n- {kind: ConfigMap}\n"
    before = yaml.safe_load(text)["items"]
    from krm_fn.krm import run_krm

    _, screened = resourcelist.read(text.encode(), Limits())
    out = run_krm(text.encode()).stdout
    assert "&" not in out
    assert "*" not in out
    assert yaml.safe_load(out)["items"] == before
    assert "- {kind: ConfigMap}\n" in out
    assert screened.expanded == {0}
    assert [r.severity for r in screened.findings] == ["warning"]


def test_depth_is_measured_exactly_on_the_tree() -> None:
    raw = (HEAD + "items:\n- {a: [[{b: 1}]]}\nfunctionConfig: {x: [1]}\n").encode()
    _, screened = resourcelist.read(raw, Limits())
    assert screened.measure.depth == 6  # root, items, the item, a, its inner list, {b: 1}
    with pytest.raises(LimitError, match="nested more than 5 levels"):
        resourcelist.read(raw, Limits(max_depth=5))


def test_libyaml_limits_nesting_on_the_locked_pyyaml() -> None:
    """The locked PyYAML bundles libyaml 0.2.6, whose scanner refuses more than 1,000 levels."""
    assert limits.LIBYAML_LIMITS_NESTING


@pytest.mark.parametrize(
    "body",
    [
        "- " + "[" * 1_500 + "]" * 1_500 + "\n",
        "- " + "{a: " * 1_500 + "\n",  # unclosed: the depth is seen before the end
        "".join("  " * i + "- a:\n" for i in range(1_200)),
    ],
)
def test_libyaml_refusal_is_told_as_the_depth_limit(body: str) -> None:
    raw = (HEAD + "items:\n" + body).encode()
    with pytest.raises(LimitError, match=r"^input is nested more than 256 levels deep \(line \d+; set KSERVE_PVC"):
        resourcelist.read(raw, Limits())


@pytest.mark.parametrize("libyaml_limits", [True, False])
def test_a_wide_shallow_bundle_is_read_either_way(monkeypatch: pytest.MonkeyPatch, libyaml_limits: bool) -> None:
    """Many flow maps in one bundle: thousands of brackets, yet a shallow tree."""
    monkeypatch.setattr(limits, "LIBYAML_LIMITS_NESTING", libyaml_limits)
    raw = (HEAD + "items:\n" + "- {kind: ConfigMap, data: {a: b}}\n" * 3_000).encode()
    doc, screened = resourcelist.read(raw, Limits())
    assert len(doc.items) == 3_000
    assert screened.measure.depth == 4


def test_an_older_libyaml_gets_the_exact_count_before_composing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libyaml's own limit, deep text must be refused before its composer recurses.

    tests/hostile/test_old_libyaml.py runs this for real against libyaml 0.2.5.
    """
    monkeypatch.setattr(limits, "LIBYAML_LIMITS_NESTING", False)

    def never(text: str) -> Any:
        raise AssertionError("composed")

    monkeypatch.setattr(resourcelist, "compose_single", never)
    raw = (HEAD + "items:\n- " + "[" * 60_000 + "]" * 60_000 + "\n").encode()
    with pytest.raises(LimitError, match=r"nested more than 256 levels deep \(line 4;"):
        resourcelist.read(raw, Limits())


def test_a_quoted_merge_key_beside_a_real_one_is_an_ordinary_key() -> None:
    """Issue 23 row 12: YAML 1.1 and Go yaml read ``"<<"`` as a plain string key."""
    item = "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n  base: &b {k: v}\n"
    raw = HEAD + "items:\n" + item + '  data: {<<: *b, "<<": x}\n'
    doc, screened = resourcelist.read(raw.encode(), Limits())
    assert not screened.held
    assert doc.items[0].data["data"] == {"k": "v", "<<": "x"}
    # Two quoted ones are a duplicate, as any other key written twice.
    raw = HEAD + "items:\n" + item + "  data: {'<<': y, \"<<\": x}\n"
    _, screened = resourcelist.read(raw.encode(), Limits())
    assert screened.held == {0}


@pytest.mark.parametrize(
    ("json_text", "where"),
    [
        ('{"kind": "ResourceList",\n "items": [{"a": "NaN", "b": NaN}]}', "number NaN at line 2, column 30"),
        ('{"items": [{"a": -Infinity}]}', "number -Infinity at line 1, column 18"),
        ('{"items": [{"a": Infinity}]}', "number Infinity at line 1, column 18"),
        ('{"items": [{"x": "1e999", "a": 1e999}]}', "number 1e999 at line 1, column 32"),
        ('[{"a": -1E+400}]', "number -1E\\+400 at line 1, column 8"),
    ],
)
def test_json_numbers_json_forbids_are_refused_with_a_position(json_text: str, where: str) -> None:
    with pytest.raises(InputError, match=where):
        limits.check_raw(json_text.encode(), Limits())


def test_json_numbers_within_a_float_are_read() -> None:
    raw = b'{"a": 1e308, "b": -2.5, "c": "NaN", "d": 1}'
    assert limits.check_raw(raw, Limits()).input_bytes == len(raw)


def test_sequences_share_one_key_set_that_stays_empty() -> None:
    # The scan gives sequences one shared, never-filled key set; a key added to it would make the
    # next sequence's keys look like duplicates.
    from krm_fn import scan

    text = (
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
        "- {kind: ConfigMap, apiVersion: v1, metadata: {name: a}, data: {k: [1, {x: 1}, [2]]}}\n"
        "- [a, {b: 1}]\n"
    )
    doc, _ = resourcelist.read(text.encode())
    assert len(doc.items) == 2
    assert not scan._NO_KEYS
