# kserve-pvc-fn as a containerized KRM function (kustomize `container:` / kpt `--image`).
#   make image    # docker build -t kserve-pvc-fn:dev .
# Runs as user 65534 (nobody) and needs neither network nor a writable filesystem at run time,
# which is how kustomize and kpt start it (--network none --user nobody --security-opt=no-new-privileges).
# tests/test_install.py performs the same install steps without Docker.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 VENV=/opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY requirements/runtime.txt ./requirements/runtime.txt
COPY krm_fn ./krm_fn
RUN python -m pip wheel --no-deps --wheel-dir /wheels .
# Dependencies only from the hash-pinned requirements (SECURITY.md: supply chain), then the wheel
# itself without resolving anything. The runtime venv gets no pip: nothing installs at run time.
RUN python -m venv --without-pip "$VENV" \
 && python -m pip --python "$VENV/bin/python" install --require-hashes --no-deps -r requirements/runtime.txt \
 && python -m pip --python "$VENV/bin/python" install --no-deps /wheels/*.whl
# kubernetes-validate ships ~100 MB of schemas; krm_fn.validation reads only the non-strict
# `_definitions.json` and the pod-bearing kinds (VALIDATED_KINDS) of each version. Every version
# is kept, since spec.kubernetesVersion may pick any of them.
RUN schemas="$(echo "$VENV"/lib/python3*/site-packages/kubernetes_validate/kubernetes-json-schema)" \
 && test -d "$schemas" \
 && find "$schemas" -mindepth 1 -maxdepth 1 -type d -name '*-strict' -exec rm -rf {} + \
 && find "$schemas" -type f -name '*.json' ! -name '_definitions.json' \
      ! -name 'pod-*' ! -name 'podtemplate-*' ! -name 'deployment-*' ! -name 'statefulset-*' \
      ! -name 'daemonset-*' ! -name 'replicaset-*' ! -name 'job-*' ! -name 'cronjob-*' -delete

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /opt/venv /opt/venv
USER 65534:65534
WORKDIR /
ENTRYPOINT ["kserve-pvc-fn"]
