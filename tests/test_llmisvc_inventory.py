"""``tests/data/kserve_llmisvc/inventory.yaml`` accounts for every test file of KServe's llmisvc controller.

The lists of files and test functions come from the recorded listings
(``listing-v0.20.0.yaml``, ``listing-master.yaml``, made by ``tests/tools/kserve_llmisvc_listing.py``
from the tags), so nothing here needs the network or a clone. With ``KSERVE_GIT_DIR`` set to a
kserve/kserve clone, the listings themselves are checked against it.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA = Path(__file__).parent / "data" / "kserve_llmisvc"
TOOL = Path(__file__).parent / "tools" / "kserve_llmisvc_listing.py"


def _load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


INVENTORY = _load("inventory.yaml")
AT_TAG = _load("listing-v0.20.0.yaml")
AT_MASTER = _load("listing-master.yaml")
#: (inventory section, the listing its files come from)
SECTIONS = [
    pytest.param(INVENTORY["files"], AT_TAG, id="v0.20.0"),
    pytest.param(INVENTORY["master"]["files"], AT_MASTER, id="master"),
]


def kind_of(name: str, listed: dict[str, Any]) -> str:
    """Ginkgo specs (and the suite that starts envtest and runs them) are the envtest suite; files
    with plain ``TestX`` functions are unit tests; the rest hold no tests."""
    if listed["ginkgo"] or name == "suite_test.go":
        return "envtest"
    return "unit" if listed["tests"] else "helper"


def test_the_inventory_is_of_the_listed_tag_and_commit() -> None:
    assert (INVENTORY["tag"], INVENTORY["commit"]) == (AT_TAG["ref"], AT_TAG["commit"])
    assert (INVENTORY["master"]["ref"], INVENTORY["master"]["commit"]) == (AT_MASTER["ref"], AT_MASTER["commit"])
    assert INVENTORY["directory"] == AT_TAG["directory"] == AT_MASTER["directory"]


def test_every_file_at_the_tag_is_classified() -> None:
    assert [e["file"] for e in INVENTORY["files"]] == list(AT_TAG["files"])


def test_the_master_section_has_the_files_master_adds() -> None:
    assert set(AT_TAG["files"]) <= set(AT_MASTER["files"])  # nothing removed: nothing left to say
    added = [name for name in AT_MASTER["files"] if name not in AT_TAG["files"]]
    assert [e["file"] for e in INVENTORY["master"]["files"]] == added


@pytest.mark.parametrize(("entries", "listing"), SECTIONS)
def test_kinds_follow_the_listing(entries: list[dict[str, Any]], listing: dict[str, Any]) -> None:
    for entry in entries:
        assert entry["kind"] == kind_of(entry["file"], listing["files"][entry["file"]]), entry["file"]
        if entry["kind"] != "unit":
            assert len(entry["reason"]) > 20, entry
            assert not isinstance(entry.get("storage"), list), "only unit tests are captured one by one"


@pytest.mark.parametrize(("entries", "listing"), SECTIONS)
def test_each_storage_test_is_captured_or_says_why_not(entries: list[dict[str, Any]], listing: dict[str, Any]) -> None:
    folder = "kserve-" + (listing["ref"] if listing["ref"].startswith("v") else f"master-{listing['commit'][:8]}")
    for entry in (e for e in entries if e["kind"] == "unit"):
        tests = listing["files"][entry["file"]]["tests"]
        storage = entry.get("storage", [])
        for item in storage:
            assert item["test"] in tests, item
            if item["status"] == "captured":
                data = DATA / item["data"]
                assert data.parent.name == folder, item
                recorded = _load(item["data"])
                assert (recorded["test"], recorded["commit"]) == (item["test"], listing["commit"])
                assert recorded["file"] == f"{listing['directory']}/{entry['file']}"
            else:
                assert item["status"] == "not-applicable", item
                assert len(item["reason"]) > 40, item
        whole = {item["test"] for item in storage if "case" not in item}
        if set(tests) - whole:
            assert len(entry["other_tests"]) > 10, entry["file"]


def test_every_data_file_is_in_the_inventory() -> None:
    captured = [
        item["data"]
        for entries in (INVENTORY["files"], INVENTORY["master"]["files"])
        for entry in entries
        for item in (entry.get("storage") if isinstance(entry.get("storage"), list) else [])
        if item["status"] == "captured"
    ]
    captured += [item["data"] for item in INVENTORY["elsewhere"]]
    assert len(captured) == len(set(captured))
    assert sorted(captured) == sorted(str(p.relative_to(DATA)) for p in DATA.glob("kserve-*/*.yaml"))


def test_tests_captured_elsewhere_name_their_data() -> None:
    for item in INVENTORY["elsewhere"]:
        recorded = _load(item["data"])
        assert (recorded["test"], recorded["file"]) == (item["test"], item["file"])
        assert recorded.get("tag", recorded.get("ref")) == item["ref"]


@pytest.mark.skipif(not os.environ.get("KSERVE_GIT_DIR"), reason="KSERVE_GIT_DIR (a kserve/kserve clone) not set")
@pytest.mark.parametrize(("rev", "ref", "recorded"), [("v0.20.0", None, AT_TAG), ("aaac4e29", "master", AT_MASTER)])
def test_listing_matches_a_kserve_clone(rev: str, ref: str | None, recorded: dict[str, Any]) -> None:
    spec = importlib.util.spec_from_file_location("kserve_llmisvc_listing", TOOL)
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.listing(os.environ["KSERVE_GIT_DIR"], rev, ref) == recorded
