"""The end-to-end helpers skip where a client is missing, and fail instead under CI=true."""

from __future__ import annotations

import e2e_support
import pytest


@pytest.mark.parametrize(("in_ci", "outcome"), [(False, pytest.skip.Exception), (True, pytest.fail.Exception)])
def test_a_missing_tool_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, in_ci: bool, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(e2e_support, "IN_CI", in_ci)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(e2e_support, "TOOLS", e2e_support.REPO / "no-such-folder")
    with pytest.raises(outcome, match="kpt"):
        e2e_support.require("kpt")
