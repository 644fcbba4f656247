"""A collocated transformer must not carry ``STORAGE_URI`` (KServe's ``validateCollocationStorageURI``).

``spec.predictor.containers`` may hold ``kserve-container`` and ``transformer-container`` side by
side (collocation). KServe's InferenceService validation
(``pkg/apis/serving/v1beta1/inference_service_validation.go``, the same at v0.15.2 and v0.20.0)
rejects a ``transformer-container`` whose env has a ``STORAGE_URI`` entry: "storage uri should not
be specified in transformer container". The pod webhook mounts the predictor's model into the
transformer at the same place anyway, so the entry belongs on ``kserve-container``. An error result
on the env entry; nothing is changed. Every KServe version the function knows.
"""

from __future__ import annotations

from krm_fn import injector, kinds
from krm_fn.resource import Resource, mapping
from krm_fn.rulekit import Context, Outcome, RuleDoc, finding

KINDS = {kinds.ISVC}
MARKERS = {"InferenceService": (injector.TRANSFORMER_CONTAINER,)}

TRANSFORMER_STORAGE_URI = RuleDoc(
    "transformer-storage-uri",
    "error",
    False,
    "A `STORAGE_URI` env on the collocated `transformer-container` in `spec.predictor.containers`. KServe rejects "
    'the InferenceService ("storage uri should not be specified in transformer container").',
    "Remove `STORAGE_URI` from the transformer and set it on `kserve-container`: the transformer gets the model "
    "mounted anyway.",
    source="v0.15.2 and v0.20.0 pkg/apis/serving/v1beta1/inference_service_validation.go validateCollocationStorageURI",
)
RULE_DOCS = (TRANSFORMER_STORAGE_URI,)

#: KServe's error text (``StorageUriPresentInTransformerError``).
KSERVE_ERROR = "storage uri should not be specified in transformer container"


def check(res: Resource, ctx: Context) -> Outcome:
    """Report a ``STORAGE_URI`` env on the collocated ``transformer-container`` of the predictor."""
    out = Outcome()
    containers = mapping(mapping(res.data.get("spec")).get("predictor")).get("containers")
    for i, raw in enumerate(containers if isinstance(containers, list) else []):
        container = mapping(raw)
        if container.get("name") != injector.TRANSFORMER_CONTAINER:
            continue
        env = container.get("env")
        for j, var in enumerate(env if isinstance(env, list) else []):
            if mapping(var).get("name") == injector.STORAGE_URI_ENV:
                value = mapping(var).get("value")
                out.findings.append(
                    finding(
                        res,
                        "error",
                        f"KServe rejects this InferenceService: {KSERVE_ERROR!r}. The collocated "
                        f"{injector.TRANSFORMER_CONTAINER!r} gets the predictor's model mounted at "
                        f"{injector.MODEL_DIR} anyway; remove {injector.STORAGE_URI_ENV} from it and set it on "
                        f"{injector.KSERVE_CONTAINER!r}",
                        ("spec", "predictor", "containers", i, "env", j),
                        value if isinstance(value, str) else None,
                        rule=TRANSFORMER_STORAGE_URI.id,
                    )
                )
        break  # KServe looks at the first transformer-container only
    return out
