"""Unit tests of krm_fn/guard.py: limit settings, the depth bound, the summary merge."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from krm_fn import guard, source
from krm_fn.guard import LimitError, Limits, Measure, Screened
from krm_fn.results import Result
from krm_fn.source import depth_bound, read_resource_list

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"


def test_limits_default_and_from_env() -> None:
    assert Limits.from_env({}) == Limits(256 * 2**20, guard.DEFAULT_MAX_ALIASES, guard.DEFAULT_MAX_DEPTH)
    env = {guard.ENV_MAX_INPUT_BYTES: "1_000", guard.ENV_MAX_ALIASES: "7", guard.ENV_MAX_DEPTH: " 50 "}
    assert Limits.from_env(env) == Limits(1000, 7, 50)


@pytest.mark.parametrize("value", ["0", "-1", "x", "1e3", "1.5"])
def test_limits_refuse_bad_values(value: str) -> None:
    with pytest.raises(LimitError, match="not a positive whole number"):
        Limits.from_env({guard.ENV_MAX_DEPTH: value})


def test_depth_setting_is_capped() -> None:
    with pytest.raises(LimitError, match="highest safe value"):
        Limits.from_env({guard.ENV_MAX_DEPTH: str(guard.HARD_MAX_DEPTH + 1)})


def _depth(text: str) -> int:
    depth = deepest = 0
    for ev in yaml.parse(text, Loader=yaml.CSafeLoader):
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1
    return deepest


_TREE = st.recursive(
    st.one_of(st.integers(), st.text(max_size=5), st.none()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(_TREE, st.sampled_from([None, True, False]), st.integers(2, 6), st.sampled_from(["\n", "\r\n", "\r"]))
def test_depth_bound_is_never_below_the_real_depth(tree: Any, flow: bool | None, indent: int, newline: str) -> None:
    """The cheap bound decides how the composer runs: it must never be too low.

    With the long-prefix threshold at 0, every line prefix is measured: the exact path is checked,
    not only the shortcut that assumes 256.
    """
    text = yaml.safe_dump(tree, default_flow_style=flow, indent=indent, allow_unicode=True)
    text = text.replace("\n", newline)
    for threshold in (0, source._LONG_PREFIX):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(source, "_LONG_PREFIX", threshold)
            assert depth_bound(text.encode()) >= _depth(text)
            assert depth_bound(text) >= _depth(text)


@pytest.mark.parametrize(
    "text",
    [
        "a:\n- b:\n  - c:\n    - d: [e, {f: g}]\n",
        "- - - - - x\n",
        "? - a\n  - b\n: - c\n",
        "a: &x\n  b:\n    c: 1\n",
        "a: !!map\n  b: !!seq\n  - 1\n",
        # Line prefixes past the length the bound assumes without measuring: on the first line,
        # on a later one, and a deep block mapping.
        "- " * 400 + "x\n",
        "a:\n" + "- " * 400 + "x\n",
        "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v\n",
        # Line breaks other than LF: libyaml also breaks lines at CR, NEL, LS and PS.
        "items:\r" + "- " * 400 + "x\r",
        "items:\u2028" + "- " * 400 + "x\n",
    ],
)
def test_depth_bound_on_tricky_layouts(text: str) -> None:
    assert depth_bound(text.encode()) >= _depth(text)
    assert depth_bound(text) >= _depth(text)


@pytest.mark.parametrize("levels", [40_000, 90_000])
def test_deep_brackets_are_composed_without_crashing(levels: int) -> None:
    """Past what the main thread's stack holds (about 30,000 levels) the composer gets its own stack.

    Run in a child process: if the stack were too small, the process would die of SIGSEGV.
    """
    code = (
        "from krm_fn.source import compose_single\n"
        f"node = compose_single('[' * {levels} + ']' * {levels})\n"
        f"depth = 0\n"
        "while node.value:\n"
        "    node, depth = node.value[0], depth + 1\n"
        "print(depth)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == str(levels - 1)


def test_exact_depth_stops_early_on_a_huge_input() -> None:
    assert guard._exact_depth_over(b"[" * 5_000_000, 100)


def _screened(*findings: Result) -> Screened:
    return Screened(findings=list(findings), measure=Measure(10, 3, 0))


def test_merge_puts_findings_before_the_summary_and_counts_them() -> None:
    ours = [
        Result("changed", "info"),
        Result("kserve-pvc-fn: 2 resource(s) read, 1 changed, 0 error(s), 1 warning(s)", "info"),
    ]
    held = Result("items[1] line 3: duplicate key 'a'", "error")
    expanded = Result("items[0]: anchors and aliases written out", "warning")
    merged = guard.merge(_screened(held, expanded), ours)
    assert merged[:2] == [held, expanded]
    assert merged[2] == ours[0]
    assert merged[-1].message == "kserve-pvc-fn: 2 resource(s) read, 1 changed, 1 error(s), 2 warning(s)"


def test_merge_without_findings_returns_the_results_as_they_are() -> None:
    ours = [Result("kserve-pvc-fn: 0 resource(s) read, 0 changed, 0 error(s), 0 warning(s)", "info")]
    assert guard.merge(_screened(), ours) is ours


class _Spec:
    maxInputBytes = 5
    maxAliases = None
    maxDepth = 2


def test_functionconfig_limits_only_tighten() -> None:
    measure = Measure(10, 3, 0)
    out = guard.merge(Screened(measure=measure), [Result("kserve-pvc-fn: 0 error(s), 0 warning(s)", "info")], _Spec())
    messages = [r.message for r in out if r.severity == "error"]
    assert messages == [
        "functionConfig: the input is 10 bytes, over maxInputBytes: 5",
        "functionConfig: the input nests 3 levels deep, over maxDepth: 2",
    ]
    assert out[-1].message == "kserve-pvc-fn: 2 error(s), 0 warning(s)"


def test_held_item_is_never_built() -> None:
    raw = (HEAD + "items:\n- {kind: InferenceService, spec: !!python/object/apply:os.system [x]}\n").encode()
    doc, screened = guard.screen(raw, read_resource_list, Limits())
    assert screened.held == {0}
    assert doc.items[0].data is None
    assert doc.items[0].scalar("kind") is None
    assert screened.findings[0].severity == "error"
    assert screened.findings[0].resourceRef is not None
    assert screened.findings[0].resourceRef.kind == "InferenceService"


def test_expanded_item_reads_back_as_the_same_data() -> None:
    text = HEAD + "items:\n- a: &x {b: [1, 2]}\n  c: *x\n  <<: {d: 4}\n- {kind: ConfigMap}\n"
    before = yaml.safe_load(text)["items"]
    doc, screened = guard.screen(text.encode(), read_resource_list, Limits())
    assert "&" not in doc.text
    assert "*" not in doc.text
    assert yaml.safe_load(doc.text)["items"] == before
    assert doc.text.endswith("- {kind: ConfigMap}\n")
    assert [r.severity for r in screened.findings] == ["warning"]


def test_depth_is_measured_exactly_on_the_tree() -> None:
    raw = (HEAD + "items:\n- {a: [[{b: 1}]]}\nfunctionConfig: {x: [1]}\n").encode()
    _, screened = guard.screen(raw, read_resource_list, Limits())
    assert screened.measure.depth == 6  # root, items, the item, a, its inner list, {b: 1}
    with pytest.raises(LimitError, match="nested more than 5 levels"):
        guard.screen(raw, read_resource_list, Limits(max_depth=5))


def test_no_stack_for_the_composer_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine that refuses the composer thread's stack gets a one-line refusal, not a crash."""
    import threading

    from krm_fn import source

    def refuse(size: int = 0) -> int:
        if size:
            raise ValueError("size not valid")
        return 0

    monkeypatch.setattr(threading, "stack_size", refuse)
    with pytest.raises(source.InputError, match="no stack for it"):
        source.compose_single("[" * 6_000 + "]" * 6_000)
    assert source.compose_single("[[1]]") is not None  # shallow text never needs the thread


def test_the_composer_stack_is_whole_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """macOS refuses a thread stack size that is not a multiple of its page size (16 KiB on arm64)."""
    import threading

    from krm_fn import source

    asked: list[int] = []
    real = threading.stack_size

    def record(size: int = 0) -> int:
        if size:
            asked.append(size)
        return real(size)

    monkeypatch.setattr(threading, "stack_size", record)
    levels = 5_001  # a bound that is not a multiple of anything in particular
    assert source.compose_single("[" * levels + "]" * levels) is not None
    assert asked
    assert all(size % 2**14 == 0 for size in asked), asked
