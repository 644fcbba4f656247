"""Properties of URI normalization as issue 3 lists them, over generated well-formed URIs.

``tests/test_uris.py`` covers the decision table and mixed (repairable) forms; these properties pin
the promises a user relies on: a clean directory URI is never touched, a rewrite keeps the claim and
yields a clean URI, and running twice changes nothing.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from krm_fn.model_files import DEFAULT_FILE_EXTENSIONS
from krm_fn.pvc_uri import parse_pvc_uri
from krm_fn.uris import decide

CLAIM = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?(\.[a-z0-9]{1,5})?", fullmatch=True)
DIR_SEGMENT = st.one_of(
    st.sampled_from(["models", "iris", "1", "0001", "v1.2", "model-store", "llama-3.1-8b-instruct", "model.gguf"]),
    st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True),
)
FILE_NAME = st.builds(
    lambda stem, ext: stem + ext,
    st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True),
    st.sampled_from([e for e in DEFAULT_FILE_EXTENSIONS if e not in (".zip", ".tar", ".tar.gz", ".tgz")]),
)
FRAMEWORK = st.sampled_from(
    [None, "sklearn", "xgboost", "lightgbm", "pmml", "tensorflow", "pytorch", "triton", "huggingface"]
)


def _decide(uri: str, framework: str | None, mode: str = "direct") -> str | None:
    return decide(
        uri,
        framework=framework,
        extensions=DEFAULT_FILE_EXTENSIONS,
        path_type=None,
        file_uris="directory",
        mount_mode="copy" if mode == "copy" else "direct",
    ).new_uri


@settings(max_examples=300, deadline=None)
@given(
    claim=CLAIM,
    dirs=st.lists(DIR_SEGMENT, max_size=5),
    slash=st.booleans(),
    framework=FRAMEWORK,
    mode=st.sampled_from(["direct", "copy"]),
)
def test_clean_directory_uri_is_never_changed(
    claim: str, dirs: list[str], slash: bool, framework: str | None, mode: str
) -> None:
    uri = "pvc://" + claim + "".join("/" + d for d in dirs) + ("/" if slash else "")
    assert _decide(uri, framework, mode) is None


@settings(max_examples=300, deadline=None)
@given(claim=CLAIM, dirs=st.lists(DIR_SEGMENT, max_size=5), name=FILE_NAME, framework=FRAMEWORK)
def test_file_uri_becomes_a_clean_ancestor_directory_on_the_same_claim(
    claim: str, dirs: list[str], name: str, framework: str | None
) -> None:
    uri = "pvc://" + claim + "".join("/" + d for d in dirs) + "/" + name
    new = _decide(uri, framework)
    assert new is not None
    parsed = parse_pvc_uri(new)
    assert parsed is not None
    assert parsed.claim == claim
    assert "//" not in new.removeprefix("pvc://")
    assert not {"", ".", ".."} & set(parsed.segments)
    assert list(parsed.segments) == dirs[: len(parsed.segments)]
    assert _decide(new, framework) is None
    # copy mode serves single files: nothing to rewrite there
    assert _decide(uri, framework, "copy") is None
