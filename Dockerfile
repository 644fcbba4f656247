# kserve-pvc-fn as a containerized KRM function (kustomize `container:` / kpt `--image`).
#   make image                  # container/rootfs.sh, then $(DOCKER) build (DOCKER=podman works)
#   tests/e2e/image.sh          # podman: sets it up where missing, builds, tags for kustomize and kpt
# One image for every builder: make image, tests/e2e/image.sh (what CI tests) and the release
# workflow (buildx, linux/amd64 + linux/arm64) all build this file on the bases container/rootfs.sh
# makes from Debian 12 packages; nothing is pulled from a registry. The final image holds Python,
# the libraries it links and the venv: no shell, no package manager, no pip. It runs as user 65534
# (nobody) and needs neither network nor a writable filesystem, so it works as kustomize and kpt
# start it (--network none --user nobody --security-opt=no-new-privileges) and with --read-only.
#
# Build inputs:
#   container/rootfs/{build,runtime}-$TARGETARCH.tar   the bases (container/rootfs.sh ARCH)
#   --build-arg VERSION=... REVISION=... SOURCE=...    the OCI labels (make image, image.sh and the
#                                   release workflow fill them in from pyproject.toml and git)
#   --build-arg PIP_INDEX_URL=...   a package index other than PyPI (a mirror holding the locked files)
#   --secret id=pip-ca,src=FILE     a CA bundle for that index (a TLS-intercepting proxy); a secret,
#                                   so it is in no layer and no build history
# Everything the build installs is hash-pinned (requirements/build.txt, requirements/runtime.txt);
# the wheel is built without build isolation, so no unpinned setuptools is fetched (SECURITY.md).
# tests/test_install.py performs the same install steps without a container engine.

FROM scratch AS build-base
ARG TARGETARCH
ADD container/rootfs/build-${TARGETARCH}.tar /

FROM scratch AS runtime-base
ARG TARGETARCH
ADD container/rootfs/runtime-${TARGETARCH}.tar /

FROM build-base AS build
ARG PIP_INDEX_URL=https://pypi.org/simple
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore VENV=/opt/venv
WORKDIR /src
COPY requirements/build.txt requirements/runtime.txt ./requirements/
# The build tools go into their own venv (Debian's Python refuses pip installs into itself); the
# runtime venv gets no pip: nothing installs at run time. Both use /usr/bin/python3, which the
# runtime base holds at the same path and version.
RUN --mount=type=secret,id=pip-ca \
    if [ -f /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && python3 -m venv /opt/build \
 && /opt/build/bin/python -m pip install --require-hashes --no-deps -r requirements/build.txt \
 && python3 -m venv --without-pip "$VENV" \
 && /opt/build/bin/python -m pip --python "$VENV/bin/python" install --require-hashes --no-deps \
      -r requirements/runtime.txt
COPY container/prune_schemas.py ./container/
RUN "$VENV/bin/python" container/prune_schemas.py "$VENV"
COPY pyproject.toml README.md ./
COPY krm_fn ./krm_fn
RUN /opt/build/bin/python -m pip wheel --no-deps --no-build-isolation --no-index --wheel-dir /wheels . \
 && /opt/build/bin/python -m pip --python "$VENV/bin/python" install --no-deps --no-index /wheels/*.whl

# The runtime base is unpacked without maintainer scripts, so its standard library has no bytecode
# (Debian's postinst would compile it). Compile it here, once, and keep only the __pycache__
# folders: the image runs read-only and could not cache them, so every start would recompile.
FROM build-base AS stdlib-bytecode
COPY --from=runtime-base /usr/lib/python3.11 /stdlib
RUN python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash /stdlib \
 && cd /stdlib && find . -name __pycache__ -type d -prune | tar -cf /bytecode.tar -T - \
 && mkdir /bytecode && tar -xf /bytecode.tar -C /bytecode

FROM runtime-base
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="kserve-pvc-fn" \
      org.opencontainers.image.description="KRM function that makes KServe model storage on PersistentVolumeClaims work at render time" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:/usr/bin:/bin PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=stdlib-bytecode /bytecode/ /usr/lib/python3.11/
COPY --from=build /opt/venv /opt/venv
USER 65534:65534
WORKDIR /
ENTRYPOINT ["kserve-pvc-fn"]
