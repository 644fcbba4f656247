"""Inputs several test modules share: one InferenceService with a file URI, and an environment
without the function's own settings."""

from __future__ import annotations

import os

#: An InferenceService whose sklearn URI names a file; ``.format(name=...)``.
ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: {name}
spec:
  predictor:
    sklearn:
      storageUri: pvc://store/{name}/model.joblib
"""
#: The environment less the ``KSERVE_PVC_FN_*`` settings and ``COLUMNS``: a run as a user starts it.
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("KSERVE_PVC_FN_") and k != "COLUMNS"}
