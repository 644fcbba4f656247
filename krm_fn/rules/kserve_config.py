"""KServe's ``inferenceservice-config`` ConfigMap against ``mountMode`` (SPEC 3.5).

When the bundle holds the ConfigMap ``inferenceservice-config`` (``v1``, any namespace), its
``data.storageInitializer`` JSON is read:

- ``enableDirectPvcVolumeMount`` decides KServe 0.11-0.15's mode: ``true`` is direct, ``false`` or
  unset (Go's zero value) is copy. With ``kserveVersion`` <= 0.15 a disagreement with ``mountMode``
  is a warning; with ``manageKServeConfig: true`` the key is set to agree (an info result), the
  rest of the JSON text kept as it was. From KServe 0.16 on the key is ignored and direct is the
  only mode (kserve/kserve#4694): a key that is still there is an info result saying so, and nothing
  is rewritten.
- In copy mode, an ``image``, ``cpuRequest``, ``cpuLimit``, ``memoryRequest`` or ``memoryLimit``
  that differs from ``spec.storageInitializer`` is a warning: the rendered init container would
  differ from the one KServe's webhook builds (the webhook then leaves the rendered one alone).
- Unreadable JSON is a warning (nothing to compare).
"""

from __future__ import annotations

import json
import re

from krm_fn import pvc_uri
from krm_fn.kserve_facts import Feature, holds
from krm_fn.resource import Resource, mapping
from krm_fn.results import Result, Severity
from krm_fn.rulekit import Change, Context, Outcome, RuleDoc, finding

CONFIGMAP_NAME = "inferenceservice-config"
DATA_KEY = "storageInitializer"
DIRECT_KEY = "enableDirectPvcVolumeMount"
INITIALIZER_FIELDS = ("image", "cpuRequest", "cpuLimit", "memoryRequest", "memoryLimit")

KINDS = {("", "ConfigMap")}
MARKERS = {"ConfigMap": (CONFIGMAP_NAME,)}

_FIELD = ("data", DATA_KEY)

MOUNT_MODE = RuleDoc(
    "kserve-config-mount-mode",
    "warning",
    True,
    "KServe's `inferenceservice-config` `enableDirectPvcVolumeMount` disagreeing with `mountMode` (KServe 0.11-0.15: "
    "`true` is direct, `false` or unset copy), rewritten only with `manageKServeConfig: true`; from 0.16 the key is "
    "ignored and a key still there is an info result.",
    "Make the key agree with `mountMode`, set `manageKServeConfig: true`, or (0.16+) remove it.",
    facts=(Feature.DIRECT_KEY_IGNORED,),
)
INITIALIZER = RuleDoc(
    "kserve-config-initializer",
    "warning",
    False,
    "In copy mode, an `inferenceservice-config` storage-initializer `image` or resource that differs from "
    "`spec.storageInitializer`, or `storageInitializer` JSON that cannot be read: the rendered init container "
    "differs from KServe's.",
    "Make `spec.storageInitializer` match the ConfigMap.",
    source="v0.15.2 storage_initializer_injector.go (the webhook reads the ConfigMap's storageInitializer)",
)
RULE_DOCS = (MOUNT_MODE, INITIALIZER)


def _set_direct(text: str, value: bool) -> str:
    """``text`` with ``enableDirectPvcVolumeMount`` set, keeping the rest of the JSON text as it is."""
    literal = "true" if value else "false"
    want = {**json.loads(text), DIRECT_KEY: value}
    pattern = re.compile(r'("' + DIRECT_KEY + r'"\s*:\s*)(true|false|null|"[^"]*"|-?\d+)')
    if pattern.search(text):
        new = pattern.sub(lambda m: m.group(1) + literal, text, count=1)
    else:
        close = text.rstrip().rfind("}")
        body = text[:close].rstrip()
        sep = "" if body.endswith("{") else ","
        indent = re.search(r'^([ \t]+)"', text, re.MULTILINE)
        if indent is not None:
            entry = f'{sep}\n{indent.group(1)}"{DIRECT_KEY}": {literal}\n'
        else:
            entry = f'{sep} "{DIRECT_KEY}": {literal}' if sep else f'"{DIRECT_KEY}": {literal}'
        new = body + entry + text[close:]
    try:
        if json.loads(new) == want:
            return new
    except json.JSONDecodeError:
        pass
    return json.dumps(want, indent=2)  # an unusual layout: re-serialize rather than guess


def check(res: Resource, ctx: Context) -> Outcome:
    """Compare one ConfigMap, if it is KServe's ``inferenceservice-config``, with the policy."""
    out = Outcome()
    if res.name != CONFIGMAP_NAME or res.api_version != "v1":
        return out
    raw = mapping(res.data.get("data")).get(DATA_KEY)
    if not isinstance(raw, str):
        return out
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as err:
        # A chart's values.yaml or a template left unrendered: say that, not where the JSON broke.
        what = "holds an unexpanded template placeholder" if pvc_uri.has_template(raw) else f"is not valid JSON ({err})"
        out.findings.append(_result(res, "warning", f"{CONFIGMAP_NAME} {DATA_KEY} {what}; not compared", INITIALIZER))
        return out
    if not isinstance(config, dict):
        return out
    policy = ctx.spec
    direct = config.get(DIRECT_KEY)
    kserve_mode = "direct" if direct is True else "copy"
    if holds(policy, Feature.DIRECT_KEY_IGNORED):
        if DIRECT_KEY in config:
            out.findings.append(
                _result(
                    res,
                    "info",
                    f"{CONFIGMAP_NAME} has {DIRECT_KEY}: {json.dumps(direct)}, which KServe "
                    f"{policy.kserveVersion} ignores: from 0.16 on InferenceService claims are always mounted "
                    f"directly at /mnt/models (kserve/kserve#4694); the key can be removed",
                    MOUNT_MODE,
                )
            )
    elif kserve_mode != policy.mountMode:
        shown = "unset" if DIRECT_KEY not in config else json.dumps(direct)
        message = (
            f"{CONFIGMAP_NAME} has {DIRECT_KEY}: {shown}, which is {kserve_mode} mode on KServe 0.11-0.15, "
            f"but mountMode is {policy.mountMode} (from KServe 0.16 on the key is ignored and direct is the only mode)"
        )
        if policy.manageKServeConfig:
            new = _set_direct(raw, policy.mountMode == "direct")
            out.changes.append(
                Change(
                    _FIELD,
                    raw,
                    new,
                    f"{message}; set {DIRECT_KEY}: {json.dumps(policy.mountMode == 'direct')}",
                    MOUNT_MODE.id,
                )
            )
        else:
            out.findings.append(
                _result(res, "warning", f"{message}; set manageKServeConfig: true to rewrite it", MOUNT_MODE)
            )
    if policy.mountMode == "copy":
        wanted = policy.storageInitializer.model_dump()
        for key in INITIALIZER_FIELDS:
            have = config.get(key)
            if have is not None and have != "" and str(have) != wanted[key]:
                out.findings.append(
                    _result(
                        res,
                        "warning",
                        f"{CONFIGMAP_NAME} {DATA_KEY}.{key} is {have!r}, but the policy's "
                        f"spec.storageInitializer.{key} is {wanted[key]!r}: the rendered storage-initializer "
                        "differs from the one KServe would build",
                        INITIALIZER,
                    )
                )
    return out


def _result(res: Resource, severity: Severity, message: str, rule: RuleDoc) -> Result:
    return finding(res, severity, message, _FIELD, rule=rule.id)
