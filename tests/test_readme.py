"""The README's generated parts and its promises stay true."""

from __future__ import annotations

from pathlib import Path

from krm_fn.docs import BEGIN, END, render_into

README = Path(__file__).resolve().parent.parent / "README.md"


def test_config_reference_is_current() -> None:
    text = README.read_text()
    assert BEGIN in text
    assert END in text
    assert render_into(text) == text, "README config reference is stale: run `make docs`"


def test_readme_opens_with_the_two_commands() -> None:
    block = README.read_text().split("```")[1]
    assert "make demo" in block
    assert "make test" in block
