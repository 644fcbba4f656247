"""LLMInferenceService reference cases re-derived from KServe's own unit tests (SPEC 2B).

``tests/data/kserve_llmisvc/kserve-<ref>/<GoTest>.yaml`` holds the cases of one Go test, with the
tag (or ``ref: master``), commit and file it was read from. ``<ref>`` is the tag, or
``master-<short commit>`` for master, which stands for the release in its ``release`` field (0.21:
its Go source is not readable, SPEC 2B). Each case runs through the rule that models it, on the
resource equivalent to the Go test's input, and is checked against what the Go test asserts, as
the rule reports it:

- the tokenizer sidecar and the standalone tokenizer Deployment, and the ``pvc://`` model's
  target container: as pods counted against a ReadWriteOnce claim (``pvc-rwo-replicas``), with
  one workload pod, so a second pod that mounts the model is a warning that names it;
- the read-only model mount: no ``pvc-read-only-many-writable`` on a ReadOnlyMany claim even with
  ``storage.kserve.io/readonly: "false"``, which ``llm-read-only-ignored`` says has no effect;
- KV-cache tiers: the claims KServe mounts (writable) are those the rule reports as mounted
  writable on a ReadOnlyMany claim, at the mount path KServe gives them;
- LoRA admission: ``lora-admission`` errors on the fields KServe's validation names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kserve_cases import results_at

from krm_fn import injector
from krm_fn.config import PolicySpec
from krm_fn.resource import Resource
from krm_fn.rulekit import Context
from krm_fn.rules import llm_storage

DATA = Path(__file__).parent / "data" / "kserve_llmisvc"
Case = tuple[str, dict[str, Any], dict[str, Any]]


def ref_of(doc: dict[str, Any]) -> str:
    """``v0.20.0`` for a tag, ``master-aaac4e29`` for a master commit: the folder's suffix."""
    if "tag" in doc:
        return str(doc["tag"])
    assert doc["ref"] == "master", doc
    return f"master-{doc['commit'][:8]}"


def releases_of(doc: dict[str, Any]) -> list[str]:
    """The ``kserveVersion`` values the cases hold for: the tag's, those of ``same_at``, or ``release``."""
    if "release" in doc:
        return [str(doc["release"])]
    tags = [doc["tag"], *doc.get("same_at", {})]
    return sorted({".".join(t.removeprefix("v").split(".")[:2]) for t in tags})


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def _cases(test: str, by_release: bool = False) -> list[Any]:
    out: list[Any] = []
    for path in sorted(DATA.glob(f"kserve-*/{test}.yaml")):
        doc = load(path)
        assert doc["test"] == test
        assert ref_of(doc) == path.parent.name.removeprefix("kserve-")
        assert len(doc["commit"]) == 40
        for case in doc["cases"]:
            if by_release:
                out.extend(pytest.param(r, doc, case, id=f"{r}-{case['name']}") for r in releases_of(doc))
            else:
                out.append(pytest.param(ref_of(doc), doc, case, id=f"{ref_of(doc)}-{case['name']}"))
    assert out, test
    return out


def rule(results: list[dict[str, Any]], rule_id: str) -> list[dict[str, Any]]:
    return [r for r in results if r.get("tags", {}).get("rule") == rule_id]


def llm(spec: dict[str, Any], name: str = "llm", **annotations: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "ml"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService", "metadata": meta, "spec": spec}


def claim(name: str, mode: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "ml"},
        "spec": {"accessModes": [mode], "resources": {"requests": {"storage": "1Gi"}}},
    }


MODEL = "pvc://model-store/models/llama"


def pods_mounting_the_model(spec: dict[str, Any], version: str) -> list[str]:
    """The ``pvc-rwo-replicas`` messages for a one-replica service: a second pod mounts the model."""
    results = results_at([claim("model-store", "ReadWriteOnce"), llm({**spec, "model": {"uri": MODEL}})], version)
    return [r["message"] for r in rule(results, "pvc-rwo-replicas")]


@pytest.mark.parametrize(("tag", "doc", "case"), _cases("TestSanitizeLoRAPathSegment"))
def test_sanitize_lora_path_segment(tag: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    assert llm_storage.lora_mount_path(case["name"]) == f"{llm_storage.LORA_ROOT}/{case['segment']}"


@pytest.mark.parametrize(("tag", "doc", "case"), _cases("TestValidateLoRAAdapters"))
def test_validate_lora_adapters(tag: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    data = {
        "apiVersion": "serving.kserve.io/v1alpha2",
        "kind": "LLMInferenceService",
        "metadata": {"name": case["base"], "namespace": "default"},
        "spec": {"model": {"uri": "hf://base-model", "name": case["base"], "lora": {"adapters": case["adapters"]}}},
    }
    (release,) = releases_of(doc)
    out = llm_storage.check(Resource(0, data), Context(PolicySpec(kserveVersion=release)))
    rejected = [r.field.path for r in out.findings if r.rule == "lora-admission" and r.field is not None]
    assert rejected == case["errors"], case["name"]


@pytest.mark.parametrize(("tag", "doc", "case"), _cases("TestValidateLoRAAdapters_V1Alpha1"))
def test_validate_lora_adapters_v1alpha1(tag: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    model: dict[str, Any] = {"uri": "hf://meta-llama/Llama-2-7b", "name": case["base"]}
    if case["adapters"] is not None:
        model["lora"] = {"adapters": case["adapters"]}
    data = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "LLMInferenceService",
        "metadata": {"name": doc["metadata_name"], "namespace": "default"},
        "spec": {"model": model},
    }
    (release,) = releases_of(doc)
    out = llm_storage.check(Resource(0, data), Context(PolicySpec(kserveVersion=release)))
    rejected = [r for r in out.findings if r.rule == "lora-admission"]
    assert len(rejected) == case["error_count"], case["name"]
    assert [r.field.path for r in rejected if r.field is not None] == case["errors"]


@pytest.mark.parametrize(("release", "doc", "case"), _cases("TestIsUsingTokenizerSidecar", by_release=True))
def test_is_using_tokenizer_sidecar(release: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    found = pods_mounting_the_model(case["spec"], release)
    assert bool(found) is case["want"], found
    assert all("the scheduler's tokenizer, model at /mnt/models/base" in m for m in found)


@pytest.mark.parametrize(("tag", "doc", "case"), _cases("TestIsUsingTokenizerSidecar"))
def test_no_tokenizer_sidecar_before_it_exists(tag: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    """``absent_at``: the release before the first tag that has ``isUsingTokenizerSidecar``."""
    (absent,) = doc["absent_at"]
    assert pods_mounting_the_model(case["spec"], ".".join(absent.removeprefix("v").split(".")[:2])) == []


def test_no_tokenizer_sidecar_with_an_external_pool() -> None:
    """Not a Go test case: v0.20.0 ``scheduler.go`` L174 (the same at v0.18.0 L166) deletes the scheduler
    Deployment, sidecar and all, when ``scheduler.pool.ref`` names an InferencePool; the sidecar
    case above with such a pool mounts nothing."""
    sidecar = {"template": {"containers": [{"name": "tokenizer"}]}}
    assert pods_mounting_the_model({"router": {"scheduler": sidecar}}, "0.20")
    external = {**sidecar, "pool": {"ref": {"name": "external-pool"}}}
    assert pods_mounting_the_model({"router": {"scheduler": external}}, "0.20") == []


def _with_container(container: str) -> dict[str, Any]:
    """The service whose pods KServe gives ``container`` the model mount: the scheduler's tokenizer
    sidecar, or the workload's ``main`` container."""
    if container == "tokenizer":
        return {"router": {"scheduler": {"template": {"containers": [{"name": "tokenizer"}]}}}}
    assert container == "main"
    return {}


@pytest.mark.parametrize(("release", "doc", "case"), _cases("TestAttachPVCModelArtifact_TargetContainer", True))
def test_attach_pvc_model_artifact(release: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    want = case["want_mount"]
    # The claim and subPath KServe parses from the URI, and the volume name it mounts.
    claim_name, sub_path = injector.split_pvc_uri(doc["uri"])
    assert sub_path == want["subPath"]
    assert want["name"] == injector.PVC_VOLUME_NAME
    # Which pods mount the claim: the tokenizer's scheduler pod besides the one workload pod.
    found = pods_mounting_the_model(_with_container(case["container"]), release)
    assert bool(found) is (case["container"] == "tokenizer"), found
    # Read-only whatever the annotation says: a ReadOnlyMany claim is fine, and the rule says why.
    spec = {**_with_container(case["container"]), "model": {"uri": doc["uri"]}}
    service = llm(spec, **{injector.READONLY_ANNOTATION: "false"})
    results = results_at([claim(claim_name, "ReadOnlyMany"), service], release)
    assert want["readOnly"] is True
    assert rule(results, "pvc-read-only-many-writable") == []
    assert len(rule(results, "llm-read-only-ignored")) == 1


def _claims_mounted(volumes: list[dict[str, Any]], mounts: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(claim, mountPath) of each persistentVolumeClaim volume KServe's test expects."""
    paths = {m["name"]: m["mountPath"] for m in mounts}
    claims = [v for v in volumes if "persistentVolumeClaim" in v]
    return {(v["persistentVolumeClaim"]["claimName"], paths[v["name"]]) for v in claims}


def _referenced(secondary: list[dict[str, Any]] | None) -> set[str]:
    """Every pvc.ref name the case's tiers hold (the mounted ones and any others)."""
    found = set()
    for tier in secondary or []:
        name = (((tier.get("fileSystem") or {}).get("pvc") or {}).get("ref") or {}).get("name")
        if name:
            found.add(name)
    return found


@pytest.mark.parametrize(("release", "doc", "case"), _cases("TestAttachKVCacheSecondaryTiers", True))
def test_attach_kv_cache_secondary_tiers(release: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    want = _claims_mounted(case["want_volumes"], case["want_mounts"])
    assert all("readOnly" not in m for m in case["want_mounts"])  # KServe mounts every tier writable
    names = {c for c, _ in want} | _referenced(case["secondary"])
    kv: dict[str, Any] = {"cpu": "10Gi"}
    if case["secondary"] is not None:
        kv["secondary"] = case["secondary"]
    service = llm({"model": {"uri": "hf://org/model"}, "kvCacheOffloading": kv})
    items = [*(claim(n, "ReadOnlyMany") for n in sorted(names)), service]
    writable = rule(results_at(items, release), "pvc-read-only-many-writable")
    got = set()
    for result in writable:
        (name,) = [n for n in names if f"claim {n!r} " in result["message"]]
        (path,) = [p for c, p in want if c == name] or ["(not mounted by KServe)"]
        assert f"at {path}," in result["message"], result["message"]
        got.add((name, path))
    assert got == want
    assert len(writable) == len(want)


@pytest.mark.parametrize(("release", "doc", "case"), _cases("TestIsTokenizerEnabled", by_release=True))
def test_is_tokenizer_enabled(release: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    found = pods_mounting_the_model(case["spec"], release)
    assert bool(found) is case["want"], found
    assert all("the llm-tokenizer Deployment" in m for m in found)


@pytest.mark.parametrize(("release", "doc", "case"), _cases("TestShouldDeleteTokenizer", by_release=True))
def test_should_delete_tokenizer(release: str, doc: dict[str, Any], case: dict[str, Any]) -> None:
    found = pods_mounting_the_model(case["spec"], release)
    assert bool(found) is not case["want"], found
    assert all("the llm-tokenizer Deployment" in m for m in found)


def test_every_data_file_is_run() -> None:
    """A new data file needs a test above (named after its Go test) to mean anything."""
    source = Path(__file__).read_text(encoding="utf-8")
    for path in DATA.glob("kserve-*/*.yaml"):
        assert f'_cases("{path.stem}"' in source, path
