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

from krm_fn.resource import Resource, mapping
from krm_fn.results import Field, Result, Severity
from krm_fn.rules import Change, Context, Outcome, kserve_in

CONFIGMAP_NAME = "inferenceservice-config"
DATA_KEY = "storageInitializer"
DIRECT_KEY = "enableDirectPvcVolumeMount"
INITIALIZER_FIELDS = ("image", "cpuRequest", "cpuLimit", "memoryRequest", "memoryLimit")

KINDS = {("", "ConfigMap")}
MARKERS = {"ConfigMap": (CONFIGMAP_NAME,)}

_FIELD = ("data", DATA_KEY)
#: The release that removed ``enableDirectPvcVolumeMount`` (kserve/kserve#4694).
DIRECT_KEY_IGNORED = (0, 16)


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
        out.findings.append(
            _result(res, "warning", f"{CONFIGMAP_NAME} {DATA_KEY} is not valid JSON ({err}); not compared")
        )
        return out
    if not isinstance(config, dict):
        return out
    policy = ctx.spec
    direct = config.get(DIRECT_KEY)
    kserve_mode = "direct" if direct is True else "copy"
    if kserve_in(policy, DIRECT_KEY_IGNORED):
        if DIRECT_KEY in config:
            out.findings.append(
                _result(
                    res,
                    "info",
                    f"{CONFIGMAP_NAME} has {DIRECT_KEY}: {json.dumps(direct)}, which KServe "
                    f"{policy.kserveVersion} ignores: from 0.16 on InferenceService claims are always mounted "
                    f"directly at /mnt/models (kserve/kserve#4694); the key can be removed",
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
                Change(_FIELD, raw, new, f"{message}; set {DIRECT_KEY}: {json.dumps(policy.mountMode == 'direct')}")
            )
        else:
            out.findings.append(_result(res, "warning", f"{message}; set manageKServeConfig: true to rewrite it"))
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
                    )
                )
    return out


def _result(res: Resource, severity: Severity, message: str) -> Result:
    return Result(message, severity, res.ref, Field(".".join(_FIELD)), res.file)
