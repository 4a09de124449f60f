# Versions of the Go-built tools the tests and benchmarks run. Bumping one here
# rebuilds just that tool (the cache is keyed by name and version).
ETCD_VERSION=v3.6.16
KUBE_VERSION=v1.36.3
KWOK_VERSION=v0.8.0
KUSTOMIZE_VERSION=v5.8.1
HELM_VERSION=v3.22.0
MOTO_VERSION=5.2.5
TOXIPROXY_VERSION=v2.12.0
# The CNCF distribution registry (OCI registry for chart/artifact tests) and
# the ORAS client that pushes Flux-style artifacts to it.
DISTRIBUTION_VERSION=v3.1.2
ORAS_VERSION=v1.3.6
# Flux's apply engine, for the benchmark's peer program (bench/peers/flux-apply,
# whose go.mod must require the same version); built only on request.
FLUX_SSA_VERSION=v0.78.0
# Gitea, a real forge for the webhook and forge-feedback tests. Its go.mod
# declares `module gitea.dev` while the proxy serves it as code.gitea.io/gitea,
# so it cannot be required from a tools module; build-tools.sh builds the
# proxy's source zip as its own main module instead.
GITEA_VERSION=v1.27.3
