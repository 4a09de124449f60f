#!/usr/bin/env bash
# The quickstart: sets everything up, then runs the Driftless demo locally.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node_modules/.bin/node scripts/demo.ts "$@"
