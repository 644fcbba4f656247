"""What KServe does, by release: one row per release-dependent behaviour (SPEC 2A, 2B).

The model is black's ``TargetVersion`` -> ``Feature`` table: a rule never compares version
numbers itself, it asks :func:`holds` whether a :class:`Feature` holds for the configured
``kserveVersion``. Each row says the release the behaviour starts at, the last release it holds
for (``None``: still so at the newest source read, master ``aaac4e29``), where it was read (tag,
file and line, or the PR), what it means, and whether its 0.21 behaviour is *inferred* (from a PR
merged before the 0.21.0 release PR, kserve/kserve#6160) rather than read: KServe v0.21.0's Go source
was not readable when these rows were written (SPEC 2B). The "by release" tables of
``docs/inferenceservice.md`` and ``docs/pods.md`` are generated from this table
(``python -m krm_fn.docs``; ``tests/test_kserve_facts.py`` keeps them fresh).

``kserveVersion`` newer than :data:`NEWEST` (or a release that does not exist, such as ``1.0``)
is judged as :data:`NEWEST`; :func:`version_note` is the one info result that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from krm_fn.config import PolicySpec

Release = tuple[int, int]

#: Every KServe release the table knows, oldest first; the last one is the default ``kserveVersion``.
RELEASES: tuple[Release, ...] = tuple((0, minor) for minor in range(11, 22))
NEWEST: Release = RELEASES[-1]
NEWEST_TEXT = f"{NEWEST[0]}.{NEWEST[1]}"
#: Which generated docs table a row belongs to.
Doc = Literal["inferenceservice", "pods"]


class Feature(Enum):
    """A release-dependent KServe behaviour; its row in :data:`FACTS` says when and where."""

    DIRECT_PVC_DEFAULT = "direct-pvc-default"
    COPY_PATH_REMOVED = "copy-path-removed"
    STORAGE_URIS = "storage-uris"
    STORAGE_URIS_PATH_DROPPED = "storage-uris-path-dropped"
    STORAGE_URIS_VOLUME_NAME_RAW = "storage-uris-volume-name-raw"
    STORAGE_URIS_DOWNLOAD_VOLUME_SHARED = "storage-uris-download-volume-shared"
    KNATIVE_STORAGE_URIS_LOGGED = "knative-storage-uris-logged"
    CANARY_PREDICTORS = "canary-predictors"
    CANARY_NO_STORAGE_URIS = "canary-no-storage-uris"
    STORAGE_CONTAINER_NAME = "storage-container-name"
    STORAGE_CONTAINER_FIRST_URI = "storage-container-first-uri"
    LLM_READ_ONLY = "llm-read-only"
    LLM_INITIALIZER_DISABLED = "llm-initializer-disabled"
    LORA_PVC_ADAPTERS = "lora-pvc-adapters"
    LORA_VOLUME_NAME_RAW = "lora-volume-name-raw"
    LORA_ADMISSION_V1ALPHA2 = "lora-admission-v1alpha2"
    LORA_ADMISSION_V1ALPHA1 = "lora-admission-v1alpha1"
    TOKENIZER_SIDECAR = "tokenizer-sidecar"
    TOKENIZER_DEPLOYMENT = "tokenizer-deployment"
    KV_CACHE_OFFLOADING = "kv-cache-offloading"
    DIRECT_KEY_IGNORED = "direct-key-ignored"


@dataclass(frozen=True)
class Fact:
    """One row: ``feature`` holds from ``since`` through ``until`` (inclusive; ``None``: no end known)."""

    feature: Feature
    since: Release
    until: Release | None
    source: str
    meaning: str
    doc: Doc
    #: The row's 0.21 behaviour comes from a PR thread, not from reading v0.21.0's source.
    inferred: bool = False

    def holds_for(self, release: Release) -> bool:
        """Whether the behaviour is KServe's at ``release``."""
        return self.since <= release and (self.until is None or release <= self.until)

    @property
    def releases(self) -> str:
        """The releases as the docs write them: ``0.16+``, ``0.16-0.20``, ``0.21``."""
        since = _text(self.since)
        if self.until is None:
            return f"{since}+"
        return since if self.until == self.since else f"{since}-{_text(self.until)}"


def _text(release: Release) -> str:
    return f"{release[0]}.{release[1]}"


_V020 = "v0.20.0"
_INJECTOR = f"{_V020} pkg/webhook/admission/pod/storage_initializer_injector.go"
_LLMISVC = f"{_V020} pkg/controller/v1alpha2/llmisvc"

FACTS: tuple[Fact, ...] = (
    Fact(
        Feature.DIRECT_PVC_DEFAULT,
        (0, 12),
        None,
        "kserve/kserve#3371 (v0.12.0 config/configmap/inferenceservice.yaml L99: enableDirectPvcVolumeMount true)",
        "direct mode (the claim mounted at /mnt/models with the path as subPath) is the default",
        "pods",
    ),
    Fact(
        Feature.COPY_PATH_REMOVED,
        (0, 16),
        None,
        "kserve/kserve#4694 (v0.15.2 pkg/webhook/admission/pod/storage_initializer_injector.go L69, L285: the "
        "switch and the copy path; gone at v0.16.0)",
        "the webhook's copy path is gone: InferenceService claims are always mounted directly; a rendered "
        "pod that already has a storage-initializer is left alone",
        "pods",
    ),
    Fact(
        Feature.DIRECT_KEY_IGNORED,
        (0, 16),
        None,
        "kserve/kserve#4694 (v0.15.2 storage_initializer_injector.go L69 reads the key; v0.16.0 has no such field)",
        "inferenceservice-config's enableDirectPvcVolumeMount is ignored (before 0.16, false or unset is copy mode)",
        "pods",
    ),
    Fact(
        Feature.STORAGE_URIS,
        (0, 16),
        None,
        "kserve/kserve#4702; v0.20.0 pkg/apis/serving/v1beta1/inference_service_validation.go L728, L761, L806",
        "components accept storageUris (uri, mountPath); validated and mounted by the controller",
        "inferenceservice",
    ),
    Fact(
        Feature.STORAGE_URIS_PATH_DROPPED,
        (0, 16),
        None,
        f'{_INJECTOR} L455-473 (CommonStorageInitialization, plural branch: L457 drops the path, L464 subPath "")',
        'a pvc:// storageUris entry is mounted with subPath "": the path after the claim is thrown away',
        "inferenceservice",
    ),
    Fact(
        Feature.STORAGE_URIS_VOLUME_NAME_RAW,
        (0, 16),
        (0, 20),
        "v0.20.0 pkg/utils/storage.go L236-239 GetVolumeNameFromPath; fixed by kserve/kserve#6077",
        "the storageUris volume name is mountPath with '/' as '-', unchecked: uppercase, '_', '.' or more "
        "than 63 characters make an invalid pod",
        "inferenceservice",
        inferred=True,
    ),
    Fact(
        Feature.STORAGE_URIS_DOWNLOAD_VOLUME_SHARED,
        (0, 16),
        None,
        f"{_INJECTOR} L455-507; pkg/utils/storage.go L136 (init containers mount writable)",
        "non-PVC entries share one emptyDir named after their common parent mount path; a PVC entry on that "
        "path takes its volume name, so the storage-initializer writes into the user's claim",
        "inferenceservice",
    ),
    Fact(
        Feature.KNATIVE_STORAGE_URIS_LOGGED,
        (0, 16),
        None,
        f"{_V020} pkg/controller/v1beta1/inferenceservice/reconcilers/knative/ksvc_reconciler.go L186-189",
        "in Knative (Serverless) mode a storageUris error is only logged: the Service is created without the mounts",
        "inferenceservice",
    ),
    Fact(
        Feature.CANARY_PREDICTORS,
        (0, 20),
        None,
        "kserve/kserve#5672 (v0.20.0 pkg/apis/serving/v1beta1/inference_service.go L42)",
        "spec.canary[*].predictor: canary Deployments beside the predictor",
        "inferenceservice",
    ),
    Fact(
        Feature.CANARY_NO_STORAGE_URIS,
        (0, 20),
        None,
        f"{_V020} pkg/controller/v1beta1/inferenceservice/components/predictor.go L913-941 "
        "(reconcileCanaryDeployments passes nil storageUris)",
        "canary Deployments get no storageUris mounts and skip validateMultipleStorageURIs",
        "inferenceservice",
    ),
    Fact(
        Feature.STORAGE_CONTAINER_NAME,
        (0, 20),
        None,
        f"kserve/kserve#5314; {_INJECTOR} L158-183 GetStorageContainerSpecByName",
        "predictor.storageContainerName names a ClusterStorageContainer; admission fails when it is disabled "
        "(top-level disabled, storage_container_types.go L68, L83), not an initContainer, or does not support the URI",
        "inferenceservice",
    ),
    Fact(
        Feature.STORAGE_CONTAINER_FIRST_URI,
        (0, 20),
        None,
        f"{_V020} pkg/controller/v1beta1/inferenceservice/components/predictor.go L782-787; "
        "storage_initializer_injector.go L422-426",
        "with storageUris, only storageUris[0] is matched, and the reconcile fails unless the container has "
        "supportsMultiModelDownload: true",
        "inferenceservice",
    ),
    Fact(
        Feature.LLM_READ_ONLY,
        (0, 16),
        None,
        f"{_LLMISVC}/workload_storage.go L253-265 (L262 ReadOnly: true); v0.16.0 pkg/controller/v1alpha1/llmisvc/"
        "workload_storage.go L128",
        "an LLMInferenceService claim is always mounted read-only (storage.kserve.io/readonly is ignored)",
        "inferenceservice",
    ),
    Fact(
        Feature.LLM_INITIALIZER_DISABLED,
        (0, 17),
        None,
        f"kserve/kserve#4970; {_LLMISVC}/workload_storage.go L97-104, workload_lora.go L102-105",
        "spec.storageInitializer.enabled: false mounts no model at all (pvc:// included) and rejects pvc:// adapters",
        "inferenceservice",
    ),
    Fact(
        Feature.LORA_PVC_ADAPTERS,
        (0, 19),
        None,
        f"kserve/kserve#5317; {_LLMISVC}/workload_lora.go L41, L156, L280-288",
        "a pvc:// LoRA adapter is mounted read-only at /mnt/lora/<name>, volume lora-pvc-<name>",
        "inferenceservice",
    ),
    Fact(
        Feature.LORA_VOLUME_NAME_RAW,
        (0, 19),
        (0, 20),
        f"{_LLMISVC}/workload_lora.go L156 (kmeta.ChildName); fixed by kserve/kserve#6077",
        "lora-pvc-<adapter name> is used as the volume name unchecked: uppercase, '_', '.' or '/' make an invalid pod",
        "inferenceservice",
        inferred=True,
    ),
    Fact(
        Feature.LORA_ADMISSION_V1ALPHA2,
        (0, 19),
        None,
        f"{_V020} pkg/apis/serving/v1alpha2/llm_inference_service_validation.go L420-487",
        "v1alpha2 LoRA adapters are rejected at admission when a name is missing, '.', '..', a duplicate, or the "
        "base model's name",
        "inferenceservice",
    ),
    Fact(
        Feature.LORA_ADMISSION_V1ALPHA1,
        (0, 21),
        None,
        "kserve/kserve#5938 (master aaac4e29 TestValidateLoRAAdapters_V1Alpha1)",
        "the same LoRA admission checks for v1alpha1",
        "inferenceservice",
        inferred=True,
    ),
    Fact(
        Feature.TOKENIZER_SIDECAR,
        (0, 18),
        None,
        "kserve/kserve#5121; v0.18.0 pkg/controller/v1alpha2/llmisvc/scheduler.go L402 isUsingTokenizerSidecar, L435 "
        "(at v0.20.0 L424, L457)",
        "a scheduler with a tokenizer sidecar mounts the model claim read-only at /mnt/models/base",
        "inferenceservice",
    ),
    Fact(
        Feature.TOKENIZER_DEPLOYMENT,
        (0, 21),
        None,
        "kserve/kserve#5712 (master aaac4e29 pkg/controller/v1alpha2/llmisvc/tokenizer.go L84-92, L191, L255-256)",
        "a standalone <name>-tokenizer Deployment (1 replica) mounts the model claim when spec.router.scheduler."
        "tokenizer is set or the scheduler config has a token-producer or precise-prefix-cache-scorer plugin",
        "inferenceservice",
        inferred=True,
    ),
    Fact(
        Feature.KV_CACHE_OFFLOADING,
        (0, 20),
        None,
        f"kserve/kserve#5740; {_LLMISVC}/workload_kvcache.go L61-79",
        "kvCacheOffloading.secondary[*].fileSystem.pvc.ref mounts an existing claim writable at /mnt/kv-cache-<i> "
        "in every main, leader, worker and prefill pod",
        "inferenceservice",
    ),
)

BY_FEATURE: dict[Feature, Fact] = {fact.feature: fact for fact in FACTS}


def configured(spec: PolicySpec) -> Release:
    """``spec.kserveVersion`` as ``(major, minor)``, as written (the config keeps ``major.minor``)."""
    major, _, minor = spec.kserveVersion.partition(".")
    return int(major), int(minor)


def judged(spec: PolicySpec) -> Release:
    """The release the rules judge: the configured one, or :data:`NEWEST` when it is newer or unknown."""
    release = configured(spec)
    return release if release in RELEASES or release < RELEASES[0] else NEWEST


def holds(spec: PolicySpec, feature: Feature) -> bool:
    """Whether ``feature`` is KServe's behaviour in the release ``spec`` describes."""
    return BY_FEATURE[feature].holds_for(judged(spec))


def version_note(spec: PolicySpec) -> str | None:
    """The info message for a ``kserveVersion`` judged as another release, or None."""
    release = configured(spec)
    if judged(spec) == release:
        return None
    return (
        f"kserveVersion {spec.kserveVersion} is not a KServe release this function knows (the newest is "
        f"{NEWEST_TEXT}); it is judged as {NEWEST_TEXT}"
    )


def table(doc: Doc, rules: dict[Feature, list[str]] | None = None) -> str:
    """The markdown "by release" table of one doc: every row of :data:`FACTS` for it."""
    rules = rules or {}
    rows = [
        "| behaviour | KServe releases | rules | source |",
        "| --- | --- | --- | --- |",
    ]
    for fact in FACTS:
        if fact.doc != doc:
            continue
        releases = fact.releases + (" (0.21 inferred from the PR)" if fact.inferred else "")
        ids = ", ".join(f"[`{r}`](rules.md#{r})" for r in rules.get(fact.feature, [])) or "—"
        rows.append(f"| {fact.meaning} | {releases} | {ids} | {fact.source} |")
    return "\n".join(rows)
