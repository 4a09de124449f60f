#!/usr/bin/env bash
# Builds the real servers and tools the tests use (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok, kustomize, helm,
# toxiproxy-server, the distribution registry, oras, gitea) from their Go modules;
# on request also the benchmark's Flux peer (flux-apply, see build_flux_apply).
# Binaries are cached outside the checkout, keyed by version, and linked into
# .tools/bin (git-ignored).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=tool-versions.sh
source "$here/tool-versions.sh"

cache="${DRIFTLESS_TOOLS_CACHE:-$HOME/.cache/driftless-tools}"
goarch="$(go env GOARCH)"
bin_dir="$root/.tools/bin"
mkdir -p "$cache" "$bin_dir"

export CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"

log() { printf '[build-tools] %s\n' "$*" >&2; }

# tools_module DIR MODULE@VERSION: an empty module that requires MODULE, so the
# upstream module's own replace directives (ignored for dependencies) do not
# stop the build the way they stop `go install pkg@version`.
tools_module() {
  local dir="$1" req="$2"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && go mod init driftless.local/tools >/dev/null 2>&1 && go mod edit -require="$req")
}

# link NAME DEST: expose a cached binary under .tools/bin.
link() { ln -sfn "$2" "$bin_dir/$1"; }

build_etcd() {
  local out="$cache/etcd-$ETCD_VERSION-$goarch"
  if [[ ! -x "$out/etcd" ]]; then
    log "building etcd $ETCD_VERSION"
    local mod="$cache/src/etcd-$ETCD_VERSION"
    tools_module "$mod" "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    (cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3)
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  link etcd "$out/etcd"
}

build_kube() {
  local out="$cache/kube-$KUBE_VERSION-$goarch"
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  if [[ ! -x "$out/kubectl" ]]; then
    log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBE_VERSION (takes many minutes cold)"
    local mod="$cache/src/kube-$KUBE_VERSION"
    tools_module "$mod" "k8s.io/kubernetes@$KUBE_VERSION"
    local gomod
    gomod="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
    [[ -f "$gomod" ]] || { log "could not locate go.mod of k8s.io/kubernetes@$KUBE_VERSION"; exit 1; }
    # Every staging module (./staging/src/k8s.io/X in the upstream go.mod) is
    # published as k8s.io/X at v0.<minor>.<patch>.
    local staging_version="v0.${KUBE_VERSION#v1.}"
    local count=0
    while read -r modpath; do
      (cd "$mod" && go mod edit -replace="$modpath=$modpath@$staging_version")
      count=$((count + 1))
    done < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\1#p' "$gomod")
    log "replaced $count staging modules with $staging_version"
    local minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
    local ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    done
    local pkgs=()
    for c in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp/" "${pkgs[@]}")
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  for c in "${cmds[@]}"; do link "$c" "$out/$c"; done
}

# build_simple NAME MODULE VERSION PACKAGE
build_simple() {
  local name="$1" module="$2" version="$3" pkg="$4"
  local out="$cache/$name-$version-$goarch"
  if [[ ! -x "$out/$name" ]]; then
    log "building $name $version"
    local mod="$cache/src/$name-$version"
    tools_module "$mod" "$module@$version"
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$out.tmp/$name" "$pkg")
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  link "$name" "$out/$name"
}

build_helm() {
  local out="$cache/helm-$HELM_VERSION-$goarch"
  if [[ ! -x "$out/helm" ]]; then
    log "building helm $HELM_VERSION"
    local mod="$cache/src/helm-$HELM_VERSION"
    tools_module "$mod" "helm.sh/helm/v3@$HELM_VERSION"
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$mod" && go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" -o "$out.tmp/helm" helm.sh/helm/v3/cmd/helm)
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  link helm "$out/helm"
}

# Toxiproxy (the fault suite's TCP proxy: latency, timeouts, resets, cut
# streams, refused connections), with its version stamped for /version.
build_toxiproxy() {
  local out="$cache/toxiproxy-$TOXIPROXY_VERSION-$goarch"
  if [[ ! -x "$out/toxiproxy-server" ]]; then
    log "building toxiproxy-server $TOXIPROXY_VERSION"
    local mod="$cache/src/toxiproxy-$TOXIPROXY_VERSION"
    tools_module "$mod" "github.com/Shopify/toxiproxy/v2@$TOXIPROXY_VERSION"
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$mod" && go build -trimpath -ldflags "-s -w -X github.com/Shopify/toxiproxy/v2.Version=$TOXIPROXY_VERSION" -o "$out.tmp/toxiproxy-server" github.com/Shopify/toxiproxy/v2/cmd/server)
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  link toxiproxy-server "$out/toxiproxy-server"
}

# The CNCF distribution registry (the reference OCI registry; Harbor and
# GitLab's registry build on it), its version stamped for `registry --version`.
build_registry() {
  local out="$cache/registry-$DISTRIBUTION_VERSION-$goarch"
  if [[ ! -x "$out/registry" ]]; then
    log "building registry (distribution) $DISTRIBUTION_VERSION"
    local mod="$cache/src/registry-$DISTRIBUTION_VERSION"
    local pkg=github.com/distribution/distribution/v3
    tools_module "$mod" "$pkg@$DISTRIBUTION_VERSION"
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$mod" && go build -trimpath -ldflags "-s -w -X $pkg/version.version=$DISTRIBUTION_VERSION -X $pkg/version.mainpkg=$pkg" -o "$out.tmp/registry" "$pkg/cmd/registry")
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  link registry "$out/registry"
}

# Gitea (a real forge: webhooks, commit statuses, pull requests). Its go.mod
# says `module gitea.dev`, so the proxy's source is copied out of the module
# cache and built as the main module, with its own go.sum (-mod=readonly). Its
# SQLite driver is modernc's (pure Go) unless the sqlite_mattn tag is set, so
# CGO stays off. Without the bindata tag Gitea reads its templates and options
# (locales, gitignores, licenses) from STATIC_ROOT_PATH, so they sit beside the
# binary; the web UI's built frontend is not needed by the API.
build_gitea() {
  local out="$cache/gitea-$GITEA_VERSION-$goarch"
  if [[ ! -x "$out/gitea" ]]; then
    log "building gitea $GITEA_VERSION (about 2 minutes)"
    local dir
    dir="$(cd "$cache" && go mod download -json "code.gitea.io/gitea@$GITEA_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -f "$dir/go.mod" ]] || { log "could not download code.gitea.io/gitea@$GITEA_VERSION"; exit 1; }
    local src="$cache/src/gitea-$GITEA_VERSION"
    rm -rf "$src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$src" && GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -ldflags "-s -w -X main.Version=${GITEA_VERSION#v}" -o "$out.tmp/gitea" .)
    cp -r "$src/options" "$src/templates" "$out.tmp/"
    rm -rf "$src"
    rm -rf "$out" && mv "$out.tmp" "$out"
  fi
  link gitea "$out/gitea"
}

# KWOK ships its simulation stages as kustomize bases, not in the binary; the
# "fast" set (nodes Ready with lease heartbeats, pods Ready at once) is rendered
# from the module source with the kustomize built above.
build_kwok() {
  build_simple kwok sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
  local out="$cache/kwok-$KWOK_VERSION-$goarch"
  if [[ ! -s "$out/stages.yaml" ]]; then
    build_simple kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5
    local src
    src="$(cd "$cache/src/kwok-$KWOK_VERSION" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    "$bin_dir/kustomize" build "$src/kustomize/stage/fast" > "$out/stages.yaml.tmp"
    mv "$out/stages.yaml.tmp" "$out/stages.yaml"
  fi
  ln -sfn "$out/stages.yaml" "$root/.tools/kwok-stages.yaml"
}

# moto's server speaks the SQS, EventBridge, Secrets Manager and CloudWatch
# APIs locally; installed from PyPI into a venv cached like the Go tools.
build_moto() {
  local out="$cache/moto-$MOTO_VERSION"
  # A venv cannot be moved (its scripts name their interpreter by path), so
  # it is built in place and a marker says it finished.
  if [[ ! -f "$out/.complete" ]]; then
    log "installing moto[server] $MOTO_VERSION"
    rm -rf "$out"
    python3 -m venv "$out"
    "$out/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
    touch "$out/.complete"
  fi
  link moto_server "$out/bin/moto_server"
}

# flux-apply (bench/peers/flux-apply): Flux's apply engine, github.com/fluxcd/pkg/ssa,
# driven as kustomize-controller drives it, for the benchmark only; not in the
# default set (the tests never run it), built with
# `bash test/harness/build-tools.sh flux-apply`. The program's go.mod and go.sum
# are committed and must require $FLUX_SSA_VERSION; the cache is keyed by that
# version and a hash of the program's source, so any change rebuilds it.
build_flux_apply() {
  local src="$root/bench/peers/flux-apply"
  local required
  required="$(sed -n 's#^[[:space:]]*\(require[[:space:]]\+\)\{0,1\}github\.com/fluxcd/pkg/ssa[[:space:]]\+\(v[^[:space:]]*\).*#\2#p' "$src/go.mod")"
  if [[ "$required" != "$FLUX_SSA_VERSION" ]]; then
    log "$src/go.mod requires github.com/fluxcd/pkg/ssa ${required:-(none)}, tool-versions.sh says $FLUX_SSA_VERSION: update one to match"
    exit 1
  fi
  local hash
  hash="$(cd "$src" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"
  local out="$cache/flux-apply-$FLUX_SSA_VERSION-$hash-$goarch"
  if [[ ! -x "$out/flux-apply" ]]; then
    log "building flux-apply (github.com/fluxcd/pkg/ssa $FLUX_SSA_VERSION, source $hash); a few minutes cold"
    log "flux-apply: downloading modules"
    # -mod=readonly: the committed go.sum must already be complete.
    (cd "$src" && GOFLAGS="-mod=readonly -buildvcs=false" go mod download)
    log "flux-apply: compiling (a line every 25 packages)"
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    # go build -v names each package as it compiles it; count those lines and
    # pass anything else (compiler errors) through.
    (cd "$src" && GOFLAGS="-mod=readonly -buildvcs=false" go build -v -trimpath -ldflags "-s -w" -o "$out.tmp/flux-apply" . 2>&1) |
      awk '/^[[:alnum:]._~\/-]+$/ { n++; if (n % 25 == 0) printf "[build-tools] flux-apply: %d packages compiled\n", n; next } { print }' >&2
    rm -rf "$out" && mv "$out.tmp" "$out"
    log "flux-apply: built $out/flux-apply"
  fi
  link flux-apply "$out/flux-apply"
}

want="${*:-etcd kube kustomize kwok helm toxiproxy registry oras gitea moto}"
for t in $want; do
  case "$t" in
    etcd) build_etcd ;;
    kube) build_kube ;;
    kwok) build_kwok ;;
    kustomize) build_simple kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5 ;;
    helm) build_helm ;;
    toxiproxy) build_toxiproxy ;;
    registry) build_registry ;;
    # The ORAS CLI (oras.land/oras) carries its version in source.
    oras) build_simple oras oras.land/oras "$ORAS_VERSION" oras.land/oras/cmd/oras ;;
    gitea) build_gitea ;;
    moto) build_moto ;;
    flux-apply) build_flux_apply ;;
    *) log "unknown tool: $t"; exit 2 ;;
  esac
done
log "tools ready in $bin_dir"
