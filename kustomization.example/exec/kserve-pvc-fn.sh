#!/bin/sh
# kustomize runs exec functions by a path relative to the kustomization; this finds the
# installed command on PATH (or KSERVE_PVC_FN, e.g. a virtualenv's bin/kserve-pvc-fn).
exec "${KSERVE_PVC_FN:-kserve-pvc-fn}" "$@"
