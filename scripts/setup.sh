#!/usr/bin/env bash
# Everything the project needs on a fresh Debian machine: system packages, npm
# packages (with the pinned Node 24), and the Go-built servers and tools.
# Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }

missing=()
for cmd in git openssl; do command -v "$cmd" >/dev/null || missing+=("$cmd"); done
# moto and cfn-lint are installed from PyPI into virtual environments.
command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
# The browser test drives Debian's Chromium (playwright-core downloads no browser).
command -v chromium >/dev/null || missing+=(chromium)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    say "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "please install: ${missing[*]} (for example: sudo apt-get install ${missing[*]})"
    exit 1
  fi
fi
for cmd in go npm; do
  command -v "$cmd" >/dev/null || { say "$cmd is required (Go >= 1.26, npm >= 10)"; exit 1; }
done

if [[ ! -x node_modules/.bin/node || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "node for the project: $(node_modules/.bin/node --version)"

say "building test servers and tools (cached in ${DRIFTLESS_TOOLS_CACHE:-$HOME/.cache/driftless-tools})"
bash test/harness/build-tools.sh
