#!/usr/bin/env bash
# Make the image's two bases from Debian 12 (bookworm) packages with mmdebstrap, the way distroless
# is made from Debian packages, so that every build (make image, tests/e2e/image.sh, CI, the release
# workflow) starts from the same files and no base is pulled from a registry:
#
#   container/rootfs/runtime-ARCH.tar  the final image's base: python3 and the libraries it links,
#                                      unpacked without maintainer scripts (no Essential set: no
#                                      shell, no dpkg, no apt, no tar); /etc/passwd and /etc/group
#                                      name root and nobody (kustomize and kpt run `--user nobody`)
#   container/rootfs/build-ARCH.tar    the build stage's base: the same python3 plus python3-venv,
#                                      a normal Debian root with a shell, to build the venv in
#
# ARCH is a Debian architecture (amd64, arm64); the default is the machine's. A foreign ARCH needs
# qemu-user-static with binfmt (Debian's qemu-user-static and binfmt-support packages) for the
# build base, whose maintainer scripts run. Existing tarballs are kept; REFRESH=1 makes them anew.
# SOURCE_DATE_EPOCH (default: the last commit's time) makes the tarballs reproducible for one
# state of the Debian archive. The packages come from bookworm, bookworm-updates and
# bookworm-security (mmdebstrap's default sources), so the bases carry Debian's security fixes;
# MIRROR=URL takes the first two from another Debian mirror (security stays on debian-security).
#
#   container/rootfs.sh [ARCH]...
set -euo pipefail
cd "$(dirname "$0")"
SUITE=bookworm
sources=()
if [ -n "${MIRROR:-}" ]; then
  sources=("deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main"
    "deb http://deb.debian.org/debian-security $SUITE-security main")
fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
log() { echo "rootfs.sh: $*" >&2; }
# Nothing a KRM function reads: documentation, manual pages, translations.
no_docs=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*' --dpkgopt='path-include=/usr/share/doc/*/copyright')
# python3-minimal depends on dpkg (for its maintainer scripts), which brings tar; neither runs here.
# The dpkg and apt state would only describe packages that were never configured. The extract hook
# runs this script again as `rootfs.sh --strip ROOT`; it does what mmdebstrap's cleanup step would.
if [ "${1:-}" = --strip ]; then
  root=$2
  rm -rf "$root"/usr/bin/dpkg* "$root"/usr/bin/update-alternatives "$root"/bin/tar "$root"/usr/sbin/* \
    "$root"/etc/apt "$root"/etc/dpkg "$root"/etc/cron.daily "$root"/etc/logrotate.d "$root"/etc/alternatives \
    "$root"/var/lib/dpkg/* "$root"/var/lib/apt "$root"/var/cache/apt "$root"/var/log/* "$root"/usr/share/dpkg \
    "$root"/usr/share/bug "$root"/usr/lib/python3.11/test "$root"/tmp/* "$root"/etc/resolv.conf "$root"/etc/hostname
  printf '%s\n' "root:x:0:0:root:/root:/nonexistent" "nobody:x:65534:65534:nobody:/nonexistent:/nonexistent" \
    > "$root"/etc/passwd
  printf '%s\n' "root:x:0:" "nogroup:x:65534:" > "$root"/etc/group
  exit 0
fi

[ $# -gt 0 ] || set -- "$(dpkg --print-architecture)"
mkdir -p rootfs
for arch in "$@"; do
  runtime=rootfs/runtime-$arch.tar build=rootfs/build-$arch.tar
  if [ "${REFRESH:-0}" = 1 ] || [ ! -s "$runtime" ]; then
    log "making $runtime"
    mmdebstrap --quiet --format=tar --variant=extract --architectures="$arch" --include=python3 "${no_docs[@]}" \
      --skip=cleanup --extract-hook="\"$PWD/rootfs.sh\" --strip \"\$1\"" "$SUITE" "$runtime.part" "${sources[@]}"
    mv "$runtime.part" "$runtime"
  fi
  if [ "${REFRESH:-0}" = 1 ] || [ ! -s "$build" ]; then
    log "making $build"
    mmdebstrap --quiet --format=tar --variant=apt --architectures="$arch" --include=python3,python3-venv "${no_docs[@]}" \
      "$SUITE" "$build.part" "${sources[@]}"
    mv "$build.part" "$build"
  fi
done
