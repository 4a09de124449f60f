#!/usr/bin/env bash
# Builds the Lambda layer content for the tools the render stage runs
# (kustomize, helm) for linux/arm64, without Docker: plain Go cross-compiles
# with CGO off, the same tools module approach and versions as
# test/harness/build-tools.sh. Binaries are cached per tool, version and
# architecture, so only the first synth pays for the build.
#
# Usage: build.sh OUTPUT_DIR   (writes OUTPUT_DIR/bin/{kustomize,helm};
# Lambda mounts a layer at /opt, so they run as /opt/bin/kustomize and /opt/bin/helm)
set -euo pipefail

out_dir="${1:?usage: build.sh OUTPUT_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../test/harness/tool-versions.sh
source "$here/../../test/harness/tool-versions.sh"

cache="${DRIFTLESS_TOOLS_CACHE:-$HOME/.cache/driftless-tools}"
arch=arm64
mkdir -p "$cache"

log() { printf '[tools-layer] %s\n' "$*" >&2; }

# build NAME VERSION MODULE PACKAGE LDFLAGS: cross-compile into the cache unless
# the binary is already there. An empty module that requires MODULE keeps the
# upstream module's own replace directives from stopping the build.
build() {
  local name="$1" version="$2" module="$3" pkg="$4" ldflags="$5"
  local bin="$cache/$name-$version-$arch/$name"
  if [[ ! -x "$bin" ]]; then
    command -v go >/dev/null || { log "go is required to build $name for the tools layer (Go >= 1.26)"; exit 1; }
    log "building $name $version for linux/$arch (cached afterwards in $cache)"
    local mod="$cache/src/$name-$version-$arch"
    rm -rf "$mod" && mkdir -p "$mod"
    (cd "$mod" && go mod init driftless.local/tools >/dev/null 2>&1 && go mod edit -require="$module@$version")
    local tmp="$cache/$name-$version-$arch.tmp"
    rm -rf "$tmp" && mkdir -p "$tmp"
    (cd "$mod" && GOOS=linux GOARCH="$arch" CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
      go build -trimpath -ldflags "$ldflags" -o "$tmp/$name" "$pkg")
    rm -rf "${bin%/*}" && mv "$tmp" "${bin%/*}"
  fi
  install -D -m 0755 "$bin" "$out_dir/bin/$name"
}

build kustomize "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5 \
  sigs.k8s.io/kustomize/kustomize/v5 "-s -w"
build helm "$HELM_VERSION" helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm \
  "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
log "layer content ready in $out_dir/bin"
