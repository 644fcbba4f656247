# kserve-pvc-fn as a containerized KRM function (kustomize `container:` / kpt `--image`).
#   make image                  # $(DOCKER) build -t kserve-pvc-fn:dev .  (DOCKER=podman works)
#   tests/e2e/image.sh          # podman: sets it up where missing, builds, tags for kustomize and kpt
# Runs as user 65534 (nobody) and needs neither network nor a writable filesystem at run time,
# which is how kustomize and kpt start it (--network none --user nobody --security-opt=no-new-privileges).
#
# Build inputs:
#   --build-arg PYTHON_IMAGE=...    the base (default python:3.12-slim-bookworm)
#   --build-arg PIP_INDEX_URL=...   a package index other than PyPI (a mirror holding the locked files)
#   --secret id=pip-ca,src=FILE     a CA bundle for that index (a TLS-intercepting proxy); a secret,
#                                   so it is in no layer and no build history
# Everything the build installs is hash-pinned (requirements/build.txt, requirements/runtime.txt);
# the wheel is built without build isolation, so no unpinned setuptools is fetched (SECURITY.md).
# tests/test_install.py performs the same install steps without a container engine.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG PIP_INDEX_URL=https://pypi.org/simple
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore VENV=/opt/venv
WORKDIR /src
COPY requirements/build.txt requirements/runtime.txt ./requirements/
# The build tools go into their own venv (a distribution's system Python refuses pip installs);
# the runtime venv gets no pip: nothing installs at run time.
RUN --mount=type=secret,id=pip-ca \
    if [ -f /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && python -m venv /opt/build \
 && /opt/build/bin/python -m pip install --require-hashes --no-deps -r requirements/build.txt \
 && python -m venv --without-pip "$VENV" \
 && /opt/build/bin/python -m pip --python "$VENV/bin/python" install --require-hashes --no-deps \
      -r requirements/runtime.txt
COPY container/prune_schemas.py ./container/
RUN "$VENV/bin/python" container/prune_schemas.py "$VENV"
COPY pyproject.toml README.md ./
COPY krm_fn ./krm_fn
RUN /opt/build/bin/python -m pip wheel --no-deps --no-build-isolation --no-index --wheel-dir /wheels . \
 && /opt/build/bin/python -m pip --python "$VENV/bin/python" install --no-deps --no-index /wheels/*.whl

FROM ${PYTHON_IMAGE}
# The README promises no pip at run time: drop the base image's pip, the wheels ensurepip would
# install it from, and the pip commands, then prove `python -m pip` is gone.
RUN set -eu; \
    for dir in $(python -c 'import site, sysconfig; print(" ".join([*site.getsitepackages(), sysconfig.get_path("stdlib")]))'); do \
      rm -rf "$dir"/pip "$dir"/pip-*.dist-info "$dir"/ensurepip/_bundled; \
    done; \
    rm -rf /usr/share/python-wheels /usr/local/bin/pip /usr/local/bin/pip3* /usr/bin/pip /usr/bin/pip3*; \
    if python -m pip --version >/dev/null 2>&1; then echo "pip is still importable" >&2; exit 1; fi
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /opt/venv /opt/venv
USER 65534:65534
WORKDIR /
ENTRYPOINT ["kserve-pvc-fn"]
