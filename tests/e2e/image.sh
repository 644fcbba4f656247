#!/usr/bin/env bash
# Build the real image with podman and tag it the way kustomize and kpt ask for it:
#   localhost/kserve-pvc-fn:dev          (kustomize `image: kserve-pvc-fn:dev`, podman's short name)
#   docker.io/library/kserve-pvc-fn:dev  (kpt: a name without a registry would get gcr.io/kpt-fn/)
#
# Idempotent; for a developer and for .ci/run alike. On a Debian 12 machine as root it installs and
# configures what is missing:
# - podman, runc, mmdebstrap (apt). runc, not crun: crun fails on hosts with hybrid cgroups.
# - /etc/containers/containers.conf: runc, and ulimits within what a process without
#   CAP_SYS_RESOURCE may set (podman's defaults fail there). Written only if absent.
# - /etc/containers/storage.conf: the overlay driver (containers start in ~0.15 s, vfs ~1.5 s).
#   Written only if absent and no storage exists yet (switching drivers orphans existing images).
# - PYTHON_IMAGE: with no registry to pull python:3.12-slim-bookworm from, a stand-in with the
#   same role is made from Debian's own packages (mmdebstrap + podman import), once.
#
# Environment: DOCKER (default podman), PYTHON_IMAGE (default: the Debian stand-in; set it to
# python:3.12-slim-bookworm where a registry is reachable), CA_BUNDLE (default the host's bundle,
# passed to the build as the secret `pip-ca`), PIP_INDEX_URL (passed as a build argument).
set -euo pipefail
cd "$(dirname "$0")/../.."

DOCKER=${DOCKER:-podman}
STANDIN=localhost/debian-python:bookworm
PYTHON_IMAGE=${PYTHON_IMAGE:-$STANDIN}
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
  if [ "$PYTHON_IMAGE" = "$STANDIN" ] && ! podman image exists "$STANDIN"; then
    log "making $STANDIN from Debian packages (stand-in for python:3.12-slim-bookworm)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mmdebstrap --quiet --variant=apt --include=python3,python3-pip,python3-venv,python-is-python3,ca-certificates \
      bookworm "$work/root.tar"
    podman import --quiet --change 'CMD ["python3"]' "$work/root.tar" "$STANDIN" >/dev/null
  fi
fi

args=(build --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE")
[ -n "${PIP_INDEX_URL:-}" ] && args+=(--build-arg "PIP_INDEX_URL=$PIP_INDEX_URL")
[ -f "$CA_BUNDLE" ] && args+=(--secret "id=pip-ca,src=$CA_BUNDLE")
args+=(-t localhost/kserve-pvc-fn:dev -t docker.io/library/kserve-pvc-fn:dev .)
log "$DOCKER ${args[*]}"
start=$(date +%s)
"$DOCKER" "${args[@]}"
log "built in $(($(date +%s) - start)) s; $("$DOCKER" image inspect --format '{{.Size}}' docker.io/library/kserve-pvc-fn:dev) bytes"
