#!/usr/bin/env bash
# Build the real image with podman and tag it the way kustomize and kpt ask for it:
#   localhost/kserve-pvc-fn:dev          (kustomize `image: kserve-pvc-fn:dev`, podman's short name)
#   docker.io/library/kserve-pvc-fn:dev  (kpt: a name without a registry gets ghcr.io/kptdev/krm-functions-catalog/)
#
# Idempotent; for a developer and for .ci/run alike. On a Debian 12 machine as root it installs and
# configures what is missing:
# - podman, runc, mmdebstrap (apt); for PLATFORM, also qemu-user-static, binfmt-support and arch-test
#   (install them yourself: they register binfmt handlers on the host). runc, not crun: crun fails on hosts with hybrid cgroups.
# - /etc/containers/containers.conf: runc, and ulimits within what a process without
#   CAP_SYS_RESOURCE may set (podman's defaults fail there). Written only if absent.
# - /etc/containers/storage.conf: the overlay driver (containers start in ~0.15 s, vfs ~1.5 s).
#   Written only if absent and no storage exists yet (switching drivers orphans existing images).
# The bases come from container/rootfs.sh (Debian 12 packages, mmdebstrap), as for `make image` and
# the release workflow: CI tests the image users and releases build, and nothing is pulled.
#
# Environment: DOCKER (default podman), CA_BUNDLE (default the host's bundle, passed to the build as
# the secret `pip-ca`), PIP_INDEX_URL (passed as a build argument), PLATFORM (e.g. linux/arm64: build
# for that platform under qemu-user-static, tagged kserve-pvc-fn:dev-ARCH, nothing else tagged).
set -euo pipefail
cd "$(dirname "$0")/../.."

DOCKER=${DOCKER:-podman}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
log() { echo "image.sh: $*" >&2; }

if [ "$DOCKER" = podman ]; then
  missing=()
  for tool in podman runc mmdebstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { log "needs ${missing[*]} (as root: apt-get install podman runc mmdebstrap)"; exit 1; }
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      podman runc mmdebstrap ca-certificates >/dev/null
  fi
  if [ "$(id -u)" = 0 ]; then
    mkdir -p /etc/containers
    if [ ! -e /etc/containers/containers.conf ]; then
      log "writing /etc/containers/containers.conf (runc, ulimits)"
      printf '%s\n' '[containers]' 'default_ulimits = ["nofile=20000:20000", "nproc=1000:1000"]' \
        '' '[engine]' 'runtime = "runc"' > /etc/containers/containers.conf
    fi
    if [ ! -e /etc/containers/storage.conf ] && [ ! -d /var/lib/containers/storage/vfs ]; then
      log "writing /etc/containers/storage.conf (overlay)"
      printf '%s\n' '[storage]' 'driver = "overlay"' 'runroot = "/run/containers/storage"' \
        'graphroot = "/var/lib/containers/storage"' > /etc/containers/storage.conf
    fi
  fi
fi

arch=$(dpkg --print-architecture)
tags=(-t localhost/kserve-pvc-fn:dev -t docker.io/library/kserve-pvc-fn:dev)
if [ -n "${PLATFORM:-}" ]; then
  arch=${PLATFORM#linux/}
  tags=(-t "localhost/kserve-pvc-fn:dev-$arch")
fi
container/rootfs.sh "$arch"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
args=(build --build-arg "VERSION=$version" --build-arg "REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  --build-arg "SOURCE=$(git config --get remote.origin.url || echo unknown)")
[ -n "${PLATFORM:-}" ] && args+=(--platform "$PLATFORM")
[ -n "${PIP_INDEX_URL:-}" ] && args+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
[ -f "$CA_BUNDLE" ] && args+=(--secret "id=pip-ca,src=$CA_BUNDLE")
args+=("${tags[@]}" .)
log "$DOCKER ${args[*]}"
start=$(date +%s)
"$DOCKER" "${args[@]}"
log "built in $(($(date +%s) - start)) s; $("$DOCKER" image inspect --format '{{.Size}}' "${tags[1]}") bytes"
