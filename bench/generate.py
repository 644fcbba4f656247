"""Synthetic ResourceLists for the benchmark: what a kustomize or kpt render hands the function.

A quarter of the items are targets (InferenceServices with file URIs, Pods carrying KServe's
source-URI annotation); the rest are Deployments and ConfigMaps. Every item has the path and index
annotations that kustomize and kpt add, and the text has comments, block scalars, flow collections
and quoted strings, so that the benchmark pays for the same YAML features a real render has.
The output is deterministic: the same size always gives the same bytes.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HEADER = """\
# Rendered by kustomize build --enable-alpha-plugins (synthetic benchmark bundle)
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
"""

_FOOTER = """\
functionConfig:
  apiVersion: fn.kserve-pvc.dev/v1alpha1
  kind: PvcMountPolicy
  metadata:
    name: pvc-policy
    annotations:
      config.kubernetes.io/local-config: "true"
  spec:
    mountMode: direct
"""

_FRAMEWORKS = (
    ("sklearn", "model.joblib"),
    ("xgboost", "model.bst"),
    ("lightgbm", "model.bst"),
    ("onnx", "model.onnx"),
)


def _annotations(path: str, index: int) -> str:
    return (
        "    annotations:\n"
        f"      config.kubernetes.io/index: '{index}'\n"
        f"      internal.config.kubernetes.io/index: '{index}'\n"
        f"      config.kubernetes.io/path: '{path}'\n"
        f"      internal.config.kubernetes.io/path: '{path}'\n"
    )


def _inference_service(i: int) -> str:
    framework, file_name = _FRAMEWORKS[i % len(_FRAMEWORKS)]
    return (
        f"# --- model {i}: exported by the training pipeline\n"
        "- apiVersion: serving.kserve.io/v1beta1\n"
        "  kind: InferenceService\n"
        "  metadata:\n"
        f"    name: model-{i}\n"
        f"    namespace: team-{i % 7}\n"
        f'    labels: {{app: model-{i}, tier: "serving"}}\n' + _annotations(f"models/model-{i}.yaml", 0) + "  spec:\n"
        "    predictor:\n"
        "      minReplicas: 1\n"
        "      model:\n"
        "        modelFormat:\n"
        f"          name: {framework}\n"
        "        # the trained artifact, as written by the exporter\n"
        f"        storageUri: pvc://model-store/models/{framework}/{i}/{file_name}\n"
        "        resources:\n"
        '          limits: {cpu: "1", memory: 2Gi}\n'
        "          requests:\n"
        '            cpu: "100m"\n'
        "            memory: 512Mi\n"
    )


def _pod(i: int) -> str:
    return (
        "- apiVersion: v1\n"
        "  kind: Pod\n"
        "  metadata:\n"
        f"    name: predictor-{i}\n"
        f"    namespace: team-{i % 7}\n"
        + _annotations(f"pods/predictor-{i}.yaml", 0)
        + f"      internal.serving.kserve.io/storage-initializer-sourceuri: pvc://model-store/models/pod/{i}/model.joblib\n"
        "  spec:\n"
        "    containers:\n"
        "    - name: kserve-container   # the model server\n"
        "      image: kserve/sklearnserver:v0.15.0\n"
        '      args: ["--model_name", "iris", "--model_dir", "/mnt/models"]\n'
        "      env:\n"
        "      - name: STORAGE_URI\n"
        f"        value: pvc://model-store/models/pod/{i}/model.joblib\n"
        "      ports:\n"
        "      - containerPort: 8080\n"
        "        protocol: TCP\n"
    )


def _deployment(i: int) -> str:
    return (
        "- apiVersion: apps/v1\n"
        "  kind: Deployment\n"
        "  metadata:\n"
        f"    name: web-{i}\n"
        f"    namespace: team-{i % 7}\n"
        f'    labels: {{app: web-{i}, tier: "frontend"}}\n' + _annotations(f"apps/web-{i}.yaml", 0) + "  spec:\n"
        "    replicas: 3   # scaled by the HPA in production\n"
        "    selector:\n"
        "      matchLabels:\n"
        f"        app: web-{i}\n"
        "    template:\n"
        "      metadata:\n"
        "        labels:\n"
        f"          app: web-{i}\n"
        "      spec:\n"
        "        containers:\n"
        "          - name: web            # indented sequence, as some generators write it\n"
        "            image: nginx:1.27\n"
        "            args: [\"--port\", '8080']\n"
        "            env:\n"
        '              - {name: MODE, value: "0755"}\n'
        "              - name: GREETING\n"
        "                value: 'yes'\n"
        "            resources:\n"
        "              requests: {cpu: 50m, memory: 64Mi}\n"
        "            volumeMounts:\n"
        "              - name: config\n"
        "                mountPath: /etc/web\n"
        "        volumes:\n"
        "          - name: config\n"
        "            configMap:\n"
        f"              name: settings-{i}\n"
    )


def _config_map(i: int) -> str:
    return (
        "- apiVersion: v1\n"
        "  kind: ConfigMap\n"
        "  metadata:\n"
        f"    name: settings-{i}   # keep this comment\n"
        f"    namespace: team-{i % 7}\n" + _annotations(f"apps/settings-{i}.yaml", 1) + "  data:\n"
        '    mode: "0755"\n'
        "    enabled: 'yes'\n"
        '    "quoted key": plain value\n'
        "    script: |\n"
        "      #!/bin/sh\n"
        "      # a block scalar that mentions a URI without being one\n"
        '      echo "model at pvc://model-store/models/iris/model.joblib"\n'
        "      exec nginx -g 'daemon off;'\n"
        "    folded: >-\n"
        "      one\n"
        "      two\n"
        "    inline: {a: 1, b: [x, y]}\n"
    )


def item(i: int) -> str:
    """The text of item ``i``: every fourth one a target (InferenceService or Pod, alternating)."""
    if i % 4 == 0:
        return _inference_service(i) if i % 8 == 0 else _pod(i)
    return _deployment(i) if i % 2 else _config_map(i)


def resource_list(count: int) -> str:
    """A ResourceList of ``count`` items, with a functionConfig."""
    return _HEADER + "".join(item(i) for i in range(count)) + _FOOTER


def write(count: int, path: Path) -> None:
    """Write the ResourceList of ``count`` items to ``path``, unless it already holds exactly that."""
    text = resource_list(count)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    # generate.py [COUNT [PATH]]: to PATH, or to stdout.
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if len(sys.argv) > 2:
        write(size, Path(sys.argv[2]))
    else:
        sys.stdout.write(resource_list(size))
